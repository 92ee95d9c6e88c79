"""The command line: every command, its output, its exit codes, and no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vn_security_corpus.cli import main

from .conftest import RAW_DIR, RAW_FILES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_prints_one_record_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "parse", *map(str, RAW_FILES[:2]), "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == ""
    assert [r["source"]["file"] for r in records] == [p.name for p in RAW_FILES[:2]]
    assert records[1]["date"] == "2020-06-19" and records[1]["authors"] == ["Tố Phương"]
    code, out, _ = run(capsys, "parse", str(RAW_FILES[0]))
    assert code == 0 and json.loads(out)["authors"] == ["Đình Hợp"]


def test_parse_bad_file_exits_1_with_a_line_per_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(" date 2020-13 Tiêu đề\n", encoding="utf-8")
    code, out, err = run(capsys, "parse", str(bad), str(RAW_FILES[0]), "--json")
    assert code == 1 and len(out.splitlines()) == 1
    assert err.splitlines() == [
        f"{bad}:1: date '2020-13' is not a real date in the form YYYY, YYYY-MM or YYYY-MM-DD (at /date); "
        "fix: write the date as YYYY-MM or YYYY-MM-DD with a real month and day, e.g. 2020-06 or 2020-06-19",
        f"{bad}:1: paragraphs is empty (at /paragraphs); "
        "fix: an article needs a body: at least one paragraph after the title",
    ]


def test_validate_folder_and_json_report(capsys: pytest.CaptureFixture[str], raw_copy: Callable[..., Path]) -> None:
    assert run(capsys, "validate", str(RAW_DIR))[0] == 0
    raw = raw_copy()
    (raw / "bad.jsonl").write_text('{"title": "x", "paragraphs": ["y"]}\n{"title": ""}\n', encoding="utf-8")
    code, out, err = run(capsys, "validate", str(raw), "--json")
    report = json.loads(out)
    assert code == 1 and (report["inputs"], report["valid"], report["invalid"]) == (7, 6, 1)
    assert {(p["line"], p["pointer"]) for p in report["problems"]} == {(2, ""), (2, "/title")}
    code, out, err = run(capsys, "validate", str(raw))
    assert code == 1 and err.splitlines()[-1] == "7 inputs: 6 valid, 1 invalid"


def test_build_verify_versions_info(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--version", "1.0.0")
    assert code == 0 and out.startswith(f"built {tmp_path / '1.0.0'}: 5 articles (train ")
    code, out, _ = run(capsys, "build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--version", "1.0.0", "--json")
    assert code == 0 and json.loads(out)["written"] is False
    assert run(capsys, "verify", str(tmp_path / "1.0.0"))[:2] == (0, f"ok: {tmp_path / '1.0.0'} matches its manifest\n")
    assert run(capsys, "versions", "--root", str(tmp_path))[:2] == (0, "1.0.0\n")
    code, out, _ = run(capsys, "info", "--root", str(tmp_path))
    assert code == 0 and out.startswith("version 1.0.0")
    code, out, _ = run(capsys, "info", "1.0.0", "--root", str(tmp_path), "--json")
    assert json.loads(out)["version"] == "1.0.0"


def test_verify_names_each_changed_missing_and_extra_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--version", "1.0.0")
    release = tmp_path / "1.0.0"
    card = (release / "README.md").read_bytes()
    (release / "README.md").write_bytes(card.replace(b"Vietnamese", b"Vietnamesf", 1))
    shard = next((release / "data").iterdir())
    shard.unlink()
    (release / "data" / "extra.parquet").write_bytes(b"x")
    code, _, err = run(capsys, "verify", str(release))
    assert code == 1
    assert err.splitlines() == [
        f"{release / 'README.md'}: changed: its SHA-256 differs from the manifest's; "
        "fix: restore the release from its source, or rebuild it",
        f"{shard}: missing; fix: restore the release from its source, or rebuild it",
        f"{release / 'data' / 'extra.parquet'}: extra file, not listed in manifest.json; "
        "fix: remove it (a release holds only the files its manifest lists)",
    ]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["build", "--raw", "nowhere", "--out", "o", "--version", "1.0.0"], 2, "the raw folder does not exist"),
        (["build", "--raw", str(RAW_DIR), "--out", "o", "--version", "v1"], 2, "is not MAJOR.MINOR.PATCH"),
        (["build", "--raw", str(RAW_DIR), "--out", "o", "--version", "1.0.0", "--splits", "train=2"], 2, "sum to 2"),
        (["info", "9.9.9"], 1, "no release '9.9.9'"),
        (["parse", "no-such-file.txt"], 2, "no such file or folder"),
        (["frobnicate"], 2, "invalid choice"),
        (["verify", "nowhere"], 1, "not a release"),
    ],
)
def test_errors_exit_with_their_code_and_one_line(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        got = main(argv)
    except SystemExit as exit_:  # argparse usage errors
        got = int(exit_.code or 0)
    _, err = capsys.readouterr()
    assert got == code and message in err and "Traceback" not in err


def test_build_with_invalid_input_exits_1_and_creates_nothing(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    (raw / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vn_security_corpus",
            "build",
            "--raw",
            str(raw),
            "--out",
            str(out),
            "--version",
            "1.0.0",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{raw / 'bad.txt'}:1: the file contains NUL bytes: it is binary data, not text; "
        "fix: remove it from the raw folder (or save the article as UTF-8 text)",
        "nothing written: fix the inputs above, or pass --allow-invalid to publish the valid ones "
        "and record the others in the manifest",
    ]
    assert not (out / "1.0.0").exists()


def test_parse_json_shows_every_field_in_either_tone_style(capsys: pytest.CaptureFixture[str]) -> None:
    from vn_security_corpus.schema import load_schema

    code, out, _ = run(capsys, "parse", str(RAW_FILES[3]), "--json", "--tone-style", "new")
    record = json.loads(out)
    assert code == 0 and list(record) == list(load_schema("article")["properties"])
    assert record["authors"] == ["Thuỳ Dương", "Anh Tấn"] and record["province_2025"] == "Hà Tĩnh"
    assert record["officials"][0] == {"rank": "Thượng tá", "name": "Đinh Việt Dũng"}


def test_build_tone_style_new(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run(
        capsys, "build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--version", "1.0.0", "--tone-style", "new"
    )
    assert code == 0
    assert json.loads((tmp_path / "1.0.0" / "manifest.json").read_text())["settings"]["tone_style"] == "new"
    assert "**new** style (hoà, khoẻ, thuỷ, Đại uý)" in (tmp_path / "1.0.0" / "README.md").read_text()
