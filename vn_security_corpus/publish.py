"""Publish a release: Parquet shards, dataset card and manifest, written atomically.

A release folder ``OUT/VERSION/`` is written into a hidden staging folder beside
it (``OUT/.VERSION.<random>.partial``) and renamed into place at the end, so it
appears complete or not at all; staging folders left by killed builds are removed
by the next build. One build at a time writes into ``OUT``: it holds an exclusive
``flock`` on the folder (see :func:`release_lock`). A published version is never
changed, unless ``force=True`` swaps the new folder for the old in one atomic
exchange. Rows are sorted by id, each shard is written from one contiguous chunk
with fixed options and no timestamps: the same records and the same pyarrow give
the same bytes.
"""

from __future__ import annotations

import bisect
import builtins
import ctypes
import hashlib
import itertools
import json
import math
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._version import __version__
from .card import render_card
from .dedup import ORIGIN_FILE, ORIGIN_LINE, ORIGIN_SHA256, Duplicate, dedupe
from .engine import release_memory
from .errors import ConfigError, ReleaseError, RewriteWarning
from .schema import arrow_schema, schema_sha256

MANIFEST = "manifest.json"
CARD = "README.md"
DATA_DIR = "data"
VERSION_PATTERN = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
STAGING_PATTERN = re.compile(rf"\.({VERSION_PATTERN.pattern})\.[0-9a-f]{{16}}\.partial")
# What makes two builds of a version the same build; anything else may differ (pyarrow, library version).
IDENTITY_KEYS = ("content_sha256", "inputs", "settings", "shard_rows", "rejected", "duplicates")
Outcome = Literal["new", "unchanged", "replaced"]
DEFAULT_SHARD_ROWS = 5_000  # about 25 MB of text: a worker writing one needs about 250 MB
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


def check_version(version: str) -> str:
    """``version`` if it is a release version ``MAJOR.MINOR.PATCH``.

    >>> check_version("1.0.0")
    '1.0.0'
    """
    if not VERSION_PATTERN.fullmatch(version):
        raise ConfigError(f"version {version!r} is not MAJOR.MINOR.PATCH, e.g. 1.0.0")
    return version


def record_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 of a record's content: the unit of the content hash (:data:`CONTENT_HASH_METHOD`).

    The record's fields other than ``title`` and ``text`` as canonical JSON (sorted keys,
    no spaces, UTF-8), then NUL, the title, NUL, the text, in UTF-8. (Title and text are
    almost all of a record and need no escaping: normalised text holds no NUL.)

    >>> record_digest({"b": 1, "title": "T", "text": "ạ"}) == record_digest({"text": "ạ", "title": "T", "b": 1})
    True
    """
    rest = {key: value for key, value in record.items() if key not in ("title", "text")}
    digest = hashlib.sha256(json.dumps(rest, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    digest.update(f"\0{record['title']}\0{record['text']}".encode())
    return digest.hexdigest()


CONTENT_HASH_METHOD = (
    "sha256 of 'split TAB record_digest LF' per row, splits and rows in published order; record_digest: v2"
)


def content_lines(rows: Iterable[tuple[str, str]]) -> bytes:
    """What the content hash (``content_sha256`` in the manifest) is the SHA-256 of, for the
    ``(split, record digest)`` rows in published order. It depends on the records only, not on
    Parquet bytes or the pyarrow version.

    >>> content_lines([("train", "ab"), ("test", "cd")])
    b'train\\tab\\ntest\\tcd\\n'
    """
    return "".join(f"{split}\t{record_sha}\n" for split, record_sha in rows).encode()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shard_name(split: str, index: int, count: int) -> str:
    """The Hugging Face style name of one shard.

    >>> shard_name("train", 0, 1)
    'data/train-00000-of-00001.parquet'
    """
    return f"{DATA_DIR}/{split}-{index:05d}-of-{count:05d}.parquet"


# The column that travels beside a record from the normalise stage to the shard writer.
DIGEST = "_digest"
_ROW = "_row"
_SPILL_ROW_GROUP = 64  # rows: a shard's range cuts at most two row groups per spill file


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
    columns: dict[str, list[Any]] = {name: [record[name] for record in records] for name in arrow_schema().names}
    columns[DIGEST] = [record_digest(record) for record in records]
    columns[ORIGIN_FILE] = [source["file"] for source in columns["source"]]
    columns[ORIGIN_LINE] = [source["line"] for source in columns["source"]]
    columns[ORIGIN_SHA256] = [source["sha256"] for source in columns["source"]]
    return pa.table([pa.array(columns[field.name], field.type) for field in schema], schema=schema)


def write_spill(table: pa.Table, path: Path) -> None:
    """Write a :func:`spill_table` as a Parquet file of small uncompressed row groups, so that
    a shard reads back little more than its rows (with plain reads: memory-mapping many files
    would count every page the kernel maps around each column as the build's own memory)."""
    pq.write_table(table, path, compression="none", use_dictionary=False, row_group_size=_SPILL_ROW_GROUP)


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
    (:func:`content_lines`, compact: a build holds every shard's), the duplicates it dropped."""

    plan: ShardPlan
    sha256: str
    bytes: int
    rows: int
    arrow_bytes: int
    content: builtins.bytes  # (this class's ``bytes`` is a field)
    duplicates: list[Duplicate]


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
    """Rows ``start`` to ``stop`` (excluded) of a spill file."""

    path: Path
    start: int
    stop: int


def spill_range(path: Path, ids: Sequence[str], plan: ShardPlan) -> SpillRange:
    """The rows of spill file ``path`` (its ``ids``, sorted) that belong to shard ``plan``.

    >>> spill_range(Path("s"), ["a", "b", "c", "d"], ShardPlan("train", 0, 2, "b", "d"))
    SpillRange(path=PosixPath('s'), start=1, stop=3)
    """
    start = 0 if plan.low is None else bisect.bisect_left(ids, plan.low)
    stop = len(ids) if plan.high is None else bisect.bisect_left(ids, plan.high)
    return SpillRange(path, start, stop)


def read_spill(spill: SpillRange) -> pa.Table:
    """The rows of ``spill``, reading only the row groups that hold them."""
    file = pq.ParquetFile(spill.path)
    ends = list(itertools.accumulate(file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)))
    first, last = bisect.bisect_right(ends, spill.start), bisect.bisect_left(ends, spill.stop)
    offset = ends[first - 1] if first else 0
    rows = file.read_row_groups(range(first, last + 1), use_threads=False).slice(spill.start - offset)
    # A copy of just these rows (a slice would hold the whole row groups until the shard is written),
    # its list items named as in the schema (Parquet calls them "element": the shard's bytes would differ).
    return rows.take(pa.array(range(spill.stop - spill.start))).cast(spill_schema())


def write_shard(plan: ShardPlan, spills: Sequence[SpillRange], staging: Path) -> Shard:
    """Write one shard of a release into ``staging``: its records gathered from the ranges of
    the spill files that hold them, deduplicated, sorted by id, one chunk, fixed options (the
    same records give the same bytes). Only the light columns are sorted; the records are
    taken in order once.
    """
    pieces = [read_spill(spill) for spill in spills]
    candidates = pa.concat_tables(pieces).combine_chunks()  # take() on many chunks would concatenate them again
    del pieces
    light = candidates.select(["id", ORIGIN_FILE, ORIGIN_LINE, ORIGIN_SHA256, DIGEST])
    kept, duplicates = dedupe(light.append_column(_ROW, pa.array(range(candidates.num_rows), pa.int64())))
    data = candidates.select(arrow_schema().names).take(kept[_ROW])
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
        content_lines((plan.split, digest) for digest in kept.column(DIGEST).to_pylist()),
        duplicates,
    )


@contextmanager
def staging_area(out_dir: Path, version: str) -> Iterator[Path]:
    """A fresh staging folder for release ``out_dir/version``, under the folder's lock.

    Staging folders that killed builds left behind are removed first; this one is
    removed on the way out, unless :func:`commit_release` renamed it into place. A build
    that fails leaves no trace: not even ``out_dir``, if it created it (and got its lock).
    """
    check_version(version)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    with release_lock(out_dir):  # (a build that does not get it leaves the folder to the build that has it)
        staging, failed = out_dir / f".{version}.{secrets.token_hex(8)}.partial", True
        try:
            _remove_leftovers(out_dir)
            staging.mkdir()
            yield staging
            failed = False
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if failed and created and not any(out_dir.iterdir()):
                out_dir.rmdir()


def commit_release(
    staging: Path,
    version: str,
    shards: Sequence[Shard],
    *,
    build_info: Mapping[str, Any],
    shard_rows: int,
    force: bool = False,
) -> Outcome:
    """Finish the release written into ``staging`` (its card and manifest) and put it in place.

    Returns ``new``; ``unchanged`` when the version was already published by the same
    build (``staging`` is then left to be removed); ``replaced`` when it was published from
    other input and ``force`` rewrote it, with a :class:`~vn_security_corpus.errors.RewriteWarning`.
    Without ``force``, other input for a published version is a ReleaseError saying what changed.
    """
    out_dir, target = staging.parent, staging.parent / version
    shards = sorted(
        shards, key=lambda shard: (list(build_info["settings"]["splits"]).index(shard.plan.split), shard.plan.index)
    )
    content = hashlib.sha256()
    for shard in shards:
        content.update(shard.content)
    files: dict[str, dict[str, Any]] = {
        shard.plan.name: {"sha256": shard.sha256, "bytes": shard.bytes, "rows": shard.rows} for shard in shards
    }
    split_info: dict[str, dict[str, Any]] = {}
    for shard in shards:
        entry = split_info.setdefault(shard.plan.split, {"rows": 0, "arrow_bytes": 0, "files": []})
        entry["rows"] += shard.rows
        entry["arrow_bytes"] += shard.arrow_bytes
        entry["files"].append(shard.plan.name)
    manifest = {
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
    }
    exchange = None
    if target.exists():
        changes = release_changes(target, manifest, staging)
        if not changes:
            return "unchanged"
        if not force:
            raise ReleaseError(
                f"{target}: version {version} is already published from other input: {'; '.join(changes)}. "
                f"A published version never changes: build a new version (e.g. {_next_version(out_dir)}), "
                "or pass --force (force=True) to rewrite this one, which rewrites history for everyone who has it"
            )
        exchange = _exchange_function()
        warnings.warn(
            f"rewriting published version {version} in {out_dir} (force): {'; '.join(changes)}; "
            "whoever already has this version now holds other data under the same name",
            RewriteWarning,
            stacklevel=3,
        )
    (staging / CARD).write_text(render_card(manifest, files), encoding="utf-8")
    files[CARD] = {"sha256": file_sha256(staging / CARD), "bytes": (staging / CARD).stat().st_size}
    manifest["files"] = dict(sorted(files.items()))
    with (staging / MANIFEST).open(
        "w", encoding="utf-8"
    ) as stream:  # written as encoded: a large one is never whole in memory
        json.dump(manifest, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    _fsync_tree(staging)
    if exchange is None:
        staging.rename(target)
    else:
        exchange(staging, target)  # staging now holds the old release, removed by staging_area
    _fsync(out_dir)
    return "new" if exchange is None else "replaced"


@contextmanager
def release_lock(out_dir: Path) -> Iterator[None]:
    """Hold the publishing lock of ``out_dir``: an exclusive ``flock`` on the folder itself.

    A second build into the same folder fails at once with a ReleaseError
    instead of waiting. The kernel drops the lock when its holder ends, even by
    SIGKILL, so it never goes stale, and no lock file is left behind.

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> with release_lock(folder):
    ...     with release_lock(folder):
    ...         pass
    Traceback (most recent call last):
    vn_security_corpus.errors.ReleaseError: /...: another build is publishing into this folder; ...
    """
    import fcntl  # POSIX only: building needs it, loading (which imports this module) does not

    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReleaseError(
                f"{out_dir}: another build is publishing into this folder; wait for it to end, then build again"
            ) from None
        yield
    finally:
        os.close(fd)


def _remove_leftovers(out_dir: Path) -> None:
    """Remove the staging folders of builds that were killed (only call under :func:`release_lock`)."""
    for path in out_dir.iterdir():
        if STAGING_PATTERN.fullmatch(path.name) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)


def read_manifest(release: Path) -> dict[str, Any]:
    """The manifest of the release folder ``release``."""
    path = release / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseError(f"{release}: not a release (no {MANIFEST})") from None
    except (OSError, ValueError) as error:
        raise ReleaseError(f"{path}: unreadable manifest ({error}); rebuild or restore the release") from None
    return manifest


def release_changes(release: Path, manifest: Mapping[str, Any], staging: Path) -> list[str]:
    """What differs between published ``release`` and a new build of it (empty: the same build).

    ``manifest`` is the new build's, whose shards are in ``staging``.
    """
    old = read_manifest(release)
    if all((old.get(key) or None) == (manifest.get(key) or None) for key in IDENTITY_KEYS):
        return []
    changes = []
    before = {entry["file"]: entry["sha256"] for entry in old.get("inputs", [])}
    after = {entry["file"]: entry["sha256"] for entry in manifest.get("inputs", [])}
    for label, names in (
        ("added", after.keys() - before.keys()),
        ("removed", before.keys() - after.keys()),
        ("changed", {name for name in before.keys() & after.keys() if before[name] != after[name]}),
    ):
        if names:
            changes.append(f"inputs {label}: {_some(names)}")
    published, ids = _published_ids(release, old), _published_ids(staging, manifest)
    added, removed = len(ids - published), len(published - ids)
    if added or removed:
        changes.append(f"records: {added} added, {removed} removed")
    elif old.get("content_sha256") != manifest.get("content_sha256"):
        changes.append(
            "records changed, same ids (library "
            f"{old.get('library_version')} → {__version__}, schema {str(old.get('schema_sha256'))[:8]}… → "
            f"{schema_sha256()[:8]}…)"
        )
    for key in ("settings", "shard_rows"):
        if old.get(key) != manifest.get(key):
            changes.append(f"{key}: {json.dumps(old.get(key))} → {json.dumps(manifest.get(key))}")
    for key in ("rejected", "duplicates"):
        if (old.get(key) or []) != (manifest.get(key) or []):
            changes.append(f"{key} inputs: {len(old.get(key) or [])} → {len(manifest.get(key) or [])}")
    return changes


def _published_ids(release: Path, manifest: Mapping[str, Any]) -> set[str]:
    files = [release / name for split in manifest.get("splits", {}).values() for name in split["files"]]
    try:
        return set(pq.read_table([str(path) for path in files], columns=["id"]).column("id").to_pylist())
    except (OSError, pa.ArrowException) as error:
        raise ReleaseError(f"{release}: its Parquet files cannot be read ({error}); run verify on it") from None


def _some(names: Iterable[str], shown: int = 5) -> str:
    """A few of ``names``, sorted, and how many more.

    >>> _some(["c", "a", "b"], 2)
    'a, b and 1 more'
    """
    ordered = sorted(names)
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(ordered[:shown]) + more


def _next_version(out_dir: Path) -> str:
    """The patch version after the newest one in ``out_dir``."""
    found = [tuple(map(int, p.name.split("."))) for p in out_dir.iterdir() if VERSION_PATTERN.fullmatch(p.name)]
    major, minor, patch = max(found, default=(1, 0, -1))
    return f"{major}.{minor}.{patch + 1}"


def _exchange_function() -> Callable[[Path, Path], None]:
    """A function that swaps two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise ReleaseError(
            "rewriting a published version needs an atomic exchange of two folders (Linux renameat2), "
            "which this system lacks; remove the old version yourself, then build it"
        )
    at_fdcwd, rename_exchange = -100, 2

    def exchange(first: Path, second: Path) -> None:
        if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) != 0:
            code = ctypes.get_errno()
            raise ReleaseError(f"{second}: cannot swap in the new release ({os.strerror(code)})")

    return exchange


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` and the folders themselves, so a rename publishes durable data."""
    for path in sorted(folder.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(folder)
