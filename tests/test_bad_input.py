"""Bad input: each kind refused (or repaired) with a clear one-line reason, never a traceback; a fuzz test."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vn_security_corpus import CorpusError, build
from vn_security_corpus.formats import RawArticle, Rejected, parse_bytes, parse_text
from vn_security_corpus.records import process, process_files, read_file_inputs, read_inputs
from vn_security_corpus.repairs import repair_code
from vn_security_corpus.sources import DEFAULT_MAX_FILE_BYTES, RawFile, find_raw_files, printable, unprintable

from .conftest import RAW_FILES

ARTICLE = RAW_FILES[1].read_bytes()  # 001: header date, 13 paragraphs, a byline
TITLE, BODY = ARTICLE.decode().split("\n", 1)


def outcome(path: Path, max_bytes: int | None = None) -> list[dict[str, Any] | Rejected]:
    """What the reader and the validator make of ``path``, as a build found it in its folder."""
    raw = RawFile(path.parent, path.name)
    articles = read_file_inputs(raw, max_file_bytes=max_bytes or DEFAULT_MAX_FILE_BYTES)
    return [process(article, str(path)) for article in articles]


def rejected(path: Path, max_bytes: int | None = None) -> Rejected:
    (result,) = outcome(path, max_bytes)
    assert isinstance(result, Rejected), result
    assert result.problems and all("\n" not in str(problem) for problem in result.problems)
    assert all(problem.file == str(path) and problem.fix for problem in result.problems)
    return result


CASES: dict[str, tuple[bytes, int | None, str]] = {
    # name: (bytes, line of the first problem (None: the whole file), what the reason says)
    "empty.txt": (b"", None, "the file is empty"),
    "blank.txt": ("  \n\t\n\u00a0\n".encode(), 1, "only white space"),
    "title_only.txt": (TITLE.encode() + b"\n\n", 1, "paragraphs is empty"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), None, "binary data"),
    "month_13.txt": (ARTICLE.replace(b"2020-06", b"2020-13", 1), 1, "date '2020-13' is not a real date"),
    "year_20x0.txt": (ARTICLE.replace(b"2020-06", b"20x0-06", 1), 1, "date '20x0-06' is not a real date"),
    "long_title.txt": (
        b"T\xc3\xaan " * 1500 + b"\n\n" + BODY.encode(),
        1,
        "title is 5999 characters long, more than 1000",
    ),
    "page.txt": (
        ARTICLE.replace(b"\n\n", b"\n\n<html><body>", 1),
        3,
        "a web page, not an article's text: it holds '<html'",
    ),
    "tags.txt": (
        ARTICLE.replace(b"\n\n", b"\n\n" + b"<div class='tin-bai'><span class='doan'>" * 200, 1),
        3,
        "a web page, not an article's text: HTML tags make up",
    ),
    "deep.json": (b"[" * 100_000, None, "nested too deeply"),
    "digits.json": (b'{"title": "T", "body": "x", "n": ' + b"9" * 5000 + b"}", None, "a number with too many digits"),
    "surrogate.json": (b'{"title": "T \\ud800", "body": "x"}', 1, "a lone surrogate"),
    "bad.jsonl": (b'{"title": "T", "body": "x"}\n{"title": "T", "body": "<script>x</script>"}\n', 2, "holds '<script'"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_rejected_with_a_one_line_reason(tmp_path: Path, name: str) -> None:
    data, line, reason = CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    results = outcome(path)
    refused = [result for result in results if isinstance(result, Rejected)]
    assert len(refused) == 1, results
    problem = refused[0].problems[0]
    assert problem.file == str(path) and "\n" not in str(problem) and problem.fix
    assert reason in problem.message
    if name != "image.txt":  # where binary data is found is decode.py's business
        assert problem.line == line


def test_undecodable_bytes_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "undecodable.txt"  # bytes that are neither UTF-8 nor Windows-1258
    path.write_bytes("Tiêu đề ".encode() + b"\x81\x8d\x90" + "\n\nThân bài ở Hà Tĩnh.\n".encode())
    assert rejected(path).problems[0].line == 1


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    text, document = tmp_path / "big.txt", tmp_path / "big.json"
    text.write_bytes(ARTICLE)
    document.write_bytes(b"[" + b",".join([b'{"title": "T", "body": "x"}'] * 100) + b"]")
    (result,) = read_file_inputs(RawFile.at(text), max_file_bytes=len(ARTICLE) - 1)
    assert isinstance(result, Rejected) and result.problems[0].message == (
        f"the file is {len(ARTICLE):,} bytes, over the size limit of {len(ARTICLE) - 1:,} bytes"
    )
    assert result.sha256 == hashlib.sha256(ARTICLE).hexdigest()
    assert "the JSON input is 2,801 bytes, over the JSON size limit of 1,000 bytes" in str(rejected(document, 1000))
    assert all(isinstance(r, dict) for r in outcome(document, 2801)) and len(outcome(document, 2801)) == 100


def test_json_lines_are_limited_object_by_object(tmp_path: Path) -> None:
    lines = tmp_path / "bulk.jsonl"  # any size: read line by line
    big = json.dumps({"title": "T", "body": "x" * 2000}).encode()
    lines.write_bytes(b'{"title": "T", "body": "x"}\n' * 50 + big + b"\n" + b'{"title": "U", "body": "y"}\n' * 50)
    results = outcome(lines, 1000)
    assert len(results) == 101 and sum(isinstance(r, dict) for r in results) == 100
    (too_big,) = [r for r in results if isinstance(r, Rejected)]
    assert too_big.line == 51 and too_big.problems[0].message == (
        "the JSON object is over the JSON size limit of 1,000 bytes"
    )
    assert too_big.sha256 == hashlib.sha256(lines.read_bytes()).hexdigest()
    assert [r["source"]["line"] for r in results if isinstance(r, dict)][49:51] == [50, 52]


def test_json_lines_must_be_utf8(tmp_path: Path) -> None:
    lines = tmp_path / "wide.jsonl"
    lines.write_bytes('{"title": "T", "body": "x"}\n'.encode("utf-16"))
    assert "not UTF-8 (it looks like UTF-16)" in str(rejected(lines))


def test_build_applies_the_size_limit(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    largest = max(RAW_FILES, key=lambda p: p.stat().st_size)
    report = build(raw, tmp_path, "1.0.0", allow_invalid=True, max_file_bytes=largest.stat().st_size - 1)
    assert [item.file for item in report.rejected] == [largest.name] and report.published == 4


def test_symbolic_links_out_of_the_raw_folder_are_refused(tmp_path: Path) -> None:
    raw, elsewhere = tmp_path / "raw", tmp_path / "elsewhere"
    raw.mkdir()
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_bytes(ARTICLE)
    (raw / "inside.txt").write_bytes(ARTICLE)
    (raw / "out.txt").symlink_to("../elsewhere/secret.txt")
    (raw / "absolute.txt").symlink_to(elsewhere / "secret.txt")
    (raw / "in.txt").symlink_to("inside.txt")
    (raw / "broken.txt").symlink_to("missing.txt")
    os.mkfifo(elsewhere / "pipe")
    (raw / "pipe.txt").symlink_to(elsewhere / "pipe")  # opening it would block: it is never opened
    files, _ = find_raw_files(raw)
    results = {raw_file.name: outcome(raw_file.path) for raw_file in files}
    for name, target in (("out.txt", "../elsewhere/secret.txt"), ("absolute.txt", str(elsewhere / "secret.txt"))):
        problem = rejected(raw / name).problems[0]
        assert problem.message.startswith(f"a symbolic link to {target}, outside the raw folder: refused")
        assert rejected(raw / name).sha256 is None
    assert "outside the raw folder" in rejected(raw / "pipe.txt").problems[0].message
    assert "cannot be opened" in rejected(raw / "broken.txt").problems[0].message
    assert [type(r) for r in results["in.txt"]] == [dict]  # a link inside the folder is read
    report = build(raw, tmp_path / "out", "1.0.0", allow_invalid=True)
    assert report.published == 1 and [d.file for d in report.duplicates] == ["inside.txt"]
    assert sorted(item.file for item in report.rejected) == ["absolute.txt", "broken.txt", "out.txt", "pipe.txt"]


def test_folders_and_special_files_are_skipped_with_a_notice(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    (raw / "sub").mkdir()
    (raw / "sub" / "x.txt").write_bytes(ARTICLE)
    os.mkfifo(raw / "fifo.txt")
    report = build(raw, tmp_path, "1.0.0")
    assert report.inputs == report.published == 5
    assert [notice.split(": ", 1)[1] for notice in report.notices] == [
        "skipped: not a regular file (a pipe, socket or device)",
        "skipped: a folder (raw files are read from the top level of the raw folder only)",
    ]


def test_bidirectional_controls_are_removed_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "bidi.txt"
    path.write_bytes(ARTICLE.replace(b"19-6,", "19-6,\u202e \u2066x\u2069".encode()))
    (clean,) = outcome(RAW_FILES[1])
    (result,) = outcome(path)
    assert isinstance(result, dict) and isinstance(clean, dict)
    assert [repair_code(entry) for entry in result["source"]["repairs"]] == ["bidi-controls-removed"]
    assert result["text"] == clean["text"].replace("19-6,", "19-6, x", 1)


def test_file_names_that_are_not_utf8_are_refused(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    with open(os.path.join(os.fsencode(raw), b"bad\xff.txt"), "wb") as stream:  # noqa: PTH118, PTH123
        stream.write(ARTICLE)
    report = build(raw, tmp_path, "1.0.0", allow_invalid=True)
    (item,) = report.rejected
    assert item.file == "bad\\xff.txt" and item.problems[0].message == "the file name is not valid UTF-8"
    assert json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))["rejected"][0]["file"] == item.file


def test_names_differing_in_an_undecodable_byte_stay_apart(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    for name in (b"bad\xff.txt", b"bad\xfe.txt", b"bad\\xff.txt"):  # the last one is valid: a backslash, x, f, f
        with open(os.path.join(os.fsencode(raw), name), "wb") as stream:  # noqa: PTH118, PTH123
            stream.write(ARTICLE)
    report = build(raw, tmp_path, "1.0.0", allow_invalid=True)
    manifest = json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))
    assert [item["file"] for item in manifest["rejected"]] == ["bad\\xfe.txt", "bad\\xff.txt"]
    files = [row["file"] for row in manifest["inputs"]]
    assert len(files) == len(set(files)) == len(RAW_FILES) + 3
    named = sorted((name, unprintable(name)) for name in files if name.startswith("bad"))
    assert named == [
        ("bad\\\\xff.txt", "bad\\xff.txt"),
        ("bad\\xfe.txt", "bad\udcfe.txt"),
        ("bad\\xff.txt", "bad\udcff.txt"),
    ]


def test_control_characters_in_names_are_escaped_in_problems(tmp_path: Path) -> None:
    names = {"new\nline.txt": "new\\x0aline.txt", "esc\x1b[31m.txt": "esc\\x1b[31m.txt", "c1\x85.txt": "c1\\u0085.txt"}
    for name in names:
        (tmp_path / name).write_bytes(b"")
    results = [result for result in process_files(find_raw_files(tmp_path)[0]) if isinstance(result, Rejected)]
    assert sorted(result.file for result in results) == sorted(names.values())
    assert sorted(result.problems[0].file for result in results) == sorted(f"{tmp_path}/{n}" for n in names.values())
    done = subprocess.run(
        [sys.executable, "-m", "vn_security_corpus", "validate", str(tmp_path)], capture_output=True, text=True
    )
    assert done.stderr.splitlines()[-1] == "3 inputs: 0 valid, 3 invalid"
    assert "\x1b" not in done.stderr and len(done.stderr.splitlines()) == 4


@given(st.text())
@example("C:\\a\udcff\x85\n\u2028\\x41\u202e")
def test_printable_names_are_reversible_and_free_of_control_characters(name: str) -> None:
    shown = printable(name)
    assert unprintable(shown) == name
    controls = "\u2028\u2029\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    for char in shown:
        code = ord(char)
        assert code >= 0x20 and not 0x7F <= code <= 0x9F and not 0xD800 <= code <= 0xDFFF and char not in controls


def test_validate_prints_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    for name, (data, _, _) in CASES.items():
        (tmp_path / name).write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "vn_security_corpus", "validate", str(tmp_path)], capture_output=True, text=True
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert {Path(line.split(":", 1)[0]).name for line in lines[:-1]} == set(CASES)
    assert lines[-1] == f"{len(CASES) + 1} inputs: 1 valid, {len(CASES)} invalid"


# ------------------------------------------------------------------ fuzzing


def assert_total(results: list[RawArticle | Rejected]) -> None:
    """Reading returned inputs (never raised); processing each gives a record or a rejection."""
    for article in results:
        assert isinstance(article, RawArticle | Rejected)
        try:
            result = process(article, "fuzz")
        except CorpusError:
            continue  # the library's own errors are allowed; anything else fails the test
        assert isinstance(result, dict | Rejected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode),
    suffix=st.sampled_from([".txt", ".json", ".jsonl"]),
)
@example(data=b"\xff\xfe" + "Tiêu đề".encode("utf-16-le"), suffix=".txt")
@example(data=b'[{"title": "x", "paragraphs": [[[[[["a"]]]]]]}]', suffix=".json")
@example(data=b'{"title": "\\udfff", "paragraphs": ["\\u0000"], "date": "2020-06\\n"}', suffix=".jsonl")
@example(data=b"date 2020-02-30 T\n\nx", suffix=".txt")
def test_reader_never_raises_on_arbitrary_bytes(data: bytes, suffix: str) -> None:
    assert_total(list(parse_bytes(data, "fuzz" + suffix, "fuzz" + suffix)))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1000))
@example(" date 2020-06\u2028Tiêu đề\u0085\n\nThân\u202e bài <script/>\n\n\ud800")  # <br/> is repaired now
def test_parser_and_normaliser_never_raise_on_arbitrary_text(text: str) -> None:
    assert_total([parse_text(text, "fuzz.txt", "0" * 64, "utf-8")])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "title": st.text(max_size=80) | json_values,
            "paragraphs": st.lists(st.text(max_size=80), max_size=4) | json_values,
            "body": st.text(max_size=200) | json_values,
            "date": st.sampled_from(["2020", "2020-06-19", "2020-13", "٢٠٢٠", "2020-06\n"]) | json_values,
            "byline": st.text(max_size=40) | json_values,
            "extra": json_values,
        },
    )
)
def test_validation_and_normalisation_never_raise_on_arbitrary_objects(item: dict[str, object]) -> None:
    line = json.dumps(item, ensure_ascii=True) + "\n"
    assert_total(list(parse_bytes(line.encode(), "fuzz.jsonl", "fuzz.jsonl")))


def test_dates_are_ascii_and_whole(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [{"title": "T", "body": "x", "date": date} for date in ("2020-06\n", "٢٠٢٠-06", "2020-06")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    results = outcome(path)
    assert [isinstance(result, Rejected) for result in results] == [True, True, False]


def test_a_pipe_named_on_its_own_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)  # no writer: a blocking open would wait forever
    signal.alarm(20)
    try:
        (result,) = process_files([RawFile.at(pipe)])
    finally:
        signal.alarm(0)
    assert isinstance(result, Rejected) and result.problems[0].message == "not a regular file"


def test_reading_ahead_keeps_order_and_leaves_what_it_cannot_open_to_the_reader(
    raw_copy: Callable[..., Path],
) -> None:
    raw = raw_copy()
    (raw / "gone.txt").symlink_to("missing.txt")
    files, _ = find_raw_files(raw)
    expected = [(raw_file, outcome(raw_file.path)) for raw_file in files]
    for ahead in (0, 1, 3, 100):
        read = [(raw_file, process(article, raw_file.display)) for raw_file, article in read_inputs(files, ahead=ahead)]
        assert [(raw_file, [result]) for raw_file, result in read] == expected
    assert [type(result) for _, (result,) in expected].count(Rejected) == 1
