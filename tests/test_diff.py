"""Versions that say what changed: the diff of two releases, the versioning rule a build applies,
the release notes in the card, and the releases root as a dataset repository of versions."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main
from vn_security_corpus.diff import diff_folders, diff_releases
from vn_security_corpus.errors import VersionRuleWarning
from vn_security_corpus.release import read_manifest
from vn_security_corpus.shards import PARQUET_OPTIONS

from .conftest import RAW_FILES

ADDED = "005_added.txt"


def next_corpus(raw: Path) -> Path:
    """``raw`` changed: one article added, one removed, one byline changed (its authors)."""
    lines = RAW_FILES[0].read_text(encoding="utf-8").split("\n\n")
    (raw / ADDED).write_text("\n\n".join(["Một bài báo mới về an ninh trật tự", *lines[1:]]), encoding="utf-8")
    (raw / RAW_FILES[4].name).unlink()
    byline = raw / RAW_FILES[1].name
    byline.write_text(byline.read_text(encoding="utf-8").replace("Tố Phương", "Minh Châu"), encoding="utf-8")
    return raw


@pytest.fixture
def first(raw_copy: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path]:
    """(raw folder, releases root holding 1.0.0 built from it)."""
    raw, root = raw_copy(), tmp_path / "releases"
    vnsc.build(raw, root, "1.0.0")
    return raw, root


def test_diff_counts_records_fields_and_settings(first: tuple[Path, Path]) -> None:
    raw, root = first
    vnsc.build(next_corpus(raw), root, "1.1.0", shard_rows=2)
    diff = diff_releases(root / "1.0.0", root / "1.1.0")
    assert (diff.added, diff.removed, diff.changed, diff.unchanged) == (1, 1, 1, 3)
    assert diff.changed_fields == {"authors": 1, "source": 1} and diff.moved == {}  # (source.sha256: other bytes)
    assert diff.same_schema and diff.settings == {"shard_rows": (5_000, 2)}
    assert diff.required_bump()[0] == "minor"
    assert diff_releases("1.0.0", "1.1.0", root=root).to_dict() == diff.to_dict()
    card = (root / "1.1.0" / "README.md").read_text(encoding="utf-8")
    notes = card.split("## Release notes", 1)[1].split("\n## ", 1)[0]
    assert "Changes since version 1.0.0" in notes and "1 added, 1 removed, 1 changed, 3 unchanged" in notes
    assert "changed fields (records): authors 1, source 1" in notes and "a minor version after 1.0.0" in notes


def test_a_version_smaller_than_the_changes_need_is_refused(first: tuple[Path, Path]) -> None:
    raw, root = first
    next_corpus(raw)
    with pytest.raises(vnsc.ReleaseError, match=r"needs at least a minor version .*build 1\.1\.0 or later"):
        vnsc.build(raw, root, "1.0.1")
    assert vnsc.versions(root) == ["1.0.0"]
    with pytest.warns(VersionRuleWarning, match="published anyway"):
        report = vnsc.build(raw, root, "1.0.1", allow_version_rule_break=True)
    card = (report.path / "README.md").read_text(encoding="utf-8")
    assert "**This version breaks the versioning rule**" in card


def test_the_command_line_refuses_and_the_loud_flag_overrides(
    first: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    raw, root = first
    next_corpus(raw)
    args = ["build", "--raw", str(raw), "--out", str(root), "--release-version", "1.0.1", "--no-progress"]
    assert main(args) == 1
    assert "breaks the versioning rule" in capsys.readouterr().err
    assert main([*args, "--allow-version-rule-break"]) == 0
    assert "warning: " in capsys.readouterr().err


def test_the_same_records_may_be_a_patch(first: tuple[Path, Path]) -> None:
    raw, root = first
    report = vnsc.build(raw, root, "1.0.1", shard_rows=3)
    diff = diff_releases(root / "1.0.0", report.path)
    assert (
        diff.same_records
        and diff.same_schema
        and diff.required_bump()
        == (
            "patch",
            ["the same records and schema, other settings"],
        )
    )


def test_split_moves_need_a_major_version(first: tuple[Path, Path], tmp_path: Path) -> None:
    """A build into the same root keeps every published article's split (the near-duplicate stage),
    so moves show between releases built apart, here with other split ratios."""
    raw, root = first
    other = vnsc.build(raw, tmp_path / "apart", "2.0.0", splits={"train": 0.01, "validation": 0.01, "test": 0.98})
    diff = diff_releases(root / "1.0.0", other.path)
    assert diff.moved and diff.required_bump()[0] == "major"


def test_removed_and_retyped_fields_need_a_major_version(release_root: Path, tmp_path: Path) -> None:
    old = release_root / "1.0.0"
    new = tmp_path / "1.0.1"
    shutil.copytree(old, new)
    for path in (new / "data").iterdir():
        table = pq.read_table(path).drop_columns(["lang"])
        table = table.set_column(table.schema.get_field_index("n_words"), "n_words", table["n_words"].cast(pa.int32()))
        pq.write_table(table, path, **PARQUET_OPTIONS)
    manifest = {**read_manifest(old).data, "version": "1.0.1"}
    diff = diff_folders(old, read_manifest(old).data, new, manifest)
    assert diff.fields_removed == ["lang"] and diff.fields_retyped == {"n_words": ("int64", "int32")}
    assert diff.changed == 0  # the values are the same numbers
    bump, reasons = diff.required_bump()
    assert bump == "major" and reasons == ["fields removed: lang", "fields retyped: n_words int64 → int32"]


def test_diff_command(first: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    raw, root = first
    vnsc.build(next_corpus(raw), root, "1.1.0")
    assert main(["diff", "1.0.0", "1.1.0", "--root", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"]["added"] == 1 and report["required_bump"] == "minor"
    assert main(["diff", str(root / "1.0.0"), str(root / "1.1.0")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1.0.0 → 1.1.0\n") and "split moves: none" in out
    assert main(["diff", "1.0.0", "9.9.9", "--root", str(root)]) == 1


def test_the_root_is_a_dataset_repository_of_versions(first: tuple[Path, Path]) -> None:
    import datasets

    raw, root = first
    vnsc.build(next_corpus(raw), root, "1.1.0", splits={"train": 0.8, "validation": 0.1, "test": 0.1})
    card = (root / "README.md").read_text(encoding="utf-8")
    assert "config_name: 1.1.0" in card and "config_name: 1.0.0" in card
    newest = datasets.load_dataset(str(root))
    older = datasets.load_dataset(str(root), "1.0.0")

    def rows(dataset: datasets.DatasetDict) -> set[str]:
        return {row["id"] for split in dataset.values() for row in split}

    assert rows(newest) == set(vnsc.load_table(root=root).column("id").to_pylist())
    assert rows(older) == set(vnsc.load_table("1.0.0", root=root).column("id").to_pylist())
    assert rows(newest) != rows(older)  # one version each, never both concatenated
    assert "date_start" in newest["train"].features


def test_a_damaged_previous_release_is_named(first: tuple[Path, Path]) -> None:
    raw, root = first
    for path in (root / "1.0.0" / "data").iterdir():
        path.write_bytes(b"not parquet")
    with pytest.raises(
        vnsc.ReleaseError,
        match=r"1\.0\.0: (the previous release cannot be read|its Parquet files cannot be read).*verify",
    ):
        vnsc.build(next_corpus(raw), root, "1.1.0")
    assert vnsc.versions(root) == ["1.0.0"]


def test_the_root_card_leaves_out_a_damaged_release_and_comes_back_on_a_rebuild(first: tuple[Path, Path]) -> None:
    raw, root = first
    (root / "README.md").unlink()
    assert not vnsc.build(raw, root, "1.0.0").written
    assert "config_name: 1.0.0" in (root / "README.md").read_text(encoding="utf-8")
    shutil.copytree(root / "1.0.0", root / "0.9.0")
    (root / "0.9.0" / "manifest.json").write_text("{", encoding="utf-8")
    vnsc.build(raw, root, "1.0.1", shard_rows=2)
    card = (root / "README.md").read_text(encoding="utf-8")
    assert "config_name: 1.0.1" in card and "config_name: 0.9.0" not in card
