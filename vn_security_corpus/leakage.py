"""Leakage check: near-duplicate pairs across the splits of a release, or between a release and another corpus.

A model evaluated on a split that holds near-copies of its training articles is
evaluated on what it has seen. :func:`leakage` finds every pair of articles of a
release published in different splits whose exact Jaccard similarity (5-syllable
shingles, :mod:`vn_security_corpus.neardup`) reaches the release's threshold — none for a
release this library built, except articles listed as conflicts in its manifest — and,
with ``against``, every pair between the release and another corpus (a raw folder, or
another release): a contamination check before evaluating on either.

>>> report = check_leakage(open_release().path)     # the newest release shipped in the package
>>> report.pairs, report.articles
([], 5)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from . import neardup
from .errors import ConfigError
from .release import MANIFEST, Release, open_release, read_manifest, versions
from .text import ToneStyle


@dataclass(frozen=True)
class Leak:
    """Two near-duplicate articles: ``first`` of the release (its id and split), ``second`` of the
    release (another split) or of the other corpus (an id, or ``file`` / ``file:line`` of a raw input)."""

    first: str
    first_split: str
    second: str
    second_split: str | None
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "first": self.first,
            "first_split": self.first_split,
            "second": self.second,
            "second_split": self.second_split,
            "similarity": round(self.similarity, 4),
        }


@dataclass
class LeakageReport:
    """The pairs found: across the release's splits, and with the other corpus when one was given."""

    release: str
    threshold: float
    articles: int
    against: str | None = None
    against_articles: int = 0
    pairs: list[Leak] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``vn-security-corpus leakage --json``)."""
        return {
            "release": self.release,
            "threshold": self.threshold,
            "articles": self.articles,
            "against": self.against,
            "against_articles": self.against_articles,
            "leaks": len(self.pairs),
            "pairs": [pair.to_dict() for pair in self.pairs],
        }


@dataclass
class _Corpus:
    """Articles to compare: a name and split for each, and a way to read their title and text again."""

    names: list[str]
    splits: list[str | None]
    texts: list[tuple[str, str]]
    tone_style: ToneStyle


def check_leakage(
    release: str | PathLike[str],
    against: str | PathLike[str] | None = None,
    *,
    threshold: float | None = None,
) -> LeakageReport:
    """Near-duplicate pairs across the splits of ``release`` (a release folder) and, with ``against``
    (a raw folder, a release folder or a folder of releases: its newest), between the two.
    ``threshold`` defaults to the release's own (its manifest's ``near_duplicate_threshold``)."""
    path = Path(release)
    manifest = read_manifest(path)
    limit = threshold if threshold is not None else manifest.data["settings"].get("near_duplicate_threshold")
    limit = float(limit if limit is not None else neardup.THRESHOLD)
    if not 0 < limit <= 1:
        raise ConfigError(f"threshold must be in (0, 1], not {limit}")
    mine = _release_corpus(open_release(path.name, path.parent))
    report = LeakageReport(str(path), limit, len(mine.names))
    other = _other_corpus(Path(against)) if against is not None else None
    sets: list[neardup.Hashes] = []
    for corpus in (mine, other) if other is not None else (mine,):  # each corpus's articles shingled at once
        titles, texts = [title for title, _ in corpus.texts], [text for _, text in corpus.texts]
        flat, offsets = neardup.shingle_sets(titles, texts, corpus.tone_style)
        sets += [flat[start:end] for start, end in itertools.pairwise(offsets.tolist())]
    sigs = neardup.signatures(sets)
    pairs = neardup.candidate_pairs(sigs, min_estimate=limit - neardup.ESTIMATE_MARGIN)
    count = len(mine.names)
    for first, second in pairs.tolist():
        if second < count and mine.splits[first] == mine.splits[second]:
            continue  # the same split of the release: not a leak
        if first >= count:
            continue  # both in the other corpus
        similarity = neardup.jaccard(sets[first], sets[second])
        if similarity < limit:
            continue
        if second < count:
            report.pairs.append(
                Leak(mine.names[first], str(mine.splits[first]), mine.names[second], mine.splits[second], similarity)
            )
        elif other is not None:
            index = second - count
            report.pairs.append(
                Leak(mine.names[first], str(mine.splits[first]), other.names[index], other.splits[index], similarity)
            )
    if other is not None:
        report.against, report.against_articles = str(against), len(other.names)
    report.pairs.sort(key=lambda leak: (leak.first, leak.second))
    return report


def _release_corpus(release: Release) -> _Corpus:
    names: list[str] = []
    splits: list[str | None] = []
    texts: list[tuple[str, str]] = []
    for split, files in release.split_files().items():
        for file in files:
            table = pq.read_table(file, columns=["id", "title", "text"])
            names += table.column("id").to_pylist()
            splits += [split] * table.num_rows
            texts += list(zip(table.column("title").to_pylist(), table.column("text").to_pylist(), strict=True))
    style: ToneStyle = "new" if release.manifest.tone_style == "new" else "traditional"
    return _Corpus(names, splits, texts, style)


def _other_corpus(path: Path) -> _Corpus:
    """Another corpus: a release folder, a folder of releases (its newest), or a raw folder."""
    if (path / MANIFEST).is_file():
        return _release_corpus(open_release(path.name, path.parent))
    if path.is_dir() and versions(path):
        return _release_corpus(open_release(root=path))
    if not path.is_dir():
        raise ConfigError(f"{path}: --against names no folder (a raw folder or a release)")
    from .formats import Rejected
    from .records import process_files
    from .sources import find_raw_files

    files, _ = find_raw_files(path)
    names: list[str] = []
    texts: list[tuple[str, str]] = []
    for result in process_files(files):
        if isinstance(result, Rejected):
            continue
        source = result["source"]
        names.append(source["file"] if source["line"] == 1 else f"{source['file']}:{source['line']}")
        texts.append((result["title"], result["text"]))
    return _Corpus(names, [None] * len(names), texts, "traditional")
