"""Building and publishing a release: layout, determinism, strictness, immutability, shards."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from vn_security_corpus import InvalidInputError, ReleaseError, build, load_table
from vn_security_corpus.release import content_lines, record_digest

from .conftest import RAW_DIR


def release_files(release: Path) -> dict[str, bytes]:
    return {
        path.relative_to(release).as_posix(): path.read_bytes() for path in sorted(release.rglob("*")) if path.is_file()
    }


def front_matter(card: str) -> dict[str, Any]:
    _, yaml_text, _ = card.split("---\n", 2)
    loaded: dict[str, Any] = yaml.safe_load(yaml_text)
    return loaded


def test_release_layout(release_root: Path) -> None:
    release = release_root / "1.0.0"
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    data = sorted(p.name for p in (release / "data").iterdir())
    assert data == [f"{name}-00000-of-00001.parquet" for name in sorted(manifest["splits"])]
    plots = {f"plots/{name}.png" for name in ("splits", "years", "provinces", "date_precision", "words", "ranks")}
    beside = {"README.md", "croissant.json", "LICENSE.md", *plots}
    data_files = {f"data/{name}" for name in data}
    assert set(release_files(release)) == {*beside, "manifest.json", "checksums", *data_files}
    assert set(manifest["files"]) == {*beside, *data_files}  # checksums lists them and the manifest
    assert sum(split["rows"] for split in manifest["splits"].values()) == 5
    assert [i["file"] for i in manifest["inputs"]] == sorted(p.name for p in RAW_DIR.glob("*.txt"))
    for relative, expected in manifest["files"].items():
        assert (release / relative).stat().st_size == expected["bytes"]
        if relative.startswith("data/"):
            assert pq.ParquetFile(release / relative).metadata.num_rows == expected["rows"]
            assert pq.ParquetFile(release / relative).metadata.row_group(0).column(0).compression == "ZSTD"


def test_card_front_matter_matches_the_data(release_root: Path) -> None:
    release = release_root / "1.0.0"
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    meta = front_matter((release / "README.md").read_text(encoding="utf-8"))
    assert meta["language"] == ["vi"] and meta["license"] and meta["pretty_name"] and meta["task_categories"]
    assert meta["size_categories"] == ["n<1K"]
    (config,) = meta["configs"]
    assert [f["split"] for f in config["data_files"]] == list(manifest["splits"])
    info = meta["dataset_info"]
    assert [(s["name"], s["num_examples"]) for s in info["splits"]] == [
        (name, split["rows"]) for name, split in manifest["splits"].items()
    ]


def test_card_is_accepted_by_datasets_offline_checks(release_root: Path) -> None:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs

    from vn_security_corpus.schema import arrow_schema

    meta = front_matter((release_root / "1.0.0" / "README.md").read_text(encoding="utf-8"))
    configs = MetadataConfigs.from_dataset_card_data(meta)
    assert set(configs["default"]["data_files"][0]) == {"split", "path"}
    infos = DatasetInfosDict.from_dataset_card_data(meta)
    import datasets

    assert infos["default"].features == datasets.Features.from_arrow_schema(arrow_schema())


def test_rebuild_elsewhere_gives_identical_bytes(release_root: Path, tmp_path: Path) -> None:
    build(RAW_DIR, tmp_path, "1.0.0")
    assert release_files(tmp_path / "1.0.0") == release_files(release_root / "1.0.0")


def test_content_hash_is_the_hash_of_the_records(release_root: Path) -> None:
    table = load_table(root=release_root)
    rows = [(row.pop("split"), record_digest(row)) for row in table.to_pylist()]
    assert (
        hashlib.sha256(content_lines(rows)).hexdigest()
        == json.loads((release_root / "1.0.0" / "manifest.json").read_text())["content_sha256"]
    )


def test_rows_are_sorted_by_id(release_root: Path) -> None:
    for path in (release_root / "1.0.0" / "data").iterdir():
        ids = pq.read_table(path, columns=["id"]).column("id").to_pylist()
        assert ids == sorted(ids)


def test_strict_build_refuses_invalid_input_and_writes_nothing(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    (raw / "bad.txt").write_text(" date 2020-13 Tiêu đề\n\nThân bài.\n", encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    with pytest.raises(InvalidInputError) as caught:
        build(raw, out, "1.0.0")
    assert [(Path(p.file).name, p.line) for p in caught.value.problems] == [("bad.txt", 1), ("empty.txt", None)]
    assert not (out / "1.0.0").exists()
    assert not out.exists() or not any(out.iterdir())


def test_rebuilding_a_version_is_a_no_op_and_other_content_is_refused(
    raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    raw = raw_copy()
    first = build(raw, tmp_path, "1.0.0")
    before = release_files(first.path)
    again = build(raw, tmp_path, "1.0.0")
    assert first.written and not again.written and release_files(again.path) == before
    (raw / "000_815a394d8668fa3a.txt").unlink()
    with pytest.raises(ReleaseError, match=r"already published from other input.*new version"):
        build(raw, tmp_path, "1.0.0")
    assert release_files(tmp_path / "1.0.0") == before
    assert build(raw, tmp_path, "1.1.0").published == 4  # a record removed: a minor version (diff.py)


def test_empty_split_is_left_out(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    report = build(raw_copy(["002_b2aa1906d32ce349.txt"]), tmp_path, "1.0.0")
    assert list(report.splits) == [next(iter(report.splits))] and sum(report.splits.values()) == 1
    meta = front_matter((report.path / "README.md").read_text(encoding="utf-8"))
    assert [f["split"] for f in meta["configs"][0]["data_files"]] == list(report.splits)
    assert sorted(p.name.split("-")[0] for p in (report.path / "data").iterdir()) == list(report.splits)


def test_large_splits_are_sharded(tmp_path: Path, release_root: Path) -> None:
    report = build(RAW_DIR, tmp_path, "1.0.0", splits={"train": 1.0}, shard_rows=2)
    names = sorted(p.name for p in (report.path / "data").iterdir())
    assert names == ["train-00000-of-00003.parquet", "train-00001-of-00003.parquet", "train-00002-of-00003.parquet"]
    table = load_table(root=tmp_path, split="train")
    assert table.column("id").to_pylist() == sorted(load_table(root=release_root).column("id").to_pylist())


def test_interrupted_publish_leaves_no_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vn_security_corpus.publish as publish

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "render_card", crash)
    with pytest.raises(KeyboardInterrupt):
        build(RAW_DIR, tmp_path, "1.0.0")
    assert list(tmp_path.iterdir()) == []


def test_the_build_reports_the_cpu_time_of_each_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vn_security_corpus.cli import main
    from vn_security_corpus.timings import STAGES

    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW_DIR), "--out", str(out), "--release-version", "1.0.0", "--no-progress",
                 "--json"]) == 0  # fmt: skip
    seconds = json.loads(capsys.readouterr().out)["cpu_seconds"]
    assert list(seconds) == list(STAGES)  # every stage ran, reported in the order of the flow
    assert all(value >= 0 for value in seconds.values()) and sum(seconds.values()) > 0
    assert main(["build", "--raw", str(RAW_DIR), "--out", str(out), "--release-version", "1.0.0", "--no-progress",
                 "--timings"]) == 0  # fmt: skip
    assert "CPU time per input by stage (µs): read " in capsys.readouterr().err
