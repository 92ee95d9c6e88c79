"""The whole flow: raw folder → validated, normalised, deduplicated records → a published release.

Every input (a text file, or one object of a JSON / JSON Lines file) ends in
exactly one of: published (its record), rejected (every reason) or duplicate
(the id of the record it duplicates), and the manifest says which.

>>> from pathlib import Path; import tempfile
>>> report = build(Path(__file__).parent.parent / "raw", Path(tempfile.mkdtemp()), "1.0.0")
>>> report.published, sum(report.splits.values()), report.inputs == report.published + len(report.rejected)
(5, 5, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from . import schema
from .dedup import Duplicate, dedupe
from .errors import ConfigError, InvalidInputError, Problem
from .normalise import CANONICAL_STYLE, to_article
from .publish import DEFAULT_SHARD_ROWS, check_version, publish
from .rawfile import DEFAULT_MAX_FILE_BYTES, RawArticle, RawFile, Rejected, find_raw_files, read_raw_file
from .split import DEFAULT_SPLITS, assign_split, check_splits
from .text import TONE_STYLES, ToneStyle

# Where, in the raw record, each field of the article record came from.
_RAW_POINTER = {"/title": "/title", "/text": "/paragraphs", "/date": "/date", "/authors": "/byline"}


@dataclass
class BuildReport:
    """What a build did: where it wrote, records per split, and what became of every input.

    ``inputs == published + len(rejected) + len(duplicates)`` always holds.
    ``written`` is False when the version was already published by the same
    build (nothing to do); ``replaced`` is True when ``force`` rewrote it.
    """

    version: str
    path: Path
    splits: dict[str, int]
    inputs: int
    published: int
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    written: bool = True
    replaced: bool = False


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
    files: Iterable[RawFile],
    *,
    tone_style: ToneStyle = CANONICAL_STYLE,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Iterator[dict[str, Any] | Rejected]:
    """Every input of ``files`` (an article per text file, an object per JSON item), processed."""
    for raw in files:
        for article in read_raw_file(raw, max_bytes=max_file_bytes):
            yield process(article, str(raw.path), tone_style=tone_style)


def build(
    raw_dir: str | PathLike[str],
    out_dir: str | PathLike[str],
    version: str,
    *,
    splits: Mapping[str, float] = DEFAULT_SPLITS,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    tone_style: ToneStyle = CANONICAL_STYLE,
    allow_invalid: bool = False,
    force: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> BuildReport:
    """Build release ``out_dir/version`` from the raw files in ``raw_dir``.

    ``tone_style`` is the tone-mark style of the release's text: ``traditional``
    (hòa, thủy, úy) or ``new`` (hoà, thuỷ, uý); ids and splits do not depend on it.
    Strict: if any input is invalid nothing is written and
    :class:`~vn_security_corpus.errors.InvalidInputError` lists every problem.
    ``allow_invalid=True`` publishes the valid inputs and lists the others,
    with their reasons, in the manifest. Files larger than ``max_file_bytes``
    are rejected unread. A version already published from other input is a
    ReleaseError saying what changed, unless ``force=True``, which rewrites it
    (atomically, with a :class:`~vn_security_corpus.errors.RewriteWarning`).
    """
    check_version(version)
    splits = check_splits(splits)
    if tone_style not in TONE_STYLES:
        raise ConfigError(f"tone style {tone_style!r}: choose {' or '.join(TONE_STYLES)}")
    if max_file_bytes < 1:
        raise ConfigError(f"max_file_bytes must be at least 1, not {max_file_bytes}")
    if not Path(raw_dir).is_dir():
        raise ConfigError(f"{raw_dir}: the raw folder does not exist or is not a folder")
    files, notices = find_raw_files(Path(raw_dir))
    records: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    for result in process_files(files, tone_style=tone_style, max_file_bytes=max_file_bytes):
        if isinstance(result, Rejected):
            rejected.append(result)
        else:
            records.append(result)
    if rejected and not allow_invalid:
        raise InvalidInputError(problem for item in rejected for problem in item.problems)
    rejected.sort(key=lambda item: (item.file, item.line or 0))
    kept, duplicates = dedupe(records)
    by_split: dict[str, list[dict[str, Any]]] = {name: [] for name in splits}
    for record in kept:
        by_split[assign_split(record["id"], splits)].append(record)
    raw_sha256 = {r["source"]["file"]: r["source"]["sha256"] for r in records} | {r.file: r.sha256 for r in rejected}
    build_info = {
        "settings": {"splits": splits, "tone_style": tone_style},
        "counts": {
            "inputs": len(records) + len(rejected),
            "published": len(kept),
            "rejected": len(rejected),
            "duplicates": len(duplicates),
        },
        "inputs": [{"file": name, "sha256": sha256} for name, sha256 in sorted(raw_sha256.items())],
        "rejected": [item.to_dict() for item in rejected],
        "duplicates": [item.to_dict() for item in duplicates],
    }
    path, outcome = publish(by_split, Path(out_dir), version, build_info=build_info, shard_rows=shard_rows, force=force)
    return BuildReport(
        version,
        path,
        {name: len(rows) for name, rows in by_split.items() if rows},
        inputs=len(records) + len(rejected),
        published=len(kept),
        rejected=rejected,
        duplicates=duplicates,
        notices=notices,
        written=outcome != "unchanged",
        replaced=outcome == "replaced",
    )
