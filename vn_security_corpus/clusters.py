"""The build's near-duplicate step, between the map and the reduce stage: clusters and splits.

The map stage wrote every record, with its MinHash signature (column ``_minhash``), to a
spill file per split of its id hash. This step reads the signatures only (256 bytes per
record: about 50 MB at 200,000 records, 250 MB at a million), finds candidate pairs by LSH
(kept as 8-byte codes; the signatures are freed once they are found), has the workers
measure each candidate's exact Jaccard similarity from the shingle sets the spill files hold
(column ``_shingles``, :func:`measure_pairs`; tasks are made as the workers take them, and of
each task's results only the similar pairs are kept), joins the pairs at or above the
threshold into clusters and gives every record its cluster and its split:

- an article a previous release published keeps that release's split;
- the other members of a cluster take the split of its previously published members (when
  those were in several splits — a new article bridges two clusters published apart — the
  split of the previous cluster with the smallest cluster id, and the bridge is listed as a
  conflict);
- a cluster nobody published before takes the id-hash split of its canonical member (the
  smallest id), so an article without near-duplicates keeps the split of its id.

With ``near_duplicates="drop"`` only the canonical member of a cluster (and the members a
previous release published) is published; the others are listed as near-duplicates with
their measured similarity to the canonical member.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import neardup
from .engine import Engine
from .errors import ConfigError, ReleaseError
from .release import open_release, read_manifest, version_key, versions
from .shards import read_spill_rows, release_memory
from .text import ToneStyle

NearDuplicates = Literal["keep", "drop"]
NEAR_DUPLICATE_MODES: tuple[NearDuplicates, ...] = ("keep", "drop")
MINHASH = "_minhash"  # the spill files' column of signatures
SHINGLES = "_shingles"  # the spill files' column of shingle sets (sorted 64-bit hashes), for the exact check
_PAIRS_PER_TASK = 2_048
_SHOWN = 20  # leakage examples in the manifest


def check_near_duplicates(mode: object, threshold: object) -> None:
    """Refuse an unknown mode or a threshold outside (0, 1]."""
    if mode not in NEAR_DUPLICATE_MODES:
        raise ConfigError(f"near_duplicates must be keep or drop, not {mode!r}")
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise ConfigError(f"near_duplicate_threshold must be a number in (0, 1], not {threshold!r}")


def signature_columns(titles: Sequence[str], texts: Sequence[str], tone_style: ToneStyle) -> dict[str, pa.Array]:
    """The near-duplicate columns of a spill file: each record's signature as 256 bytes (``_minhash``,
    all the clustering reads) and its shingle set (``_shingles``, read for the records measured exactly)."""
    flat, offsets = neardup.shingle_sets(titles, texts, tone_style)
    sigs = neardup.signature_matrix(flat, offsets)
    width = neardup.NUM_PERM * 2
    data = np.ascontiguousarray(sigs, dtype="<u2").tobytes()
    return {
        MINHASH: pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(sigs), [None, pa.py_buffer(data)]),
        SHINGLES: pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(flat, pa.uint64())),
    }


def read_signatures(path: Path) -> npt.NDArray[np.uint16]:
    """The signatures of a spill file's records, in its row order (copied out of the memory-mapped file)."""
    with pa.memory_map(str(path)) as source:
        column = pa.ipc.open_file(source).read_all().column(MINHASH)
        sigs = np.empty((len(column), neardup.NUM_PERM), np.uint16)
        position = 0
        for chunk in column.chunks:
            values = np.frombuffer(chunk.buffers()[1], "<u2", count=(chunk.offset + len(chunk)) * neardup.NUM_PERM)
            sigs[position : position + len(chunk)] = values.reshape(-1, neardup.NUM_PERM)[chunk.offset :]
            position += len(chunk)
    return sigs


@dataclass(frozen=True)
class SpillFile:
    """One spill file of the map stage: the split of its records' id hash, their ids (sorted)."""

    path: Path
    split: str
    ids: pa.Array


@dataclass(frozen=True)
class Previous:
    """The (id, split, cluster_id) of every record of a previous release, sorted by id."""

    version: str
    ids: pa.Array
    splits: pa.Array
    clusters: pa.Array


def previous_release(out_dir: Path, version: str, previous: str | PathLike[str] | None = None) -> Previous | None:
    """The release a build of ``version`` into ``out_dir`` continues: ``previous`` (a release
    folder, or a folder of releases: its newest) or else the newest release in ``out_dir``
    older than ``version``; None when there is none."""
    if previous is not None:
        folder = Path(previous)
        if (folder / "manifest.json").is_file():
            path = folder
        elif versions(folder):
            path = open_release(root=folder).path
        else:
            raise ConfigError(f"{previous}: not a release folder nor a folder of releases (--previous)")
    else:
        older = [v for v in versions(out_dir) if version_key(v) < version_key(version)] if out_dir.is_dir() else []
        if not older:
            return None
        path = out_dir / older[-1]
    manifest = read_manifest(path)
    tables = []
    for split, info in manifest.splits.items():
        files = [str(path / name) for name in info.files]
        try:
            schema = pq.read_schema(files[0])
            columns = ["id", "cluster_id"] if "cluster_id" in schema.names else ["id"]
            table = pq.read_table(files, columns=columns)
        except (OSError, pa.ArrowException) as error:
            raise ReleaseError(f"{path}: its Parquet files cannot be read ({error}); run verify on it") from None
        if "cluster_id" not in table.column_names:  # releases built before clusters: each article alone
            table = table.append_column("cluster_id", table.column("id"))
        tables.append(table.append_column("split", pa.array([split] * table.num_rows, pa.string())))
    table = pa.concat_tables(tables).sort_by("id")
    return Previous(
        manifest.version,
        table.column("id").combine_chunks(),
        table.column("split").combine_chunks(),
        table.column("cluster_id").combine_chunks(),
    )


@dataclass(frozen=True)
class MeasureTask:
    """Candidate pairs for a worker to measure: ``pairs`` rows are (file, row, file, row) of ``paths``."""

    index: int
    paths: tuple[Path, ...]
    pairs: npt.NDArray[np.int64]


def measure_pairs(task: MeasureTask) -> tuple[int, npt.NDArray[np.float64]]:
    """The exact Jaccard similarity of each pair of ``task``, from the records' shingle sets."""
    needed: dict[int, set[int]] = {}
    for file, row in itertools.chain(task.pairs[:, :2].tolist(), task.pairs[:, 2:].tolist()):
        needed.setdefault(file, set()).add(row)
    sets: dict[tuple[int, int], neardup.Hashes] = {}
    for file, rows in needed.items():
        ordered = sorted(rows)
        column = read_spill_rows(task.paths[file], ordered, [SHINGLES]).column(SHINGLES).combine_chunks()
        values = column.values.to_numpy()
        offsets = column.offsets.to_numpy()
        for position, row in enumerate(ordered):
            sets[file, row] = values[offsets[position] : offsets[position + 1]]
    similarities = [neardup.jaccard(sets[a, b], sets[c, d]) for a, b, c, d in task.pairs.tolist()]
    del sets
    release_memory()  # what reading the shingle sets left in Arrow's pool: the worker goes on to other tasks
    return task.index, np.array(similarities, np.float64)


@dataclass
class Clustering:
    """What the near-duplicate step decided, for the reduce stage and the manifest."""

    splits: list[npt.NDArray[np.int8]]  # per spill file, each row's split (an index into the split names)
    published: list[npt.NDArray[np.bool_]]  # per spill file, whether each row's record is published
    clusters: dict[str, str]  # id → cluster id, for the records that have near-duplicates
    dropped: dict[str, tuple[str, float]]  # id → (the id it near-duplicates, similarity), not published
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        """Articles that bridge clusters a previous release published in different splits."""
        return list(self.report.get("conflicts", []))


def cluster_records(
    files: Sequence[SpillFile],
    split_names: Sequence[str],
    workers: Engine,
    *,
    mode: NearDuplicates = "keep",
    threshold: float = neardup.THRESHOLD,
    previous: Previous | None = None,
) -> Clustering:
    """Every record's cluster and split, from the signatures in the spill ``files``."""
    names = list(split_names)
    lengths = [len(f.ids) for f in files]
    ids = pa.chunked_array([f.ids for f in files], pa.string()).combine_chunks()
    sigs = np.concatenate([read_signatures(f.path) for f in files]) if files else np.zeros((0, 128), np.uint16)
    file_of = np.repeat(np.arange(len(files), dtype=np.int64), lengths)
    row_of = np.concatenate([np.arange(n, dtype=np.int64) for n in lengths]) if files else np.zeros(0, np.int64)
    hash_code = np.repeat(np.array([names.index(f.split) for f in files], np.int8), lengths)

    # distinct ids (exact duplicates share one), in id order: index order is id order
    order = pc.sort_indices(ids).to_numpy()
    ordered = ids.take(pa.array(order))
    first = np.ones(len(ids), bool)
    if len(ids) > 1:
        first[1:] = pc.not_equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    distinct_of_row = np.empty(len(ids), np.int64)
    distinct_of_row[order] = np.cumsum(first) - 1
    representative = order[first]
    distinct = ordered.filter(pa.array(first))
    count = len(distinct)
    sigs = sigs[representative]

    codes, candidates = neardup.candidate_codes(sigs, min_estimate=threshold - neardup.ESTIMATE_MARGIN)
    del sigs
    release_memory()  # before the workers measure: the driver holds only the candidates' codes
    measure = _Measuring(workers, tuple(f.path for f in files), np.stack([file_of, row_of], axis=1)[representative])
    del file_of, row_of
    edge_codes, edge_similarity = measure(codes, count, threshold)
    edges = np.stack([edge_codes // max(count, 1), edge_codes % max(count, 1)], axis=1)
    del edge_codes
    labels = neardup.components(count, _rows(edges))

    # previous release: each distinct id's split there (-1: not published) and cluster id
    prev_code = np.full(count, -1, np.int8)
    prev_cluster: dict[int, str] = {}
    if previous is not None:
        unknown = set(pc.unique(previous.splits).to_pylist()) - set(names)
        if unknown:
            raise ConfigError(
                f"the previous release {previous.version} has splits {sorted(unknown)} that this build does not "
                f"({', '.join(names)}): build with the previous release's splits, or with --previous naming another"
            )
        where = pc.index_in(distinct, value_set=previous.ids).to_numpy(zero_copy_only=False)
        known = ~np.isnan(where.astype(np.float64))
        positions = where[known].astype(np.int64)
        split_codes = np.array([names.index(s) for s in previous.splits.to_pylist()], np.int8)
        prev_code[known] = split_codes[positions]
        prev_index = np.flatnonzero(known)
    else:
        prev_index = np.zeros(0, np.int64)

    final = hash_code[representative].copy()  # alone and new: its id-hash split
    final[prev_code >= 0] = prev_code[prev_code >= 0]
    clusters: dict[str, str] = {}
    dropped_index: dict[int, int] = {}
    conflicts: list[dict[str, Any]] = []
    sizes: dict[int, int] = {}
    grouped_labels, counts = np.unique(labels, return_counts=True)
    multi = set(grouped_labels[counts > 1].tolist())
    members_of: dict[int, list[int]] = {}
    for item in np.flatnonzero(np.isin(labels, list(multi))).tolist() if multi else []:
        members_of.setdefault(int(labels[item]), []).append(item)
    if previous is not None and members_of:
        involved = np.array(sorted(set(itertools.chain.from_iterable(members_of.values()))), np.int64)
        involved = involved[prev_code[involved] >= 0]
        if len(involved):
            where = pc.index_in(distinct.take(pa.array(involved)), value_set=previous.ids).to_numpy()
            for item, position in zip(involved.tolist(), where.tolist(), strict=True):
                prev_cluster[item] = previous.clusters[position].as_py()
    # the ids of the records in clusters (only they are needed by id: a corpus's ids as Python strings would not be)
    clustered = np.array(sorted(itertools.chain.from_iterable(members_of.values())), np.int64)
    text_id = dict(zip(clustered.tolist(), distinct.take(pa.array(clustered)).to_pylist(), strict=True))
    for members in members_of.values():
        sizes[len(members)] = sizes.get(len(members), 0) + 1
        published_before = [m for m in members if prev_code[m] >= 0]
        canonical = published_before[0] if published_before else members[0]
        if published_before:
            chooser = min(published_before, key=lambda m: (prev_cluster[m], text_id[m]))
            chosen = prev_code[chooser]
            apart = sorted({(prev_cluster[m], names[prev_code[m]]) for m in published_before})
            if len({split for _, split in apart}) > 1:
                conflicts.append(
                    {
                        "cluster_id": text_id[canonical],
                        "split": names[chosen],
                        "articles": [text_id[m] for m in members if prev_code[m] < 0],
                        "clusters": [{"cluster_id": cluster, "split": split} for cluster, split in apart],
                    }
                )
        else:
            chosen = hash_code[representative[canonical]]
        for member in members:
            if prev_code[member] < 0:
                final[member] = chosen
            clusters[text_id[member]] = text_id[canonical]
            if mode == "drop" and member != canonical and prev_code[member] < 0:
                dropped_index[member] = canonical

    # the similarity of each dropped member to its canonical member (measured again when it was a candidate:
    # only the similar pairs' similarities are kept); pairs measured = candidates + dropped pairs that were not
    dropped_codes = np.unique([min(m, c) * count + max(m, c) for m, c in dropped_index.items()]).astype(np.int64)
    measured_pairs = len(codes) + int(np.count_nonzero(~np.isin(dropped_codes, codes, assume_unique=True)))
    del codes
    similarity_of = dict(zip(*(part.tolist() for part in measure(dropped_codes, count, 0.0)), strict=True))
    dropped = {
        text_id[m]: (text_id[c], similarity_of[min(m, c) * count + max(m, c)]) for m, c in sorted(dropped_index.items())
    }

    is_dropped = np.zeros(count, bool)
    is_dropped[list(dropped_index)] = True
    apart = (final[edges[:, 0]] != final[edges[:, 1]]) & ~is_dropped[edges[:, 0]] & ~is_dropped[edges[:, 1]]
    leaks, leak_similarity = edges[apart].tolist(), edge_similarity[apart].tolist()
    release_memory()  # what the signatures and the measuring left in Arrow's pool and the heap
    row_final = final[distinct_of_row]
    row_published = ~is_dropped[distinct_of_row]
    bounds = np.cumsum([0, *lengths])
    report = {
        "method": neardup.METHOD,
        "minhash": neardup.minhash_library(),
        "threshold": threshold,
        "candidate_pairs": candidates,
        "measured_pairs": measured_pairs,
        "similar_pairs": len(edges),
        "clusters": len(members_of),
        "articles_in_clusters": sum(len(m) for m in members_of.values()),
        "sizes": {str(size): number for size, number in sorted(sizes.items())},
        "largest": max(sizes, default=0),
        "near_duplicates_kept": sum(len(m) for m in members_of.values()) - len(members_of) - len(dropped),
        "near_duplicates_removed": len(dropped),
        "previous": None
        if previous is None
        else {"version": previous.version, "articles_kept_in_split": len(prev_index)},
        "conflicts": conflicts,
        "leakage": {
            "pairs_across_splits": len(leaks),
            "examples": [
                {"first": text_id[a], "second": text_id[b], "similarity": round(similarity, 4)}
                for (a, b), similarity in zip(leaks[:_SHOWN], leak_similarity, strict=False)
            ],
        },
    }
    return Clustering(
        [row_final[bounds[i] : bounds[i + 1]] for i in range(len(files))],
        [row_published[bounds[i] : bounds[i + 1]] for i in range(len(files))],
        clusters,
        dropped,
        report,
    )


def _rows(pairs: npt.NDArray[np.int64], block: int = 1 << 16) -> Iterator[list[int]]:
    """The rows of ``pairs`` as lists, a block at a time (never all of them as Python objects at once)."""
    for start in range(0, len(pairs), block):
        yield from pairs[start : start + block].tolist()


class _Measuring:
    """Measures pairs of distinct records (given as codes ``first * count + second``) on the workers, from
    the shingle sets in the spill files (``locate``: each distinct record's file and row)."""

    def __init__(self, workers: Engine, paths: tuple[Path, ...], locate: npt.NDArray[np.int64]) -> None:
        self.workers, self.paths, self.locate = workers, paths, locate

    def __call__(
        self, codes: neardup.Codes, count: int, threshold: float
    ) -> tuple[neardup.Codes, npt.NDArray[np.float64]]:
        """The codes (sorted) of the pairs whose similarity is at least ``threshold``, and their similarities.
        Each task's results are cut to those as they arrive, and tasks are made as the workers take them:
        besides ``codes``, the driver holds only the pairs it keeps."""
        tasks = _Tasks(self.paths, self.locate, codes, max(count, 1))
        kept: dict[int, tuple[neardup.Codes, npt.NDArray[np.float64]]] = {}
        for index, similarity in self.workers.map(measure_pairs, tasks):
            similar = similarity >= threshold
            kept[index] = (tasks.codes(index)[similar], similarity[similar])
        parts = [kept.pop(index) for index in range(len(tasks))]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        return np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])


class _Tasks(Sequence[MeasureTask]):
    """The tasks that measure pairs given as codes, each made when it is taken."""

    def __init__(self, paths: tuple[Path, ...], locate: npt.NDArray[np.int64], codes: neardup.Codes, count: int):
        self.paths, self.locate, self.all_codes, self.records = paths, locate, codes, count

    def codes(self, index: int) -> neardup.Codes:
        """The codes of the pairs of task ``index``."""
        return self.all_codes[index * _PAIRS_PER_TASK : (index + 1) * _PAIRS_PER_TASK]

    def __len__(self) -> int:
        return -(-len(self.all_codes) // _PAIRS_PER_TASK)

    @overload
    def __getitem__(self, index: int) -> MeasureTask: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[MeasureTask]: ...

    def __getitem__(self, index: int | slice) -> MeasureTask | Sequence[MeasureTask]:
        if isinstance(index, slice):
            return [self[item] for item in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        codes = self.codes(index)
        where = np.concatenate([self.locate[codes // self.records], self.locate[codes % self.records]], axis=1)
        return MeasureTask(index, self.paths, where)
