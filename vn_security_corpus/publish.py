"""Publish a release: the transaction that puts a built release in place, atomically.

A release folder ``OUT/VERSION/`` is written into a hidden staging folder beside
it (``OUT/.VERSION.<random>.partial``) and renamed into place at the end, so it
appears complete or not at all; staging folders left by killed builds are removed
by the next build. One build at a time writes into ``OUT``: it holds an exclusive
``flock`` on the folder (see :func:`release_lock`). A published version is never
changed, unless ``force=True`` swaps the new folder for the old in one atomic
exchange. Building the shards and the manifest is :mod:`vn_security_corpus.shards`' work.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import shutil
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ._version import __version__
from .card import render_card
from .errors import ConfigError, ReleaseError, RewriteWarning
from .extras import prepare_release, write_root_card
from .release import (
    CARD,
    MANIFEST,
    VERSION_PATTERN,
    check_manifest,
    check_version,
    file_sha256,
    read_manifest,
    version_key,
)
from .schema import schema_sha256

STAGING_PATTERN = re.compile(rf"\.({VERSION_PATTERN.pattern})\.[0-9a-f]{{16}}\.partial")
# What makes two builds of a version the same build; anything else may differ (pyarrow, library version).
IDENTITY_KEYS = ("content_sha256", "inputs", "settings", "shard_rows", "rejected", "duplicates")
Outcome = Literal["new", "unchanged", "replaced"]
_SETTINGS = "settings changed: "  # how release_changes starts a change of settings


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
    staging: Path, manifest: dict[str, Any], *, force: bool = False, allow_version_rule_break: bool = False
) -> Outcome:
    """Finish the release written into ``staging`` (its card, then its manifest, checked against
    the manifest schema) and put it in place; ``manifest`` is the build's
    (:func:`~vn_security_corpus.shards.release_manifest`), its ``files`` the shards.

    Returns ``new``; ``unchanged`` when the version was already published by the same
    build (``staging`` is then left to be removed); ``replaced`` when it was published from
    other input and ``force`` rewrote it, with a :class:`~vn_security_corpus.errors.RewriteWarning`.
    Without ``force``, other input for a published version is a ReleaseError saying what changed.
    A version smaller than its changes since the previous release need is a ReleaseError too,
    unless ``allow_version_rule_break`` (see :mod:`vn_security_corpus.diff`).
    """
    out_dir, version = staging.parent, manifest["version"]
    target = out_dir / version
    exchange = None
    if target.exists():
        changes = release_changes(target, manifest, staging)
        if not changes:
            write_root_card(out_dir)  # (a root built before it had one gets it)
            return "unchanged"
        if not force:
            what = "other settings" if all(change.startswith(_SETTINGS) for change in changes) else "other input"
            raise ReleaseError(
                f"{target}: version {version} is already published from {what}: {'; '.join(changes)}. "
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
    files = dict(manifest["files"])
    # Release notes and the versioning rule, statistics, plots, licence, croissant.json (extras.py).
    extras = prepare_release(staging, manifest, allow_version_rule_break=allow_version_rule_break)
    files.update(extras.files)
    (staging / CARD).write_text(render_card(manifest, files, extras), encoding="utf-8")
    files[CARD] = {"sha256": file_sha256(staging / CARD), "bytes": (staging / CARD).stat().st_size}
    manifest["files"] = dict(sorted(files.items()))
    check_manifest(manifest, str(staging / MANIFEST))
    with (staging / MANIFEST).open("w", encoding="utf-8") as stream:  # written as encoded: never whole in memory
        json.dump(manifest, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    _fsync_tree(staging)
    if exchange is None:
        staging.rename(target)
    else:
        exchange(staging, target)  # staging now holds the old release, removed by staging_area
    _fsync(out_dir)
    write_root_card(out_dir)  # the root's README.md: one datasets config per version
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
    try:
        import fcntl  # POSIX only: building needs it, loading does not
    except ImportError:
        raise ConfigError(
            f"building releases needs Linux (or another POSIX system) for its lock and atomic rename; "
            f"this is {sys.platform}: build there, then copy the release folder (loading works anywhere)"
        ) from None

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


def release_changes(release: Path, manifest: Mapping[str, Any], staging: Path) -> list[str]:
    """What differs between published ``release`` and a new build of it (empty: the same build).

    ``manifest`` is the new build's, whose shards are in ``staging``.
    """
    old = read_manifest(release).data
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
            changes.append(f"{_SETTINGS}{key}: {json.dumps(old.get(key))} → {json.dumps(manifest.get(key))}")
    for key in ("rejected", "duplicates"):
        if (old.get(key) or []) != (manifest.get(key) or []):
            changes.append(f"{key} inputs: {len(old.get(key) or [])} → {len(manifest.get(key) or [])}")
    return changes


def _published_ids(release: Path, manifest: Mapping[str, Any]) -> set[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    found = [version_key(p.name) for p in out_dir.iterdir() if VERSION_PATTERN.fullmatch(p.name)]
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
