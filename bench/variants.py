"""Near-duplicate variants of generated articles, and control articles that must stay apart.

Syndicated Vietnamese news republishes one story with a changed title, a trimmed lead, another
byline, a sentence added or dropped, another tone-mark style or spacing. :func:`near_duplicate`
makes each of these edits to an article of ``bench/generate.py``; :func:`same_event` makes two
*different* reports of one event (the same date, place and officials, other paragraphs), the
control set a near-duplicate detector must keep apart. Used to choose the detector's threshold
(``bench/neardup.py``) and by the tests. The same arguments give the same articles.

>>> sources = load_sources()
>>> base = compose(sources, random.Random(1))
>>> [near_duplicate(base, kind, sources, random.Random(2)) != base for kind in VARIANT_KINDS]
[True, True, True, True, True, True, True]
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from bench.generate import Article, Sources, _author, _Filler, compose, load_sources  # noqa: F401 (doctests)

# Each kind of edit a republished copy may carry.
VARIANT_KINDS = ("title", "lead", "byline", "sentence_added", "sentence_dropped", "one_word", "tone_spacing")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ])")
_NEW_STYLE = {"hòa": "hoà", "Hòa": "Hoà", "thủy": "thuỷ", "Thủy": "Thuỷ", "úy": "uý", "khỏe": "khoẻ", "hóa": "hoá"}
_ADDED = (
    "Đây là hoạt động thường niên nhằm nâng cao hiệu quả công tác bảo đảm an ninh trật tự trên địa bàn.",
    "Hội nghị cũng đã nghe các đại biểu tham luận, chia sẻ kinh nghiệm trong công tác phối hợp.",
    "Theo báo cáo, lực lượng chức năng đã kịp thời phát hiện và xử lý nhiều vụ việc phức tạp.",
)
_WORD_SWAPS = (("tổ chức", "triển khai"), ("hội nghị", "hội thảo"), ("đảm bảo", "bảo đảm"), ("tỉnh", "địa phương"))


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut into sentences.

    >>> sentences("Sáng 19-6, Công an tỉnh họp. Đại tá Trần Phú Hà dự.")
    ['Sáng 19-6, Công an tỉnh họp.', 'Đại tá Trần Phú Hà dự.']
    """
    return _SENTENCE.split(paragraph)


def near_duplicate(article: Article, kind: str, sources: Sources, rng: random.Random) -> Article:
    """``article`` republished with one edit of ``kind`` (one of :data:`VARIANT_KINDS`)."""
    paragraphs = list(article.paragraphs)
    if kind == "title":  # another headline altogether, as an outlet writes its own
        title = _Filler(rng).fill(rng.choice(sources.titles))
        return replace(article, title=title if title != article.title else title + " (tin tổng hợp)")
    if kind == "lead":  # the opening paragraph cut to its first sentence, or its last words dropped
        first = sentences(paragraphs[0])
        words = paragraphs[0].split()
        paragraphs[0] = first[0] if len(first) > 1 else " ".join(words[: max(3, len(words) * 2 // 3)])
        return replace(article, paragraphs=paragraphs)
    if kind == "byline":  # another author, glued to the end of the last sentence as crawled pages have it
        paragraphs[-1] += " " + _author(rng)
        return replace(article, paragraphs=paragraphs, byline=None)
    if kind == "sentence_added":
        where = rng.randrange(1, len(paragraphs) + 1)
        paragraphs.insert(where, rng.choice(_ADDED))
        return replace(article, paragraphs=paragraphs)
    if kind == "sentence_dropped":
        long = [i for i, p in enumerate(paragraphs) if len(sentences(p)) > 1]
        if long:
            index = rng.choice(long)
            parts = sentences(paragraphs[index])
            del parts[rng.randrange(len(parts))]
            paragraphs[index] = " ".join(parts)
        elif len(paragraphs) > 1:
            del paragraphs[rng.randrange(1, len(paragraphs))]
        return replace(article, paragraphs=paragraphs)
    if kind == "one_word":
        for index in rng.sample(range(len(paragraphs)), len(paragraphs)):
            for old, new in _WORD_SWAPS:
                if old in paragraphs[index]:
                    paragraphs[index] = paragraphs[index].replace(old, new, 1)
                    return replace(article, paragraphs=paragraphs)
        paragraphs[-1] += " Tin cùng chuyên mục."
        return replace(article, paragraphs=paragraphs)
    if kind == "tone_spacing":  # the new tone-mark style, doubled spaces, and the last sentence dropped
        last = sentences(paragraphs[-1])
        if len(last) > 1:
            paragraphs[-1] = " ".join(last[:-1])
        elif len(paragraphs) > 1:
            del paragraphs[-1]
        restyled = [_restyle(p).replace(", ", ",  ") for p in paragraphs]
        return replace(article, title=_restyle(article.title), paragraphs=restyled)
    raise ValueError(f"unknown variant kind {kind!r}; choose one of {', '.join(VARIANT_KINDS)}")


def _restyle(text: str) -> str:
    for old, new in _NEW_STYLE.items():
        text = text.replace(old, new)
    return text


def same_event(sources: Sources, rng: random.Random) -> tuple[Article, Article]:
    """Two different reports of one event: the same date, province and officials (one filler),
    each with its own title, opening and body paragraphs (none shared)."""
    filler = _Filler(rng)
    openings = rng.sample(sources.openings, 2)
    body = list(range(len(sources.body)))
    rng.shuffle(body)
    reports = []
    for number, opening in enumerate(openings):
        paragraphs = [filler.fill(template) for template in opening]
        paragraphs += [filler.fill(sources.body[i]) for i in body[number::2][:6]]
        title = filler.fill(rng.choice(sources.titles))
        reports.append(Article(title, paragraphs, f"{filler.year}-{filler.month:02d}", _author(rng)))
    return reports[0], reports[1]


def variant_family(sources: Sources, seed: int, kinds: tuple[str, ...] = VARIANT_KINDS) -> list[Article]:
    """An article and one near-duplicate of it per kind of edit.

    >>> family = variant_family(load_sources(), 3)
    >>> len(family), len({a.title for a in family}) > 1
    (8, True)
    """
    rng = random.Random(seed)
    base = compose(sources, rng)
    return [base, *(near_duplicate(base, kind, sources, rng) for kind in kinds)]
