"""Build internals between the two stages: spill files, the shard plan, and writing shards.

The map stage writes each chunk's records, sorted by id, to a spill file per split
(:func:`spill_table`, :func:`write_spill`); the reduce stage cuts each split into
shards by id range (:func:`plan_shards`), finds each shard's rows in every spill file
(:func:`spill_range`) and writes the shard (:func:`write_shard`) with fixed options and
no timestamps: the same records and the same pyarrow give the same bytes.
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
import ctypes
import dataclasses
import hashlib
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .dedup import ORIGIN_FILE, ORIGIN_LINE, ORIGIN_SHA256, Duplicate, dedupe
from .errors import ConfigError
from .neardup import NearDuplicate
from .release import CONTENT_HASH_METHOD, content_lines, file_sha256, record_digest, shard_name
from .schema import arrow_schema, schema_sha256

# Every option that changes the bytes is fixed here and recorded in the manifest.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "version": "2.6",
    "row_group_size": 2_000,  # about 10 MB of text: the writer holds one row group at a time
}

# The column that travels beside a record from the normalise stage to the shard writer.
DIGEST = "_digest"
_ROW = "_row"
_DIGEST_ROWS = 256  # records whose digest a shard computes again (a new cluster_id), read as Python objects at once


def spill_schema() -> pa.Schema:
    """The Arrow schema of records between the stages: the published columns, then the
    record's digest (see :func:`record_digest`) and where it was read (for dedup)."""
    extra = [(DIGEST, pa.string()), (ORIGIN_FILE, pa.string()), (ORIGIN_LINE, pa.int64()), (ORIGIN_SHA256, pa.string())]
    return pa.schema([*arrow_schema(), *(pa.field(name, kind, nullable=False) for name, kind in extra)])


def spill_table(records: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Records as an Arrow table of :func:`spill_schema`, sorted by id (so a shard reads one
    contiguous range of it). Built column by column: several times faster than row by row."""
    schema = spill_schema()
    records = sorted(records, key=lambda record: str(record["id"]))
    arrays = {field.name: _column([record[field.name] for record in records], field.type) for field in arrow_schema()}
    # (after the columns: CPython keeps the UTF-8 of each title and text Arrow read, which the digest reuses)
    sources = [record["source"] for record in records]
    arrays[DIGEST] = pa.array([record_digest(record) for record in records], pa.string())
    arrays[ORIGIN_FILE] = pa.array([source["file"] for source in sources], pa.string())
    arrays[ORIGIN_LINE] = pa.array([source["line"] for source in sources], pa.int64())
    arrays[ORIGIN_SHA256] = pa.array([source["sha256"] for source in sources], pa.string())
    return pa.table([arrays[field.name] for field in schema], schema=schema)


def _column(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    """An Arrow column of record values; dates travel in records as ISO text (``2020-06-01``)
    and become typed dates here (Arrow parses them: no Python date objects).

    >>> _column(["2020-06-30", None], pa.date32()).to_pylist()
    [datetime.date(2020, 6, 30), None]
    """
    if pa.types.is_date32(arrow_type):
        return pa.array(values, pa.string()).cast(arrow_type)
    return pa.array(values, arrow_type)


def write_spill(table: pa.Table, path: Path) -> None:
    """Write a :func:`spill_table` (and the near-duplicate columns beside it) as an uncompressed Arrow
    IPC file of one record batch: a reader maps it and touches only the pages of the rows it takes
    (see :func:`read_spill_rows`)."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())


def read_spill_rows(path: Path, rows: npt.ArrayLike, columns: Sequence[str]) -> pa.Table:
    """Rows ``rows`` (row numbers) and ``columns`` of spill file ``path``, copied out of the memory-mapped
    file: only the pages that hold them are read, and nothing stays mapped once this returns.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "spill.arrow"
    >>> write_spill(pa.table({"id": ["a", "b", "c"], "n": [1, 2, 3]}), path)
    >>> [read_spill_rows(path, rows, ["n"])["n"].to_pylist() for rows in ([0, 2], range(1, 3))]
    [[1, 3], [2, 3]]
    """
    wanted = np.asarray(rows, np.int64)
    runs = np.flatnonzero(np.diff(wanted, prepend=wanted[:1] - 2) != 1)  # where each run of consecutive rows starts
    starts, lengths = wanted[runs], np.diff(np.r_[runs, len(wanted)])
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all().select(list(columns))
        # A copy, so that no buffer of the mapping escapes: the runs' slices concatenated, which sizes the
        # buffers exactly and leaves less behind than take() (about half the resident memory, in less time).
        parts = [table.slice(start, length) for start, length in zip(starts.tolist(), lengths.tolist(), strict=True)]
        return pa.concat_tables([*parts, table.slice(0, 0)]).combine_chunks()


@dataclass(frozen=True)
class ShardPlan:
    """One Parquet file to write: the records of ``split`` with ``low <= id < high`` (None: unbounded)."""

    split: str
    index: int
    count: int
    low: str | None
    high: str | None

    @property
    def name(self) -> str:
        """The file's path in the release."""
        return shard_name(self.split, self.index, self.count)


@dataclass
class Shard:
    """A written shard: its file's checksum and size, its rows' part of the content hash
    (:func:`content_lines`, compact: a build holds every shard's), the duplicates it dropped,
    how many of its rows carry each repair and conflict code (:func:`code_counts`), and the
    personal identifiers its rows hold, by kind (:func:`personal_data_counts`)."""

    plan: ShardPlan
    sha256: str
    bytes: int
    rows: int
    arrow_bytes: int
    content: builtins.bytes  # (this class's ``bytes`` is a field)
    duplicates: list[Duplicate]
    repairs: dict[str, int]
    conflicts: dict[str, int]
    personal_data: dict[str, int]
    near_duplicates: list[NearDuplicate] = dataclasses.field(default_factory=list)


def plan_shards(ids: Mapping[str, pa.Array | pa.ChunkedArray], shard_rows: int) -> list[ShardPlan]:
    """Shards for the records of each split (``ids``: every record's id, repeats allowed): at most
    ``shard_rows`` distinct ids each, cut by id range, so the plan depends on the ids alone.

    >>> [(p.name, p.low, p.high) for p in plan_shards({"train": pa.array(["c", "a", "b", "a"])}, 2)]
    [('data/train-00000-of-00002.parquet', None, 'c'), ('data/train-00001-of-00002.parquet', 'c', None)]
    """
    if shard_rows < 1:
        raise ConfigError(f"shard_rows must be at least 1, not {shard_rows}")
    plans = []
    for split, split_ids in ids.items():
        unique = pc.unique(split_ids)
        unique = unique.take(pc.sort_indices(unique))
        count = math.ceil(len(unique) / shard_rows)
        bounds = [None, *(unique[start].as_py() for start in range(shard_rows, len(unique), shard_rows)), None]
        plans += [ShardPlan(split, index, count, bounds[index], bounds[index + 1]) for index in range(count)]
    return plans


class SpillRange(NamedTuple):
    """Rows ``start`` to ``stop`` (excluded) of a spill file; only the rows listed in ``rows``
    (sorted row numbers in that range) when it is given."""

    path: Path
    start: int
    stop: int
    rows: npt.NDArray[np.int64] | None = None


def spill_range(path: Path, ids: Sequence[str], plan: ShardPlan) -> SpillRange:
    """The rows of spill file ``path`` (its ``ids``, sorted) that belong to shard ``plan``.

    >>> spill_range(Path("s"), ["a", "b", "c", "d"], ShardPlan("train", 0, 2, "b", "d"))
    SpillRange(path=PosixPath('s'), start=1, stop=3, rows=None)
    """
    start = 0 if plan.low is None else bisect.bisect_left(ids, plan.low)
    stop = len(ids) if plan.high is None else bisect.bisect_left(ids, plan.high)
    return SpillRange(path, start, stop)


def read_spill(spill: SpillRange) -> pa.Table:
    """The rows of ``spill`` (only the columns of :func:`spill_schema`: the near-duplicate columns stay in
    the file)."""
    rows = range(spill.start, spill.stop) if spill.rows is None else spill.rows
    return read_spill_rows(spill.path, rows, spill_schema().names)


def write_shard(
    plan: ShardPlan,
    spills: Sequence[SpillRange],
    staging: Path,
    clusters: Mapping[str, str] | None = None,
    dropped: Mapping[str, tuple[str, float]] | None = None,
) -> Shard:
    """Write one shard of a release into ``staging``: its records gathered from the ranges of
    the spill files that hold them, deduplicated, sorted by id, one chunk, fixed options (the
    same records give the same bytes). Only the light columns are sorted; the records are
    taken in order once.

    ``clusters`` gives the ``cluster_id`` of the records that have near-duplicates (by id);
    the inputs of the records in ``dropped`` (id → the id they near-duplicate, similarity)
    are not published but listed as near-duplicates.
    """
    pieces = [read_spill(spill) for spill in spills]
    candidates = pa.concat_tables(pieces).combine_chunks()  # take() on many chunks would concatenate them again
    del pieces
    light = candidates.select(["id", ORIGIN_FILE, ORIGIN_LINE, ORIGIN_SHA256, DIGEST])
    light = light.append_column(_ROW, pa.array(range(candidates.num_rows), pa.int64()))
    near: list[NearDuplicate] = []
    if dropped:
        is_dropped = pc.is_in(light.column("id"), value_set=pa.array(sorted(dropped), pa.string()))
        for row in light.filter(is_dropped).to_pylist():
            of, similarity = dropped[row["id"]]
            near.append(NearDuplicate(row[ORIGIN_FILE], row[ORIGIN_LINE], row[ORIGIN_SHA256], of, similarity))
        light = light.filter(pc.invert(is_dropped))
    kept, duplicates = dedupe(light)
    data = candidates.select(arrow_schema().names).take(kept[_ROW])
    digests = kept.column(DIGEST).to_pylist()
    if clusters:
        data, digests = _with_clusters(data, digests, clusters)
    del candidates, light
    release_memory()  # before the Parquet writer takes its share
    path = staging / plan.name
    path.parent.mkdir(exist_ok=True)
    pq.write_table(data, path, **PARQUET_OPTIONS)
    return Shard(
        plan,
        file_sha256(path),
        path.stat().st_size,
        data.num_rows,
        data.nbytes,
        content_lines((plan.split, digest) for digest in digests),
        duplicates,
        code_counts(data.column("source"), "repairs"),
        code_counts(data.column("source"), "conflicts"),
        personal_data_counts(data.column("source")),
        sorted(near, key=lambda item: (item.file, item.line)),
    )


def code_counts(source: pa.ChunkedArray, field: str) -> dict[str, int]:
    """How many records carry each code in ``field`` (``repairs`` or ``conflicts``) of their
    ``source`` column, by code. A record carries a code at most once, so counting entries
    counts records.

    >>> source = pa.chunked_array([pa.array([{"repairs": ["odd-spaces: x", "unicode-nfc: y"]},
    ...                                      {"repairs": ["odd-spaces: z"]}, {"repairs": []}])])
    >>> code_counts(source, "repairs")
    {'odd-spaces': 2, 'unicode-nfc': 1}
    """
    entries = pc.list_flatten(pc.struct_field(source, field))
    codes = pc.list_element(pc.split_pattern(entries, ": ", max_splits=1), 0)
    return {item["values"]: item["counts"] for item in pc.value_counts(codes).to_pylist()}


def personal_data_counts(source: pa.ChunkedArray) -> dict[str, int]:
    """The personal identifiers of the records of a ``source`` column, by kind (kinds with none left out).

    >>> source = pa.chunked_array([pa.array([{"personal_data": {"phone": 2, "email": 0}},
    ...                                      {"personal_data": {"phone": 1, "email": 0}}])])
    >>> personal_data_counts(source)
    {'phone': 3}
    """
    kinds = pc.struct_field(source, "personal_data")
    totals = {field.name: pc.sum(pc.struct_field(kinds, field.name)).as_py() or 0 for field in kinds.type}
    return {kind: total for kind, total in totals.items() if total}


def _with_clusters(data: pa.Table, digests: list[str], clusters: Mapping[str, str]) -> tuple[pa.Table, list[str]]:
    """``data`` with the ``cluster_id`` of the records in ``clusters``, and their digests computed again."""
    ids = data.column("id").to_pylist()
    changed = [row for row, record_id in enumerate(ids) if clusters.get(record_id, record_id) != record_id]
    if not changed:
        return data, digests
    column = [clusters.get(record_id, record_id) for record_id in ids]
    position = data.schema.get_field_index("cluster_id")
    data = data.set_column(position, data.schema.field(position), pa.array(column, pa.string()))
    for start in range(0, len(changed), _DIGEST_ROWS):  # as Python objects a few rows at a time, not a shard
        rows = changed[start : start + _DIGEST_ROWS]
        for row, record in zip(rows, data.take(pa.array(rows, pa.int64())).to_pylist(), strict=True):
            digests[row] = record_digest(record)
    return data, digests


def release_memory() -> None:
    """Hand freed memory back to the system, so a long-lived worker holds only what its current
    task needs: Arrow's pool keeps freed blocks, and glibc keeps a freed heap until trimmed."""
    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)


def release_manifest(
    version: str, shards: Sequence[Shard], build_info: Mapping[str, Any], shard_rows: int
) -> dict[str, Any]:
    """The manifest of release ``version`` made of ``shards``: its splits and their files, the
    content hash, and the build's ``build_info`` (settings, counts, inputs, …). ``files`` lists
    the shards; the publisher adds the card."""
    from ._version import __version__

    order = list(build_info["settings"]["splits"])
    shards = sorted(shards, key=lambda shard: (order.index(shard.plan.split), shard.plan.index))
    content = hashlib.sha256()
    for shard in shards:
        content.update(shard.content)
    split_info: dict[str, dict[str, Any]] = {}
    for shard in shards:
        entry = split_info.setdefault(shard.plan.split, {"rows": 0, "arrow_bytes": 0, "files": []})
        entry["rows"] += shard.rows
        entry["arrow_bytes"] += shard.arrow_bytes
        entry["files"].append(shard.plan.name)
    return {
        "name": "vn_security_corpus",
        "version": version,
        "library_version": __version__,
        "pyarrow_version": pa.__version__,
        "schema_sha256": schema_sha256(),
        "content_sha256": content.hexdigest(),
        "content_sha256_method": CONTENT_HASH_METHOD,
        "parquet": PARQUET_OPTIONS,
        "shard_rows": shard_rows,
        "splits": split_info,
        **build_info,
        "files": {
            shard.plan.name: {"sha256": shard.sha256, "bytes": shard.bytes, "rows": shard.rows} for shard in shards
        },
    }
