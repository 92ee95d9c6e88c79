"""Repair and conflict codes: every code of the registry is made by some raw input with that
defect, a record carries each code once, and a release counts them (manifest and card) exactly
as its records say."""

from __future__ import annotations

import codecs
import json
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.records import process, read_file_inputs
from vn_security_corpus.repairs import CONFLICTS, REPAIRS, conflict, repair, repair_code
from vn_security_corpus.sources import RawFile
from vn_security_corpus.text import to_tone_style

from .conftest import RAW_FILES, REPO
from .test_decode import sloppy_windows_1252, windows_1258

# raw/001: " date 2020-06" header, lead "Sáng 19-6, …", "Đại tá", oa/oe/uy syllables, a byline.
ARTICLE = RAW_FILES[1].read_text(encoding="utf-8")
LEAD = "Sáng 19-6, Công an tỉnh"


def in_lead(insert: str) -> Callable[[str], str]:
    """Put ``insert`` inside the lead's first words ("Công an" → "Công<insert>an")."""
    return lambda text: text.replace(LEAD, LEAD.replace("Công an", f"Công{insert}an"), 1)


def as_json(text: str) -> bytes:
    """The article as one JSON object, its first paragraph broken over two lines."""
    title, *paragraphs = [line for line in text.split("\n") if line.strip()]
    paragraphs[0] = paragraphs[0].replace(", ", ",\n", 1)
    title = title.removeprefix(" date 2020-06 ")
    return json.dumps({"title": title, "paragraphs": paragraphs}, ensure_ascii=False).encode()


# code → (the suffix of the raw file, its bytes made from the article's text with that defect)
DEFECTS: dict[str, tuple[str, Callable[[str], bytes]]] = {
    "bom-utf8-removed": (".txt", lambda t: codecs.BOM_UTF8 + t.encode()),
    "bom-utf16-removed": (".txt", lambda t: t.encode("utf-16")),
    "decoded-utf16-no-bom": (".txt", lambda t: t.encode("utf-16-be")),
    "decoded-legacy": (".txt", windows_1258),
    "mojibake-repaired": (".txt", lambda t: sloppy_windows_1252(t.encode()).encode()),
    "line-ends-crlf": (".txt", lambda t: t.replace("\n", "\r\n").encode()),
    "line-ends-cr": (".txt", lambda t: t.replace("\n", "\r").encode()),
    "invisible-removed": (".txt", lambda t: in_lead(" \u200b")(t).encode()),
    "controls-removed": (".txt", lambda t: in_lead(" \x07")(t).encode()),
    "bidi-controls-removed": (".txt", lambda t: in_lead(" \u202e")(t).encode()),
    "unicode-nfc": (".txt", lambda t: unicodedata.normalize("NFD", t).encode()),
    "letter-d-bar": (".txt", lambda t: t.replace("Đại tá", "\u00d0ại tá").encode()),
    "odd-spaces": (".txt", lambda t: in_lead("\u00a0")(t).encode()),
    "spaces-collapsed": (".txt", lambda t: in_lead("   ")(t).encode()),
    "html-entities-decoded": (".txt", lambda t: t.replace("Công an Thanh Hóa", "Công an Thanh H&oacute;a").encode()),
    "html-tags-removed": (".txt", lambda t: t.replace("\n\nCác đại", "\n\n<p class='caption'>Các đại").encode()),
    "markdown-images-removed": (
        ".txt",
        lambda t: t.replace("\n\nCác đại", "\n\n![Hội nghị](https://x.vn/a.jpg)\nCác đại").encode(),
    ),
    "markdown-links-unwrapped": (
        ".txt",
        lambda t: t.replace("Bộ Công an,", "[Bộ Công an](https://bocongan.gov.vn),").encode(),
    ),
    "heading-underlines-removed": (".txt", lambda t: t.replace("\n\n", "\n==========\n\n", 1).encode()),
    "markdown-heading-marks-removed": (".txt", lambda t: t.replace("\n\nCác đại", "\n\n## Các đại").encode()),
    "markdown-emphasis-removed": (
        ".txt",
        lambda t: t.replace("Đại tá Trần Phú Hà", "**Đại tá Trần Phú Hà**", 1).encode(),
    ),
    "byline-unglued": (".txt", lambda t: t.replace("“Sáng tạo”.\n\nTố Phương", "“Sáng tạo”. Tố Phương").encode()),
    "byline-trailer-removed": (".txt", lambda t: (t.rstrip("\n") + "\n\nTheo Báo Công an\n").encode()),
    "line-breaks-joined": (".json", as_json),
    "tone-style-traditional": (".txt", lambda t: to_tone_style(t, "new").encode()),
    "empty-paragraphs-removed": (".txt", lambda t: t.replace("\n\nCác đại", "\n\n\u200b\n\nCác đại").encode()),
    "date-header-lead": (".txt", lambda t: t.replace(" date 2020-06 ", " date 2020-07 ", 1).encode()),
}


def record_of(path: Path) -> dict[str, Any]:
    (article,) = read_file_inputs(RawFile.at(path))
    result = process(article, str(path))
    assert isinstance(result, dict), result
    return result


def codes_of(record: dict[str, Any]) -> list[str]:
    return [repair_code(entry) for entry in record["source"]["repairs"] + record["source"]["conflicts"]]


def test_every_code_has_a_defect_that_makes_it() -> None:
    assert set(DEFECTS) == set(REPAIRS) | set(CONFLICTS)
    assert not set(REPAIRS) & set(CONFLICTS)


@pytest.mark.parametrize("code", DEFECTS)
def test_each_code_is_made_by_a_raw_file_with_its_defect(code: str, tmp_path: Path) -> None:
    suffix, make = DEFECTS[code]
    path = tmp_path / f"defect{suffix}"
    path.write_bytes(make(ARTICLE))
    record = record_of(path)
    codes = codes_of(record)
    assert code in codes, record["source"]
    assert len(codes) == len(set(codes))  # a code at most once per record
    field = "conflicts" if code in CONFLICTS else "repairs"
    (entry,) = (entry for entry in record["source"][field] if repair_code(entry) == code)
    assert entry.startswith(f"{code}: ") and len(entry) > len(code) + 2


def test_the_clean_article_has_no_repairs_and_no_conflicts(tmp_path: Path) -> None:
    record = record_of(RAW_FILES[1])
    assert record["source"]["repairs"] == record["source"]["conflicts"] == []


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown repair code 'made-up'"):
        repair("made-up")
    with pytest.raises(ValueError, match="unknown repair code 'date-header-lead'"):
        repair("date-header-lead")  # a conflict is not a repair
    with pytest.raises(ValueError, match="unknown conflict code 'unicode-nfc'"):
        conflict("unicode-nfc")


def test_codes_are_stable_names() -> None:
    for code, description in {**REPAIRS, **CONFLICTS}.items():
        assert code == code.lower() and code.replace("-", "").isalnum() and "--" not in code
        assert description and "\n" not in description
        assert repair_code(repair(code) if code in REPAIRS else conflict(code)) == code


def test_a_repair_made_twice_keeps_its_first_entry(tmp_path: Path) -> None:
    """Windows-1258 writes tone marks as combining characters, composed (NFC) when decoded; a soft
    hyphen between a letter and its tone mark blocks that, and once removed NFC is needed again:
    one entry, the decoder's."""
    path = tmp_path / "twice.txt"
    data = windows_1258(ARTICLE)
    assert b"ti\xd2nh" in data  # tỉnh: i, then the combining hook above
    path.write_bytes(data.replace(b"ti\xd2nh", b"ti\xad\xd2nh", 1))
    record = record_of(path)
    assert record["source"]["encoding"] == "windows-1258" and "tỉnh" in record["text"]
    assert "invisible-removed" in codes_of(record)
    nfc = [entry for entry in record["source"]["repairs"] if repair_code(entry) == "unicode-nfc"]
    assert nfc == ["unicode-nfc: combining tone marks composed"]


# Files with planted defects, one or several each, and a duplicate (counted once: published records).
def planted(raw: Path) -> None:
    title, rest = ARTICLE.split("\n", 1)
    for index, code in enumerate(DEFECTS):
        suffix, make = DEFECTS[code]
        text = f"{title} ({code})\n{rest}"  # a distinct article for each defect
        (raw / f"{index:02d}-{code}{suffix}").write_bytes(make(text))
    several = ARTICLE.replace("\n", "\r\n").replace("Đại tá", "\u00d0ại tá").replace(" date 2020-06 ", " date 2020-07 ")
    (raw / "90-several.txt").write_bytes(codecs.BOM_UTF8 + several.encode())
    (raw / "91-duplicate.txt").write_bytes(codecs.BOM_UTF8 + several.encode())


def test_manifest_and_card_count_what_the_records_carry(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    planted(raw)
    report = vnsc.build(raw, tmp_path / "out", "1.0.0", shard_rows=4)  # several shards to sum
    assert len(report.duplicates) == 1
    table = vnsc.load_table(root=tmp_path / "out", columns=["source"])
    counts: dict[str, Counter[str]] = {"repairs": Counter(), "conflicts": Counter()}
    for source in table.column("source").to_pylist():
        for field, counter in counts.items():
            codes = [repair_code(entry) for entry in source[field]]
            assert len(codes) == len(set(codes))
            counter.update(codes)
    manifest = vnsc.info(root=tmp_path / "out")
    assert manifest["repairs"] == dict(sorted(counts["repairs"].items()))
    assert manifest["conflicts"] == dict(sorted(counts["conflicts"].items()))
    assert set(manifest["repairs"]) == set(REPAIRS) and set(manifest["conflicts"]) == set(CONFLICTS)
    assert manifest["repairs"]["line-ends-crlf"] == 2 and manifest["conflicts"]["date-header-lead"] == 2
    assert list(manifest).index("repairs") == list(manifest).index("counts") + 1
    card = (tmp_path / "out" / "1.0.0" / "README.md").read_text(encoding="utf-8")
    for code, description in {**REPAIRS, **CONFLICTS}.items():
        count = manifest["repairs"].get(code) or manifest["conflicts"].get(code)
        assert f"| `{code}` | {description} | {count} |" in card
    section = card.split("## Repairs")[1].split("\n## ")[0]
    listed = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert listed == sorted(REPAIRS) + sorted(CONFLICTS)


def test_readme_names_every_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in {**REPAIRS, **CONFLICTS}:
        assert f"`{code}`" in readme, code
