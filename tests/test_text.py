"""Basic text normalisation: NFC, invisible characters, spacing, markup remnants; every change reported."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from vn_security_corpus.errors import ConfigError
from vn_security_corpus.repairs import REPAIRS, repair_code
from vn_security_corpus.text import clean_text, expand_abbreviations, may_hold_markup, strip_markup, to_tone_style

from .conftest import RAW_FILES, REPO


@pytest.mark.parametrize(
    ("raw", "clean", "codes"),
    [
        ("Công an tỉnh", "Công an tỉnh", []),
        (unicodedata.normalize("NFD", "Thanh Hóa"), "Thanh Hóa", ["unicode-nfc"]),
        ("Công\u00a0an\u202ftỉnh", "Công an tỉnh", ["odd-spaces"]),
        ("Công  an\ttỉnh ", "Công an tỉnh", ["odd-spaces", "spaces-collapsed"]),
        ("Công\u200ban\u200d tỉnh\ufeff", "Côngan tỉnh", ["invisible-removed"]),
        ("Công\x07 an\x1b tỉnh", "Công an tỉnh", ["controls-removed"]),
        ("Công\u202ean\u2066 tỉnh\u200e", "Côngan tỉnh", ["bidi-controls-removed"]),
        ("a\u200b\u0301", "á", ["invisible-removed", "unicode-nfc"]),
        ("dòng một \n dòng hai\n\n", "dòng một\ndòng hai\n\n", ["spaces-collapsed"]),
        ("ÐẠI TÁ, Ðại tá, ðại", "ĐẠI TÁ, Đại tá, ðại", ["letter-d-bar"]),
        ("một\r\nhai", "một\nhai", ["line-ends-crlf"]),
        ("một\rhai", "một\nhai", ["line-ends-cr"]),
        ("một\r\nhai\rba", "một\nhai\nba", ["line-ends-crlf", "line-ends-cr"]),
        # a control character inside a CRLF goes first, leaving one line end (UTF-16 read as Latin-1)
        ("một\r\x00\nhai", "một\nhai", ["line-ends-crlf", "controls-removed"]),
    ],
)
def test_clean_text(raw: str, clean: str, codes: list[str]) -> None:
    cleaned, repairs = clean_text(raw)
    assert (cleaned, [repair_code(entry) for entry in repairs]) == (clean, codes)


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_raw_paragraphs_need_no_repair(path: object) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():  # type: ignore[attr-defined]
        if line.strip() and not line.startswith(" date"):
            assert clean_text(line) == (line, [])


@given(st.text())
def test_clean_text_is_idempotent_and_total(text: str) -> None:
    cleaned, _ = clean_text(text)
    assert clean_text(cleaned) == (cleaned, [])
    assert unicodedata.is_normalized("NFC", cleaned)
    for line in cleaned.split("\n"):
        assert line == line.strip() and "  " not in line


# Text made of markup's pieces, so that the property tests meet tags, references and Markdown often.
MARKUP_PIECES = st.lists(
    st.sampled_from(
        ["<", ">", "/", "p", "b", "br", "!--", "-->", "&", ";", "#", "x", "amp", "nbsp", "7871", "*", "**", "_",
         "[", "](", ")", "!", "=", "---", " ", "\n", "Hà", "ế", "<o:p>", "<html>", "&lt;b&gt;", "<a href='x'>"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@given(st.one_of(st.text(), MARKUP_PIECES))
def test_strip_markup_is_idempotent_and_total(text: str) -> None:
    stripped, repairs = strip_markup(text)
    assert all(repair_code(entry) in REPAIRS for entry in repairs)
    assert strip_markup(stripped) == (stripped, [])
    if not may_hold_markup(text):
        assert (stripped, repairs) == (text, [])


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_raw_files_hold_no_markup(path: object) -> None:
    assert strip_markup(path.read_text(encoding="utf-8"))[1] == []  # type: ignore[attr-defined]


@given(st.text(alphabet=st.characters(categories=["L", "N", "P"])))
def test_letters_digits_punctuation_are_kept(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert clean_text(nfc)[0] == nfc.replace("\u00ad", "").replace("Ð", "Đ")


# Both conventions, by hand: (traditional, new). Upper, Title and lower case alike.
TONE_PAIRS = [
    ("hòa", "hoà"),
    ("khỏe", "khoẻ"),
    ("thủy", "thuỷ"),
    ("Đại úy", "Đại uý"),
    ("Thanh Hóa", "Thanh Hoá"),
    ("HÒA BÌNH", "HOÀ BÌNH"),
    ("Khánh Hòa", "Khánh Hoà"),
    ("Tỉnh ủy", "Tỉnh uỷ"),
    ("tùy", "tuỳ"),
    ("lũy", "luỹ"),
    ("nhụy", "nhuỵ"),
    ("xóa", "xoá"),
    ("THỎA", "THOẢ"),
    ("òa khóc", "oà khóc"),
    ("góa", "goá"),
    ("Thùy Dương", "Thuỳ Dương"),
]
SAME_IN_BOTH = [
    "hoàng",
    "toàn",
    "thuyền",
    "khoét",
    "huýt",
    "quý",
    "quả",
    "già",
    "ngoài",
    "khuya",
    "khuỷu",
    "Huế",
    "thuở",
    "của",
    "QUÝ",
    "Quỳnh",
    "hoa",
    "uy tín",
    "Toyota",
    "hoặc",
    "tuần",
]


@pytest.mark.parametrize(("traditional", "new"), TONE_PAIRS)
def test_tone_styles(traditional: str, new: str) -> None:
    assert to_tone_style(traditional, "new") == new and to_tone_style(new, "traditional") == traditional
    assert to_tone_style(traditional, "traditional") == traditional and to_tone_style(new, "new") == new


@pytest.mark.parametrize("word", SAME_IN_BOTH)
def test_syllables_outside_oa_oe_uy_never_change(word: str) -> None:
    assert to_tone_style(word, "new") == word == to_tone_style(word, "traditional")


def test_raw_files_use_the_traditional_style() -> None:
    for path in RAW_FILES:
        text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
        assert to_tone_style(text, "traditional") == text
        assert to_tone_style(text, "new") != text


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ConfigError, match="choose traditional or new"):
        to_tone_style("hòa", "modern")  # type: ignore[arg-type]


VIETNAMESE = st.text(alphabet="aăâeêioôơuưyđ òóỏõọàáảãạùúủũụỳýỷỹỵèéẻẽẹ qhgtkn,.\n-HOUYĐ", max_size=60)


@given(st.one_of(st.text(), VIETNAMESE))
def test_tone_style_is_idempotent_and_reversible(text: str) -> None:
    cleaned, _ = clean_text(text)
    for style, other in (("traditional", "new"), ("new", "traditional")):
        once = to_tone_style(cleaned, style)  # type: ignore[arg-type]
        assert to_tone_style(once, style) == once  # type: ignore[arg-type]
        assert to_tone_style(to_tone_style(once, other), style) == once  # type: ignore[arg-type]
        assert len(once) == len(cleaned)


@given(st.text(alphabet=st.characters(codec="ascii")))
@example("\r\x1f\n")  # found by a randomized run: once gave two line ends
def test_text_without_vietnamese_letters_changes_only_in_spacing(text: str) -> None:
    cleaned, _ = clean_text(text)
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\t\n\r")
    lines = visible.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert cleaned == "\n".join(" ".join(line.split()) for line in lines)
    assert to_tone_style(cleaned, "new") == cleaned == to_tone_style(cleaned, "traditional")


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("bảo đảm ANTT trên địa bàn", "bảo đảm an ninh trật tự trên địa bàn"),
        ("công tác QP-AN, QP - AN, QPAN", "công tác quốc phòng – an ninh, quốc phòng – an ninh, quốc phòng – an ninh"),
        ("phát triển KT – XH", "phát triển kinh tế – xã hội"),
        ("Bộ CHQS tỉnh và BĐBP", "Bộ Chỉ huy quân sự tỉnh và Bộ đội Biên phòng"),
        ("ANTTX, XANTT và ANTT.", "ANTTX, XANTT và an ninh trật tự."),
    ],
)
def test_expand_abbreviations(text: str, expanded: str) -> None:
    assert expand_abbreviations(text) == expanded


def test_abbreviation_table_is_reviewed_data() -> None:
    import json
    import re

    data = json.loads((REPO / "vn_security_corpus" / "data" / "abbreviations.json").read_text(encoding="utf-8"))
    assert data["sources"]
    entries = data["abbreviations"]
    required = (
        "ANTT ANQG TTATXH ANTQ QP-AN KT-XH BĐBP CHQS UBND CBCS NTM CCCD ATGT PCCC CNCH CSGT CSĐT CSCĐ TAND".split()
    )
    assert set(required) <= {e["abbreviation"] for e in entries}
    for entry in entries:
        pattern = r"(?<!\w)" + r"\s*[-–]\s*".join(map(re.escape, entry["abbreviation"].split("-"))) + r"(?!\w)"
        seen = [
            p.name
            for p in RAW_FILES
            if re.search(pattern, p.read_text(encoding="utf-8"))
            or any(re.search(rf"(?<!\w){v}(?!\w)", p.read_text(encoding="utf-8")) for v in entry["variants"])
        ]
        assert entry["seen_in"] == seen, entry["abbreviation"]
        for written in (entry["abbreviation"], *entry["variants"]):  # each is expanded in running text
            assert expand_abbreviations(f"công tác {written} tốt") == f"công tác {entry['expansion']} tốt", written
