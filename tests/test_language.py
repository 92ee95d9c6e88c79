"""Language is measured: English or Chinese text is never labelled `vi`; builds reject it, naming the
language, or publish it with its code when told to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vn_security_corpus import build, load_table
from vn_security_corpus.cli import main
from vn_security_corpus.language import detect

from .conftest import RAW_FILES, REPO

CASES: list[dict[str, Any]] = json.loads((REPO / "tests" / "languages.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_language_case(case: dict[str, Any]) -> None:
    assert detect(case["title"], case["text"]).code == case["lang"]


def test_every_raw_article_is_vietnamese() -> None:
    for path in RAW_FILES:
        lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
        assert detect(lines[0], "\n".join(lines[1:])).code == "vi", path.name


@pytest.fixture
def mixed(raw_copy: Any) -> Path:
    folder: Path = raw_copy()
    english = next(case for case in CASES if case["lang"] == "en")
    chinese = next(case for case in CASES if case["lang"] == "zh")
    (folder / "english.txt").write_text(f"{english['title']}\n\n{english['text']}\n", encoding="utf-8")
    (folder / "chinese.txt").write_text(f"{chinese['title']}\n\n{chinese['text']}\n", encoding="utf-8")
    return folder


def test_other_languages_are_rejected_with_the_language_named(
    mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--raw", str(mixed), "--out", str(tmp_path / "out"), "--release-version", "1.0.0"]) == 1
    err = capsys.readouterr().err
    assert "english.txt:1: the article is not in Vietnamese: it looks like English (en)" in err
    assert "chinese.txt:1: the article is not in Vietnamese: it looks like Chinese (zh)" in err
    report = build(mixed, tmp_path / "allowed", "1.0.0", allow_invalid=True, progress=False)
    assert sorted(r.file for r in report.rejected) == ["chinese.txt", "english.txt"]
    assert set(load_table(root=tmp_path / "allowed").column("lang").to_pylist()) == {"vi"}


def test_other_languages_can_be_published_with_their_code(mixed: Path, tmp_path: Path) -> None:
    report = build(mixed, tmp_path, "1.0.0", other_languages="publish", progress=False)
    assert report.rejected == [] and report.published == 7
    table = load_table(root=tmp_path, columns=["lang", "source"])
    langs = {row["source"]["file"]: row["lang"] for row in table.to_pylist()}
    assert langs["english.txt"] == "en" and langs["chinese.txt"] == "zh"
    assert json.loads((report.path / "manifest.json").read_text())["settings"]["other_languages"] == "publish"
