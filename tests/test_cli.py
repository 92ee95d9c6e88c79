"""The command line: every command, its output, its exit codes, and no tracebacks."""

from __future__ import annotations

import json
import shutil
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
    build = ("build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--release-version", "1.0.0")
    code, out, err = run(capsys, *build)
    assert code == 0 and out.startswith(f"built {tmp_path / '1.0.0'}: 5 articles (train ") and err == ""
    code, out, _ = run(capsys, *build, "--json")
    assert code == 0 and json.loads(out)["written"] is False
    assert run(capsys, "verify", str(tmp_path / "1.0.0"))[:2] == (0, f"ok: {tmp_path / '1.0.0'} matches its manifest\n")
    assert run(capsys, "versions", "--root", str(tmp_path))[:2] == (0, "1.0.0\n")
    code, out, _ = run(capsys, "info", "--root", str(tmp_path))
    assert code == 0 and out.startswith("version 1.0.0")
    code, out, _ = run(capsys, "info", "1.0.0", "--root", str(tmp_path), "--json")
    assert json.loads(out)["version"] == "1.0.0"


def test_verify_names_each_changed_missing_and_extra_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--release-version", "1.0.0")
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
            "--release-version",
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
    build = ("build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--release-version", "1.0.0")
    code, _, _ = run(capsys, *build, "--tone-style", "new")
    assert code == 0
    assert json.loads((tmp_path / "1.0.0" / "manifest.json").read_text())["settings"]["tone_style"] == "new"
    assert "**new** style (hoà, khoẻ, thuỷ, Đại uý)" in (tmp_path / "1.0.0" / "README.md").read_text()


def test_a_build_with_duplicates_prints_one_summary_line_and_verbose_lists_them(
    capsys: pytest.CaptureFixture[str], raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    raw = raw_copy()
    for number in range(25):
        shutil.copyfile(RAW_FILES[number % 2], raw / f"copy-{number:02d}.txt")
    build = ("build", "--raw", str(raw), "--release-version", "1.0.0")
    code, out, err = run(capsys, *build, "--out", str(tmp_path / "quiet"))
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"built {tmp_path / 'quiet' / '1.0.0'}: 5 articles (train 4, validation 1) from 30 inputs "
        "(25 exact duplicates: listed in manifest.json)"
    ]
    code, out, err = run(capsys, *build, "--out", str(tmp_path / "verbose"), "--verbose")
    listed = err.splitlines()
    assert code == 0 and len(listed) == 25 and out.endswith("(25 exact duplicates: listed in manifest.json)\n")
    assert listed[0].startswith(f"{raw / 'copy-00.txt'}:1: exact duplicate of vnsc-")


def test_counts_are_pluralised(
    capsys: pytest.CaptureFixture[str], raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    raw = raw_copy([RAW_FILES[0].name])
    shutil.copyfile(RAW_FILES[0], raw / "copy.txt")
    build = ("build", "--raw", str(raw), "--out", str(tmp_path), "--release-version", "1.0.0", "--splits", "train=1")
    code, out, _ = run(capsys, *build)
    assert code == 0
    release = tmp_path / "1.0.0"
    assert out == f"built {release}: 1 article (train 1) from 2 inputs (1 exact duplicate: listed in manifest.json)\n"
    assert run(capsys, *build)[1] == f"unchanged: {release} already holds this build: 1 article (train 1)\n"
    assert run(capsys, "validate", str(RAW_FILES[0]))[2] == "1 input: 1 valid, 0 invalid\n"
    assert "  train: 1 article in 1 file\n" in run(capsys, "info", "--root", str(tmp_path))[1]


def test_ray_s_own_messages_are_kept_quiet_unless_verbose(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import logging
    import warnings

    from vn_security_corpus.pipeline import BuildReport

    def ray_build(raw: object, out: str, version: str, **options: object) -> BuildReport:
        assert options["engine"] == "ray"
        logging.getLogger("ray.data").warning("falling back to serialize as pickled python objects")
        warnings.warn_explicit("pickling fallback", UserWarning, "ray/data/arrow.py", 1, module="ray.data.arrow")
        return BuildReport(version, Path(out) / version, {"train": 5}, inputs=5, published=5)

    monkeypatch.setattr("vn_security_corpus.pipeline.build", ray_build)
    build = ("build", "--raw", str(RAW_DIR), "--out", str(tmp_path), "--release-version", "1.0.0", "--engine", "ray")
    code, out, err = run(capsys, *build)
    assert (code, err, caplog.records) == (0, "", []) and out.startswith("built ")
    code, out, err = run(capsys, *build, "--verbose")
    assert code == 0 and "pickling fallback" in err
    assert [record.getMessage() for record in caplog.records] == ["falling back to serialize as pickled python objects"]
