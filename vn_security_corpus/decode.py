"""Bytes of a raw file → text, naming the encoding and every repair made.

Raw Vietnamese articles arrive as UTF-8 (with or without byte order mark), UTF-16,
Windows-1258, the legacy font encodings TCVN3, VISCII and VNI-Windows, and as mojibake
(UTF-8 read as Windows-1252 and saved again). Each is decoded and every choice is recorded
in ``repairs``; binary data and bytes that read as Vietnamese in no encoding raise
:class:`DecodeError` with the reason, the line and a fix. Legacy encodings are told
apart by which reading yields the most valid Vietnamese syllables
(:func:`is_syllable`), never by a generic charset detector, which misreads them.

>>> decode("Thanh Hóa".encode("utf-8-sig"))
Decoded(text='Thanh Hóa', encoding='utf-8-sig', repairs=['bom-utf8-removed: UTF-8 byte order mark removed'])
>>> decode("Thanh HÃ³a".encode()).repairs
['mojibake-repaired: UTF-8 read as Latin-1 repaired (ftfy)']
>>> decoded = decode("Công an tỉnh Thanh Hóa tổ chức hội nghị".encode("utf-16"))
>>> decoded.encoding, decoded.repairs
('utf-16-le', ['bom-utf16-removed: UTF-16 byte order mark removed'])
"""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

from .errors import CorpusError
from .package_data import package_file
from .repairs import repair

DATA_DIR = package_file("data")


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, with the encoding used and the repairs made."""

    text: str
    encoding: str
    repairs: list[str] = field(default_factory=list)


class DecodeError(CorpusError, ValueError):
    """The bytes are not text this library can read; ``line`` is where it went wrong."""

    def __init__(self, message: str, fix: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.fix, self.line = message, fix, line


_NOT_TEXT_FIX = "remove it from the raw folder (or save the article as UTF-8 text)"
_SAVE_AS_UTF8 = "save the file as UTF-8 text"

# File signatures of the binary formats most likely to be renamed `.txt` by mistake.
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive, or a .docx/.xlsx/.odt document",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an old Microsoft Office document (.doc/.xls)",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\x7fELF": "an executable program",
}
_MAGIC_PREFIXES = tuple(_MAGIC)


def decode(data: bytes) -> Decoded:
    """Decode a raw file's bytes; raise :class:`DecodeError` when they are not readable text.

    Valid UTF-8 costs one ``bytes.decode`` and a few character searches for
    mojibake; the slower readings run only when needed.

    >>> decode(b"\\x89PNG\\r\\n\\x1a\\n...")
    Traceback (most recent call last):
    vn_security_corpus.decode.DecodeError: the file is binary data (a PNG image), not text
    """
    if not data:
        raise DecodeError("the file is empty", "remove the file, or write the article into it")
    if data.startswith(_MAGIC_PREFIXES):
        kind = next(kind for magic, kind in _MAGIC.items() if data.startswith(magic))
        raise DecodeError(f"the file is binary data ({kind}), not text", _NOT_TEXT_FIX, 1)
    if b"\x00" in data or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _read_utf16(data)
    if data.startswith(codecs.BOM_UTF8):
        body, encoding, repairs = data[len(codecs.BOM_UTF8) :], "utf-8-sig", [repair("bom-utf8-removed")]
    else:
        body, encoding, repairs = data, "utf-8", []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        if repairs:  # a UTF-8 byte order mark, then bytes that are not UTF-8: no guessing
            line = _line_at(body, error.start)
            raise DecodeError(
                f"the file starts with a UTF-8 byte order mark but is not valid UTF-8 "
                f"(byte 0x{body[error.start]:02x} on line {line}): it cannot be decoded",
                _SAVE_AS_UTF8,
                line,
            ) from None
        return _read_legacy(data, error.start)
    if _may_be_mojibake(text) and _MOJIBAKE.search(text):
        text, fixed = _repair_mojibake(text)
        repairs += fixed
    return Decoded(text, encoding, repairs)


def _line_at(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


# --- UTF-16 -------------------------------------------------------------------------

# Characters a Vietnamese (or any Latin-script) text consists of: ASCII, Latin letters
# and combining marks, Vietnamese letters, general punctuation, ₫ and €.
_NOT_LATIN = re.compile("[^\t\n\r\x20-\x7e\xa0-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u206f\u20ab\u20ac\ufeff]")


def _read_utf16(data: bytes) -> Decoded:
    """UTF-16 announced by a byte order mark, or recognised by NUL bytes all on one side.

    Almost any even number of bytes decodes as UTF-16, so the result must also
    look like Latin-script text (at most 5% other characters); otherwise the
    bytes are binary data.

    >>> decode("Hòa Bình".encode("utf-16-be")).repairs
    ['decoded-utf16-no-bom: utf-16-be without byte order mark (chosen by where the NUL bytes are)']
    """
    if data.startswith(codecs.BOM_UTF16_LE):
        body, encoding, repairs = data[2:], "utf-16-le", [repair("bom-utf16-removed")]
    elif data.startswith(codecs.BOM_UTF16_BE):
        body, encoding, repairs = data[2:], "utf-16-be", [repair("bom-utf16-removed")]
    else:
        # UTF-16 text in Latin script has a NUL high byte in most characters, never a NUL low byte.
        encoding = "utf-16-le" if data[1::2].count(0) >= data[0::2].count(0) else "utf-16-be"
        detail = f"{encoding} without byte order mark (chosen by where the NUL bytes are)"
        body, repairs = data, [repair("decoded-utf16-no-bom", detail)]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text = None
    if text is not None and len(_NOT_LATIN.findall(text)) * 20 <= len(text):
        return Decoded(text, encoding, repairs)
    if b"\x00" in data:
        nul = data.index(b"\x00")
        raise DecodeError(
            "the file contains NUL bytes: it is binary data, not text", _NOT_TEXT_FIX, _line_at(data, nul)
        )
    raise DecodeError(
        "the file starts with a UTF-16 byte order mark but is not UTF-16 text: it cannot be decoded", _SAVE_AS_UTF8, 1
    )


# --- Mojibake -----------------------------------------------------------------------

# Vietnamese UTF-8 read as Windows-1252 (or Latin-1): Ã Ä Å Æ (the lead bytes of à…ý,
# ă đ ĩ, ũ, ơ ư) followed by a character of the upper half of Windows-1252, "áº"/"á»"
# (ạ…ỹ) and "â€" (curly quotes, dashes).
_MOJIBAKE = re.compile(
    "[ÃÄÅÆ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|á[º»]|â€"
)
_FTFY_ENCODINGS = {"sloppy-windows-1252": "Windows-1252", "windows-1252": "Windows-1252", "latin-1": "Latin-1"}


def _may_be_mojibake(text: str) -> bool:
    """The fast first test (under a microsecond for an article): Vietnamese mojibake always has one of these.

    >>> _may_be_mojibake("Thanh Hóa"), _may_be_mojibake("Thanh HÃ³a")
    (False, True)
    """
    return "Ã" in text or "Ä" in text or "Å" in text or "Æ" in text or "º" in text or "»" in text or "€" in text


def _repair_mojibake(text: str) -> tuple[str, list[str]]:
    """Undo UTF-8 read as Windows-1252/Latin-1 with ftfy: the whole text at once, or else line by line.

    A repair is kept only when it yields more valid Vietnamese syllables: an upper-case
    ``XÃ”`` (commune, closing quote) looks like mojibake of ``XÔ`` but is not (in a text
    that is partly mojibake, ftfy may still take it for some). Mojibake that stays, or
    whose bytes were lost (U+FFFD), makes the file undecodable.

    >>> _repair_mojibake("CÃ´ng an tá»‰nh Thanh HÃ³a")
    ('Công an tỉnh Thanh Hóa', ['mojibake-repaired: UTF-8 read as Windows-1252 repaired (ftfy)'])
    >>> _repair_mojibake("Thanh Hóa\\nCông an tá»‰nh")[1]
    ['mojibake-repaired: UTF-8 read as Windows-1252 in parts of the text repaired (ftfy)']
    >>> _repair_mojibake("“CÔNG AN XÃ”")
    ('“CÔNG AN XÃ”', [])
    """
    fixed, read_as, partly = _ftfy(text)
    lines = fixed.split("\n")
    if any(_MOJIBAKE.search(line) for line in lines):  # not all repaired at once: one line at a time
        lines, read_as, partly = text.split("\n"), [], True
        for index, line in enumerate(lines):
            if _MOJIBAKE.search(line):
                lines[index], line_read_as, _ = _ftfy(line)
                read_as += line_read_as
    if not read_as:
        return text, []
    for number, line in enumerate(lines, 1):
        if "\ufffd" in line or _MOJIBAKE.search(line):
            problem = "lost bytes on the way" if "\ufffd" in line else "cannot be repaired"
            raise DecodeError(
                f"the file is mojibake (UTF-8 read as Windows-1252 and saved again) that {problem} "
                f"(line {number}): it cannot be decoded back to the original text",
                "get the article again from its source and save it as UTF-8",
                number,
            )
    # one entry however many encodings the lines had been read as: "Windows-1252 and Latin-1"
    names, where = " and ".join(dict.fromkeys(read_as)), " in parts of the text" if partly else ""
    return "\n".join(lines), [repair("mojibake-repaired", f"UTF-8 read as {names}{where} repaired (ftfy)")]


def _ftfy(text: str) -> tuple[str, list[str], bool]:
    """ftfy's encoding fixes and nothing else: quotes, ligatures, widths, HTML, controls, line ends stay.

    Returns the text, the encodings it had been read as, and whether only parts of it were.
    """
    import ftfy  # imported only when needed: it takes ~60 ms

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_c1_controls=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
        max_decode_length=max(len(text) + 1, 1_000_000),
    )
    fixed, steps = ftfy.fix_and_explain(text, config)
    if count_syllables(fixed)[0] <= count_syllables(text)[0]:
        return text, [], False
    read_as = [_FTFY_ENCODINGS.get(name, name) for action, name in steps or [] if action == "encode"]
    partly = any(name == "decode_inconsistent_utf8" for _, name in steps or [])
    return fixed, read_as or ["Windows-1252"], partly


# --- Legacy Vietnamese encodings ----------------------------------------------------

# A reading is trusted when at least this many words written with non-ASCII letters
# are valid syllables, and they are at least this share of such words. Correct
# readings of the raw articles score 99-100%, wrong ones at most 50%; fewer than five
# Vietnamese words are too little to tell an encoding from random bytes.
MIN_SYLLABLES = 5
MIN_SHARE = 0.8
_LEGACY = ("windows-1258", "tcvn3", "viscii", "vni-windows")
_LEGACY_NAMES = "Windows-1258, TCVN3, VISCII or VNI-Windows"


_SAMPLE_BYTES, _SAMPLE_WORDS = 3000, 100  # enough words with diacritics to tell the readings apart


def _read_legacy(data: bytes, bad: int) -> Decoded:
    """The legacy encoding whose reading has the most valid Vietnamese syllables.

    ``bad`` is the position of the first byte that is not UTF-8.

    >>> decoded = decode(b"C\\xf4ng an ti\\xd2nh t\\xf4\\xd2 ch\\xfd\\xecc h\\xf4\\xf2i nghi\\xf2 (Windows-1258)")
    >>> decoded.text, decoded.encoding
    ('Công an tỉnh tổ chức hội nghị (Windows-1258)', 'windows-1258')
    >>> decoded.repairs
    ['decoded-legacy: windows-1258 (chosen by Vietnamese syllables)', 'unicode-nfc: combining tone marks composed']
    """
    line = _line_at(data, bad)
    # Counting syllables is the slow part: a sample of each reading usually settles it,
    # and only the chosen reading is then decoded whole.
    scores, raw = _scores(data[:_SAMPLE_BYTES]), None
    if len(data) <= _SAMPLE_BYTES or max(words for _, words in scores.values()) >= _SAMPLE_WORDS:
        encoding = _best(scores)
        with contextlib.suppress(UnicodeDecodeError):  # a byte the encoding lacks beyond the sample
            raw = _read_as(data, encoding)
    if raw is None:  # the sample did not settle it: judge the whole file
        scores = _scores(data)
        encoding = _best(scores)
        raw = _read_as(data, encoding)
    text, (valid, words) = unicodedata.normalize("NFC", raw), scores[encoding]
    if valid < MIN_SYLLABLES or valid < MIN_SHARE * words:
        raise DecodeError(
            f"the file is not valid UTF-8 (byte 0x{data[bad]:02x} on line {line}) and does not read as "
            f"Vietnamese in {_LEGACY_NAMES} either: it cannot be decoded",
            _SAVE_AS_UTF8,
            line,
        )
    repairs = [repair("decoded-legacy", f"{encoding} (chosen by Vietnamese syllables)")]
    if text != raw:
        repairs.append(repair("unicode-nfc", "combining tone marks composed"))
    return Decoded(text, encoding, repairs)


def _scores(data: bytes) -> dict[str, tuple[int, int]]:
    """(valid syllables, words) of ``data`` read in each legacy encoding that can read it."""
    scores = {}
    for encoding in _LEGACY:
        try:
            scores[encoding] = count_syllables(unicodedata.normalize("NFC", _read_as(data, encoding)))
        except UnicodeDecodeError:
            continue
    return scores


def _best(scores: dict[str, tuple[int, int]]) -> str:
    """The encoding with the most valid syllables (ties: the earlier in ``_LEGACY``)."""
    return max(scores, key=lambda name: scores[name][0])


def _read_as(data: bytes, encoding: str) -> str:
    if encoding == "windows-1258":
        return data.decode("cp1258")
    if encoding == "vni-windows":  # VNI fonts keep Windows-1252's punctuation at 0x80-0x9F
        pattern, letters = _vni()
        return pattern.sub(lambda match: letters[match.group()], data.decode("latin-1").translate(_CP1252_C1))
    return codecs.charmap_decode(data, "strict", _table(encoding))[0]


# Windows-1252's characters at 0x80-0x9F (quotes, dashes, …), for the bytes read as Latin-1 C1 controls.
_CP1252_C1 = {
    byte: bytes([byte]).decode("cp1252") for byte in range(0x80, 0xA0) if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


@cache
def _table(encoding: str) -> str:
    """The characters the bytes 0x00-0xFF stand for, from ``data/<encoding>.txt``.

    >>> _table("tcvn3")[0xAE], _table("viscii")[0xF0]
    ('đ', 'đ')
    """
    table = {}
    for line in (DATA_DIR / f"{encoding}.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            table[int(fields[0], 16)] = chr(int(fields[1], 16))
    return "".join(table[byte] for byte in range(256))


@cache
def _vni() -> tuple[re.Pattern[str], dict[str, str]]:
    """VNI-Windows as a pattern of byte sequences (read as Latin-1 characters) and the letter each
    stands for, from ``data/vni-windows.txt`` (its header names the source).

    VNI writes a marked vowel as the base letter and one byte for its marks ("aù" á,
    "aâ" â, "aá" ấ, "aê" ă, "aé" ắ), and ơ ư đ, i with a tone and ỵ as single bytes.

    >>> pattern, letters = _vni()
    >>> pattern.sub(lambda m: letters[m.group()], "Coâng an tænh Thanh Hoùa, Ñaïi uùy")
    'Công an tỉnh Thanh Hóa, Đại úy'
    """
    letters = {}
    for line in (DATA_DIR / "vni-windows.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split("\t")
        if len(fields) >= 2:
            letters[bytes.fromhex(fields[0]).decode("latin-1")] = chr(int(fields[1], 16))
    pattern = re.compile("|".join(sorted(map(re.escape, letters), key=len, reverse=True)))
    return pattern, letters


# --- Vietnamese syllables -----------------------------------------------------------

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_NO_TONES = str.maketrans("", "", _TONE_MARKS)
_ONSETS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu", *"bcdđghklmnprstvx", "")
# Every rhyme (medial, vowel nucleus, final) of standard Vietnamese spelling, without tone.
_RHYME_TABLE = """
    a ac ach ai am an ang anh ao ap at au ay   ă ăc ăm ăn ăng ăp ăt   â âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et   ê êch êm ên ênh êp êt êu   i ia ich im in inh ip it iu
    iêc iêm iên iêng iêp iêt iêu   o oc oi om on ong ooc oong op ot   ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt   u ua uc ui um un ung up ut   uôc uôi uôm uôn uông uôt   uơ
    ư ưa ưc ưi ưm ưn ưng ưt ưu   ươc ươi ươm ươn ương ươp ươt ươu   y yêm yên yêng yêt yêu
    oa oac oach oai oam oan oang oanh oap oat oay   oăc oăm oăn oăng oăt   oe oen oeo oet
    uân uâng uât uây   uê uêch uênh   uy uya uych uyên uyêt uyn uynh uyp uyt uyu
"""
_RHYMES = frozenset(_RHYME_TABLE.split())


@lru_cache(maxsize=1 << 16)
def is_syllable(word: str) -> bool:
    """Whether ``word`` is spelled as one Vietnamese syllable: onset + rhyme + at most one tone mark.

    Also checks that k/gh/ngh stand only before i, e, ê, y and that a syllable ending
    in c, ch, p or t carries sắc or nặng. Upper and lower case alike; abbreviations,
    foreign words and mojibake are not syllables.

    >>> [is_syllable(w) for w in ("Nguyễn", "nghiêng", "quốc", "Quỳnh", "khuya", "thuở", "gì", "được", "ĐẠI")]
    [True, True, True, True, True, True, True, True, True]
    >>> [is_syllable(w) for w in ("hóà", "hòc", "ka", "UBND", "Coâng", "tænh", "Ä‘ua", "®¹i")]
    [False, False, False, False, False, False, False, False]
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [mark for mark in decomposed if mark in _TONE_MARKS]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", decomposed.translate(_NO_TONES))
    if tones and tones[0] not in "\u0301\u0323" and bare.endswith(("c", "ch", "p", "t")):
        return False
    for onset in _ONSETS:
        if not bare.startswith(onset):
            continue
        rhyme = bare[len(onset) :]
        if onset in ("k", "gh", "ngh") and not rhyme.startswith(("i", "e", "ê", "y")):
            continue
        # after qu the u is the medial: qua = q + oa, quân = q + uân, quỳnh = q + uynh
        if rhyme in _RHYMES or (onset == "qu" and ("o" + rhyme in _RHYMES or "u" + rhyme in _RHYMES)):
            return True
    return False


_WORD = re.compile(r"[^\s\-/–—]+")
_EDGE_PUNCTUATION = "\"'()[]{}<>.,;:!?“”‘’«»…*•"


def count_syllables(text: str) -> tuple[int, int]:
    """(valid syllables, words) among the words of ``text`` written with a non-ASCII letter.

    Words without one read the same in every encoding, so they are not counted.

    >>> count_syllables("Đại tá Trần Phú Hà, Giám đốc Công an tỉnh (UBND) – TP.HCM")
    (9, 9)
    >>> count_syllables("Ä\u2018áº¡i tÃ¡ Tráº§n")
    (0, 3)
    """
    valid = words = 0
    for word in _WORD.findall(text):
        word = word.strip(_EDGE_PUNCTUATION)
        if not word.isascii():
            words += 1
            valid += is_syllable(word)
    return valid, words
