"""Decoding raw bytes: each raw article saved in the encodings Vietnamese files really come in.

Every variant is built from the five files in raw/ (UTF-8, NFC, traditional tone style);
each must decode back to the original text and say what was done, or be refused with a
reason, a line and a fix.
"""

from __future__ import annotations

import codecs
import gzip
import random
import shutil
import subprocess
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vn_security_corpus.decode import (
    MIN_SHARE,
    MIN_SYLLABLES,
    Decoded,
    DecodeError,
    _read_as,
    _table,
    _vni,
    count_syllables,
    decode,
    is_syllable,
)
from vn_security_corpus.repairs import repair_code

from .conftest import RAW_FILES

TEXTS = {path.name[:3]: path.read_text(encoding="utf-8") for path in RAW_FILES}
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
# Typography that TCVN3, VISCII and VNI cannot write; files in them have ASCII instead.
TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "–": "-", "…": "..."})


def windows_1258(text: str) -> bytes:
    """Windows-1258 as it is really written: letters precomposed, tone marks as combining characters."""
    letters = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(mark for mark in decomposed if mark not in TONE_MARKS))
        letters.append(base + tones)
    return "".join(letters).encode("cp1258")


def by_table(encoding: str) -> Callable[[str], bytes]:
    """An encoder for a legacy single-byte encoding, from the package's byte table."""
    inverse = {char: byte for byte, char in enumerate(_table(encoding))}
    return lambda text: bytes(inverse[char] for char in text.translate(TYPOGRAPHY))


def vni_windows(text: str) -> bytes:
    """VNI-Windows bytes, made with the inverse of the shipped table: each marked letter as the base
    letter and a byte for its marks (lower-case marks after a capital, as VNI fonts write Title Case);
    punctuation as in Windows-1252."""
    inverse: dict[str, str] = {}
    for sequence, letter in _vni()[1].items():
        if not (sequence[0].isupper() and sequence[1:].isupper()) or not letter.isupper():
            inverse.setdefault(letter, sequence)
    return "".join(inverse.get(char, char) for char in text).encode("cp1252")


def sloppy_windows_1252(data: bytes) -> str:
    """Bytes read as Windows-1252 the way Windows and browsers do (unassigned bytes become C1 controls)."""
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in data)


BOM_REMOVED = ["bom-utf8-removed"]
UTF16_BOM_REMOVED = ["bom-utf16-removed"]
NO_BOM = ["decoded-utf16-no-bom"]  # the entry names the byte order chosen
CHOSEN = ["decoded-legacy"]  # the entry names the encoding chosen


# name: (bytes from the original text, expected encoding, expected repair codes, whether typography survives)
VARIANTS: dict[str, tuple[Callable[[str], bytes], str, list[str], bool]] = {
    "utf-8": (lambda text: text.encode("utf-8"), "utf-8", [], True),
    "utf-8-bom": (lambda text: text.encode("utf-8-sig"), "utf-8-sig", BOM_REMOVED, True),
    "utf-16-le-bom": (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16-le", UTF16_BOM_REMOVED, True),
    "utf-16-be-bom": (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16-be", UTF16_BOM_REMOVED, True),
    "utf-16-le": (lambda text: text.encode("utf-16-le"), "utf-16-le", NO_BOM, True),
    "utf-16-be": (lambda text: text.encode("utf-16-be"), "utf-16-be", NO_BOM, True),
    "windows-1258": (windows_1258, "windows-1258", [*CHOSEN, "unicode-nfc"], True),
    "tcvn3": (by_table("tcvn3"), "tcvn3", CHOSEN, False),
    "viscii": (by_table("viscii"), "viscii", CHOSEN, False),
    "mojibake-windows-1252": (
        lambda text: sloppy_windows_1252(text.encode("utf-8")).encode("utf-8"),
        "utf-8",
        ["mojibake-repaired"],
        True,
    ),
    "mojibake-latin-1": (
        lambda text: text.encode("utf-8").decode("latin-1").encode("utf-8"),
        "utf-8",
        ["mojibake-repaired"],
        True,
    ),
}
# What the entry of a code says beside the code, for the variants where it matters.
DETAILS = {
    "utf-16-le": "utf-16-le without byte order mark",
    "utf-16-be": "utf-16-be without byte order mark",
    "windows-1258": "windows-1258 (chosen by Vietnamese syllables)",
    "tcvn3": "tcvn3 (chosen by Vietnamese syllables)",
    "viscii": "viscii (chosen by Vietnamese syllables)",
    "mojibake-windows-1252": "UTF-8 read as Windows-1252 repaired",
    "mojibake-latin-1": "UTF-8 read as Latin-1 repaired",
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", TEXTS)
def test_each_raw_article_decodes_back_from_each_encoding(name: str, variant: str) -> None:
    encode, encoding, repairs, typography_survives = VARIANTS[variant]
    original = TEXTS[name] if typography_survives else TEXTS[name].translate(TYPOGRAPHY)
    data = encode(TEXTS[name])
    assert data != original.encode("utf-8") or variant == "utf-8"
    decoded = decode(data)
    assert unicodedata.normalize("NFC", decoded.text) == original
    assert unicodedata.is_normalized("NFC", decoded.text)  # NFC is done here when the encoding needs it
    assert (decoded.encoding, [repair_code(entry) for entry in decoded.repairs]) == (encoding, repairs)
    if variant in DETAILS:
        assert DETAILS[variant] in decoded.repairs[0]


@pytest.mark.parametrize("encoding", ["windows-1258", "tcvn3", "viscii"])
@pytest.mark.parametrize("name", TEXTS)
def test_wrong_readings_of_a_legacy_file_score_far_below_the_threshold(name: str, encoding: str) -> None:
    """The choice is real: the bytes also read in the other encodings, as nonsense."""
    data = VARIANTS[encoding][0](TEXTS[name])
    shares = {}
    for other in ("windows-1258", "tcvn3", "viscii", "vni-windows"):
        try:
            valid, words = count_syllables(unicodedata.normalize("NFC", _read_as(data, other)))
        except UnicodeDecodeError:
            continue
        shares[other] = valid / words
    assert shares.pop(encoding) > 0.99
    assert len(shares) >= 2 and max(shares.values()) < MIN_SHARE - 0.2, shares


# "Công an tỉnh Thanh Hóa tổ chức hội nghị điển hình tiên tiến, Đại úy", written byte by byte from
# the VNI-Windows table (a vowel, then one byte for its marks; ơ ư đ ỉ ị ì as single bytes).
VNI_SAMPLE = (
    b"Co\xe2ng an t\xe6nh Thanh Ho\xf9a "  # Công (o+â) an tỉnh (æ) Thanh Hóa (o+ù)
    b"to\xe5 ch\xf6\xf9c ho\xe4i ngh\xf2 "  # tổ (o+å) chức (ö+ù) hội (o+ä) nghị (ò)
    b"\xf1ie\xe5n h\xecnh tie\xe2n tie\xe1n, "  # điển (ñ, e+å) hình (ì) tiên (e+â) tiến (e+á)
    b"\xd1a\xefi u\xf9y"  # Đại (Ñ, a+ï) úy (u+ù)
)


def test_vni_windows_is_converted_by_the_shipped_table() -> None:
    decoded = decode(VNI_SAMPLE)  # the shipped table agrees with the hand-written bytes
    assert decoded.text == "Công an tỉnh Thanh Hóa tổ chức hội nghị điển hình tiên tiến, Đại úy"
    assert decoded.encoding == "vni-windows"


@pytest.mark.parametrize("name", TEXTS)
def test_raw_articles_in_vni_windows_decode_to_the_original_text(name: str) -> None:
    data = vni_windows(TEXTS[name])
    assert data.split(b"\n")[0] != TEXTS[name].split("\n")[0].encode("utf-8")
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (TEXTS[name], "vni-windows")


def test_vni_windows_read_as_another_encoding_is_not_vietnamese() -> None:
    """Only the syllable score chooses VNI: ASCII-looking Latin-1 text that is not Vietnamese stays refused."""
    with pytest.raises(DecodeError, match="does not read as Vietnamese"):
        decode("Ça coûte très cher, déjà vu à Montréal, garçon façade œuvre".encode("cp1252") * 3)


def test_tcvn3_without_capitals_with_tone_marks() -> None:
    """Real TCVN3 (ABC) files have no capitals with tone marks: only bytes 0xA1-0xFF for letters."""
    text = "Công an tỉnh Quảng Bình tổ chức hội nghị tổng kết công tác bảo đảm an ninh trật tự"
    data = by_table("tcvn3")(text)
    assert all(byte < 0x80 or byte >= 0xA1 for byte in data)
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (text, "tcvn3")
    assert [repair_code(entry) for entry in decoded.repairs] == CHOSEN


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "a GIF image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "a ZIP archive, or a .docx/.xlsx/.odt document"),
        (gzip.compress(TEXTS["000"].encode("utf-8"), mtime=0), "a gzip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "an old Microsoft Office document (.doc/.xls)"),
    ],
)
def test_binary_files_are_refused_naming_their_kind(data: bytes, kind: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert caught.value.message == f"the file is binary data ({kind}), not text"
    assert caught.value.line == 1 and "remove it" in caught.value.fix


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (TEXTS["001"].encode("utf-8").replace(b"\n\n", b"\n\n\x00", 2), 3),  # NUL inside UTF-8 text
        (b"\xff\xfe\x00garbage", 1),  # a UTF-16 byte order mark, then no Latin-script text
        (TEXTS["002"].encode("utf-16-le") + b"\x00", 1),  # odd length: not UTF-16
        (random.Random(7).randbytes(2000), 1),  # NUL bytes on both sides
    ],
)
def test_nul_bytes_that_are_not_utf16_are_binary_data(data: bytes, line: int) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert "binary data" in caught.value.message and "NUL bytes" in caught.value.message
    assert caught.value.line == data[: data.index(b"\x00")].count(b"\n") + 1 == line


def test_utf8_with_a_bad_byte_is_refused_at_its_line() -> None:
    lines = TEXTS["003"].encode("utf-8").split(b"\n")
    lines[6] = lines[6][:20] + b"\xff" + lines[6][20:]
    with pytest.raises(DecodeError) as caught:
        decode(b"\n".join(lines))
    error = caught.value
    assert "cannot be decoded" in error.message and "byte 0xff on line 7" in error.message
    assert (error.line, error.fix) == (7, "save the file as UTF-8 text")
    with pytest.raises(DecodeError, match=r"byte order mark but is not valid UTF-8 .* line 7"):
        decode(codecs.BOM_UTF8 + b"\n".join(lines))


def test_random_bytes_are_refused_as_undecodable() -> None:
    data = b"x" + random.Random(1).randbytes(5000).replace(b"\x00", b"")
    with pytest.raises(UnicodeDecodeError) as not_utf8:
        data.decode("utf-8")
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert "cannot be decoded" in caught.value.message
    assert caught.value.line == data[: not_utf8.value.start].count(b"\n") + 1


def test_too_few_vietnamese_words_are_not_enough_to_name_a_legacy_encoding() -> None:
    short = "Tiêu đè"  # reads as Windows-1258, but two words could be chance
    assert count_syllables(windows_1258(short).decode("cp1258"))[0] < MIN_SYLLABLES
    with pytest.raises(DecodeError, match="cannot be decoded"):
        decode(windows_1258(short))
    four, five = "Tiêu đề bài báo", "Tiêu đề bài báo hôm nay"
    assert count_syllables(four) == (MIN_SYLLABLES - 1,) * 2 and count_syllables(five) == (MIN_SYLLABLES,) * 2
    with pytest.raises(DecodeError, match="cannot be decoded"):
        decode(windows_1258(four))
    assert decode(windows_1258(five)).text == five


def test_empty_file() -> None:
    with pytest.raises(DecodeError) as caught:
        decode(b"")
    assert (caught.value.message, caught.value.line) == ("the file is empty", None)


def test_mojibake_that_lost_bytes_is_refused() -> None:
    """Read with errors="replace", the bytes 0x81/0x8D/0x8F/0x90/0x9D are gone for good."""
    text = TEXTS["001"]
    data = text.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert "lost bytes" in caught.value.message and "cannot be decoded" in caught.value.message
    lost = (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # not in Windows-1252
    first_loss = next(n for n, line in enumerate(text.split("\n"), 1) if any(b in lost for b in line.encode()))
    assert caught.value.line == first_loss


def test_mojibake_that_ftfy_repairs_only_in_part_is_refused() -> None:
    """Mixed into correct text on the same line, "há»™i" (hội) is beyond ftfy: refused, not half-repaired."""
    line = "Sáng 19-6, Công an tỉnh " + sloppy_windows_1252("tổ chức hội nghị".encode())
    with pytest.raises(DecodeError) as caught:
        decode(f"Tiêu đề\n\n{line}\n".encode())
    assert "cannot be repaired (line 3)" in caught.value.message and caught.value.line == 3


def test_mojibake_in_one_paragraph_is_repaired_alone() -> None:
    paragraphs = TEXTS["004"].split("\n\n")
    paragraphs[2] = sloppy_windows_1252(paragraphs[2].encode("utf-8"))
    decoded = decode("\n\n".join(paragraphs).encode("utf-8"))
    assert decoded.text == TEXTS["004"]
    (entry,) = decoded.repairs
    assert repair_code(entry) == "mojibake-repaired" and "Windows-1252 in parts of the text" in entry


def test_mojibake_repair_changes_nothing_else() -> None:
    """ftfy's other fixes are off: curly quotes, ligatures, full-width letters, HTML entities,
    terminal escapes, control characters, line ends and decomposed letters come back as they were."""
    original = (
        "“ﬁ” ＡＢＣ &amp; ‘x’ \x1b[1m \x07\x85 dòng\r\nmột " + unicodedata.normalize("NFD", "Hòa") + "\nCông an tỉnh"
    )
    decoded = decode(sloppy_windows_1252(original.encode("utf-8")).encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (original, "utf-8")
    assert [repair_code(entry) for entry in decoded.repairs] == ["mojibake-repaired"]


@pytest.mark.parametrize(
    "text",
    [
        "“CÔNG AN XÃ” VÀ “NGÃ BA”",  # Ã before a closing quote looks like mojibake of Ô
        "Giá 1.000 € « Hà Nội » và TP.HCM",  # € « » are Windows-1252 characters too
        "Ông Å và bà Æ",
    ],
)
def test_text_that_only_looks_like_mojibake_is_left_alone(text: str) -> None:
    assert decode(text.encode("utf-8")) == Decoded(text, "utf-8", [])


@pytest.mark.parametrize(
    "word",
    [
        "Nguyễn",
        "nghiêng",
        "quốc",
        "quý",
        "Quỳnh",
        "quả",
        "già",
        "gì",
        "khuya",
        "khuỷu",
        "ngoài",
        "thuở",
        "Huế",
        "hòa",
        "hoà",
        "khỏe",
        "khoẻ",
        "thủy",
        "thuỷ",
        "úy",
        "uý",
        "được",
        "người",
        "xoong",
        "ĐẠI",
        "Tướng",
    ],
)
def test_syllables(word: str) -> None:
    assert is_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["hóà", "hòc", "hỏc", "ka", "gha", "ngha", "Coâng", "tænh", "HÃ³a", "Ä‘ua", "®¹i", "UBND", "heroin"],
)
def test_not_syllables(word: str) -> None:
    assert not is_syllable(word)


def test_nearly_every_vietnamese_word_of_the_raw_articles_is_a_syllable() -> None:
    valid, words = map(sum, zip(*(count_syllables(text) for text in TEXTS.values()), strict=True))
    assert words > 4000 and valid / words > 0.995


def iconv_table(charset: str) -> str:
    """The 256 characters of ``charset`` as glibc iconv decodes them, one byte at a time."""
    table = []
    for byte in range(256):
        done = subprocess.run(["iconv", "-f", charset, "-t", "UTF-8"], input=bytes([byte]), capture_output=True)
        table.append(done.stdout.decode("utf-8") if done.returncode == 0 else "?")
    return "".join(table)


@pytest.mark.skipif(shutil.which("iconv") is None, reason="needs glibc iconv")
@pytest.mark.parametrize(("encoding", "charset"), [("tcvn3", "TCVN5712-1"), ("viscii", "VISCII")])
def test_byte_tables_match_iconv(encoding: str, charset: str) -> None:
    if subprocess.run(["iconv", "-f", charset, "-t", "UTF-8"], input=b"a", capture_output=True).returncode:
        pytest.skip(f"this iconv does not know {charset}")
    assert _table(encoding) == iconv_table(charset)


def test_byte_tables_cover_every_vietnamese_letter() -> None:
    letters = {char for text in TEXTS.values() for char in text if char.isalpha() and not char.isascii()}
    for encoding in ("tcvn3", "viscii"):
        assert letters <= set(_table(encoding)) and len(_table(encoding)) == 256


def mutated(data: bytes, seed: int, start: float, length: int) -> bytes:
    position = int(start * len(data))
    return data[:position] + random.Random(seed).randbytes(length) + data[position + length :]


@st.composite
def raw_like_bytes(draw: st.DrawFn) -> bytes:
    """A variant of a raw article with a stretch of random bytes in it, or any bytes at all."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    encode = VARIANTS[draw(st.sampled_from(sorted(VARIANTS)))][0]
    data = encode(TEXTS[draw(st.sampled_from(sorted(TEXTS)))])
    return mutated(data, draw(st.integers(0, 9)), draw(st.floats(0, 1)), draw(st.integers(0, 40)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_like_bytes())
def test_any_bytes_decode_or_raise_decode_error_only(data: bytes) -> None:
    try:
        decoded = decode(data)
    except DecodeError as error:
        assert error.message and error.fix and (error.line is None or error.line >= 1)
        return
    assert isinstance(decoded.text, str) and all(": " in repair for repair in decoded.repairs)


@given(st.text())
def test_utf8_text_comes_back_unchanged_unless_a_repair_says_why(text: str) -> None:
    try:
        decoded = decode(text.encode("utf-8"))
    except DecodeError as error:  # valid UTF-8 is refused only as binary, empty, or broken mojibake
        assert "binary data" in error.message or error.message == "the file is empty" or "mojibake" in error.message
        return
    if not decoded.repairs:
        assert decoded.text == text
    for repair in decoded.repairs:
        assert repair_code(repair) in ("bom-utf8-removed", "mojibake-repaired", "decoded-utf16-no-bom")
