"""The normalise stage: a valid raw record → a published article record.

Text is cleaned (text.clean_paragraph), brought to the traditional tone-mark style
for the id and the metadata rules, then written in the release's tone style.

>>> from vn_security_corpus.formats import parse_text
>>> text = " date 2020-06 Tiêu  đề\\n\\nSáng 19-6, Đại tá Trần Phú Hà dự.\\n\\nĐình Hợp\\n"
>>> raw = parse_text(text, "a.txt", "0" * 64, "utf-8")
>>> article = to_article(raw.record)
>>> article["title"], article["date"], article["authors"], article["officials"]
('Tiêu đề', '2020-06-19', ['Đình Hợp'], [{'rank': 'Đại tá', 'name': 'Trần Phú Hà'}])
>>> article["source"]["repairs"], article["source"]["conflicts"]
(['spaces-collapsed: runs of spaces collapsed or trimmed'], [])
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .language import detect
from .metadata import article_date, find_officials, find_places, split_byline
from .pii import KINDS, count_personal_data, mask_personal_data
from .repairs import add_entries, repair
from .schema import date_range
from .text import ToneStyle, clean_text, to_tone_style

ID_PREFIX = "vnsc-"
CANONICAL_STYLE: ToneStyle = "traditional"
_JOINED = repair("line-breaks-joined", "line breaks inside a paragraph joined")
_TRADITIONAL = repair("tone-style-traditional")
_EMPTY_PARAGRAPHS = repair("empty-paragraphs-removed", "empty paragraphs removed")


def make_id(title: str, text: str) -> str:
    """The record id: ``vnsc-`` and 16 hex digits of SHA-256 over title and text in the
    traditional tone style, so the id (and the split) is the same whatever the release style.

    >>> make_id("Tiêu đề", "Đoạn một.")
    'vnsc-a467a9b015117ddd'
    """
    digest = hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()
    return ID_PREFIX + digest[:16]


def to_article(
    raw: Mapping[str, Any], *, tone_style: ToneStyle = CANONICAL_STYLE, mask_pii: bool = False
) -> dict[str, Any]:
    """The article record for a raw record that satisfies raw_article.schema.json.

    Keys come in the order of article.schema.json; every change made to the text
    is appended to ``source.repairs`` (a code once: a repair already made while reading,
    such as NFC after a legacy decoding, keeps its first entry), and a disagreement
    settled without changing the text (the header's date against the lead's) goes to
    ``source.conflicts``. Personal identifiers are counted in ``source.personal_data``;
    ``mask_pii`` replaces them in title and text with typed placeholders (the id, the split
    and the metadata are computed before, so they do not depend on it).
    """
    repairs: list[str] = list(raw["source"]["repairs"])
    parts = [
        raw["title"],
        raw.get("byline") or "",
        *(raw["paragraphs"] if "paragraphs" in raw else raw["body"].splitlines()),
    ]
    joined = "\n".join(parts)
    if joined.count("\n") >= len(parts) or "\r" in joined:  # a line break inside a part
        joined = "\n".join(" ".join(part.splitlines()) for part in parts)
        repairs.append(_JOINED)
    cleaned, made = clean_text(joined)  # one pass over the whole article
    add_entries(repairs, made)
    canonical = to_tone_style(cleaned, CANONICAL_STYLE)
    if canonical != cleaned:
        repairs.append(_TRADITIONAL)
    title, byline, *lines = canonical.split("\n")
    paragraphs = [line for line in lines if line]
    if len(paragraphs) < len(lines):  # blank, or only invisible characters
        repairs.append(_EMPTY_PARAGRAPHS)
    text = "\n\n".join(paragraphs)
    date, conflicts = article_date(raw.get("date"), paragraphs)
    places = find_places(title, text)
    whole = f"{title}\n\n{text}"
    record_id, officials = make_id(title, text), find_officials(whole)
    personal_data = dict.fromkeys(KINDS, 0) | count_personal_data(whole)
    if mask_pii and any(personal_data.values()):
        title, text = mask_personal_data(title), mask_personal_data(text)
    date_start, date_end = date_range(date.date)

    def styled(value: str) -> str:
        return value if tone_style == CANONICAL_STYLE else to_tone_style(value, tone_style)

    return {
        "id": record_id,
        "cluster_id": record_id,  # alone until the build's near-duplicate step finds its cluster
        "title": styled(title),
        "text": styled(text),
        "date": date.date,
        "date_precision": date.precision,
        "date_source": date.source,
        "date_start": date_start,
        "date_end": date_end,
        "authors": [styled(name) for name in (split_byline(byline) or [byline])] if byline else [],
        "province": places.province,
        "provinces": places.provinces,
        "province_2025": places.province_2025,
        "officials": [{key: styled(value) for key, value in official.items()} for official in officials],
        "lang": detect(title, text).code,
        "n_chars": len(text),
        "n_words": text.count(" ") + len(paragraphs),  # single-spaced paragraphs: = len(text.split())
        "source": {**raw["source"], "repairs": repairs, "conflicts": conflicts, "personal_data": personal_data},
    }
