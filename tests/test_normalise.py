"""The records of raw/: every field stated by hand; the same fields from every variant of a file
(encodings, line ends, spacing, Unicode forms, tone style, layouts); the tone-style option end to end."""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.records import process, read_file_inputs
from vn_security_corpus.repairs import repair_code
from vn_security_corpus.sources import RawFile
from vn_security_corpus.text import to_tone_style

from .conftest import RAW_DIR, RAW_FILES
from .test_decode import sloppy_windows_1252, vni_windows, windows_1258

# Read from each article by hand: title, (date, precision, source), authors, province, officials.
EXPECTED: dict[str, dict[str, Any]] = {
    "000_815a394d8668fa3a.txt": {
        "title": "Chủ động nắm chắc tình hình, không để xảy ra “đột xuất”, “bất ngờ” trong mọi tình huống",
        "date": ("2020-02-05", "day", "body"),  # "Sáng 5-2-2020", no header
        "authors": ["Đình Hợp"],
        "province": "Thanh Hóa",
        "officials": [("Thiếu tướng", "Nguyễn Hải Trung"), ("Đại tá", "Dương Văn Tiến")],
    },
    "001_678036b57beabb10.txt": {
        "title": "Nhân rộng điển hình tiên tiến trong phong trào thi đua “Vì an ninh Tổ quốc”",
        "date": ("2020-06-19", "day", "header+body"),  # header 2020-06, "Sáng 19-6"
        "authors": ["Tố Phương"],
        "province": "Thanh Hóa",
        "officials": [("Đại tá", "Trần Phú Hà")],
    },
    "002_b2aa1906d32ce349.txt": {
        "title": "Tập trung đấu tranh với các loại tội phạm, đảm bảo an ninh quốc gia, an toàn xã hội",
        "date": (None, None, None),  # "Sáng 15/1" with no year; 5/9/2019 is a decree's date
        "authors": [],  # the last paragraph is body text
        "province": "Hà Tĩnh",
        "officials": [
            ("Thượng tá", "Phạm Thị Vân Hạnh"),
            ("Đại tá", "Bùi Hồng Thanh"),
            ("Đại tá", "Lê Hồng Nhân"),
            ("Đại tá", "Lê Khắc Thuyết"),
        ],
    },
    "003_3107c12e94532b21.txt": {
        "title": "Quyết tâm cao nhất, bảo đảm an toàn tuyệt đối cho Đại hội Đảng bộ tỉnh Hà Tĩnh lần thứ XIX",
        "date": ("2020-10-01", "day", "header+body"),  # header 2020-10, "Chiều 1/10"
        "authors": ["Thùy Dương", "Anh Tấn"],
        "province": "Hà Tĩnh",
        "officials": [
            ("Thượng tá", "Đinh Việt Dũng"),
            ("Thiếu tá", "Nguyễn Quốc Hùng"),
            ("Thượng tá", "Võ Tiến Nghị"),
            ("Đại tá", "Lê Khắc Thuyết"),
        ],
    },
    "004_bd65e45767c860a3.txt": {
        "title": "Xử lý tốt các tình huống phát sinh ở cơ sở, không để xảy ra đột xuất, bất ngờ",
        "date": ("2023-12-15", "day", "header+body"),  # header 2023-12, "Sáng 15/12"
        "authors": ["Vũ Huyền"],
        "province": "Hà Tĩnh",  # "huyện Kỳ Anh (Hà Tĩnh)"
        "officials": [("Đại tá", "Phạm Thanh Phương"), ("Đại tá", "Nguyễn Thanh Phương")],  # as written, twice
    },
}
FIELDS = (
    "id",
    "title",
    "text",
    "date",
    "date_precision",
    "date_source",
    "authors",
    "province",
    "provinces",
    "province_2025",
    "officials",
    "n_chars",
    "n_words",
)


def record_of(path: Path, **options: Any) -> dict[str, Any]:
    (article,) = read_file_inputs(RawFile.at(path))
    result = process(article, str(path), **options)
    assert isinstance(result, dict), result
    return result


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_every_field_of_each_raw_file(path: Path) -> None:
    expected, record = EXPECTED[path.name], record_of(path)
    assert record["title"] == expected["title"]
    assert (record["date"], record["date_precision"], record["date_source"]) == expected["date"]
    assert record["authors"] == expected["authors"]
    assert (record["province"], record["provinces"], record["province_2025"]) == (
        expected["province"],
        [expected["province"]],
        expected["province"],
    )  # all five are about unchanged provinces
    assert record["officials"] == [{"rank": rank, "name": name} for rank, name in expected["officials"]]
    assert record["lang"] == "vi" and record["source"]["repairs"] == [] and record["source"]["conflicts"] == []
    assert record["text"].split("\n\n")[-1] not in expected["authors"]
    assert record["n_chars"] == len(record["text"]) and record["n_words"] == len(record["text"].split())


def spaced(text: str) -> str:
    """Doubled spaces, NBSP and tabs between words, trailing spaces: the spacing of a careless editor."""
    words = text.split(" ")
    return "".join(word + ("  ", "\u00a0", "\t", " ")[index % 4] for index, word in enumerate(words)).rstrip() + "  "


# name → (make the variant's bytes from the original text, the code of a repair that must be recorded)
VARIANTS: dict[str, tuple[Callable[[str], bytes], str]] = {
    "utf-8-bom": (lambda t: codecs.BOM_UTF8 + t.encode(), "bom-utf8-removed"),
    "crlf": (lambda t: t.replace("\n", "\r\n").encode(), "line-ends-crlf"),
    "cr": (lambda t: t.replace("\n", "\r").encode(), "line-ends-cr"),
    "nfd": (lambda t: unicodedata.normalize("NFD", t).encode(), "unicode-nfc"),
    "utf-16": (lambda t: t.encode("utf-16"), "bom-utf16-removed"),
    "utf-16-be-no-bom": (lambda t: t.encode("utf-16-be"), "decoded-utf16-no-bom"),
    "windows-1258": (windows_1258, "decoded-legacy"),
    "vni-windows": (vni_windows, "decoded-legacy"),
    "mojibake": (lambda t: sloppy_windows_1252(t.encode()).encode(), "mojibake-repaired"),
    "spacing": (lambda t: "\n".join(spaced(line) for line in t.split("\n")).encode(), "odd-spaces"),
    "new-tone-style": (lambda t: to_tone_style(t, "new").encode(), "tone-style-traditional"),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_variants_give_the_same_record_with_the_repair_recorded(path: Path, variant: str, tmp_path: Path) -> None:
    make, code = VARIANTS[variant]
    changed = tmp_path / path.name
    changed.write_bytes(make(path.read_text(encoding="utf-8")))
    original, record = record_of(path), record_of(changed)
    assert {f: record[f] for f in FIELDS} == {f: original[f] for f in FIELDS}
    codes = [repair_code(entry) for entry in record["source"]["repairs"]]
    assert code in codes and len(codes) == len(set(codes)), record["source"]["repairs"]


LAYOUTS: dict[str, Callable[[str], str]] = {
    "single newlines": lambda t: t.replace("\n\n", "\n"),
    "lead right after the title": lambda t: t.replace("\n\n", "\n", 1),
    "blank lines doubled, captions between": lambda t: t.replace("\n\n", "\n\n\n"),
    "no final newline, trailing blank lines": lambda t: t.rstrip("\n") + "\n\n\n",
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_layouts_seen_in_the_wild_parse_into_the_same_fields(path: Path, layout: str, tmp_path: Path) -> None:
    changed = tmp_path / path.name
    changed.write_text(LAYOUTS[layout](path.read_text(encoding="utf-8")), encoding="utf-8")
    original, record = record_of(path), record_of(changed)
    assert {f: record[f] for f in FIELDS} == {f: original[f] for f in FIELDS}


def test_blank_paragraphs_are_dropped_and_the_drop_recorded(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text('{"title": "Tiêu đề", "paragraphs": ["Đoạn một.", " ", "\\u200b"]}\n', encoding="utf-8")
    record = record_of(path)
    assert record["text"] == "Đoạn một."
    assert "empty-paragraphs-removed" in map(repair_code, record["source"]["repairs"])


def test_no_byline_and_no_date_prefix(tmp_path: Path) -> None:
    lines = RAW_FILES[1].read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace(" date 2020-06 ", "")
    changed = tmp_path / "x.txt"
    changed.write_text("\n".join(lines[:-2]), encoding="utf-8")  # drop the byline "Tố Phương"
    record = record_of(changed)
    assert record["title"] == EXPECTED[RAW_FILES[1].name]["title"] and record["authors"] == []
    assert (record["date"], record["date_source"]) == (None, None)  # "Sáng 19-6" has no year of its own


def test_tone_style_option_end_to_end(tmp_path: Path, release_root: Path) -> None:
    traditional = vnsc.load_table(root=release_root)
    report = vnsc.build(RAW_DIR, tmp_path, "1.0.0", tone_style="new")
    new = vnsc.load_table(root=tmp_path)
    assert new.column("id").to_pylist() == traditional.column("id").to_pylist()  # same ids, same splits
    assert new.column("split").to_pylist() == traditional.column("split").to_pylist()
    assert new.column("text").to_pylist() == [to_tone_style(t, "new") for t in traditional.column("text").to_pylist()]
    assert ["Thuỳ Dương", "Anh Tấn"] in new.column("authors").to_pylist()
    assert "Tỉnh uỷ" in " ".join(new.column("text").to_pylist())
    assert vnsc.info(root=tmp_path)["settings"]["tone_style"] == "new" and report.written
    # the loaders' option gives the same table as building in that style
    assert vnsc.load_table(root=release_root, tone_style="new").equals(new)
    assert vnsc.load_table(root=tmp_path, tone_style="traditional").equals(traditional)
    assert vnsc.load_pandas(root=release_root, tone_style="new")["text"].tolist() == new.column("text").to_pylist()
    for split, dataset in vnsc.load_dataset(root=release_root, tone_style="new").items():
        assert dataset["text"] == new.filter(pc.equal(new["split"], split)).column("text").to_pylist()
    streamed = vnsc.load_dataset(root=release_root, tone_style="new", streaming=True, split="train")
    assert [row["text"] for row in streamed] == new.filter(pc.equal(new["split"], "train")).column("text").to_pylist()
