"""Statistics of a release, for its card and plots: articles per split, per year, per province,
date precision, text length, officials by rank.

Computed from the written Parquet shards, one shard at a time and only the columns they need
(never ``text`` or ``title``): memory is bounded by one shard's small columns, whatever the
size of the corpus; each shard's counts are summed.

>>> from vn_security_corpus.release import open_release
>>> stats = release_statistics(open_release("1.0.0").path, open_release("1.0.0").manifest.data)
>>> stats.articles, sum(stats.splits.values()), sum(stats.precision.values())
(5, 5, 5)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNKNOWN = "unknown"
# Words per article: the bins of the length distribution (lower bounds).
WORD_BINS = (0, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000)
PRECISIONS = ("day", "month", "year", UNKNOWN)
_COLUMNS = ("date_start", "date", "date_precision", "province", "n_words", "n_chars", "officials", "authors")


@dataclass
class Statistics:
    """Counts over every record of a release."""

    splits: dict[str, int] = field(default_factory=dict)
    years: Counter[str] = field(default_factory=Counter)
    provinces: Counter[str] = field(default_factory=Counter)
    precision: Counter[str] = field(default_factory=Counter)
    words: Counter[int] = field(default_factory=Counter)  # n_words → articles (distinct lengths are few)
    chars: int = 0
    ranks: Counter[str] = field(default_factory=Counter)
    officials: int = 0  # officials named, all ranks
    articles_with_officials: int = 0
    articles_with_authors: int = 0

    @property
    def articles(self) -> int:
        """Records counted."""
        return sum(self.splits.values())

    def add(self, other: Statistics) -> None:
        """Add the counts of ``other`` (another shard's) to these."""
        for name, rows in other.splits.items():
            self.splits[name] = self.splits.get(name, 0) + rows
        self.years.update(other.years)
        self.provinces.update(other.provinces)
        self.precision.update(other.precision)
        self.words.update(other.words)
        self.chars += other.chars
        self.ranks.update(other.ranks)
        self.officials += other.officials
        self.articles_with_officials += other.articles_with_officials
        self.articles_with_authors += other.articles_with_authors

    def word_quantiles(self) -> dict[str, float]:
        """Min, quartiles, max and mean of the words per article.

        >>> Statistics({"train": 4}, words=Counter({10: 1, 20: 2, 40: 1})).word_quantiles()
        {'min': 10, 'q1': 10, 'median': 20, 'q3': 20, 'max': 40, 'mean': 22.5}
        """
        if not self.words:
            return {}
        lengths = sorted(self.words)
        ends = [0]
        for length in lengths:
            ends.append(ends[-1] + self.words[length])
        total = ends[-1]

        def at(fraction: float) -> int:  # the nearest-rank quantile
            rank = max(1, math.ceil(fraction * total))
            return lengths[bisect.bisect_left(ends, rank) - 1]

        mean = sum(length * count for length, count in self.words.items()) / total
        return {"min": lengths[0], "q1": at(0.25), "median": at(0.5), "q3": at(0.75), "max": lengths[-1], "mean": mean}

    def word_bins(self) -> list[tuple[str, int]]:
        """Articles per bin of :data:`WORD_BINS` words (``"100–199"``, …, ``"≥5000"``).

        >>> Statistics(words=Counter({150: 2, 6000: 1})).word_bins()[1:2], Statistics().word_bins()[-1]
        ([('100–199', 2)], ('≥5000', 0))
        """
        counts = [0] * len(WORD_BINS)
        for length, count in self.words.items():
            counts[bisect.bisect_right(WORD_BINS, length) - 1] += count
        labels = [f"{low}–{high - 1}" for low, high in itertools.pairwise(WORD_BINS)]
        labels.append(f"≥{WORD_BINS[-1]}")
        return list(zip(labels, counts, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (the order of each table: as shown in the card)."""
        return {
            "articles": self.articles,
            "splits": dict(self.splits),
            "years": dict(sorted_years(self.years)),
            "provinces": dict(self.provinces.most_common()),
            "date_precision": {name: self.precision.get(name, 0) for name in PRECISIONS},
            "words": {"quantiles": self.word_quantiles(), "bins": dict(self.word_bins())},
            "officials": {
                "total": self.officials,
                "articles": self.articles_with_officials,
                "by_rank": dict(self.ranks.most_common()),
            },
            "articles_with_authors": self.articles_with_authors,
        }


def sorted_years(years: Mapping[str, int]) -> list[tuple[str, int]]:
    """Years in order, ``unknown`` last.

    >>> sorted_years({"unknown": 1, "2021": 2, "2019": 3})
    [('2019', 3), ('2021', 2), ('unknown', 1)]
    """
    return sorted(years.items(), key=lambda item: (item[0] == UNKNOWN, item[0]))


def shard_statistics(path: Path, split: str) -> Statistics:
    """The statistics of one Parquet shard of ``split`` (reading only the columns they need)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    columns = [name for name in _COLUMNS if name in schema.names]
    table = pq.read_table(path, columns=columns)
    stats = Statistics({split: table.num_rows})
    if "date_start" in columns:  # typed dates (releases since they exist)
        stats.years.update(UNKNOWN if day is None else str(day.year) for day in table["date_start"].to_pylist())
    else:
        stats.years.update(UNKNOWN if date is None else date[:4] for date in table["date"].to_pylist())
    stats.provinces.update(name or UNKNOWN for name in table["province"].to_pylist())
    stats.precision.update(name or UNKNOWN for name in table["date_precision"].to_pylist())
    stats.words.update(table["n_words"].to_pylist())
    stats.chars = sum(table["n_chars"].to_pylist())
    for officials in table["officials"].to_pylist():
        stats.ranks.update(official["rank"] for official in officials)
        stats.officials += len(officials)
        stats.articles_with_officials += bool(officials)
    stats.articles_with_authors = sum(bool(authors) for authors in table["authors"].to_pylist())
    return stats


def release_statistics(release: Path, manifest: Mapping[str, Any]) -> Statistics:
    """The statistics of the release in folder ``release`` (``manifest``: its manifest), summed
    shard by shard."""
    total = Statistics()
    for split, info in manifest["splits"].items():
        total.splits.setdefault(split, 0)
        for name in info["files"]:
            total.add(shard_statistics(release / name, split))
    return total


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A Markdown table.

    >>> print(markdown_table(["a", "b"], [[1, "x|y"]]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)
