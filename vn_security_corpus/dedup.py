"""Exact duplicates: records that share an id (the same normalised title and text) collapse to one.

The record kept is the one read first, by ``(source.file, source.line)``; the
others are reported as :class:`Duplicate` of its id. That choice depends on the
records alone, not on the order they arrive in, so any way of producing them
(one process, many, streamed by id range) keeps the same one.

>>> a = {"id": "vnsc-1", "source": {"file": "b.txt", "line": 1, "sha256": "b"}}
>>> b = {"id": "vnsc-1", "source": {"file": "a.json", "line": 7, "sha256": "a"}}
>>> kept, duplicates = dedupe([a, b])
>>> [r["source"]["file"] for r in kept], duplicates
(['a.json'], [Duplicate(file='b.txt', line=1, sha256='b', id='vnsc-1')])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

Record = TypeVar("Record", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Duplicate:
    """An input whose record was already published under ``id`` from another input."""

    file: str
    line: int
    sha256: str
    id: str

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry."""
        return asdict(self)


def origin(record: Mapping[str, Any]) -> tuple[str, int]:
    """Where a record was read: ``(source.file, source.line)``, the order of precedence."""
    return str(record["source"]["file"]), int(record["source"]["line"])


def collapse(group: Sequence[Record]) -> tuple[Record, list[Duplicate]]:
    """The record to publish among records sharing one id, and the others as duplicates of it."""
    kept, *others = sorted(group, key=origin)
    return kept, [Duplicate(*origin(other), str(other["source"]["sha256"]), str(kept["id"])) for other in others]


def dedupe(records: Iterable[Record]) -> tuple[list[Record], list[Duplicate]]:
    """One record per id (in id order), and every other input as a duplicate (in file order)."""
    by_id: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_id[str(record["id"])].append(record)
    kept, duplicates = [], []
    for record_id in sorted(by_id):
        record, others = collapse(by_id[record_id])
        kept.append(record)
        duplicates.extend(others)
    return kept, sorted(duplicates, key=lambda d: (d.file, d.line))
