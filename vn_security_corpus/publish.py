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

import ctypes
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from ._version import __version__
from .card import render_card
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
DEFAULT_SHARD_ROWS = 50_000
# Every option that changes the bytes is fixed here and recorded in the manifest.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "version": "2.6",
    "row_group_size": 10_000,
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
    """SHA-256 of a record's canonical JSON: the unit of the content hash.

    >>> record_digest({"b": 1, "a": "ạ"}) == record_digest({"a": "ạ", "b": 1})
    True
    """
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def content_sha256(rows: Iterable[tuple[str, str]]) -> str:
    """The content hash of a release from ``(split, record digest)`` in published order.

    It depends on the records only, not on Parquet bytes or the pyarrow version.
    """
    digest = hashlib.sha256()
    for split, record_sha in rows:
        digest.update(f"{split}\t{record_sha}\n".encode())
    return digest.hexdigest()


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


def publish(
    records: Mapping[str, Sequence[dict[str, Any]]],
    out_dir: Path,
    version: str,
    *,
    build_info: Mapping[str, Any],
    shard_rows: int = DEFAULT_SHARD_ROWS,
    force: bool = False,
) -> tuple[Path, Outcome]:
    """Write release ``out_dir/version`` from the records of each split.

    ``build_info`` goes into the manifest as is (settings, inputs, rejected, …).
    Empty splits are left out. Returns the release path and what happened:
    ``new``; ``unchanged`` (the version was already published by the same
    build); ``replaced`` (it was published from other input and ``force`` rewrote
    it, with a :class:`~vn_security_corpus.errors.RewriteWarning`). Without
    ``force``, other input for a published version is a ReleaseError saying what changed.
    """
    check_version(version)
    if shard_rows < 1:
        raise ConfigError(f"shard_rows must be at least 1, not {shard_rows}")
    target = out_dir / version
    splits = {name: sorted(rows, key=lambda r: str(r["id"])) for name, rows in records.items() if rows}
    content = content_sha256((name, record_digest(row)) for name, rows in splits.items() for row in rows)
    identity = {**build_info, "content_sha256": content, "shard_rows": shard_rows}
    out_dir.mkdir(parents=True, exist_ok=True)
    with release_lock(out_dir):
        _remove_leftovers(out_dir)
        exchange = None
        if target.exists():
            ids = {str(row["id"]) for rows in splits.values() for row in rows}
            changes = release_changes(target, identity, ids)
            if not changes:
                return target, "unchanged"
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
        staging = out_dir / f".{version}.{secrets.token_hex(8)}.partial"
        staging.mkdir()
        try:
            _write_release(staging, splits, version, content, shard_rows, build_info)
            if exchange is None:
                staging.rename(target)
            else:
                exchange(staging, target)  # staging now holds the old release
            _fsync(out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target, "new" if exchange is None else "replaced"


def _write_release(
    staging: Path,
    splits: Mapping[str, Sequence[dict[str, Any]]],
    version: str,
    content: str,
    shard_rows: int,
    build_info: Mapping[str, Any],
) -> None:
    """Shards, card and manifest of a release into the empty folder ``staging``, flushed to disk."""
    files: dict[str, dict[str, Any]] = {}
    split_info: dict[str, dict[str, Any]] = {}
    for name, rows in splits.items():
        table = pa.Table.from_pylist(list(rows), schema=arrow_schema())
        count = math.ceil(table.num_rows / shard_rows)
        names = [shard_name(name, index, count) for index in range(count)]
        for index, relative in enumerate(names):
            shard = table.slice(index * shard_rows, shard_rows).combine_chunks()
            path = staging / relative
            path.parent.mkdir(exist_ok=True)
            pq.write_table(shard, path, **PARQUET_OPTIONS)
            files[relative] = {"sha256": file_sha256(path), "bytes": path.stat().st_size, "rows": shard.num_rows}
        split_info[name] = {"rows": table.num_rows, "arrow_bytes": table.nbytes, "files": names}
    manifest = {
        "name": "vn_security_corpus",
        "version": version,
        "library_version": __version__,
        "pyarrow_version": pa.__version__,
        "schema_sha256": schema_sha256(),
        "content_sha256": content,
        "parquet": PARQUET_OPTIONS,
        "shard_rows": shard_rows,
        "splits": split_info,
        **build_info,
    }
    (staging / CARD).write_text(render_card(manifest, files), encoding="utf-8")
    files[CARD] = {"sha256": file_sha256(staging / CARD), "bytes": (staging / CARD).stat().st_size}
    manifest["files"] = dict(sorted(files.items()))
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _fsync_tree(staging)


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


def release_changes(release: Path, identity: Mapping[str, Any], ids: set[str]) -> list[str]:
    """What differs between published ``release`` and a build of it (empty: the same build).

    ``identity`` holds the new build's :data:`IDENTITY_KEYS`; ``ids`` its record ids.
    """
    old = read_manifest(release)
    if all((old.get(key) or None) == (identity.get(key) or None) for key in IDENTITY_KEYS):
        return []
    changes = []
    before = {entry["file"]: entry["sha256"] for entry in old.get("inputs", [])}
    after = {entry["file"]: entry["sha256"] for entry in identity.get("inputs", [])}
    for label, names in (
        ("added", after.keys() - before.keys()),
        ("removed", before.keys() - after.keys()),
        ("changed", {name for name in before.keys() & after.keys() if before[name] != after[name]}),
    ):
        if names:
            changes.append(f"inputs {label}: {_some(names)}")
    published = _published_ids(release, old)
    added, removed = len(ids - published), len(published - ids)
    if added or removed:
        changes.append(f"records: {added} added, {removed} removed")
    elif old.get("content_sha256") != identity.get("content_sha256"):
        changes.append(
            "records changed, same ids (library "
            f"{old.get('library_version')} → {__version__}, schema {str(old.get('schema_sha256'))[:8]}… → "
            f"{schema_sha256()[:8]}…)"
        )
    for key in ("settings", "shard_rows"):
        if old.get(key) != identity.get(key):
            changes.append(f"{key}: {json.dumps(old.get(key))} → {json.dumps(identity.get(key))}")
    for key in ("rejected", "duplicates"):
        if (old.get(key) or []) != (identity.get(key) or []):
            changes.append(f"{key} inputs: {len(old.get(key) or [])} → {len(identity.get(key) or [])}")
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
