"""The release format, shared by the side that writes releases and the side that reads them.

A release is a folder ``<root>/<version>/`` holding ``manifest.json``, a dataset card
and ``data/<split>-NNNNN-of-NNNNN.parquet``. This module names those parts, checks
versions, defines the content hash, reads and checks manifests (against
``schema/manifest.schema.json``) and finds releases: :func:`open_release` resolves a
version once into a :class:`Release`, which the loaders pass down.

>>> release = open_release()                      # the newest release shipped in the package
>>> release.version == versions()[-1], sorted(release.manifest.splits) == sorted(release.split_files())
(True, True)
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import importlib.resources
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, ReleaseError

MANIFEST = "manifest.json"
CARD = "README.md"
DATA_DIR = "data"
# ASCII digits only: `\d` would take any script's digits ("1٣.0.0").
VERSION_PATTERN = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
PACKAGE_RELEASES = Path(str(importlib.resources.files(__package__))) / "releases"
CONTENT_HASH_METHOD = (
    "sha256 of 'split TAB record_digest LF' per row, splits and rows in published order; record_digest: v2"
)
_MANIFEST_DEPTH = 8  # deeper nesting than any manifest has: refused before it is walked


def check_version(version: str) -> str:
    """``version`` if it is a release version ``MAJOR.MINOR.PATCH``.

    >>> check_version("1.0.0")
    '1.0.0'
    >>> check_version("1.٣.0")
    Traceback (most recent call last):
    vn_security_corpus.errors.ConfigError: version '1.٣.0' is not MAJOR.MINOR.PATCH (ASCII digits), e.g. 1.0.0
    """
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise ConfigError(f"version {version!r} is not MAJOR.MINOR.PATCH (ASCII digits), e.g. 1.0.0")
    return version


def version_key(version: str) -> tuple[int, ...]:
    """The sort key of a version: ``1.10.0`` comes after ``1.9.0``.

    >>> sorted(["1.10.0", "1.9.0"], key=version_key)
    ['1.9.0', '1.10.0']
    """
    return tuple(map(int, version.split(".")))


def record_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 of a record's content: the unit of the content hash (:data:`CONTENT_HASH_METHOD`).

    The record's fields other than ``title`` and ``text`` as canonical JSON (sorted keys,
    no spaces, UTF-8), then NUL, the title, NUL, the text, in UTF-8. (Title and text are
    almost all of a record and need no escaping: normalised text holds no NUL.)

    >>> record_digest({"b": 1, "title": "T", "text": "ạ"}) == record_digest({"text": "ạ", "title": "T", "b": 1})
    True

    Typed dates count as their ISO text, as in the JSON record: a row read back from Parquet
    has the digest of the record it was written from.

    >>> import datetime
    >>> record_digest({"d": datetime.date(2020, 6, 1), "title": "", "text": ""}) == record_digest(
    ...     {"d": "2020-06-01", "title": "", "text": ""})
    True
    """
    rest = {key: value for key, value in record.items() if key not in ("title", "text")}
    canonical = json.dumps(rest, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_iso_date)
    digest = hashlib.sha256(canonical.encode())
    digest.update(f"\0{record['title']}\0{record['text']}".encode())
    return digest.hexdigest()


def _iso_date(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a record value")


def content_lines(rows: Iterable[tuple[str, str]]) -> bytes:
    """What the content hash (``content_sha256`` in the manifest) is the SHA-256 of, for the
    ``(split, record digest)`` rows in published order. It depends on the records only, not on
    Parquet bytes or the pyarrow version.

    >>> content_lines([("train", "ab"), ("test", "cd")])
    b'train\\tab\\ntest\\tcd\\n'
    """
    return "".join(f"{split}\t{record_sha}\n" for split, record_sha in rows).encode()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks.

    >>> len(file_sha256(PACKAGE_RELEASES / versions()[-1] / MANIFEST))
    64
    """
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


@dataclass(frozen=True)
class SplitInfo:
    """One published split: its rows, their size as Arrow, its Parquet files (paths in the release)."""

    rows: int
    arrow_bytes: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class FileInfo:
    """One file of a release as its manifest lists it."""

    sha256: str
    bytes: int
    rows: int | None = None


@dataclass(frozen=True)
class Manifest:
    """A release's ``manifest.json``, checked against ``schema/manifest.schema.json`` and for
    consistency (every split file is a listed file); ``data`` is the JSON as read.

    >>> manifest = open_release().manifest
    >>> manifest.version == manifest.data["version"], manifest.tone_style
    (True, 'traditional')
    """

    data: Mapping[str, Any]

    @property
    def version(self) -> str:
        """The release version."""
        return str(self.data["version"])

    @property
    def content_sha256(self) -> str:
        """The hash of the records themselves (independent of the Parquet encoder)."""
        return str(self.data["content_sha256"])

    @property
    def tone_style(self) -> str:
        """The tone-mark style of the release's text (releases before the setting: traditional)."""
        return str(self.data["settings"].get("tone_style", "traditional"))

    @property
    def splits(self) -> dict[str, SplitInfo]:
        """The published splits, in the order of the build's settings."""
        return {
            name: SplitInfo(split["rows"], split["arrow_bytes"], tuple(split["files"]))
            for name, split in self.data["splits"].items()
        }

    @property
    def files(self) -> dict[str, FileInfo]:
        """Every file of the release but the manifest, by its path in the release."""
        return {
            name: FileInfo(entry["sha256"], entry["bytes"], entry.get("rows"))
            for name, entry in self.data["files"].items()
        }


def check_manifest(data: Any, where: str = MANIFEST) -> None:
    """Raise :class:`ReleaseError` naming the first field of ``data`` that breaks the manifest schema,
    or a split file that is not among the release's files.

    >>> check_manifest({"version": "1.0.0"}, "x/manifest.json")
    Traceback (most recent call last):
    vn_security_corpus.errors.ReleaseError: x/manifest.json: not a valid manifest: ...
    """
    if _depth(data) > _MANIFEST_DEPTH:
        raise ReleaseError(f"{where}: not a valid manifest: nested too deeply; rebuild or restore the release")
    for error in _manifest_validator().iter_errors(data):
        field = "/" + "/".join(map(str, error.instance_path))
        raise ReleaseError(
            f"{where}: not a valid manifest: {_short(error.message)} (at {field}); rebuild or restore the release"
        )
    for name, split in data["splits"].items():
        for path in split["files"]:
            if path not in data["files"]:
                raise ReleaseError(
                    f"{where}: not a valid manifest: split {name!r} names {path!r}, which is not among its files "
                    "(at /splits); rebuild or restore the release"
                )


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: a hostile manifest cannot exhaust the stack).

    >>> _depth({"a": [1, {"b": 2}]})
    3
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= _MANIFEST_DEPTH:
                stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


@functools.cache
def _manifest_validator() -> Any:
    import jsonschema_rs  # (a Rust extension: light; loading does not import jsonschema)

    from .schema import load_schema

    return jsonschema_rs.validator_for(load_schema("manifest"))


def read_manifest(release: Path) -> Manifest:
    """The checked manifest of the release folder ``release``."""
    path = release / MANIFEST
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ReleaseError(f"{release}: not a release (no {MANIFEST})") from None
    except OSError as error:
        raise ReleaseError(f"{path}: unreadable manifest ({error.strerror}); rebuild or restore the release") from None
    return _read_manifest(path, status.st_mtime_ns, status.st_size, status.st_ino)


@functools.lru_cache(maxsize=32)
def _read_manifest(path: Path, _mtime_ns: int, _size: int, _inode: int) -> Manifest:
    """Parsed once per version of the file: a manifest lists every raw input (tens of MB for a
    large corpus), and parsing it again on each load would show."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ReleaseError(f"{path}: unreadable manifest ({reason}); rebuild or restore the release") from None
    check_manifest(data, str(path))
    return Manifest(data)


def versions(root: Path | str | None = None) -> list[str]:
    """The published versions under ``root`` (default: the releases in the package; an fsspec URL
    such as ``s3://bucket/releases`` lists the store), oldest first.

    >>> "1.0.0" in versions()
    True
    """
    if isinstance(root, str) and "://" in root:
        from .push import remote_versions

        return remote_versions(root)
    folder = Path(root) if root is not None else PACKAGE_RELEASES
    if not folder.is_dir():
        return []
    found = [
        path.name for path in folder.iterdir() if VERSION_PATTERN.fullmatch(path.name) and (path / MANIFEST).is_file()
    ]
    return sorted(found, key=version_key)


@dataclass(frozen=True)
class Release:
    """One published release, resolved once: its folder and its checked manifest."""

    path: Path
    manifest: Manifest

    @property
    def version(self) -> str:
        """The release version."""
        return self.manifest.version

    def split_files(self, split: str | None = None) -> dict[str, list[Path]]:
        """The Parquet files of each split (or of ``split`` alone).

        >>> [path.name for path in open_release().split_files("validation")["validation"]]
        ['validation-00000-of-00001.parquet']
        """
        splits = self.manifest.splits
        if split is not None and split not in splits:
            raise ReleaseError(
                f"{self.path}: no split {split!r} (splits without records are not published); "
                f"splits: {', '.join(splits)}"
            )
        names = [split] if split is not None else list(splits)
        return {name: [self.path / file for file in splits[name].files] for name in names}


def open_release(version: str | None = None, root: Path | str | None = None) -> Release:
    """Release ``version`` (the newest when None) under ``root`` (default: the releases in the package).

    ``root`` may be an fsspec URL (``s3://bucket/releases``): the release is copied into a local
    cache first, every file checked against its manifest (:func:`~vn_security_corpus.push.fetch_release`).
    """
    if isinstance(root, str) and "://" in root:
        from .push import fetch_release

        root = fetch_release(root, version)
    folder = Path(root) if root is not None else PACKAGE_RELEASES
    if root is not None and not folder.is_dir():
        raise ReleaseError(f"{folder}: no such folder of releases; build one with `vn-security-corpus build`")
    available = versions(folder)
    if not available:
        raise ReleaseError(f"{folder}: no releases here; build one with `vn-security-corpus build`")
    if version is None:
        version = available[-1]
    if version not in available:
        raise ReleaseError(f"{folder}: no release {version!r}; available: {', '.join(available)}")
    path = folder / version
    return Release(path, read_manifest(path))
