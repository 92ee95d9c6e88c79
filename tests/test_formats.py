"""Reading raw files: the text format, its line ends and byte order mark, JSON and JSON Lines."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import SupportsIndex

import pytest

from vn_security_corpus.formats import RawArticle, Rejected, parse_json
from vn_security_corpus.records import process, read_file_inputs
from vn_security_corpus.repairs import repair_code
from vn_security_corpus.sources import RawFile, find_raw_files

from .conftest import RAW_DIR, RAW_FILES

# Stated by hand from reading each file.
EXPECTED = {
    "000_815a394d8668fa3a.txt": (
        "Chủ động nắm chắc tình hình, không để xảy ra “đột xuất”, “bất ngờ” trong mọi tình huống",
        None,
        9,
        "Đình Hợp",
    ),
    "001_678036b57beabb10.txt": (
        "Nhân rộng điển hình tiên tiến trong phong trào thi đua “Vì an ninh Tổ quốc”",
        "2020-06",
        13,
        "Tố Phương",
    ),
    "002_b2aa1906d32ce349.txt": (
        "Tập trung đấu tranh với các loại tội phạm, đảm bảo an ninh quốc gia, an toàn xã hội",
        None,
        20,
        None,
    ),
    "003_3107c12e94532b21.txt": (
        "Quyết tâm cao nhất, bảo đảm an toàn tuyệt đối cho Đại hội Đảng bộ tỉnh Hà Tĩnh lần thứ XIX",
        "2020-10",
        21,
        "Thùy Dương - Anh Tấn",
    ),
    "004_bd65e45767c860a3.txt": (
        "Xử lý tốt các tình huống phát sinh ở cơ sở, không để xảy ra đột xuất, bất ngờ",
        "2023-12",
        13,
        "Vũ Huyền",
    ),
}


def read_one(path: Path) -> RawArticle:
    (article,) = read_file_inputs(RawFile.at(path))
    assert isinstance(article, RawArticle), article
    return article


def read_rejected(path: Path) -> Rejected:
    (rejected,) = read_file_inputs(RawFile.at(path))
    assert isinstance(rejected, Rejected), rejected
    return rejected


def test_raw_folder_holds_the_five_seed_articles() -> None:
    files, notices = find_raw_files(RAW_DIR)
    assert [f.name for f in files] == sorted(EXPECTED) and notices == []


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_parse_each_raw_file(path: Path) -> None:
    title, date, n_paragraphs, byline = EXPECTED[path.name]
    article = read_one(path)
    record = article.record
    assert (record["title"], record["date"], len(record["paragraphs"]), record["byline"]) == (
        title,
        date,
        n_paragraphs,
        byline,
    )
    assert record["source"] == {
        "file": path.name,
        "line": 1,
        "sha256": record["source"]["sha256"],
        "encoding": "utf-8",
        "repairs": [],
    }
    lines = path.read_text(encoding="utf-8").split("\n")
    # every paragraph's recorded line really holds that paragraph
    for index, paragraph in enumerate(record["paragraphs"]):
        assert lines[article.line_of(f"/paragraphs/{index}") - 1] == paragraph  # type: ignore[operator]
    if byline:
        assert lines[article.line_of("/byline") - 1] == byline  # type: ignore[operator]


@pytest.mark.parametrize(
    ("name", "transform", "code"),
    [
        ("bom", lambda b: codecs.BOM_UTF8 + b, "bom-utf8-removed"),
        ("crlf", lambda b: b.replace(b"\n", b"\r\n"), "line-ends-crlf"),
        ("cr", lambda b: b.replace(b"\n", b"\r"), "line-ends-cr"),
    ],
)
@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_bom_and_line_end_variants_give_the_same_record(
    path: Path, tmp_path: Path, name: str, transform: object, code: str
) -> None:
    variant = tmp_path / path.name
    variant.write_bytes(transform(path.read_bytes()))  # type: ignore[operator]
    original, changed = process(read_one(path), str(path)), process(read_one(variant), str(variant))
    assert isinstance(original, dict) and isinstance(changed, dict)
    assert [repair_code(entry) for entry in changed["source"]["repairs"]] == [code]
    for field in ("id", "title", "text", "date", "authors"):
        assert changed[field] == original[field]


def test_json_and_jsonl_inputs_give_the_same_records_as_text(tmp_path: Path) -> None:
    objects = []
    for path in RAW_FILES:
        record = read_one(path).record
        objects.append({key: record[key] for key in ("title", "paragraphs", "date", "byline")})
    (tmp_path / "list.json").write_text(json.dumps(objects, ensure_ascii=False, indent=1), encoding="utf-8")
    (tmp_path / "lines.jsonl").write_text(
        "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8"
    )
    body_form = {key: value for key, value in objects[0].items() if key != "paragraphs"}
    body_form["body"] = "\n\n".join(objects[0]["paragraphs"])
    (tmp_path / "one.json").write_text(json.dumps(body_form, ensure_ascii=False), encoding="utf-8")
    expected = [process(read_one(path), str(path)) for path in RAW_FILES]
    ids = [r["id"] for r in expected if isinstance(r, dict)]
    for name, count in (("list.json", 5), ("lines.jsonl", 5), ("one.json", 1)):
        results = [process(a, name) for a in read_file_inputs(RawFile.at(tmp_path / name))]
        assert all(isinstance(r, dict) for r in results), results
        assert [r["id"] for r in results if isinstance(r, dict)] == ids[:count]
    lines = [
        r["source"]["line"]
        for r in (process(a, "") for a in read_file_inputs(RawFile.at(tmp_path / "lines.jsonl")))
        if isinstance(r, dict)
    ]
    assert lines == [1, 2, 3, 4, 5]
    listed = [
        a.record["source"]["line"]
        for a in read_file_inputs(RawFile.at(tmp_path / "list.json"))
        if isinstance(a, RawArticle)
    ]
    text = (tmp_path / "list.json").read_text(encoding="utf-8").split("\n")
    assert all(text[line - 1].strip() == "{" for line in listed) and len(set(listed)) == 5


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('[{"title": "a", "paragraphs": ["b"]},\n {"title": "c" "paragraphs": []}]', 2, "not valid JSON"),
        ('{"title": "a", "paragraphs": ["b"]} trailing', 1, "extra data"),
        ("", None, "the file is empty"),
    ],
)
def test_broken_json_is_rejected_with_its_line(tmp_path: Path, content: str, line: int | None, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    rejected = read_rejected(path)
    assert rejected.problems[0].line == line and message in rejected.problems[0].message


def test_jsonl_bad_line_rejects_only_that_object(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"title": "a", "paragraphs": ["b"]}\nnot json\n[1]\n{"title": "c", "body": "d", "source": {}}\n',
        encoding="utf-8",
    )
    results = [process(a, str(path)) for a in read_file_inputs(RawFile.at(path))]
    assert isinstance(results[0], dict)
    rejected = [r for r in results if isinstance(r, Rejected)]
    assert [(r.line, r.problems[0].message.split(":")[0]) for r in rejected] == [
        (2, "not valid JSON"),
        (3, "a JSON array where an article object belongs"),
        (4, "the object sets `source`, which the reader fills in"),
    ]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"", None, "the file is empty"),
        (b" \n\t\n  ", 1, "only white space"),
        (b"Tieu de\n\nthan \x81\x8d\x8f\x90\x9d bai\n", 3, "cannot be decoded"),
        (b"Title\n\nbody\n\x89PNG\x00\x00", 4, "NUL bytes"),
    ],
)
def test_unreadable_text_is_rejected_with_reason_and_line(
    tmp_path: Path, data: bytes, line: int | None, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    problem = read_rejected(path).problems[0]
    assert problem.line == line and message in problem.message and problem.fix


def test_unknown_suffix_is_rejected_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# notes", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    files, notices = find_raw_files(tmp_path)
    assert [f.name for f in files] == ["notes.md"] and "sub: skipped: a folder" in notices[0]
    assert "unknown kind of raw file '.md'" in read_rejected(tmp_path / "notes.md").problems[0].message


def test_last_paragraph_is_a_byline_only_when_it_reads_as_names(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Tiêu đề\n\nĐoạn một.\n\nCác đại biểu tham dự hội nghị.\n", encoding="utf-8")
    assert read_one(path).record["byline"] is None
    path.write_text("Tiêu đề\n\nĐoạn một.\n\nLê Hà, Minh Anh và Quốc Hùng\n", encoding="utf-8")
    assert read_one(path).record["byline"] == "Lê Hà, Minh Anh và Quốc Hùng"
    path.write_text("Tiêu đề\n\nĐình Hợp\n", encoding="utf-8")  # a lone paragraph is the body, not a byline
    assert read_one(path).record["byline"] is None


class CountingText(str):
    """Text that adds up how many characters ``count`` scans: the work of finding each item's line."""

    scanned = 0

    def count(self, sub: str, start: SupportsIndex | None = None, end: SupportsIndex | None = None) -> int:
        low, high, _ = slice(start, end).indices(len(self))
        CountingText.scanned += max(high - low, 0)
        return str.count(self, sub, start, end)


def json_list(items: int) -> str:
    """A JSON list of ``items`` small article objects, one a line (the shape that was quadratic)."""
    objects = (json.dumps({"title": f"Tin {n}", "body": f"Bài số {n}."}, ensure_ascii=False) for n in range(items))
    return "[\n" + ",\n".join(objects) + "\n]\n"


def test_a_long_json_list_is_split_in_linear_work() -> None:
    """Each item's line is counted from the previous item's, never from the start: the characters
    scanned stay within the document's length, and four times the items cost four times the work
    (counting from the start each time scanned n²/2 lines: 220 s for 157,000 objects, 8 MiB)."""
    scanned = {}
    for items in (2_000, 8_000):
        text = CountingText(json_list(items))
        CountingText.scanned = 0
        articles = list(parse_json(text, "list.json", "0" * 64, "utf-8", [], "list.json", lines=False))
        assert [article.line_of("") for article in articles if isinstance(article, RawArticle)] == list(
            range(2, items + 2)
        )
        assert CountingText.scanned <= len(text)
        scanned[items] = CountingText.scanned
    assert 3.5 <= scanned[8_000] / scanned[2_000] <= 4.5


def test_markup_remnants_are_repaired_in_text_and_json_alike(tmp_path: Path) -> None:
    """A crawled copy of raw/001 with HTML and Markdown remnants gives the clean file's text, from a
    text file (every paragraph keeping its line) and from JSON; a whole page is refused."""
    clean = RAW_FILES[1].read_text(encoding="utf-8")
    title, _, body = clean.partition("\n\n")
    first, second, *rest = body.split("\n\n")
    crawled = "\n".join(
        [
            title.replace("Nhân rộng", "**Nhân rộng**"),
            "=" * 40,
            "![Hội nghị](https://x.vn/anh.jpg)",
            first.replace("Công an Thanh Hóa", "[Công an Thanh H&oacute;a](https://x.vn)") + f"<p>{second}</p>",
            *rest,
        ]
    )
    (tmp_path / "crawled.txt").write_text(crawled, encoding="utf-8")
    article = read_one(tmp_path / "crawled.txt")
    expected = read_one(RAW_FILES[1])
    assert article.record["paragraphs"] == expected.record["paragraphs"]
    assert article.line_of("/paragraphs/0") == article.line_of("/paragraphs/1") == 4
    assert article.line_of("/paragraphs/2") == 5
    assert [repair_code(entry) for entry in article.record["source"]["repairs"]] == [
        "markdown-emphasis-removed",
        "heading-underlines-removed",
        "markdown-images-removed",
        "html-entities-decoded",
        "html-tags-removed",
        "markdown-links-unwrapped",
    ]
    json_input = {"title": title.removeprefix(" date 2020-06 ").replace("Nhân", "<b>Nhân</b>"), "paragraphs": []}
    json_input["paragraphs"] = [first + "<br>" + second, "![ảnh](a.jpg)", *rest[:-1]]
    (tmp_path / "crawled.json").write_text(json.dumps(json_input, ensure_ascii=False), encoding="utf-8")
    from_json = process(read_one(tmp_path / "crawled.json"), "crawled.json")
    from_text = process(expected, "001.txt")
    assert isinstance(from_json, dict) and isinstance(from_text, dict)
    assert (from_json["id"], from_json["text"]) == (from_text["id"], from_text["text"])
    (tmp_path / "page.txt").write_text(f"{title}\n\n<html><body>{first}</body></html>\n", encoding="utf-8")
    problem = read_rejected(tmp_path / "page.txt").problems[0]
    assert (problem.line, problem.message) == (3, "the text is a web page, not an article's text: it holds '<html'")
