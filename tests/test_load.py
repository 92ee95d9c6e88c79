"""The loaders: pyarrow, datasets and pandas views of the same release, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.release import PACKAGE_RELEASES

from .conftest import RAW_FILES, REPO


def by_id(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {row["id"]: row for row in rows}


def test_versions_and_info(release_root: Path) -> None:
    assert vnsc.versions(release_root) == ["1.0.0"]
    assert vnsc.info(root=release_root)["version"] == "1.0.0"
    assert vnsc.versions(release_root / "nowhere") == []
    with pytest.raises(vnsc.ReleaseError, match=r"no release '9.9.9'; available: 1.0.0"):
        vnsc.info("9.9.9", root=release_root)
    with pytest.raises(vnsc.ReleaseError, match="no such folder of releases"):
        vnsc.load_table(root=release_root / "nowhere")


def test_load_table_whole_corpus_has_split_column(release_root: Path) -> None:
    table = vnsc.load_table(root=release_root)
    manifest = vnsc.info(root=release_root)
    assert table.num_rows == 5 and table.column_names[-1] == "split"
    counts = {name: table.filter(pc.equal(table["split"], name)).num_rows for name in manifest["splits"]}
    assert counts == {name: split["rows"] for name, split in manifest["splits"].items()}


def test_load_table_columns_and_filters(release_root: Path) -> None:
    table = vnsc.load_table(root=release_root, columns=["id", "date"], filters=pc.field("date_source") == "header+body")
    assert table.column_names == ["id", "date", "split"]
    assert sorted(table.column("date").to_pylist()) == ["2020-06-19", "2020-10-01", "2023-12-15"]


@pytest.mark.parametrize("filters", [None, pc.field("date_source") == "header+body"])
def test_arrow_reads_release_files_from_memory_it_owns(
    release_root: Path, filters: pc.Expression | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrow's threads must hold no Python object: one that frees a Python buffer while the
    # interpreter exits aborts the process (apache/arrow#34314; seen in CI under load)
    sources: list[object] = []

    def recording(read: Callable[..., object]) -> Callable[..., object]:
        def read_and_record(source: object, *args: object, **options: object) -> object:
            sources.append(source)
            return read(source, *args, **options)

        return read_and_record

    monkeypatch.setattr(pq, "ParquetFile", recording(pq.ParquetFile))
    monkeypatch.setattr(pq, "read_table", recording(pq.read_table))
    table = vnsc.load_table(root=release_root, filters=filters)
    assert table.num_rows > 0 and sources
    assert all(isinstance(source, pa.BufferReader) for source in sources), sources


def test_missing_split_names_the_existing_ones(release_root: Path) -> None:
    existing = list(vnsc.info(root=release_root)["splits"])
    absent = next(name for name in ("train", "validation", "test") if name not in existing)
    for loader in (vnsc.load_table, vnsc.load_dataset, vnsc.load_pandas):
        with pytest.raises(vnsc.ReleaseError, match=f"no split '{absent}'.*splits: {', '.join(existing)}"):
            loader(split=absent, root=release_root)


def test_load_dataset_equals_plain_datasets_load_dataset(release_root: Path) -> None:
    import datasets

    ours = vnsc.load_dataset(root=release_root)
    plain = datasets.load_dataset(str(release_root / "1.0.0"))
    assert list(ours) == list(plain)
    for split in ours:
        assert by_id(ours[split].to_list()) == by_id(plain[split].to_list())
        assert ours[split].features == plain[split].features
        assert ours[split].cache_files == []
    one = vnsc.load_dataset(split="train", root=release_root)
    assert isinstance(one, datasets.Dataset) and one.num_rows == ours["train"].num_rows


def test_streaming_gives_the_same_rows(release_root: Path) -> None:
    streamed = vnsc.load_dataset(root=release_root, streaming=True)
    table = vnsc.load_table(root=release_root)
    rows = [dict(row, split=split) for split in streamed for row in streamed[split]]
    assert by_id(rows) == by_id(table.to_pylist())


def test_load_pandas(release_root: Path) -> None:
    frame = vnsc.load_pandas(root=release_root, columns=["id", "authors"])
    assert list(frame.columns) == ["id", "authors", "split"] and len(frame) == 5


def test_loaders_read_the_shipped_release_by_default() -> None:
    newest = vnsc.versions()[-1]
    assert vnsc.info()["version"] == newest
    assert vnsc.load_table().num_rows == sum(s["rows"] for s in vnsc.info()["splits"].values())
    assert PACKAGE_RELEASES.is_relative_to(Path(vnsc.__file__).parent)


def run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    # (what the process printed goes into the failure: a crash is otherwise only its exit status)
    assert done.returncode == 0, f"exit status {done.returncode}; stderr:\n{done.stderr[-4000:]}"
    return done


def test_load_table_does_not_import_datasets(tmp_path: Path) -> None:
    out = run_python("import sys, vn_security_corpus as v; v.load_table(); print('datasets' in sys.modules)", tmp_path)
    assert out.stdout.strip() == "False"


def test_load_dataset_writes_nothing_to_the_cache(tmp_path: Path) -> None:
    out = run_python(
        "import vn_security_corpus as v; d = v.load_dataset(); print(sum(x.num_rows for x in d.values()))", tmp_path
    )
    assert int(out.stdout) == 5
    cached = [p for p in (tmp_path / "hf").rglob("*") if p.is_file()] if (tmp_path / "hf").exists() else []
    assert cached == []


def test_shipped_release_is_a_plain_huggingface_folder() -> None:
    release = PACKAGE_RELEASES / vnsc.versions()[-1]
    assert not list(release.rglob("*.py")) and not list(release.rglob("*.pkl"))
    assert json.loads((release / "manifest.json").read_text())["version"] == release.name
    assert REPO / "vn_security_corpus" / "releases" == PACKAGE_RELEASES


def test_a_release_is_pinned_by_its_content_hash(
    release_root: Path, raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    pin = vnsc.info(root=release_root)["content_sha256"]
    for verify in (False, True):
        assert vnsc.load_table(root=release_root, content_sha256=pin, verify=verify).num_rows == 5
        assert len(vnsc.load_pandas(root=release_root, content_sha256=pin, verify=verify)) == 5
        loaded = vnsc.load_dataset(root=release_root, content_sha256=pin, verify=verify)
        assert sum(split.num_rows for split in loaded.values()) == 5
    assert vnsc.load_table("1.0.0", content_sha256=vnsc.info("1.0.0")["content_sha256"], verify=True).num_rows == 5
    with pytest.raises(vnsc.ConfigError, match="is not a SHA-256"):
        vnsc.load_table(root=release_root, content_sha256=pin.upper())

    raw, out = raw_copy(), tmp_path / "out"
    vnsc.build(raw, out, "1.0.0")
    pin = vnsc.info(root=out)["content_sha256"]
    (raw / RAW_FILES[0].name).unlink()
    with pytest.warns(vnsc.RewriteWarning):
        vnsc.build(raw, out, "1.0.0", force=True)  # the same version, other records
    for loader in (vnsc.load_table, vnsc.load_pandas, vnsc.load_dataset):
        with pytest.raises(vnsc.ReleaseError, match=rf"is not the pinned one: its content_sha256 is \w+, not {pin}"):
            loader(root=out, content_sha256=pin)
    with pytest.raises(vnsc.ReleaseError, match="is not the pinned one"):
        vnsc.load_dataset(root=out, content_sha256=pin, streaming=True)


def test_the_reading_side_imports_neither_the_writer_nor_its_dependencies(tmp_path: Path) -> None:
    code = (
        "import sys, vn_security_corpus as v; "
        "v.load_table(verify=True, content_sha256=v.info()['content_sha256']); "
        "v.verify_release(v.release.PACKAGE_RELEASES / v.versions()[-1]); "
        "heavy = ('jsonschema', 'yaml', 'tqdm', 'multiprocessing', 'datasets'); "
        "writer = ('publish', 'shards', 'pipeline', 'engine', 'card'); "
        "print(sorted(m for m in sys.modules if m in heavy or m in ['vn_security_corpus.' + w for w in writer]))"
    )
    assert run_python(code, tmp_path).stdout.strip() == "[]"
