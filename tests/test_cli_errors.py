"""One rule for exit codes, messages that say what to do, and faults at the command line: Ctrl-C,
a closed pipe, an output that is not UTF-8, untrusted names printed escaped."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vn_security_corpus import build
from vn_security_corpus.cli import main, safe_display
from vn_security_corpus.errors import ConfigError
from vn_security_corpus.sources import printable

from .conftest import RAW_DIR, RAW_FILES, write_corpus

USAGE_HINT = "explains every option)"  # the last line of every usage error


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        return int(exit_.code or 0)


# Each bad invocation: its exit code and what the message must say, what to do included. `{root}` is a
# folder holding release 1.0.0; `{tmp}` a fresh folder holding `a-file.txt` and `empty/`.
CASES = [
    # 2: usage errors: bad arguments
    (["frobnicate"], 2, "invalid choice: 'frobnicate' (choose from 'parse', 'validate', 'build'"),
    (["build", "--raw", "{raw}", "--out", "{tmp}/o"], 2, "required: --release-version"),
    (["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "v1"], 2, "is not MAJOR.MINOR.PATCH"),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--version", "1.0.0"],
        2,
        "build takes the release's version as --release-version X.Y.Z",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--splits", "80/10/10"],
        2,
        "argument --splits: '80/10/10' is not name=ratio; write e.g. train=0.8,validation=0.1,test=0.1",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--splits", "train=2"],
        2,
        "sum to 2, not 1",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--splits", "all=1"],
        2,
        "split name 'all' is reserved: `datasets` reads it as every split together; choose another name",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--jobs", "99999999999999999999"],
        2,
        "argument --jobs: 99999999999999999999: at most ",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--jobs", "0"],
        2,
        "argument --jobs: '0' is not a whole number of at least 1",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--shard-rows", "many"],
        2,
        "argument --shard-rows: 'many' is not a whole number of at least 1",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/o", "--release-version", "1.0.0", "--ray-address", "ray://x:1"],
        2,
        "--ray-address needs --engine ray",
    ),
    # 2: usage errors: paths named on the command line that are missing or of the wrong kind
    (
        ["build", "--raw", "{tmp}/nowhere", "--out", "{tmp}/o", "--release-version", "1.0.0"],
        2,
        "nowhere: no such folder; give the folder that holds the raw articles",
    ),
    (
        ["build", "--raw", "{tmp}/a-file.txt", "--out", "{tmp}/o", "--release-version", "1.0.0"],
        2,
        "a-file.txt is a file, not a folder; give the folder that holds the raw articles",
    ),
    (
        ["build", "--raw", "{tmp}/empty", "--out", "{tmp}/o", "--release-version", "1.0.0"],
        2,
        "the raw folder holds no files to read; put raw articles (.txt, .json, .jsonl) in it",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{tmp}/a-file.txt", "--release-version", "1.0.0"],
        2,
        "a-file.txt is a file, not a folder; give the folder that holds the releases",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "", "--release-version", "1.0.0"],
        2,
        "argument --out: an empty path; give the folder that holds the releases",
    ),
    (
        ["build", "--raw", "{raw}", "--out", "{root}/1.0.0", "--release-version", "1.0.0"],
        2,
        "1.0.0 is a release, not the folder that holds releases; give its parent, --out {root}",
    ),
    (["parse", "{tmp}/no-such-file.txt"], 2, "no-such-file.txt: no such file or folder; check the path"),
    (["parse", ""], 2, "argument FILE: an empty path; give a raw file or a folder of them"),
    (["validate", "{tmp}/nowhere"], 2, "nowhere: no such file or folder; check the path"),
    (["verify", "{tmp}/nowhere"], 2, "nowhere: no such folder; give a release folder, ROOT/X.Y.Z"),
    (["verify", "{tmp}/a-file.txt"], 2, "a-file.txt is a file, not a folder; give a release folder"),
    (["verify", "{tmp}/empty"], 2, "empty is not a release (no manifest.json); give a release folder"),
    (
        ["verify", "{root}"],
        2,
        "holds releases (1.0.0) but is not one; verify one of them, e.g. `vn-security-corpus verify {root}/1.0.0`",
    ),
    (["versions", "--root", "{tmp}/nowhere"], 2, "nowhere: no such folder; give the folder that holds the releases"),
    (["info", "--root", "{tmp}/nowhere"], 2, "nowhere: no such folder; give the folder that holds the releases"),
    (["info", "--root", "{root}/1.0.0"], 2, "is a release, not the folder that holds releases; give its parent"),
    (["info", "--root", "{tmp}/empty"], 2, "no releases here; give --root the folder that `vn-security-corpus build"),
    (["info", "9.9.9", "--root", "{root}"], 2, "has no release '9.9.9'; give one of: 1.0.0"),
    (["info", "9.9.9"], 2, "the package has no release '9.9.9'; give one of: 1.0.0, 1.1.0"),
]


@pytest.fixture
def places(tmp_path: Path, release_root: Path) -> dict[str, str]:
    (tmp_path / "a-file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    return {"tmp": str(tmp_path), "root": str(release_root), "raw": str(RAW_DIR)}


@pytest.mark.parametrize(("argv", "code", "message"), CASES, ids=[" ".join(case[0])[:60] for case in CASES])
def test_each_mistake_exits_with_the_rule_s_code_and_says_what_to_do(
    capsys: pytest.CaptureFixture[str], places: dict[str, str], argv: list[str], code: int, message: str
) -> None:
    got = run([argument.format(**places) for argument in argv])
    out, err = capsys.readouterr()
    assert (got, out) == (code, "")
    assert message.format(**places) in err and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == (2 if lines[-1].endswith(USAGE_HINT) else 1), err  # the error, and where to read more
    assert "--splits: --splits" not in err and "[Errno" not in err


def test_invalid_input_damage_and_failed_checks_exit_1(
    capsys: pytest.CaptureFixture[str], raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    raw = raw_copy()
    (raw / "bad.txt").write_text(" date 2020-13 Tiêu đề\n\nThân bài.\n", encoding="utf-8")
    assert run(["validate", str(raw)]) == 1
    assert run(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--release-version", "1.0.0"]) == 1
    release = build(RAW_DIR, tmp_path / "releases", "1.0.0").path
    (release / "manifest.json").rename(tmp_path / "manifest.json")  # a release that lost its manifest: damaged
    assert run(["verify", str(release)]) == 1
    capsys.readouterr()
    (tmp_path / "manifest.json").rename(release / "manifest.json")
    assert run(["verify", str(release)]) == 0
    (raw / "bad.txt").unlink()
    (raw / RAW_FILES[0].name).unlink()  # now other input for a published version: a conflict
    assert run(["build", "--raw", str(raw), "--out", str(tmp_path / "releases"), "--release-version", "1.0.0"]) == 1
    assert "build a new version (e.g. 1.0.1)" in capsys.readouterr().err


def test_versions_of_an_empty_folder_lists_none_and_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(["versions", "--root", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == f"{tmp_path}: no releases here; `vn-security-corpus build --out` makes one\n"


def test_the_library_refuses_the_split_name_all(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="split name 'all' is reserved"):
        build(RAW_DIR, tmp_path, "1.0.0", splits={"all": 1.0})


# ---------------------------------------------------------------- untrusted text, printed escaped


def test_safe_display_escapes_what_could_break_a_line_or_drive_a_terminal() -> None:
    unsafe = "a\nb\rc\td\x1b[31me\x07f\x7fg\x85h\x9bi\u2028j\u2029k\u202el\u2066m\u200fn\udcffo"
    assert safe_display(unsafe) == (
        "a\\x0ab\\x0dc\\x09d\\x1b[31me\\x07f\\x7fg\\u0085h\\u009bi\\u2028j\\u2029k\\u202el\\u2066m\\u200fn\\xffo"
    )
    assert safe_display("Thanh Hóa – “An ninh” 100%") == "Thanh Hóa – “An ninh” 100%"


NASTY_NAMES = ["new\nline.txt", "carriage\rreturn.txt", "red\x1b[31m.txt"]


def test_file_names_with_controls_print_escaped_one_line_per_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in NASTY_NAMES:
        (raw / name).write_text(" date 2020-13 Tiêu đề \x1b[2J\n\nThân bài.\n", encoding="utf-8")
    (raw / "sub\nfolder").mkdir()
    assert run(["validate", str(raw)]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and "\x1b" not in err and "\r" not in err
    assert (
        lines[0]
        == f"{raw}/sub\\x0afolder: skipped: a folder (raw files are read from the top level of the raw folder only)"
    )
    assert lines[-1] == "3 inputs: 0 valid, 3 invalid" and len(lines) == 1 + 3 + 1
    assert {line.split(":1: ")[0] for line in lines[1:-1]} == {f"{raw}/{safe_display(name)}" for name in NASTY_NAMES}

    assert run(["validate", str(raw), "--json"]) == 1
    out, _ = capsys.readouterr()
    assert "\x1b" not in out and {p["file"] for p in json.loads(out)["problems"]} == {
        f"{raw}/{printable(n)}" for n in NASTY_NAMES
    }


def test_build_prints_escaped_names_and_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ["a.txt", *NASTY_NAMES]:
        shutil.copyfile(RAW_FILES[0], raw / name)
    out_dir = tmp_path / "out\u202e\x1b]0;title\x07"
    assert run(["build", "--raw", str(raw), "--out", str(out_dir), "--release-version", "1.0.0", "-v"]) == 0
    out, err = capsys.readouterr()
    assert not any(char in out + err for char in "\x1b\x07\r\u202e")
    assert len(err.splitlines()) == 3 and all(": exact duplicate of vnsc-" in line for line in err.splitlines())
    assert out.startswith(f"built {tmp_path}/out\\u202e\\x1b]0;title\\x07/1.0.0: 1 article (")
    assert out.endswith(" from 4 inputs (3 exact duplicates: listed in manifest.json)\n")


# ---------------------------------------------------------------- Ctrl-C, closed pipes, other encodings


def test_ctrl_c_during_any_command_exits_130_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object, **__: object) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr("vn_security_corpus.release.versions", interrupted)
    assert main(["versions"]) == 130
    assert capsys.readouterr() == ("", "vn-security-corpus: interrupted\n")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_build_and_its_workers_quietly(tmp_path: Path) -> None:
    raw = write_corpus(tmp_path / "raw", 2_100)  # two chunks of work: two worker processes
    out = tmp_path / "out"
    build_ = [sys.executable, "-m", "vn_security_corpus", "build", "--raw", str(raw), "--out", str(out)]
    process = subprocess.Popen(
        [*build_, "--release-version", "1.0.0", "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's job
        # … with Ctrl-C at its default, as a terminal gives it: a shell's background job (`pytest &`,
        # a CI step run that way) ignores SIGINT, and its children inherit that
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and not list(out.glob(".1.0.0.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: every process of the job gets it
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stdout, stderr) == (130, "", "vn-security-corpus: interrupted\n")
    assert not out.exists()  # nothing published, no staging left behind


@pytest.mark.parametrize("command", [["info", "--json"], ["parse", str(RAW_DIR)]])
def test_a_closed_pipe_ends_the_command_quietly_with_141(command: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte, as `… | head -0`
    try:
        done = subprocess.run(
            [sys.executable, "-m", "vn_security_corpus", *command], stdout=write, stderr=subprocess.PIPE, text=True
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_parse_and_messages_on_an_ascii_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert main(["parse", str(RAW_FILES[1]), "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    for options in (["--json"], []):
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["parse", str(RAW_FILES[1]), *options]) == 0
        written = stdout.buffer.getvalue()
        assert json.loads(written.decode("ascii")) == expected
    bad = tmp_path / "Thủy.txt"
    bad.write_text(" date 2020-13 Tiêu đề\n\nThân bài.\n", encoding="utf-8")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["parse", str(bad)]) == 1
    stderr.flush()
    assert stderr.buffer.getvalue().decode("ascii").startswith(f"{tmp_path}/Th\\u1ee7y.txt:1: date '2020-13'")
