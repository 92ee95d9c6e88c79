"""Exact duplicates: records that share an id (the same normalised title and text) collapse to one.

The record kept is the one read first, by ``(source.file, source.line)``; the others
are reported as :class:`Duplicate` of its id. That choice depends on the records alone,
not on the order they arrive in, so a build with one process or many keeps the same one.

>>> import pyarrow as pa
>>> rows = pa.table({"id": ["vnsc-1", "vnsc-1", "vnsc-0"], "_file": ["b.txt", "a.json", "c.txt"],
...                  "_line": [1, 7, 1], "_sha256": ["b", "a", "c"]})
>>> kept, duplicates = dedupe(rows)
>>> kept.column("_file").to_pylist(), duplicates
(['c.txt', 'a.json'], [Duplicate(file='b.txt', line=1, sha256='b', id='vnsc-1')])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# Columns that stand beside the record columns while records travel between the stages.
ORIGIN_FILE, ORIGIN_LINE, ORIGIN_SHA256 = "_file", "_line", "_sha256"


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


def dedupe(table: pa.Table) -> tuple[pa.Table, list[Duplicate]]:
    """``table`` sorted by id with one row per id (the first by file and line), and the
    other rows as duplicates, in file and line order.

    ``table`` holds ``id`` and the origin columns ``_file``, ``_line``, ``_sha256``.
    """
    order = pc.sort_indices(table, [("id", "ascending"), (ORIGIN_FILE, "ascending"), (ORIGIN_LINE, "ascending")])
    table = table.take(order)
    ids = table.column("id").combine_chunks()
    first = (
        pa.concat_arrays([pa.array([True]), pc.not_equal(ids[1:], ids[:-1])]) if len(ids) else pa.array([], pa.bool_())
    )
    others = table.filter(pc.invert(first)).select(["id", ORIGIN_FILE, ORIGIN_LINE, ORIGIN_SHA256]).to_pylist()
    duplicates = [Duplicate(row[ORIGIN_FILE], row[ORIGIN_LINE], row[ORIGIN_SHA256], row["id"]) for row in others]
    return table.filter(first), sorted(duplicates, key=lambda d: (d.file, d.line))
