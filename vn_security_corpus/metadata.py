"""Metadata from an article's text: its date at its real precision, and its authors.

>>> header_date("2020-06")
ArticleDate(date='2020-06', precision='month', source='header')
>>> split_byline("Thùy Dương - Anh Tấn")
['Thùy Dương', 'Anh Tấn']
>>> split_byline("Các đại biểu tham dự hội nghị.") is None
True
"""

from __future__ import annotations

import re
from typing import NamedTuple

_PRECISIONS = {1: "year", 2: "month", 3: "day"}

# Separators between authors in a byline: a dash with spaces, a comma, "và" (and).
_BYLINE_SEPARATOR = re.compile(r"\s+[-–—]\s+|\s*[,;&/]\s*|\s+và\s+")
_NOT_AUTHORS = {"Theo", "Nguồn", "Ảnh", "Video", "Tin", "Bài"}
_MAX_BYLINE_CHARS = 80
_MAX_NAME_WORDS = 5


class ArticleDate(NamedTuple):
    """An article's date: ISO text at its precision, and where it was found."""

    date: str | None
    precision: str | None
    source: str | None


UNKNOWN_DATE = ArticleDate(None, None, None)


def header_date(value: str | None) -> ArticleDate:
    """The date given in the raw header (already validated as YYYY[-MM[-DD]]).

    >>> header_date(None)
    ArticleDate(date=None, precision=None, source=None)
    """
    if not value:
        return UNKNOWN_DATE
    return ArticleDate(value, _PRECISIONS[value.count("-") + 1], "header")


def split_byline(line: str) -> list[str] | None:
    """The author names of a byline, or None when ``line`` is not a byline.

    A byline is short, has no digits or sentence punctuation, and consists of
    capitalised personal names joined by `` - ``, ``,`` or ``và``.

    >>> split_byline("Đình Hợp"), split_byline("Lê Hà, Minh Anh và Quốc Hùng")
    (['Đình Hợp'], ['Lê Hà', 'Minh Anh', 'Quốc Hùng'])
    """
    line = " ".join(line.split())
    if not line or len(line) > _MAX_BYLINE_CHARS:
        return None
    names = [name for name in _BYLINE_SEPARATOR.split(line) if name]
    for name in names:
        words = name.split()
        if len(words) > _MAX_NAME_WORDS or not all(map(_is_name_word, words)):
            return None
    if not names or names[0].split()[0] in _NOT_AUTHORS:
        return None
    return names


def _is_name_word(word: str) -> bool:
    """A capitalised word of letters only: "Dương", not "dương", "DƯƠNG" or "19".

    >>> _is_name_word("Dương"), _is_name_word("DƯƠNG")
    (True, False)
    """
    return word.isalpha() and word[0].isupper() and (len(word) == 1 or word[1:].islower())
