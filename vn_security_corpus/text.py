"""Text normalisation: Unicode NFC, invisible characters, spacing, Vietnamese tone marks.

Every change is reported as a repair code so that provenance can record it.

>>> clean_paragraph("Công  an\\u00a0tỉnh\\u200b ")
('Công an tỉnh', ['removed: zero-width characters', 'spaces: odd spaces replaced', 'spaces: runs collapsed or trimmed'])
>>> clean_paragraph("Hà Tĩnh")
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
from pathlib import Path
from typing import Literal

# Characters that take no room and carry no letter: zero-width space/joiners,
# word joiner, byte order mark, soft hyphen.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# C0 and C1 controls (Unicode category Cc) other than tab and line ends.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Space separators other than the plain space, and tabs: become one space.
_ODD_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

_REMOVALS = (
    ("removed: zero-width characters", re.compile(f"[{_ZERO_WIDTH}]")),
    ("removed: control characters", re.compile(f"[{_CONTROLS}]")),
)
_ODD_SPACE = re.compile(f"[{_ODD_SPACES}]")
_ODD_SPACE_TABLE = str.maketrans(dict.fromkeys(_ODD_SPACES, " "))
# Icelandic eth, used in place of the Vietnamese capital D with stroke.
_ETH, _D_STROKE = "\u00d0", "\u0110"

ToneStyle = Literal["traditional", "new"]
TONE_STYLES: tuple[ToneStyle, ...] = ("traditional", "new")
# The tone-mark styles differ only on the open syllables oa, oe, uy (hòa/hoà, khỏe/khoẻ,
# thủy/thuỷ): a vowel pair at the end of a word, after a plain onset (not qu/gi).
_TONE_PAIR = re.compile(r"(?i)[oòóỏõọuùúủũụ][aàáảãạeèéẻẽẹyỳýỷỹỵ](?![^\W\d_])")
_PAIRS = {("o", "a"), ("o", "e"), ("u", "y")}
_ONSETS = frozenset("b c ch d đ g gh h k kh l m n ng ngh nh p ph r s t th tr v x".split()) | {""}
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def clean_paragraph(text: str) -> tuple[str, list[str]]:
    """One paragraph, cleaned: invisible and control characters removed, NFC, single spaces.

    Returns the text and the repairs made (empty when nothing changed). Line
    breaks inside the paragraph become spaces.
    """
    repairs = []
    for code, pattern in _REMOVALS:
        if pattern.search(text):
            text = pattern.sub("", text)
            repairs.append(code)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        repairs.append("unicode: NFC")
    if _ETH in text:
        text = text.replace(_ETH, _D_STROKE)
        repairs.append("letters: Ð (U+00D0) → Đ")
    if _ODD_SPACE.search(text):
        text = text.translate(_ODD_SPACE_TABLE)
        repairs.append("spaces: odd spaces replaced")
    collapsed = " ".join(text.split())
    if collapsed != text:
        text = collapsed
        repairs.append("spaces: runs collapsed or trimmed")
    return text, repairs


def to_tone_style(text: str, style: ToneStyle) -> str:
    """``text`` with the open syllables oa, oe, uy written in tone-mark ``style``.

    ``traditional`` puts the mark on the first vowel (hòa, khỏe, thủy, Đại úy), ``new``
    on the second (hoà, khoẻ, thuỷ, Đại uý). Nothing else changes: closed syllables
    (hoàng, thuyền), qu/gi onsets (quý, già) and three-vowel clusters (ngoài, khuya)
    are the same in both. Expects NFC text.

    >>> to_tone_style("HÒA BÌNH, Hoà Bình, Đại uý", "traditional")
    'HÒA BÌNH, Hòa Bình, Đại úy'
    """
    if style not in TONE_STYLES:
        raise ValueError(f"tone style {style!r}: choose {' or '.join(TONE_STYLES)}")
    return _TONE_PAIR.sub(functools.partial(_restyle_pair, second=style == "new"), text)


def _restyle_pair(match: re.Match[str], *, second: bool) -> str:
    pair = match.group()
    first_letters, second_letters = unicodedata.normalize("NFD", pair[0]), unicodedata.normalize("NFD", pair[1])
    tone = first_letters[1:] + second_letters[1:]
    if (first_letters[0].lower(), second_letters[0].lower()) not in _PAIRS or len(tone) != 1:
        return pair
    start = match.start()
    while start > 0 and (match.string[start - 1].isalpha() or match.string[start - 1] in _TONE_MARKS):
        start -= 1
    if match.string[start : match.start()].lower() not in _ONSETS:
        return pair
    if second:
        return first_letters[0] + unicodedata.normalize("NFC", second_letters[0] + tone)
    return unicodedata.normalize("NFC", first_letters[0] + tone) + second_letters[0]


@functools.cache
def _abbreviations() -> tuple[re.Pattern[str], dict[str, str]]:
    path = Path(__file__).resolve().parent / "data" / "abbreviations.json"
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
