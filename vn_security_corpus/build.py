"""The whole flow: raw folder → validated, normalised records → a published release.

>>> from pathlib import Path; import tempfile
>>> report = build(Path(__file__).parent.parent / "raw", Path(tempfile.mkdtemp()), "1.0.0")
>>> report.published, sum(report.splits.values())
(5, 5)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from . import schema
from .errors import ConfigError, InvalidInputError, Problem
from .normalise import CANONICAL_STYLE, to_article
from .publish import DEFAULT_SHARD_ROWS, check_version, publish
from .rawfile import RawArticle, RawFile, Rejected, find_raw_files, read_raw_file
from .split import DEFAULT_SPLITS, assign_split, check_splits
from .text import TONE_STYLES, ToneStyle

# Where, in the raw record, each field of the article record came from.
_RAW_POINTER = {"/title": "/title", "/text": "/paragraphs", "/date": "/date", "/authors": "/byline"}


@dataclass
class BuildReport:
    """What a build did: where it wrote, records per split, and what it rejected."""

    version: str
    path: Path
    splits: dict[str, int]
    inputs: int
    published: int
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    written: bool = True


def process(
    article: RawArticle | Rejected, display: str, *, tone_style: ToneStyle = CANONICAL_STYLE
) -> dict[str, Any] | Rejected:
    """One input through validation, normalisation (in ``tone_style``) and validation again.

    Returns the article record, or the input rejected with every problem.
    """
    if isinstance(article, Rejected):
        return article
    record = article.record
    source = record.get("source", {})

    def rejected(problems: list[Problem]) -> Rejected:
        return Rejected(source.get("file", display), source.get("line"), source.get("sha256", ""), problems)

    problems = schema.validate("raw_article", record, display, article.line_of)
    if problems:
        return rejected(problems)
    result = to_article(record, tone_style=tone_style)
    problems = schema.validate("article", result, display, lambda pointer: article.line_of(_raw_pointer(pointer)))
    return rejected(problems) if problems else result


def _raw_pointer(pointer: str) -> str:
    head = "/" + pointer.split("/")[1] if pointer else ""
    return _RAW_POINTER.get(head, "")


def process_files(
    files: Iterable[RawFile], *, tone_style: ToneStyle = CANONICAL_STYLE
) -> Iterator[dict[str, Any] | Rejected]:
    """Every input of ``files`` (an article per text file, an object per JSON item), processed."""
    for raw in files:
        for article in read_raw_file(raw):
            yield process(article, str(raw.path), tone_style=tone_style)


def build(
    raw_dir: str | PathLike[str],
    out_dir: str | PathLike[str],
    version: str,
    *,
    splits: Mapping[str, float] = DEFAULT_SPLITS,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    tone_style: ToneStyle = CANONICAL_STYLE,
) -> BuildReport:
    """Build release ``out_dir/version`` from the raw files in ``raw_dir``.

    ``tone_style`` is the tone-mark style of the release's text: ``traditional``
    (hòa, thủy, úy) or ``new`` (hoà, thuỷ, uý); ids and splits do not depend on it.
    Strict: if any input is invalid nothing is written and
    :class:`~vn_security_corpus.errors.InvalidInputError` lists every problem.
    """
    check_version(version)
    splits = check_splits(splits)
    if tone_style not in TONE_STYLES:
        raise ConfigError(f"tone style {tone_style!r}: choose {' or '.join(TONE_STYLES)}")
    if not Path(raw_dir).is_dir():
        raise ConfigError(f"{raw_dir}: the raw folder does not exist or is not a folder")
    files, notices = find_raw_files(Path(raw_dir))
    by_split: dict[str, list[dict[str, Any]]] = {name: [] for name in splits}
    rejected: list[Rejected] = []
    raw_sha256: dict[str, str] = {}
    for result in process_files(files, tone_style=tone_style):
        if isinstance(result, Rejected):
            rejected.append(result)
            raw_sha256[result.file] = result.sha256
        else:
            by_split[assign_split(result["id"], splits)].append(result)
            raw_sha256[result["source"]["file"]] = result["source"]["sha256"]
    if rejected:
        raise InvalidInputError(problem for item in rejected for problem in item.problems)
    published = sum(map(len, by_split.values()))
    build_info = {
        "settings": {"splits": splits, "tone_style": tone_style},
        "counts": {"inputs": published, "published": published, "rejected": 0},
        "inputs": [{"file": name, "sha256": sha256} for name, sha256 in sorted(raw_sha256.items())],
    }
    path, written = publish(by_split, Path(out_dir), version, build_info=build_info, shard_rows=shard_rows)
    return BuildReport(
        version,
        path,
        {name: len(rows) for name, rows in by_split.items() if rows},
        published,
        published,
        rejected,
        notices,
        written,
    )
