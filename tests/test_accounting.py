"""Nothing lost: every input is published, rejected or a duplicate; strict by default, lenient on request."""

from __future__ import annotations

import codecs
import hashlib
import itertools
import json
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from vn_security_corpus import InvalidInputError, build, load_table
from vn_security_corpus.dedup import dedupe

from .conftest import RAW_FILES

# file → the lines of its inputs (a text file is one input, at line 1).
GOOD = {path.name: [1] for path in RAW_FILES}
DUPLICATES = {"dup_bom_crlf.txt": [1], "dup_nfd_spacing.txt": [1]}
BAD = {
    name: [1]
    for name in ("blank.txt", "date.txt", "empty.txt", "image.txt", "markup.txt", "notes.md", "title_only.txt")
}
JSONL = {"more.jsonl": [1, 2, 3, 5]}  # 1 duplicates 002, 2 is new, 3 has a bad date, 5 is not JSON


def input_key(file: str, line: int | None) -> tuple[str, int]:
    """An input: a JSON Lines object by its line, any other file as a whole (line 1)."""
    return (file, line or 0) if file.endswith(".jsonl") else (file, 1)


def raw_text(index: int) -> str:
    return RAW_FILES[index].read_text(encoding="utf-8")


def raw_object(index: int) -> dict[str, Any]:
    """The raw file ``index`` as a JSON input object (title and paragraphs; date and byline as read)."""
    from vn_security_corpus.records import read_file_inputs
    from vn_security_corpus.sources import RawFile

    (article,) = read_file_inputs(RawFile.at(RAW_FILES[index]))
    record = article.record  # type: ignore[union-attr]
    return {key: record[key] for key in ("title", "paragraphs", "date", "byline")}


@pytest.fixture
def mixed_raw(raw_copy: Callable[..., Path]) -> Path:
    """raw/ plus exact duplicates in other bytes, bad files of many kinds, a JSONL file and a sub-folder."""
    raw = raw_copy()
    (raw / "dup_bom_crlf.txt").write_bytes(codecs.BOM_UTF8 + raw_text(0).replace("\n", "\r\n").encode())
    spaced = raw_text(1).replace("Công an", "Công\u00a0an").replace(" ", "  ").replace("\n\n", "\n \n\n")
    (raw / "dup_nfd_spacing.txt").write_text(unicodedata.normalize("NFD", spaced), encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "blank.txt").write_text(" \n\t\n  \n", encoding="utf-8")
    (raw / "title_only.txt").write_text(raw_text(2).split("\n")[0] + "\n", encoding="utf-8")
    (raw / "date.txt").write_text(" date 2020-13 " + raw_text(4).split(" ", 3)[3], encoding="utf-8")
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    (raw / "markup.txt").write_text(raw_text(0).replace("\n\n", "\n\n<html><body>", 1), encoding="utf-8")
    (raw / "notes.md").write_text("# notes\n", encoding="utf-8")
    new = {**raw_object(3), "title": "Một bài mới về an ninh trật tự"}
    lines = [raw_object(2), new, {**raw_object(4), "date": "2020-13"}]
    jsonl = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in lines) + "\n{not json\n"
    (raw / "more.jsonl").write_text(jsonl, encoding="utf-8")
    (raw / "archive").mkdir()
    (raw / "archive" / RAW_FILES[0].name).write_bytes(RAW_FILES[0].read_bytes())
    return raw


def test_every_input_is_published_rejected_or_a_duplicate(mixed_raw: Path, tmp_path: Path) -> None:
    report = build(mixed_raw, tmp_path / "out", "1.0.0", allow_invalid=True)
    expected = {
        (name, line) for files in (GOOD, DUPLICATES, BAD, JSONL) for name, lines in files.items() for line in lines
    }

    published = [
        (row["source"]["file"], row["source"]["line"]) for row in load_table(root=tmp_path / "out").to_pylist()
    ]
    rejected = [input_key(item.file, item.line) for item in report.rejected]
    duplicates = [(item.file, item.line) for item in report.duplicates]
    assert sorted(published + rejected + duplicates) == sorted(expected)  # each input exactly once
    assert report.inputs == len(expected) == report.published + len(report.rejected) + len(report.duplicates)
    assert sorted(published) == sorted([*((name, 1) for name in GOOD), ("more.jsonl", 2)])
    assert sorted(duplicates) == [("dup_bom_crlf.txt", 1), ("dup_nfd_spacing.txt", 1), ("more.jsonl", 1)]
    assert {name for name, _ in rejected} == {*BAD, "more.jsonl"}
    assert any("archive: skipped: a folder" in notice for notice in report.notices)


def test_manifest_lists_rejected_and_duplicate_inputs_with_their_sha256(mixed_raw: Path, tmp_path: Path) -> None:
    report = build(mixed_raw, tmp_path, "1.0.0", allow_invalid=True)
    manifest = json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))
    sha256 = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in mixed_raw.iterdir() if path.is_file()
    }

    assert manifest["counts"] == {"inputs": 18, "published": 6, "rejected": 9, "duplicates": 3, "near_duplicates": 0}
    assert [entry["file"] for entry in manifest["inputs"]] == sorted(sha256)
    assert all(entry["sha256"] == sha256[entry["file"]] for entry in manifest["inputs"])
    by_origin = {input_key(entry["file"], entry["line"]): entry for entry in manifest["rejected"]}
    assert set(by_origin) == {*((name, 1) for name in BAD), ("more.jsonl", 3), ("more.jsonl", 5)}
    for (name, _), entry in by_origin.items():
        assert entry["sha256"] == sha256[name] and entry["reasons"]
        assert all(reason.startswith(f"{name}:") and "\n" not in reason for reason in entry["reasons"])
    assert "date '2020-13' is not a real date" in by_origin[("date.txt", 1)]["reasons"][0]
    assert "a web page, not an article's text: it holds '<html'" in by_origin[("markup.txt", 1)]["reasons"][0]
    ids = {row["source"]["file"]: row["id"] for row in load_table(root=tmp_path).to_pylist()}
    assert manifest["duplicates"] == [
        {"file": "dup_bom_crlf.txt", "line": 1, "sha256": sha256["dup_bom_crlf.txt"], "id": ids[RAW_FILES[0].name]},
        {
            "file": "dup_nfd_spacing.txt",
            "line": 1,
            "sha256": sha256["dup_nfd_spacing.txt"],
            "id": ids[RAW_FILES[1].name],
        },
        {"file": "more.jsonl", "line": 1, "sha256": sha256["more.jsonl"], "id": ids[RAW_FILES[2].name]},
    ]


def test_strict_build_lists_every_problem_and_creates_nothing(mixed_raw: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build(mixed_raw, tmp_path / "out", "1.0.0")
    problems = caught.value.problems
    assert {Path(p.file).name for p in problems} == {*BAD, "more.jsonl"}
    lines = {(Path(p.file).name, p.line) for p in problems}
    assert lines >= {("date.txt", 1), ("markup.txt", 3), ("title_only.txt", 1), ("more.jsonl", 3), ("more.jsonl", 5)}
    assert not (tmp_path / "out").exists()


def test_the_duplicate_kept_is_the_first_read_whatever_the_order() -> None:
    def record(file: str, line: int) -> dict[str, Any]:
        return {"id": "vnsc-0000000000000001", "_file": file, "_line": line, "_sha256": file}

    records = [record("b.txt", 1), record("a.jsonl", 9), record("a.jsonl", 2), record("c.json", 1)]
    records.append({"id": "vnsc-0000000000000000", "_file": "z.txt", "_line": 1, "_sha256": "z"})
    outcomes = set()
    for order in itertools.permutations(records):
        kept, duplicates = dedupe(pa.Table.from_pylist(list(order)))
        outcomes.add(repr((kept.to_pylist(), duplicates)))
    assert len(outcomes) == 1
    kept, duplicates = dedupe(pa.Table.from_pylist(records))
    assert [(row["id"][-1], row["_file"], row["_line"]) for row in kept.to_pylist()] == [
        ("0", "z.txt", 1),
        ("1", "a.jsonl", 2),
    ]
    assert [(d.file, d.line) for d in duplicates] == [("a.jsonl", 9), ("b.txt", 1), ("c.json", 1)]


def test_duplicates_collapse_whatever_the_bytes(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy([RAW_FILES[3].name])
    data = RAW_FILES[3].read_bytes()
    variants = {
        "a_crlf.txt": data.replace(b"\n", b"\r\n"),
        "b_cr.txt": data.replace(b"\n", b"\r"),
        "c_bom.txt": codecs.BOM_UTF8 + data,
        "d_nfd.txt": unicodedata.normalize("NFD", data.decode()).encode(),
        "e_spaces.txt": data.replace(b" ", b"   ").replace(b"\n", b"  \n\n"),
        "f_bidi.txt": data.decode().replace("\n\n", "\n\n\u2067", 3).replace(".\n", ".\u2069\n").encode(),
    }
    for name, variant in variants.items():
        (raw / name).write_bytes(variant)
    report = build(raw, tmp_path, "1.0.0")
    assert (report.published, [d.file for d in report.duplicates]) == (1, sorted(variants))


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vn_security_corpus", *argv], capture_output=True, text=True)


def test_cli_one_bad_file_exits_1_creates_nothing_and_allow_invalid_publishes_the_rest(
    raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    raw, out = raw_copy(), tmp_path / "out"
    (raw / "bad.txt").write_text(" date 20x0-06 Tiêu đề\n\nThân bài.\n", encoding="utf-8")
    args = ("build", "--raw", str(raw), "--out", str(out), "--release-version", "1.0.0")

    strict = run_cli(*args)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr and strict.stdout == ""
    assert strict.stderr.splitlines()[0].startswith(f"{raw / 'bad.txt'}:1: date '20x0-06' is not a real date")
    assert "--allow-invalid" in strict.stderr.splitlines()[-1]
    assert not out.exists()

    lenient = run_cli(*args, "--allow-invalid")
    assert lenient.returncode == 0, lenient.stderr
    assert lenient.stderr.startswith(f"{raw / 'bad.txt'}:1: date '20x0-06' is not a real date")
    assert lenient.stdout.startswith(f"built {out / '1.0.0'}: 5 articles (")
    assert lenient.stdout.rstrip().endswith("from 6 inputs (1 rejected: listed in manifest.json)")
    manifest = json.loads((out / "1.0.0" / "manifest.json").read_text(encoding="utf-8"))
    assert [(entry["file"], entry["line"]) for entry in manifest["rejected"]] == [("bad.txt", 1)]
    assert run_cli("verify", str(out / "1.0.0")).returncode == 0
