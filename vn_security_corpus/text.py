"""Text normalisation: Unicode NFC, invisible characters, spacing, Vietnamese tone marks.

Every change is reported as a repair entry (:func:`vn_security_corpus.repairs.repair`) so that
provenance can record it.

>>> clean_text("Công  an\\u00a0tỉnh\\u200b \\nHà Tĩnh")[0]
'Công an tỉnh\\nHà Tĩnh'
>>> from vn_security_corpus.repairs import repair_code
>>> [repair_code(entry) for entry in clean_text("Công  an\\u00a0tỉnh\\u200b \\nHà Tĩnh")[1]]
['invisible-removed', 'odd-spaces', 'spaces-collapsed']
>>> clean_text("Hà Tĩnh")
('Hà Tĩnh', [])
>>> to_tone_style("Thủy, hòa, khỏe; quý, hoàng, thuyền", "new")
'Thuỷ, hoà, khoẻ; quý, hoàng, thuyền'
>>> expand_abbreviations("bảo đảm ANTT, QP - AN")
'bảo đảm an ninh trật tự, quốc phòng – an ninh'
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from .errors import ConfigError
from .package_data import package_file
from .repairs import repair

# Characters that take no room and carry no letter: zero-width space/joiners,
# word joiner, byte order mark, soft hyphen.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# C0 and C1 controls (Unicode category Cc) other than tab and line ends.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidirectional controls (embeddings, overrides, isolates, marks): they can make text
# display differently from what it says, and Vietnamese never needs them.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Space separators other than the plain space, tabs, and the Unicode line/paragraph
# separators: each becomes one space.
_ODD_SPACES = "\t\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_REMOVALS = (
    (repair("invisible-removed", "zero-width characters removed"), re.compile(f"[{_ZERO_WIDTH}]")),
    (repair("controls-removed", "control characters removed"), re.compile(f"[{_CONTROLS}]")),
    (repair("bidi-controls-removed", "bidirectional control characters removed"), re.compile(f"[{_BIDI_CONTROLS}]")),
)
_ODD_SPACE = re.compile(f"[{_ODD_SPACES}]")
# Icelandic eth, used in place of the Vietnamese capital D with stroke.
_ETH, _D_STROKE = "\u00d0", "\u0110"
_CRLF, _CR = repair("line-ends-crlf", "CRLF → LF"), repair("line-ends-cr", "CR → LF")
_NFC = repair("unicode-nfc", "composed to NFC")
_D_BAR = repair("letter-d-bar", "Ð (U+00D0) → Đ")
_SPACES = repair("odd-spaces", "odd spaces and tabs turned into spaces")
_COLLAPSED = repair("spaces-collapsed", "runs of spaces collapsed or trimmed")
# Any character that one of the repairs above acts on: one scan tells whether to look closer.
_SUSPECT = re.compile(f"[\r{_ZERO_WIDTH}{_CONTROLS}{_BIDI_CONTROLS}{_ODD_SPACES}{_ETH}]")

ToneStyle = Literal["traditional", "new"]
TONE_STYLES: tuple[ToneStyle, ...] = ("traditional", "new")
# The tone-mark styles differ only on the open syllables oa, oe, uy (hòa/hoà, khỏe/khoẻ,
# thủy/thuỷ): that vowel pair ending a word, after a plain onset (not qu or gi). Each
# pattern finds the pairs written in the other style, so plain text costs one scan.
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
# (A pattern led by two character classes is scanned several times faster by `re` than an
# alternation; the look-behind then keeps only the pairs oa, oe, uy: no "quá", no "của".)
_TONE_PAIRS: dict[ToneStyle, re.Pattern[str]] = {
    "traditional": re.compile(
        "[oOuU][àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ](?<=[oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]|[uU][ỳýỷỹỵỲÝỶỸỴ])" + _NOT_LETTER_AFTER
    ),
    "new": re.compile("[òóỏõọùúủũụÒÓỎÕỌÙÚỦŨỤ][aeyAEY](?<=[òóỏõọÒÓỎÕỌ][aeAE]|[ùúủũụÙÚỦŨỤ][yY])" + _NOT_LETTER_AFTER),
}
_ONSETS = frozenset("b c ch d đ g gh h k kh l m n ng ngh nh p ph r s t th tr v x".split()) | {""}


def clean_text(text: str) -> tuple[str, list[str]]:
    """Text cleaned line by line: invisible and control characters removed, NFC, ``Ð`` → ``Đ``,
    single spaces, no spaces at line ends. Line breaks are kept (CRLF and CR become LF).

    Returns the text and the repairs made (empty when nothing changed).
    """
    repairs, removed = [], []
    suspect = _SUSPECT.search(text) is not None
    # Removed characters first: a control character inside a CRLF (`\r\x00\n`) leaves one line end.
    for entry, pattern in _REMOVALS if suspect else ():
        if pattern.search(text):
            text = pattern.sub("", text)
            removed.append(entry)
    if suspect and "\r" in text:
        repairs += line_end_repairs(text)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    repairs += removed
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        repairs.append(_NFC)
    if suspect and _ETH in text:
        text = text.replace(_ETH, _D_STROKE)
        repairs.append(_D_BAR)
    if suspect and _ODD_SPACE.search(text):
        text = _ODD_SPACE.sub(" ", text)
        repairs.append(_SPACES)
    if "  " in text or " \n" in text or "\n " in text or text.startswith(" ") or text.endswith(" "):
        text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
        repairs.append(_COLLAPSED)
    return text, repairs


def line_end_repairs(text: str) -> list[str]:
    """The repairs that turning ``text``'s CRLF and CR line ends into LF makes (each kind once).

    >>> line_end_repairs("a\\r\\nb\\rc"), line_end_repairs("a\\nb")
    (['line-ends-crlf: CRLF → LF', 'line-ends-cr: CR → LF'], [])
    """
    carriage_returns = text.count("\r")
    if not carriage_returns:
        return []
    crlf = text.count("\r\n")
    return ([_CRLF] if crlf else []) + ([_CR] if carriage_returns > crlf else [])


def to_tone_style(text: str, style: ToneStyle) -> str:
    """``text`` with the open syllables oa, oe, uy written in tone-mark ``style``.

    ``traditional`` puts the mark on the first vowel (hòa, khỏe, thủy, Đại úy), ``new``
    on the second (hoà, khoẻ, thuỷ, Đại uý). Nothing else changes: closed syllables
    (hoàng, thuyền), qu/gi onsets (quý, già) and three-vowel clusters (ngoài, khuya)
    are the same in both. Expects NFC text.

    >>> to_tone_style("HÒA BÌNH, Hoà Bình, Đại uý", "traditional")
    'HÒA BÌNH, Hòa Bình, Đại úy'
    """
    return _TONE_PAIRS[check_tone_style(style)].sub(_move_tone, text)


def check_tone_style(style: object) -> ToneStyle:
    """``style`` if it is a tone-mark style; :class:`ConfigError` otherwise.

    >>> check_tone_style("modern")
    Traceback (most recent call last):
    vn_security_corpus.errors.ConfigError: tone style 'modern': choose traditional or new
    """
    if style not in TONE_STYLES:
        raise ConfigError(f"tone style {style!r}: choose {' or '.join(TONE_STYLES)}")
    return style


def _move_tone(match: re.Match[str]) -> str:
    """The matched vowel pair with its tone mark moved to the other vowel, when what comes
    before it in the word is a plain onset (``quý``, ``gìa`` stay as they are)."""
    pair, start = match.group(), match.start()
    while start > 0 and match.string[start - 1].isalpha():
        start -= 1
    if match.string[start : match.start()].lower() not in _ONSETS:
        return pair
    first, second = unicodedata.normalize("NFD", pair[0]), unicodedata.normalize("NFD", pair[1])
    # exactly one of the two carries the tone mark: swap the marks
    return unicodedata.normalize("NFC", first[0] + second[1:]) + unicodedata.normalize("NFC", second[0] + first[1:])


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, factored as a trie.

    Python's ``re`` tries alternatives one by one; sharing prefixes makes a search
    for a hundred names cost about as much as one.

    >>> trie_pattern(["Hà Nam", "Hà Nội", "Huế", "Hà"])
    'H(?:uế|à(?:\\\\ N(?:am|ội))?)'
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie_node(trie)


_Trie = dict[str, "_Trie"]


def _trie_node(node: _Trie) -> str:
    branches = [re.escape(char) + _trie_node(child) for char, child in sorted(node.items()) if char]
    optional = "?" if "" in node else ""
    if not branches:
        return ""
    if len(branches) > 1:
        return f"(?:{'|'.join(branches)}){optional}"
    if not optional or len(branches[0]) == 1:
        return branches[0] + optional
    return f"(?:{branches[0]})?"


@functools.cache
def _abbreviations() -> tuple[re.Pattern[str], dict[str, str]]:
    path = package_file("data", "abbreviations.json")
    expansions: dict[str, str] = {}
    alternatives = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["abbreviations"]:
        for form in (entry["abbreviation"], *entry["variants"]):
            expansions[form.replace("-", "")] = entry["expansion"]
            alternatives.append(r"\s*[-–]\s*".join(map(re.escape, form.split("-"))))
    alternatives.sort(key=len, reverse=True)
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(alternatives)})(?![^\W_])"), expansions


def expand_abbreviations(text: str) -> str:
    """``text`` with the field's abbreviations (data/abbreviations.json) written out.

    A hyphenated abbreviation also matches with spaced dashes (QP - AN, KT – XH).
    Published records keep abbreviations as written; this is for users who want them
    expanded.

    >>> expand_abbreviations("UBND tỉnh và CBCS; TP.HCM")
    'Ủy ban nhân dân tỉnh và cán bộ, chiến sĩ; TP.HCM'
    """
    pattern, expansions = _abbreviations()
    return pattern.sub(lambda match: expansions[re.sub(r"\s*[-–]\s*", "", match.group())], text)
