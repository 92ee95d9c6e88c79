"""Publish a release: the transaction that puts a built release in place, atomically.

A release folder ``OUT/VERSION/`` is written into a hidden staging folder beside
it (``OUT/.VERSION.<random>.partial``), its ``checksums`` file last, and renamed into
place at the end, so it appears complete or not at all; staging folders left by
killed builds are removed by the next build. One build at a time writes into
``OUT``: it holds an exclusive ``flock`` on ``OUT/.lock`` (see :func:`release_lock`).
A published version is never changed, unless ``force=True`` swaps the new folder for
the old in one atomic exchange; a damaged one is repaired that way too. Building the
shards and the manifest is :mod:`vn_security_corpus.shards`' work.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import shutil
import stat
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
    CHECKSUMS,
    MANIFEST,
    VERSION_PATTERN,
    check_manifest,
    check_version,
    file_sha256,
    format_checksums,
    read_manifest,
    version_key,
)
from .schema import schema_sha256
from .verify import verification

STAGING_PATTERN = re.compile(rf"\.({VERSION_PATTERN.pattern})\.[0-9a-f]{{16}}\.partial")
# What makes two builds of a version the same build; anything else may differ (pyarrow, library version).
IDENTITY_KEYS = ("content_sha256", "inputs", "settings", "shard_rows", "rejected", "duplicates")
Outcome = Literal["new", "unchanged", "replaced"]
_SETTINGS = "settings changed: "  # how release_changes starts a change of settings
LOCK = ".lock"  # the lock file of an output folder, there while a build holds it
_HISTORY = "whoever already has this version now holds other data under the same name"


@contextmanager
def staging_area(out_dir: Path, version: str) -> Iterator[Path]:
    """A fresh staging folder for release ``out_dir/version``, under the folder's lock.

    Staging folders that killed builds left behind are removed first; this one is
    removed on the way out, unless :func:`commit_release` renamed it into place. A build
    that fails leaves no trace: not even ``out_dir``, nor the folders above it, that it
    created (when it got the lock; a build that does not get it leaves the folder to the
    build that has it).
    """
    check_version(version)
    created = _missing_folders(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        with release_lock(out_dir):
            failed = True
            staging = out_dir / f".{version}.{secrets.token_hex(8)}.partial"
            try:
                _remove_leftovers(out_dir)
                staging.mkdir()
                yield staging
                failed = False
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        if failed:  # (the lock and its file are gone: the folders may be empty now)
            for folder in created:
                try:
                    folder.rmdir()
                except OSError:  # not empty (another build began meanwhile): it and those above stay
                    break


def _missing_folders(folder: Path) -> list[Path]:
    """The folders on the way to ``folder`` (itself included) that do not exist, innermost first.

    >>> import tempfile; top = Path(tempfile.mkdtemp())
    >>> [path.relative_to(top).as_posix() for path in _missing_folders(top / "a" / "b")]
    ['a/b', 'a']
    """
    folder = folder.resolve()
    missing = []
    while not (folder.exists() or folder.is_symlink()) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


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
        damage = _damage(target)
        if not damage:
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
            message = f"rewriting published version {version} in {out_dir} (force): {'; '.join(changes)}; {_HISTORY}"
        else:
            known = _changes_of_damaged(target, manifest)
            if known is None:
                same = "its manifest cannot be read, so whether this build is the one it came from is unknown"
            elif known:
                same = f"this build is not the one it came from ({'; '.join(known)}): --force rewrites history"
            else:
                same = "this build is the one it came from (same input and settings): --force repairs it"
            if not force:
                raise ReleaseError(
                    f"{target}: version {version} is published but damaged: {'; '.join(damage)}; {same}. "
                    "Pass --force (force=True) to rebuild it in place"
                )
            if known == []:
                message = (
                    f"repairing published version {version} in {out_dir} (force): {'; '.join(damage)}; "
                    "it is rebuilt from the input and settings it was built from"
                )
            else:
                message = (
                    f"rewriting damaged version {version} in {out_dir} (force): {'; '.join(damage)}; {same}; {_HISTORY}"
                )
        exchange = _exchange_function()
        warnings.warn(message, RewriteWarning, stacklevel=3)
    files = dict(manifest["files"])
    # Release notes and the versioning rule, statistics, plots, licence, croissant.json (extras.py).
    extras = prepare_release(staging, manifest, allow_version_rule_break=allow_version_rule_break)
    files.update(extras.files)
    (staging / CARD).write_text(render_card(manifest, files, extras), encoding="utf-8")
    files[CARD] = {"sha256": file_sha256(staging / CARD), "bytes": (staging / CARD).stat().st_size}
    manifest["files"] = dict(sorted(files.items()))
    manifest["checksums_file"] = CHECKSUMS
    check_manifest(manifest, str(staging / MANIFEST))
    with (staging / MANIFEST).open("w", encoding="utf-8") as stream:  # written as encoded: never whole in memory
        json.dump(manifest, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    hashes = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    hashes[MANIFEST] = file_sha256(staging / MANIFEST)
    (staging / CHECKSUMS).write_bytes(format_checksums(hashes))  # last: it covers every other file
    _fsync_tree(staging)
    if exchange is None:
        staging.rename(target)
    else:
        exchange(staging, target)  # staging now holds the old release, removed by staging_area
    _fsync(out_dir)
    write_root_card(out_dir)  # the root's README.md: one datasets config per version
    return "new" if exchange is None else "replaced"


def _damage(release: Path) -> list[str]:
    """What is wrong with published ``release``, each problem as ``path: message``; empty when it
    matches its checksums and manifest. A folder without a manifest is no release: ReleaseError."""
    if not (release / MANIFEST).is_file():
        raise ReleaseError(f"{release}: not a release (no {MANIFEST})")
    problems = verification(release).problems
    return [f"{_inside(problem.file, release)}: {problem.message}" for problem in problems]


def _inside(path: str, release: Path) -> str:
    return Path(path).relative_to(release).as_posix() if Path(path).is_relative_to(release) else path


def _changes_of_damaged(release: Path, manifest: Mapping[str, Any]) -> list[str] | None:
    """What differs between damaged ``release`` and a new build of it, as far as its manifest
    tells (its data may be unreadable); None when the manifest cannot be read."""
    try:
        old = read_manifest(release).data
    except ReleaseError:
        return None
    return [f"other {key}" for key in IDENTITY_KEYS if (old.get(key) or None) != (manifest.get(key) or None)]


@contextmanager
def release_lock(out_dir: Path) -> Iterator[None]:
    """Hold the publishing lock of ``out_dir``: an exclusive ``flock`` on the file ``out_dir/.lock``.

    A second build into the same folder fails at once with a ReleaseError instead of
    waiting. The lock file can be opened by its owner, and by the group or others only
    when they may write into ``out_dir``: who can only read the folder cannot hold the
    lock to block builds. It is opened for writing, which NFS needs for an exclusive lock.
    The kernel drops the lock when its holder ends, even by SIGKILL, so it never goes
    stale; the file is removed when the lock is let go (a killed build leaves it, empty,
    and the next build takes it and removes it).

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> with release_lock(folder):
    ...     with release_lock(folder):
    ...         pass
    Traceback (most recent call last):
    vn_security_corpus.errors.ReleaseError: /...: another build is publishing into this folder; ...
    >>> list(folder.iterdir())
    []
    """
    try:
        import fcntl  # POSIX only: building needs it, loading does not
    except ImportError:
        raise ConfigError(
            f"building releases needs Linux (or another POSIX system) for its lock and atomic rename; "
            f"this is {sys.platform}: build there, then copy the release folder (loading works anywhere)"
        ) from None

    path = out_dir / LOCK
    writers = out_dir.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    mode = stat.S_IRUSR | stat.S_IWUSR | writers | (writers << 1)  # read and write, for those who may write
    for _ in range(8):  # another build may remove the file between our open and our flock: then open it again
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
        except PermissionError:
            raise ReleaseError(
                f"{out_dir}: another user's build is publishing into this folder (its {LOCK} file is not ours); "
                "wait for it to end, then build again"
            ) from None
        except OSError as error:
            raise ReleaseError(f"{path}: cannot open this folder's lock file ({error.strerror})") from None
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                raise ReleaseError(f"{path}: not a regular file, so not our lock file; remove it, then build again")
            if status.st_uid == os.geteuid() and stat.S_IMODE(status.st_mode) != mode:
                os.fchmod(fd, mode)  # exactly these bits, whatever the umask
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ReleaseError(
                    f"{out_dir}: another build is publishing into this folder; wait for it to end, then build again"
                ) from None
        except BaseException:
            os.close(fd)
            raise
        if not _names(path, fd):  # we locked a file that the previous holder had just removed
            os.close(fd)
            continue
        try:
            yield
        finally:
            try:
                path.unlink()  # still locked: a build that opened this file finds it gone and opens a new one
            finally:
                os.close(fd)
        return
    raise ReleaseError(f"{path}: the lock file keeps being replaced; is another program removing it?")


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` names the file open as ``fd``."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (status.st_dev, status.st_ino) == (opened.st_dev, opened.st_ino)


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
