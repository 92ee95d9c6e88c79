"""The normalise stage: a valid raw record → a published article record.

>>> from vn_security_corpus.rawfile import parse_text
>>> raw = parse_text(" date 2020-06 Tiêu  đề\\n\\nĐoạn một.\\n\\nĐình Hợp\\n", "a.txt", "0" * 64, "utf-8")
>>> article = to_article(raw.record)
>>> article["id"], article["title"], article["authors"], article["date_precision"]
('vnsc-a467a9b015117ddd', 'Tiêu đề', ['Đình Hợp'], 'month')
>>> article["source"]["repairs"]
['spaces: runs collapsed or trimmed']
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .metadata import header_date, split_byline
from .text import clean_paragraph

ID_PREFIX = "vnsc-"


def make_id(title: str, text: str) -> str:
    """The record id: ``vnsc-`` and 16 hex digits of SHA-256 over the normalised title and text.

    >>> make_id("Tiêu đề", "Đoạn một.")
    'vnsc-a467a9b015117ddd'
    """
    digest = hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()
    return ID_PREFIX + digest[:16]


def to_article(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The article record for a raw record that satisfies raw_article.schema.json.

    Keys come in the order of article.schema.json; every change made to the
    text is appended to ``source.repairs``.
    """
    repairs: list[str] = list(raw["source"]["repairs"])
    title = _clean(raw["title"], repairs)
    lines = raw["paragraphs"] if "paragraphs" in raw else raw["body"].splitlines()
    paragraphs = [cleaned for line in lines if (cleaned := _clean(line, repairs))]
    byline = _clean(raw.get("byline") or "", repairs)
    text = "\n\n".join(paragraphs)
    date = header_date(raw.get("date"))
    return {
        "id": make_id(title, text),
        "title": title,
        "text": text,
        "date": date.date,
        "date_precision": date.precision,
        "date_source": date.source,
        "authors": (split_byline(byline) or [byline]) if byline else [],
        "province": None,
        "officials": [],
        "lang": "vi",
        "n_chars": len(text),
        "n_words": len(text.split()),
        "source": {**raw["source"], "repairs": list(dict.fromkeys(repairs))},
    }


def _clean(text: str, repairs: list[str]) -> str:
    cleaned, made = clean_paragraph(text)
    repairs.extend(made)
    return cleaned
