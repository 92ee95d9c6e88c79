"""Text normalisation: Unicode NFC, invisible characters, spacing.

Every change is reported as a repair code so that provenance can record it.

>>> clean_paragraph("Công  an\\u00a0tỉnh\\u200b ")
('Công an tỉnh', ['removed: zero-width characters', 'spaces: odd spaces replaced', 'spaces: runs collapsed or trimmed'])
>>> clean_paragraph("Hà Tĩnh")
('Hà Tĩnh', [])
"""

from __future__ import annotations

import re
import unicodedata

# Characters that take no room and carry no letter: zero-width space/joiners,
# word joiner, byte order mark, soft hyphen.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# C0 and C1 controls (Unicode category Cc) other than tab and line ends.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidirectional controls (embeddings, overrides, isolates, marks): they can make text
# display differently from what it says, and Vietnamese never needs them.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Space separators other than the plain space, and tabs: become one space.
_ODD_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

_REMOVALS = (
    ("removed: zero-width characters", re.compile(f"[{_ZERO_WIDTH}]")),
    ("removed: control characters", re.compile(f"[{_CONTROLS}]")),
    ("removed: bidirectional control characters", re.compile(f"[{_BIDI_CONTROLS}]")),
)
_ODD_SPACE = re.compile(f"[{_ODD_SPACES}]")
_ODD_SPACE_TABLE = str.maketrans(dict.fromkeys(_ODD_SPACES, " "))


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
    if _ODD_SPACE.search(text):
        text = text.translate(_ODD_SPACE_TABLE)
        repairs.append("spaces: odd spaces replaced")
    collapsed = " ".join(text.split())
    if collapsed != text:
        text = collapsed
        repairs.append("spaces: runs collapsed or trimmed")
    return text, repairs
