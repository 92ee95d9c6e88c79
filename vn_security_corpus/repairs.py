"""The registry of repairs and conflicts: stable codes, each with a one-line description.

Every change made to an article on its way from raw bytes to a published record is
recorded in ``source.repairs`` as one readable entry, ``"<code>: <detail>"``, made by
:func:`repair`; :func:`repair_code` gives the code back. Disagreements that the library
settles without changing the text (the header's date against the lead's) are recorded
the same way in ``source.conflicts``, made by :func:`conflict`. Codes are lower case and
hyphenated, and never change meaning: tools may count and filter by them, while the
detail after ``": "`` is for people and may be reworded.

A record carries each code at most once: a repair made twice on the way (NFC after a
legacy decoding, then again after invisible characters were removed) keeps its first
entry, so a code's count is the number of records that had that repair.

>>> repair("line-ends-crlf", "CRLF → LF")
'line-ends-crlf: CRLF → LF'
>>> repair("bom-utf8-removed")
'bom-utf8-removed: UTF-8 byte order mark removed'
>>> repair_code("line-ends-crlf: CRLF → LF")
'line-ends-crlf'
>>> conflict("date-header-lead", "the header says 2020-07 but the lead says 'Sáng 19-6'; kept the header")
"date-header-lead: the header says 2020-07 but the lead says 'Sáng 19-6'; kept the header"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["CONFLICTS", "REPAIRS", "add_entries", "conflict", "repair", "repair_code"]

# code → what it means (one line, shown in the dataset card), in the order the stages make them.
REPAIRS: Mapping[str, str] = {
    # decode.py: bytes → text
    "bom-utf8-removed": "UTF-8 byte order mark removed",
    "bom-utf16-removed": "UTF-16 byte order mark removed",
    "decoded-utf16-no-bom": "UTF-16 without byte order mark, the byte order chosen by where the NUL bytes are",
    "decoded-legacy": (
        "legacy encoding (Windows-1258, TCVN3, VISCII, VNI-Windows) chosen by the most valid Vietnamese syllables"
    ),
    "mojibake-repaired": "UTF-8 that had been read as Windows-1252 or Latin-1 and saved again, repaired (ftfy)",
    # formats.py (and text.py): line ends
    "line-ends-crlf": "Windows line ends (CRLF) turned into LF",
    "line-ends-cr": "old Mac line ends (CR) turned into LF",
    # formats.py (text.strip_markup): remnants of HTML and Markdown in crawled text
    "html-entities-decoded": "HTML character references (&ecirc;, &nbsp;, &#7871;) decoded into their characters",
    "html-tags-removed": "HTML tags and comments removed; a tag that ends a line (<p>, <br>, <div>) made a line break",
    "markdown-images-removed": "Markdown images (![alt](url)) removed",
    "markdown-links-unwrapped": "Markdown links ([text](url)) replaced by their text",
    "heading-underlines-removed": "lines of = or - under a heading, and rule lines of -, * or _, removed",
    "markdown-heading-marks-removed": "Markdown heading marks (# or ## before a heading) removed",
    "markdown-emphasis-removed": "Markdown bold and italic markers (**, __, *, _) around text removed",
    # formats.py: the end of an article (metadata.find_byline)
    "byline-unglued": "a byline glued to the end of the last sentence taken off it",
    "byline-trailer-removed": "a line after the byline that is not text (Theo …, (Tổng hợp), photo credits) removed",
    # text.py: characters and spacing
    "invisible-removed": "zero-width characters, soft hyphens and stray byte order marks removed",
    "controls-removed": "control characters (other than tab and line ends) removed",
    "bidi-controls-removed": "Unicode bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) removed",
    "unicode-nfc": "text composed to Unicode NFC (a letter and its combining marks made one character)",
    "letter-d-bar": "Ð (U+00D0, Icelandic eth) written for the Vietnamese Đ (U+0110) replaced by Đ",
    "odd-spaces": "no-break and other odd spaces, tabs and line or paragraph separators turned into spaces",
    "spaces-collapsed": "runs of spaces collapsed into one, spaces at the ends of lines removed",
    # normalise.py: the article
    "line-breaks-joined": "line breaks inside a paragraph joined with a space",
    "tone-style-traditional": (
        "oa/oe/uy syllables in the new tone style (hoà, thuỷ) rewritten in the traditional style (hòa, thủy)"
    ),
    "empty-paragraphs-removed": "paragraphs left empty (blank or only invisible characters) removed",
}

# code → what it means, for ``source.conflicts``: what disagreed and which side was kept.
CONFLICTS: Mapping[str, str] = {
    "date-header-lead": "the header's date and the date phrase opening the lead disagree; the header's date is kept",
}


def repair(code: str, detail: str = "") -> str:
    """The ``source.repairs`` entry of repair ``code``: ``"<code>: <detail or description>"``.

    An unknown code is a programming error (add it to :data:`REPAIRS` first):

    >>> repair("unicode-nfc", "combining tone marks composed")
    'unicode-nfc: combining tone marks composed'
    >>> repair("fixed-everything")
    Traceback (most recent call last):
    ValueError: unknown repair code 'fixed-everything': add it to REPAIRS in vn_security_corpus/repairs.py
    """
    return _entry(REPAIRS, "repair", code, detail)


def conflict(code: str, detail: str = "") -> str:
    """The ``source.conflicts`` entry of conflict ``code``: ``"<code>: <detail or description>"``.

    >>> conflict("date-header-lead")
    "date-header-lead: the header's date and the date phrase opening the lead disagree; the header's date is kept"
    >>> conflict("unicode-nfc")
    Traceback (most recent call last):
    ValueError: unknown conflict code 'unicode-nfc': add it to CONFLICTS in vn_security_corpus/repairs.py
    """
    return _entry(CONFLICTS, "conflict", code, detail)


def _entry(registry: Mapping[str, str], kind: str, code: str, detail: str) -> str:
    if code not in registry:
        name = "REPAIRS" if registry is REPAIRS else "CONFLICTS"
        raise ValueError(f"unknown {kind} code {code!r}: add it to {name} in vn_security_corpus/repairs.py")
    return f"{code}: {detail or registry[code]}"


def repair_code(entry: str) -> str:
    """The code of a ``source.repairs`` or ``source.conflicts`` entry (the part before ``": "``).

    Releases before 1.2.0 recorded free text; this gives its prefix (``line-ends``), which is
    no code of the registry.

    >>> repair_code("odd-spaces: no-break spaces"), repair_code("spaces-collapsed")
    ('odd-spaces', 'spaces-collapsed')
    """
    return entry.partition(": ")[0]


def add_entries(entries: list[str], new: Iterable[str]) -> None:
    """Append to ``entries`` each entry of ``new`` whose code ``entries`` does not hold yet: a
    record carries each code once, with the entry made first.

    >>> entries = ["unicode-nfc: combining tone marks composed"]
    >>> add_entries(entries, [repair("unicode-nfc"), repair("odd-spaces")])
    >>> [repair_code(entry) for entry in entries]
    ['unicode-nfc', 'odd-spaces']
    """
    for entry in new:
        code = repair_code(entry)
        if all(repair_code(old) != code for old in entries):
            entries.append(entry)
