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
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa
from tqdm.auto import tqdm

from .clusters import (
    Clustering,
    NearDuplicates,
    SpillFile,
    check_near_duplicates,
    cluster_records,
    previous_release,
    signature_columns,
)
from .dedup import Duplicate
from .engine import Engine, Workspace, current_node, engine_for
from .errors import BuildError, ConfigError, InvalidInputError, Problem
from .formats import Rejected
from .neardup import THRESHOLD, NearDuplicate
from .normalise import CANONICAL_STYLE
from .publish import commit_release, staging_area
from .records import json_lines_parts, no_input, process_files
from .release import DEFAULT_SHARD_ROWS, check_version
from .shards import (
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
    printable,
    raw_location,
    read_content,
    unprintable,
)
from .split import DEFAULT_SPLITS, assign_split, check_splits
from .text import ToneStyle, check_tone_style
from .timings import StageClock, total_seconds

# A worker's chunk of raw files: big enough to keep workers busy, small enough to stay in memory.
CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_FILES = 2_000


@dataclass
class BuildReport:
    """What a build did: where it wrote, records per split, and what became of every input.

    ``inputs == published + len(rejected) + len(duplicates) + len(near_duplicates)`` always
    holds. ``written`` is False when the version was already published by the same
    build (nothing to do); ``replaced`` is True when ``force`` rewrote it. ``clusters`` is
    the manifest's report of the near-duplicate clusters; ``conflicts`` lists the articles
    that bridge clusters a previous release published in different splits. ``cpu_seconds`` is
    the CPU time the build spent in each stage (:data:`~vn_security_corpus.timings.STAGES`),
    summed over its workers (``cluster``: the driver's share of the near-duplicate step, and the
    shard plan it gives).
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
    near_duplicates: list[NearDuplicate] = field(default_factory=list)
    clusters: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        """Articles that bridge clusters a previous release published in different splits."""
        return list(self.clusters.get("conflicts", []))


@dataclass(frozen=True)
class BuildOptions:
    """The settings every worker of a build needs."""

    splits: dict[str, float]
    tone_style: ToneStyle
    max_file_bytes: int
    mask_pii: bool = False
    other_languages: str = "reject"


@dataclass(frozen=True)
class Chunk:
    """A batch of raw files for one worker, and where it writes their records."""

    files: tuple[RawFile, ...]
    options: BuildOptions
    spill_dir: Path
    index: int

    def spill(self, split: str) -> Path:
        """The file where this chunk's records of ``split`` go."""
        return self.spill_dir / f"{self.index:06d}-{split}.arrow"

    @property
    def inputs(self) -> Path:
        """The file where this chunk lists the raw files it read (:func:`_inputs_table`)."""
        return self.spill_dir / f"{self.index:06d}.inputs.arrow"


@dataclass
class ChunkResult:
    """What one chunk gave: its records' ids per split (the records are in its spill file of
    each split), the inputs it rejected, and the file that lists each raw file it read with its
    SHA-256 (read back for the manifest). Compact (Arrow arrays): the driver keeps one per chunk
    until the end of the build."""

    files: int
    spills: dict[str, Path]
    ids: dict[str, pa.Array]  # in the order of the spill file's rows: sorted
    rejected: list[Rejected]
    inputs: Path  # in the spill folder: file, sha256 (null: not read)
    node: str = ""  # where the chunk was read (messages name it)
    seconds: dict[str, float] = field(default_factory=dict)  # CPU time by stage (timings.STAGES)

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
    clock = StageClock()
    with _without_cycle_collection():
        results = process_files(
            chunk.files,
            tone_style=options.tone_style,
            mask_pii=options.mask_pii,
            max_file_bytes=options.max_file_bytes,
            other_languages=options.other_languages,
            clock=clock,
        )
        for result in results:
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
        clock.restart()
        for split, split_records in by_split.items():
            split_records.sort(key=lambda record: str(record["id"]))  # the spill file's order
            table = spill_table(split_records)
            clock.lap("spill")
            near = signature_columns(  # for the near-duplicate step
                [record["title"] for record in split_records],
                [record["text"] for record in split_records],
                options.tone_style,
            )
            clock.lap("sign")
            for name, column in near.items():
                table = table.append_column(name, column)
            write_spill(table, chunk.spill(split))
            ids[split] = table.column("id").combine_chunks()
            del table
            clock.lap("spill")
    write_spill(_inputs_table(list(inputs), list(inputs.values())), chunk.inputs)
    del records, by_split
    release_memory()
    spills = {split: chunk.spill(split) for split in ids}
    return ChunkResult(len(chunk.files), spills, ids, rejected, chunk.inputs, current_node(), clock.seconds)


def _inputs_table(files: list[str], sha256: list[str | None]) -> pa.Table:
    """Raw files and their SHA-256 (null: not read), typed even when there are none (a part of a file
    that holds only blank lines)."""
    return pa.table({"file": pa.array(files, pa.string()), "sha256": pa.array(sha256, pa.string())})


def _read_inputs(result: ChunkResult) -> pa.Table:
    """The raw files a chunk read, with their SHA-256 (:func:`_inputs_table`), from its file in the spill folder."""
    with pa.OSFile(str(result.inputs)) as source:
        return pa.ipc.open_file(source).read_all()


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: records hold no cycles, and collecting thousands of
    them over and over costs a good part of a chunk's time (bench/run.py shows it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class ShardTask:
    """One shard for a worker to write: its plan, where its records are in the spill files, the staging
    folder, the cluster ids of its records that have near-duplicates and the records it leaves out."""

    plan: ShardPlan
    spills: tuple[SpillRange, ...]
    staging: Path
    clusters: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, tuple[str, float]] = field(default_factory=dict)


def write_shard_task(task: ShardTask) -> tuple[Shard, float]:
    """Write one shard (the reduce stage of a build, run by the workers); the shard, and the CPU
    seconds it took."""
    clock = StageClock()
    shard = write_shard(task.plan, task.spills, task.staging, task.clusters, task.dropped)
    release_memory()  # a worker keeps no more than its current task needs
    clock.lap("write")
    return shard, clock.seconds["write"]


def chunk_files(files: Sequence[RawFile], options: BuildOptions, spill_dir: Path) -> list[Chunk]:
    """``files`` in chunks of about :data:`CHUNK_BYTES` (a large file makes a chunk of its own). A JSON
    Lines file larger than that is cut into parts of about :data:`CHUNK_BYTES` of lines, each a chunk of
    its own, so that a worker never holds more than a chunk's records (this reads the file once, to
    hash it and find where its lines start: see :func:`~vn_security_corpus.records.json_lines_parts`).

    >>> raw = [RawFile.at(p) for p in sorted((Path(__file__).parent.parent / "raw").iterdir())]
    >>> [len(chunk.files) for chunk in chunk_files(raw * 3, BuildOptions({}, "traditional", 1), Path("/x"))]
    [15]
    """
    chunks: list[list[RawFile]] = [[]]
    size = 0
    for raw in _parts(files, options.max_file_bytes):
        if chunks[-1] and (size + raw.size > CHUNK_BYTES or len(chunks[-1]) >= CHUNK_FILES):
            chunks.append([])
            size = 0
        chunks[-1].append(raw)
        size += raw.size
    return [Chunk(tuple(part), options, spill_dir, index) for index, part in enumerate(chunks) if part]


def _parts(files: Iterable[RawFile], max_file_bytes: int) -> Iterator[RawFile]:
    """``files``, each JSON Lines file larger than :data:`CHUNK_BYTES` cut into parts of about that size."""
    for raw in files:
        if raw.size > CHUNK_BYTES and raw.part is None and PurePosixPath(raw.name).suffix.lower() == ".jsonl":
            yield from json_lines_parts(raw, CHUNK_BYTES, max_file_bytes)
        else:
            yield raw


def _unread_files(chunks: Sequence[Chunk], results: Sequence[ChunkResult]) -> list[Rejected]:
    """The files cut into parts of which no part held an input (only blank lines, say): each is
    rejected as a whole, as it is when it is read whole."""
    parts = {printable(raw.name): raw for chunk in chunks for raw in chunk.files if raw.part and raw.part.start == 0}
    if parts:
        for result in results:
            for name in _read_inputs(result).column("file").to_pylist():
                parts.pop(name, None)
    return [no_input(raw, raw.part.sha256 if raw.part else None) for raw in parts.values()]


def _raw_files(results: Sequence[ChunkResult], unread: Sequence[Rejected]) -> list[dict[str, str | None]]:
    """The manifest's ``inputs``: every raw file read, once (a file cut into parts is read by several
    chunks), with its SHA-256, sorted by name."""
    extra = _inputs_table([r.file for r in unread], [r.sha256 for r in unread])
    rows = pa.concat_tables([*map(_read_inputs, results), extra]).sort_by("file").to_pylist()
    return [row for index, row in enumerate(rows) if index == 0 or row["file"] != rows[index - 1]["file"]]


def build(
    raw_dir: str | PathLike[str] | RemoteFolder,
    out_dir: str | PathLike[str],
    version: str,
    *,
    splits: Mapping[str, float] = DEFAULT_SPLITS,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    tone_style: ToneStyle = CANONICAL_STYLE,
    mask_pii: bool = False,
    allow_invalid: bool = False,
    force: bool = False,
    allow_version_rule_break: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    jobs: int | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    ray_timeout: float | None = None,
    progress: bool | None = None,
    near_duplicates: NearDuplicates = "keep",
    near_duplicate_threshold: float = THRESHOLD,
    previous: str | PathLike[str] | None = None,
    other_languages: str = "reject",
) -> BuildReport:
    """Build release ``out_dir/version`` from the raw files in ``raw_dir``: a local folder, or an
    fsspec URL (``s3://bucket/raw``, ``zip://raw::file:///data/corpus.zip``) that every worker reads.

    ``tone_style`` is the tone-mark style of the release's text: ``traditional``
    (hòa, thủy, úy) or ``new`` (hoà, thuỷ, uý); ids and splits do not depend on it.
    ``mask_pii`` replaces personal identifiers (phone, ID card, licence plate, e-mail and bank
    account numbers) in title and text with typed placeholders; they are counted either way.
    Strict: if any input is invalid nothing is written and
    :class:`~vn_security_corpus.errors.InvalidInputError` lists every problem.
    ``allow_invalid=True`` publishes the valid inputs and lists the others,
    with their reasons, in the manifest. Files larger than ``max_file_bytes``
    are rejected unread. A version already published from other input is a
    ReleaseError saying what changed, unless ``force=True``, which rewrites it
    (atomically, with a :class:`~vn_security_corpus.errors.RewriteWarning`).
    A version number smaller than the changes since the previous release in ``out_dir`` need
    (semantic versioning as TFDS applies it; see :mod:`vn_security_corpus.diff`) is a ReleaseError
    saying which version to build, unless ``allow_version_rule_break=True``.

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

    Between the two stages, near-duplicates (exact Jaccard of 5-syllable shingles at or
    above ``near_duplicate_threshold``) are clustered and every member of a cluster gets the
    same split; ``near_duplicates="drop"`` publishes only each cluster's canonical member and
    lists the others in the manifest. Splits never move: an article published by the
    previous release (``previous``: a release folder, or by default the newest older release
    in ``out_dir``) keeps its split, and new members of its cluster join it.

    An article whose measured language (``lang``) is not Vietnamese is rejected, naming the
    language, unless ``other_languages="publish"`` publishes it with its language code.
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
    check_near_duplicates(near_duplicates, near_duplicate_threshold)
    if previous is not None and not Path(previous).is_dir():
        raise ConfigError(f"{previous}: the previous release (--previous) is not a folder")
    if other_languages not in ("reject", "publish"):
        raise ConfigError(f"other_languages must be reject or publish, not {other_languages!r}")
    options = BuildOptions(check_splits(splits), tone_style, max_file_bytes, mask_pii, other_languages)
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
            results = list(_map_chunks(workers, chunks, sum(len(chunk.files) for chunk in chunks), progress))
            unread = _unread_files(chunks, results)
            del chunks, files  # the file list grows with the corpus: only the results are needed now
            _check_unread_inputs(results, raw, max_file_bytes)
            rejected = sorted(
                [*(r for result in results for r in result.rejected), *unread], key=lambda r: (r.file, r.line or 0)
            )
            records = sum(result.records for result in results)
            if rejected and (not allow_invalid or not records):
                raise InvalidInputError(_problems(rejected, records, raw_dir))
            spills = [SpillFile(r.spills[split], split, r.ids[split]) for r in results for split in sorted(r.spills)]
            clock = StageClock()
            clustering = cluster_records(
                spills,
                list(options.splits),
                workers,
                mode=near_duplicates,
                threshold=near_duplicate_threshold,
                previous=previous_release(Path(out_dir), version, previous),
            )
            tasks = _shard_tasks(spills, clustering, options, shard_rows, staging)
            clock.lap("cluster")
            shard_results = list(_map_shards(workers, tasks, progress))
            shards = [shard for shard, _ in shard_results]
        raw_files = _raw_files(results, unread)
        shutil.rmtree(spill_dir)
        duplicates = sorted((d for shard in shards for d in shard.duplicates), key=lambda d: (d.file, d.line))
        near = sorted((d for shard in shards for d in shard.near_duplicates), key=lambda d: (d.file, d.line))
        published = records - len(duplicates) - len(near)
        build_info = {
            "settings": {
                "splits": options.splits,
                "tone_style": tone_style,
                "mask_pii": mask_pii,
                "near_duplicates": near_duplicates,
                "near_duplicate_threshold": near_duplicate_threshold,
                **({"other_languages": other_languages} if other_languages != "reject" else {}),
            },
            "counts": {
                "inputs": records + len(rejected),
                "published": published,
                "rejected": len(rejected),
                "duplicates": len(duplicates),
                "near_duplicates": len(near),
            },
            "repairs": _sum_counts(shard.repairs for shard in shards),
            "personal_data": _sum_counts(shard.personal_data for shard in shards),
            "conflicts": _sum_counts(shard.conflicts for shard in shards),
            "inputs": raw_files,
            "rejected": [item.to_dict() for item in rejected],
            "duplicates": [item.to_dict() for item in duplicates],
            "near_duplicates": [item.to_dict() for item in near],
            "clusters": clustering.report,
        }
        manifest = release_manifest(version, shards, build_info, shard_rows)
        outcome = commit_release(staging, manifest, force=force, allow_version_rule_break=allow_version_rule_break)
    split_rows: dict[str, int] = {}
    for shard in shards:
        split_rows[shard.plan.split] = split_rows.get(shard.plan.split, 0) + shard.rows
    return BuildReport(
        version,
        Path(out_dir) / version,
        {name: split_rows[name] for name in options.splits if name in split_rows},
        inputs=records + len(rejected),
        published=published,
        rejected=rejected,
        duplicates=duplicates,
        notices=notices,
        written=outcome != "unchanged",
        replaced=outcome == "replaced",
        near_duplicates=near,
        clusters=clustering.report,
        cpu_seconds=total_seconds(
            [*(result.seconds for result in results), clock.seconds, {"write": sum(s for _, s in shard_results)}]
        ),
    )


def _sum_counts(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The shards' counts of records per code, summed, by code: counted over the published
    records (the reduce stage counts the rows each shard keeps after removing duplicates).

    >>> _sum_counts([{"b": 1, "a": 2}, {"a": 1}])
    {'a': 3, 'b': 1}
    """
    total: Counter[str] = Counter()
    for shard_counts in counts:
        total.update(shard_counts)
    return dict(sorted(total.items()))


def _problems(rejected: Sequence[Rejected], records: int, raw_dir: object) -> list[Problem]:
    """Every problem of the ``rejected`` inputs; when no input became a record, a last line says
    that nothing can be published (a release without records is never published)."""
    problems = [problem for item in rejected for problem in item.problems]
    if not records:
        problems.append(
            Problem(
                printable(str(raw_dir)),
                None,
                "no input became a record: there is nothing to publish",
                fix="fix the inputs above",
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
            here = next(read_content(RawFile(raw, unprintable(rejected.file)), max_bytes=max_file_bytes), None)
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
    spills: Sequence[SpillFile], clustering: Clustering, options: BuildOptions, shard_rows: int, staging: Path
) -> list[ShardTask]:
    """The shards to write, planned from the ids of the records each split publishes, each with the
    rows of every spill file that belong to it: a range of its split's files (found from the ids, which
    the spill files hold sorted), and the scattered rows of near-duplicates that joined its split from
    another split's files."""
    names = list(options.splits)
    ids = {
        split: pa.chunked_array(
            [
                spill.ids.filter(pa.array((codes == code) & published))
                for spill, codes, published in zip(spills, clustering.splits, clustering.published, strict=True)
            ],
            pa.string(),
        )
        for code, split in enumerate(names)
    }
    plans = plan_shards({split: split_ids for split, split_ids in ids.items() if len(split_ids)}, shard_rows)
    del ids
    ranges: dict[ShardPlan, list[SpillRange]] = {plan: [] for plan in plans}
    for spill, codes in zip(spills, clustering.splits, strict=True):
        spill_ids = spill.ids.to_pylist()
        for plan in plans:
            rows = spill_range(spill.path, spill_ids, plan)
            if rows.stop <= rows.start:
                continue
            mine = codes[rows.start : rows.stop] == names.index(plan.split)
            if mine.all():
                ranges[plan].append(rows)
            elif mine.any():
                ranges[plan].append(rows._replace(rows=rows.start + np.flatnonzero(mine)))
    release_memory()  # what receiving the chunks' results left behind
    tasks = []
    for plan in plans:

        def inside(record_id: str, plan: ShardPlan = plan) -> bool:
            return (plan.low is None or record_id >= plan.low) and (plan.high is None or record_id < plan.high)

        tasks.append(
            ShardTask(
                plan,
                tuple(ranges[plan]),
                staging,
                {i: c for i, c in clustering.clusters.items() if i != c and inside(i)},
                {i: d for i, d in clustering.dropped.items() if inside(i)},
            )
        )
    return tasks


def _map_shards(workers: Engine, tasks: Sequence[ShardTask], progress: bool | None) -> Iterator[tuple[Shard, float]]:
    """The shards as they are written (with the CPU seconds each took), with a progress bar."""
    with tqdm(total=len(tasks), unit="shard", desc="writing", disable=_quiet(progress), leave=False) as bar:
        for shard in workers.map(write_shard_task, tasks):
            bar.update()
            yield shard


def _quiet(progress: bool | None) -> bool | None:
    """tqdm's ``disable``: None lets it show bars only on a terminal."""
    return None if progress is None else not progress
