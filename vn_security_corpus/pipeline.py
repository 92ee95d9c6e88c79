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

import gc
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa
from tqdm.auto import tqdm

from .dedup import Duplicate
from .engine import Engine, Workspace, current_node, engine_for
from .errors import BuildError, ConfigError, InvalidInputError, Problem
from .formats import Rejected
from .normalise import CANONICAL_STYLE
from .publish import commit_release, staging_area
from .records import process_files
from .release import check_version
from .shards import (
    DEFAULT_SHARD_ROWS,
    Shard,
    ShardPlan,
    SpillRange,
    plan_shards,
    release_manifest,
    release_memory,
    spill_range,
    spill_table,
    write_shard,
    write_spill,
)
from .sources import (
    DEFAULT_MAX_FILE_BYTES,
    RawFile,
    Refusal,
    RemoteFolder,
    find_raw_files,
    is_url,
    raw_location,
    read_content,
)
from .split import DEFAULT_SPLITS, assign_split, check_splits
from .text import ToneStyle, check_tone_style

# A worker's chunk of raw files: big enough to keep workers busy, small enough to stay in memory.
CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_FILES = 2_000


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


@dataclass(frozen=True)
class BuildOptions:
    """The settings every worker of a build needs."""

    splits: dict[str, float]
    tone_style: ToneStyle
    max_file_bytes: int


@dataclass(frozen=True)
class Chunk:
    """A batch of raw files for one worker, and where it writes their records."""

    files: tuple[RawFile, ...]
    options: BuildOptions
    spill_dir: Path
    index: int

    def spill(self, split: str) -> Path:
        """The file where this chunk's records of ``split`` go."""
        return self.spill_dir / f"{self.index:06d}-{split}.parquet"


@dataclass
class ChunkResult:
    """What one chunk gave: its records' ids per split (the records are in its spill file of
    each split), the inputs it rejected, and each raw file it read with its SHA-256. Compact
    (Arrow arrays): the driver keeps one per chunk until the end of the build."""

    files: int
    spills: dict[str, Path]
    ids: dict[str, pa.Array]  # in the order of the spill file's rows: sorted
    rejected: list[Rejected]
    inputs: pa.Table  # file, sha256 (null: not read)
    node: str = ""  # where the chunk was read (messages name it)

    @property
    def records(self) -> int:
        """How many records the chunk wrote."""
        return sum(map(len, self.ids.values()))


def process_chunk(chunk: Chunk) -> ChunkResult:
    """Read, validate and normalise the raw files of ``chunk``; write its records, sorted by id,
    to the chunk's spill file of each split (the map stage of a build, run by the workers)."""
    options = chunk.options
    records: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    inputs: dict[str, str | None] = {}
    with _without_cycle_collection():
        for result in process_files(chunk.files, tone_style=options.tone_style, max_file_bytes=options.max_file_bytes):
            if isinstance(result, Rejected):
                rejected.append(result)
                inputs[result.file] = result.sha256
            else:
                records.append(result)
                inputs[result["source"]["file"]] = result["source"]["sha256"]
        by_split: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_split.setdefault(assign_split(record["id"], options.splits), []).append(record)
        ids = {}
        for split, split_records in by_split.items():
            table = spill_table(split_records)
            write_spill(table, chunk.spill(split))
            ids[split] = table.column("id").combine_chunks()
            del table
    files = pa.table({"file": list(inputs), "sha256": pa.array(list(inputs.values()), pa.string())})
    del records, by_split
    release_memory()
    return ChunkResult(
        len(chunk.files), {split: chunk.spill(split) for split in ids}, ids, rejected, files, current_node()
    )


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: records hold no cycles, and collecting thousands of
    them over and over cost a fifth of a chunk's time (measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class ShardTask:
    """One shard for a worker to write: its plan, where its records are in the spill files, the staging folder."""

    plan: ShardPlan
    spills: tuple[SpillRange, ...]
    staging: Path


def write_shard_task(task: ShardTask) -> Shard:
    """Write one shard (the reduce stage of a build, run by the workers)."""
    shard = write_shard(task.plan, task.spills, task.staging)
    release_memory()  # a worker keeps no more than its current task needs
    return shard


def chunk_files(files: Sequence[RawFile], options: BuildOptions, spill_dir: Path) -> list[Chunk]:
    """``files`` in chunks of about :data:`CHUNK_BYTES` (a large file makes a chunk of its own).

    >>> raw = [RawFile.at(p) for p in sorted((Path(__file__).parent.parent / "raw").iterdir())]
    >>> [len(chunk.files) for chunk in chunk_files(raw * 3, BuildOptions({}, "traditional", 1), Path("/x"))]
    [15]
    """
    chunks: list[list[RawFile]] = [[]]
    size = 0
    for raw in files:
        if chunks[-1] and (size + raw.size > CHUNK_BYTES or len(chunks[-1]) >= CHUNK_FILES):
            chunks.append([])
            size = 0
        chunks[-1].append(raw)
        size += raw.size
    return [Chunk(tuple(part), options, spill_dir, index) for index, part in enumerate(chunks) if part]


def build(
    raw_dir: str | PathLike[str] | RemoteFolder,
    out_dir: str | PathLike[str],
    version: str,
    *,
    splits: Mapping[str, float] = DEFAULT_SPLITS,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    tone_style: ToneStyle = CANONICAL_STYLE,
    allow_invalid: bool = False,
    force: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    jobs: int | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    ray_timeout: float | None = None,
    progress: bool | None = None,
) -> BuildReport:
    """Build release ``out_dir/version`` from the raw files in ``raw_dir``: a local folder, or an
    fsspec URL (``s3://bucket/raw``, ``zip://raw::file:///data/corpus.zip``) that every worker reads.

    ``tone_style`` is the tone-mark style of the release's text: ``traditional``
    (hòa, thủy, úy) or ``new`` (hoà, thuỷ, uý); ids and splits do not depend on it.
    Strict: if any input is invalid nothing is written and
    :class:`~vn_security_corpus.errors.InvalidInputError` lists every problem.
    ``allow_invalid=True`` publishes the valid inputs and lists the others,
    with their reasons, in the manifest. Files larger than ``max_file_bytes``
    are rejected unread. A version already published from other input is a
    ReleaseError saying what changed, unless ``force=True``, which rewrites it
    (atomically, with a :class:`~vn_security_corpus.errors.RewriteWarning`).

    The work streams through ``jobs`` processes (default: every core) in two
    stages: chunks of raw files become records, written sorted by id to a spill
    file per split; then each shard gathers its id range from its split's files.
    Memory stays bounded by the chunk and shard sizes, and the release is
    byte-identical whatever ``jobs`` or ``engine`` (``local``, or ``ray`` with an
    optional ``ray_address``, default ``RAY_ADDRESS`` or a local Ray instance, and
    ``ray_timeout`` seconds for the cluster to answer and to make progress, default 60).
    A file the driver lists but a worker cannot read while the driver can is the worker
    node's fault, never bad input: the build fails (BuildError) naming the file and the node.
    ``progress`` shows progress bars (default: on a terminal).
    """
    check_version(version)
    check_tone_style(tone_style)
    if max_file_bytes < 1:
        raise ConfigError(f"max_file_bytes must be at least 1, not {max_file_bytes}")
    if shard_rows < 1:
        raise ConfigError(f"shard_rows must be at least 1, not {shard_rows}")
    raw = raw_location(raw_dir)
    if isinstance(raw, Path) and not raw.is_dir():
        raise ConfigError(f"{raw_dir}: the raw folder does not exist or is not a folder")
    out = Path(out_dir)
    if engine == "ray":  # Ray's workers run in other folders, on other machines: they need absolute paths
        raw, out = raw.absolute() if isinstance(raw, Path) else raw, out.absolute()
    if is_url(out_dir):
        raise ConfigError(
            f"{out_dir}: releases are written to a folder (a local path or a mounted file system), "
            "not to a URL: the atomic rename and the lock need a POSIX file system; build to a folder "
            "and upload the release folder"
        )
    options = BuildOptions(check_splits(splits), tone_style, max_file_bytes)
    files, notices = find_raw_files(raw)
    if not files:
        raise ConfigError(
            f"{raw_dir}: the raw folder holds no files to read; put raw articles (.txt, .json, .jsonl) in it"
        )
    with staging_area(out, version) as staging:
        spill_dir = staging / ".spill"
        spill_dir.mkdir()
        chunks = chunk_files(files, options, spill_dir)
        if engine == "local" and len(chunks) == 1:
            jobs = 1  # one chunk of work: starting worker processes would cost more than the work
        # (every node of a cluster checks first that it sees these folders)
        workspace = Workspace(
            raw,
            tuple((files[i].name, files[i].size) for i in sorted({0, len(files) // 2, len(files) - 1})),
            out,
            spill_dir,
        )
        with engine_for(engine, jobs, ray_address, timeout=ray_timeout, workspace=workspace) as workers:
            results = list(_map_chunks(workers, chunks, len(files), progress))
            del chunks, files  # the file list grows with the corpus: only the results are needed now
            _check_unread_inputs(results, raw, max_file_bytes)
            rejected = sorted((r for result in results for r in result.rejected), key=lambda r: (r.file, r.line or 0))
            records = sum(result.records for result in results)
            if rejected and (not allow_invalid or not records):
                raise InvalidInputError(_problems(rejected, records, raw_dir))
            shards = list(_map_shards(workers, _shard_tasks(results, options, shard_rows, staging), progress))
        shutil.rmtree(spill_dir)
        duplicates = sorted((d for shard in shards for d in shard.duplicates), key=lambda d: (d.file, d.line))
        raw_files = pa.concat_tables([result.inputs for result in results]).sort_by("file").to_pylist()
        build_info = {
            "settings": {"splits": options.splits, "tone_style": tone_style},
            "counts": {
                "inputs": records + len(rejected),
                "published": records - len(duplicates),
                "rejected": len(rejected),
                "duplicates": len(duplicates),
            },
            "inputs": raw_files,
            "rejected": [item.to_dict() for item in rejected],
            "duplicates": [item.to_dict() for item in duplicates],
        }
        manifest = release_manifest(version, shards, build_info, shard_rows)
        outcome = commit_release(staging, manifest, force=force)
    split_rows: dict[str, int] = {}
    for shard in shards:
        split_rows[shard.plan.split] = split_rows.get(shard.plan.split, 0) + shard.rows
    return BuildReport(
        version,
        Path(out_dir) / version,
        {name: split_rows[name] for name in options.splits if name in split_rows},
        inputs=records + len(rejected),
        published=records - len(duplicates),
        rejected=rejected,
        duplicates=duplicates,
        notices=notices,
        written=outcome != "unchanged",
        replaced=outcome == "replaced",
    )


def _problems(rejected: Sequence[Rejected], records: int, raw_dir: object) -> list[Problem]:
    """Every problem of the ``rejected`` inputs; when no input became a record, a last line says
    that nothing can be published (a release without records is never published)."""
    problems = [problem for item in rejected for problem in item.problems]
    if not records:
        problems.append(
            Problem(
                str(raw_dir), None, "no input became a record: there is nothing to publish", fix="fix the inputs above"
            )
        )
    return problems


def _check_unread_inputs(results: Sequence[ChunkResult], raw: Path | RemoteFolder, max_file_bytes: int) -> None:
    """A file that a worker could not read (rejected unread) but the driver reads is no bad input: the
    worker's node does not see the raw folder as the driver does. Raise a BuildError naming the file
    and the node, so that no build (not even with ``allow_invalid``) loses good inputs to a node."""
    for result in results:
        for rejected in result.rejected:
            if rejected.sha256 is not None:  # the worker read the file: its verdict is about the content
                continue
            here = next(read_content(RawFile(raw, rejected.file), max_bytes=max_file_bytes), None)
            if here is None or isinstance(here, Refusal):
                continue  # the driver cannot read it either: the file's own fault, rejected
            reason = rejected.problems[0].message if rejected.problems else "unreadable"
            raise BuildError(
                f"{RawFile(raw, rejected.file).display}: a worker on {result.node} could not read this file "
                f"({reason}), which this machine reads: that node does not see the raw folder as the driver does, "
                "so the build stopped and nothing was published; fix: mount the raw folder at the same path on every "
                "node (or give it as a URL every node reads)"
            )


def _map_chunks(workers: Engine, chunks: Sequence[Chunk], files: int, progress: bool | None) -> Iterator[ChunkResult]:
    """The chunks' results as they finish, with a progress bar of files and articles per second."""
    with tqdm(total=files, unit="file", desc="reading", disable=_quiet(progress), leave=False) as bar:
        articles, started = 0, time.monotonic()
        for result in workers.map(process_chunk, chunks):
            articles += result.records + len(result.rejected)
            bar.set_postfix_str(f"{articles:,} articles, {articles / max(time.monotonic() - started, 1e-9):,.0f}/s")
            bar.update(result.files)
            yield result


def _shard_tasks(
    results: Sequence[ChunkResult], options: BuildOptions, shard_rows: int, staging: Path
) -> list[ShardTask]:
    """The shards to write, planned from every record's id, each with the rows of every spill
    file of its split that belong to it (found from the ids, which the spill files hold sorted)."""
    ids = {
        split: pa.chunked_array([r.ids[split] for r in results if split in r.ids], pa.string())
        for split in options.splits
    }
    plans = plan_shards(ids, shard_rows)
    del ids
    ranges: dict[ShardPlan, list[SpillRange]] = {plan: [] for plan in plans}
    for result in results:
        for split, spill in result.spills.items():
            spill_ids = result.ids[split].to_pylist()
            for plan in (plan for plan in plans if plan.split == split):
                rows = spill_range(spill, spill_ids, plan)
                if rows.stop > rows.start:
                    ranges[plan].append(rows)
    release_memory()  # what receiving the chunks' results left behind
    return [ShardTask(plan, tuple(ranges[plan]), staging) for plan in plans]


def _map_shards(workers: Engine, tasks: Sequence[ShardTask], progress: bool | None) -> Iterator[Shard]:
    """The shards as they are written, with a progress bar."""
    with tqdm(total=len(tasks), unit="shard", desc="writing", disable=_quiet(progress), leave=False) as bar:
        for shard in workers.map(write_shard_task, tasks):
            bar.update()
            yield shard


def _quiet(progress: bool | None) -> bool | None:
    """tqdm's ``disable``: None lets it show bars only on a terminal."""
    return None if progress is None else not progress
