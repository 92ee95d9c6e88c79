"""The release format, shared by the side that writes releases and the side that reads them.

A release is a folder ``<root>/<version>/`` holding ``manifest.json``, a dataset card,
``data/<split>-NNNNN-of-NNNNN.parquet`` and ``checksums``, which lists the SHA-256 of
every other file, the manifest's included. This module names those parts, checks
versions, defines the content hash and the checksums file, reads and checks manifests
(against ``schema/manifest.schema.json``) and finds releases: :func:`open_release`
resolves a version once into a :class:`Release`, which the loaders pass down. A
:class:`Release` reads every file through its :class:`ReleaseFolder`, opened once, so
one load never mixes the files of two releases, even while a rewrite swaps another
folder into the release's place.

>>> with open_release() as release:               # the newest release shipped in the package
...     release.version == versions()[-1], sorted(release.manifest.splits) == sorted(release.split_files())
(True, True)
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import functools
import hashlib
import io
import json
import os
import re
import stat
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import ConfigError, ReleaseError
from .package_data import package_file

MANIFEST = "manifest.json"
CARD = "README.md"
CHECKSUMS = "checksums"
DATA_DIR = "data"
# Rows per Parquet shard (recorded in the manifest): about 25 MB of text; a worker writing one needs about 250 MB.
DEFAULT_SHARD_ROWS = 5_000
# ASCII digits only: `\d` would take any script's digits ("1٣.0.0").
VERSION_PATTERN = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
# A path inside a release (the manifest schema's release_path): relative, no '.' or '..' segment.
RELEASE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
PACKAGE_RELEASES = package_file("releases")
CONTENT_HASH_METHOD = (
    "sha256 of 'split TAB record_digest LF' per row, splits and rows in published order; record_digest: v2"
)
_MANIFEST_DEPTH = 8  # deeper nesting than any manifest has: refused before it is walked
MAX_CHECKSUMS_BYTES = 64 * 1024 * 1024  # a line per file: a million files would fit
_CHECKSUM_LINE = re.compile(r"([0-9a-f]{64})  (.*)")
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
    no spaces, UTF-8, as ``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
    writes it: orjson writes the same bytes for what records hold, which is strings, integers,
    booleans, nulls, lists and objects of them, and no floats), then NUL, the title, NUL, the
    text, in UTF-8. (Title and text are almost all of a record and need no escaping: normalised
    text holds no NUL.)

    >>> record_digest({"b": 1, "title": "T", "text": "ạ"}) == record_digest({"text": "ạ", "title": "T", "b": 1})
    True

    Typed dates count as their ISO text, as in the JSON record: a row read back from Parquet
    has the digest of the record it was written from.

    >>> import datetime
    >>> record_digest({"d": datetime.date(2020, 6, 1), "title": "", "text": ""}) == record_digest(
    ...     {"d": "2020-06-01", "title": "", "text": ""})
    True
    """
    rest = {key: value for key, value in record.items() if key not in _TEXT_FIELDS}
    digest = hashlib.sha256(orjson.dumps(rest, default=_iso_date, option=_CANONICAL_JSON))
    for name in _TEXT_FIELDS:
        digest.update(b"\0")
        digest.update(record[name].encode())  # (a string Arrow has read keeps its UTF-8: no second encoding)
    return digest.hexdigest()


_TEXT_FIELDS = ("title", "text")
# Sorted keys; dates (and times) handed to _iso_date, as json.dumps hands them to its default.
_CANONICAL_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


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


def records_sha256(rows: Iterable[tuple[str, Mapping[str, Any]]], method: str | None = CONTENT_HASH_METHOD) -> str:
    """The content hash of ``(split, record)`` rows in published order, by ``method`` (the
    manifest's ``content_sha256_method``; None: release 1.0.0's, before the key, which
    hashed each record's whole canonical JSON). Records read back from a release's Parquet
    files give its ``content_sha256``: the loaders check a pinned hash this way.

    >>> records_sha256([("train", {"id": "x", "title": "T", "text": "ạ"})])[:12]
    'fd1b039c92a1'
    """
    if method is None:
        digest: Any = _whole_record_digest
    elif method == CONTENT_HASH_METHOD:
        digest = record_digest
    else:
        raise ReleaseError(f"content hash method {method!r} is unknown to this library; upgrade vn_security_corpus")
    total = hashlib.sha256()
    for split, record in rows:
        total.update(content_lines([(split, digest(record))]))
    return total.hexdigest()


def _whole_record_digest(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks.

    >>> len(file_sha256(PACKAGE_RELEASES / versions()[-1] / MANIFEST))
    64
    """
    with path.open("rb") as stream:
        return stream_sha256(stream)


def stream_sha256(stream: IO[bytes]) -> str:
    """SHA-256 of the rest of an open binary stream, read in blocks."""
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def check_sha256(value: object, what: str = "content_sha256") -> str:
    """``value`` if it is a SHA-256 in lower-case hex (as manifests and ``info`` give them).

    >>> check_sha256("ab")
    Traceback (most recent call last):
    vn_security_corpus.errors.ConfigError: content_sha256 'ab' is not a SHA-256 (64 lower-case hex digits, ...)
    """
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ConfigError(
            f"{what} {value!r} is not a SHA-256 (64 lower-case hex digits, as `vn-security-corpus info` prints it)"
        )
    return value


def format_checksums(hashes: Mapping[str, str]) -> bytes:
    """The ``checksums`` file of a release whose files (paths in the release, ``manifest.json``
    included) have the SHA-256 ``hashes``: one line ``SHA256  PATH`` per file, sorted by path,
    in ASCII with LF line ends, as ``sha256sum`` prints them, so ``sha256sum -c checksums`` in
    the release folder checks them too.

    >>> format_checksums({"manifest.json": "b" * 64, "data/a.parquet": "a" * 64}).decode().splitlines()[0]
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  data/a.parquet'
    """
    for path, digest in hashes.items():
        if not RELEASE_PATH.fullmatch(path) or path == CHECKSUMS or not _SHA256.fullmatch(digest):
            raise ValueError(f"not a checksums entry: {digest!r} {path!r}")
    return "".join(f"{hashes[path]}  {path}\n" for path in sorted(hashes)).encode("ascii")


class ChecksumsError(ReleaseError):
    """A ``checksums`` file that does not follow the format; ``line`` is where (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def parse_checksums(data: bytes) -> dict[str, str]:
    """The SHA-256 of each path a ``checksums`` file lists (see :func:`format_checksums`).

    Strict: every line ``SHA256  PATH`` (two spaces, lower-case hex, a path inside the
    release), LF line ends, each path once; otherwise :class:`ChecksumsError` with the line.

    >>> parse_checksums(format_checksums({"manifest.json": "b" * 64}))["manifest.json"] == "b" * 64
    True
    >>> parse_checksums(b"b  ../x\\n")
    Traceback (most recent call last):
    vn_security_corpus.release.ChecksumsError: line 1 is not 'SHA256  PATH' with a SHA-256 in lower-case hex and ...
    """
    if len(data) > MAX_CHECKSUMS_BYTES:
        raise ChecksumsError(f"larger than {MAX_CHECKSUMS_BYTES} bytes: not a checksums file")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        where = data[: error.start].count(b"\n") + 1
        raise ChecksumsError(f"line {where} holds a byte that is not ASCII", where) from None
    if not text:
        raise ChecksumsError("empty: it lists no file")
    if not text.endswith("\n"):
        raise ChecksumsError("its last line does not end with a line feed: the file was cut short")
    hashes: dict[str, str] = {}
    for number, line in enumerate(text[:-1].split("\n"), 1):
        match = _CHECKSUM_LINE.fullmatch(line)
        if match is None or not RELEASE_PATH.fullmatch(match[2]):
            raise ChecksumsError(
                f"line {number} is not 'SHA256  PATH' with a SHA-256 in lower-case hex and a path inside the release",
                number,
            )
        digest, path = match.groups()
        if path == CHECKSUMS:
            raise ChecksumsError(f"line {number} lists the checksums file itself", number)
        if path in hashes:
            raise ChecksumsError(f"line {number} lists {path} a second time", number)
        hashes[path] = digest
    return hashes


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
    consistency (every split file is a listed file); ``data`` is the JSON as read, ``sha256``
    the SHA-256 of its bytes (what the release's ``checksums`` file lists for it).

    >>> manifest = open_release().manifest
    >>> manifest.version == manifest.data["version"], manifest.tone_style
    (True, 'traditional')
    """

    data: Mapping[str, Any]
    sha256: str = ""

    @property
    def version(self) -> str:
        """The release version."""
        return str(self.data["version"])

    @property
    def content_sha256(self) -> str:
        """The hash of the records themselves (independent of the Parquet encoder)."""
        return str(self.data["content_sha256"])

    @property
    def content_sha256_method(self) -> str | None:
        """How :attr:`content_sha256` was computed (None: release 1.0.0's way, see :func:`records_sha256`)."""
        method = self.data.get("content_sha256_method")
        return None if method is None else str(method)

    @property
    def tone_style(self) -> str:
        """The tone-mark style of the release's text (releases before the setting: traditional)."""
        return str(self.data["settings"].get("tone_style", "traditional"))

    @property
    def has_checksums(self) -> bool:
        """Whether the release says it has a ``checksums`` file (releases 1.0.0 and 1.1.0 predate it)."""
        return self.data.get("checksums_file") == CHECKSUMS

    @property
    def splits(self) -> dict[str, SplitInfo]:
        """The published splits, in the order of the build's settings."""
        return {
            name: SplitInfo(split["rows"], split["arrow_bytes"], tuple(split["files"]))
            for name, split in self.data["splits"].items()
        }

    @property
    def files(self) -> dict[str, FileInfo]:
        """Every file of the release but the manifest and ``checksums``, by its path in the release."""
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
    >>> check_manifest([[[[[[[[[[]]]]]]]]]], "x/manifest.json")
    Traceback (most recent call last):
    vn_security_corpus.errors.ReleaseError: x/manifest.json: not a valid manifest: nested too deeply (at /); ...
    """
    if _depth(data) > _MANIFEST_DEPTH:
        raise ReleaseError(_invalid(where, "nested too deeply", "/"))
    for error in _manifest_validator().iter_errors(data):
        field = "/" + "/".join(map(str, error.instance_path))
        raise ReleaseError(_invalid(where, _without_long_value(error.message, error.instance), field))
    for name, split in data["splits"].items():
        for path in split["files"]:
            if path not in data["files"]:
                raise ReleaseError(
                    _invalid(where, f"split {name!r} names {path!r}, which is not among its files", "/splits")
                )


def _without_long_value(message: str, value: Any, limit: int = 40) -> str:
    """A schema error's ``message`` with the value it starts with cut short (it may be the whole manifest).

    >>> _without_long_value('[1,2,3] is not of type "object"', [1, 2, 3], limit=4)
    '[1,…] is not of type "object"'
    """
    shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(shown) <= limit or not message.startswith(shown):
        return message
    return shown[: limit - 1] + "…" + shown[-1] * isinstance(value, dict | list) + message[len(shown) :]


def _invalid(where: str, message: str, field: str) -> str:
    return f"{where}: not a valid manifest: {_short(message)} (at {_short(field)}); rebuild or restore the release"


def _short(message: str, limit: int = 160) -> str:
    """``message`` on one line of printable characters (a manifest's values may hold anything), cut at ``limit``.

    >>> print(_short("a\\n\\x1b[31mb"))
    a \\x1b[31mb
    """
    message = " ".join(message.split())
    message = "".join(char if char.isprintable() else repr(char)[1:-1] for char in message)
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


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a string of ``value`` (keys included) holds half of a UTF-16 surrogate pair, which no text has.

    >>> _has_lone_surrogate({"a": ["\\ud800"]}), _has_lone_surrogate({"a": "😀"})
    (True, False)
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


@functools.cache
def _manifest_validator() -> Any:
    import jsonschema_rs  # (a Rust extension: light; loading does not import jsonschema)

    from .schema import load_schema

    return jsonschema_rs.validator_for(load_schema("manifest"))


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_parsed: OrderedDict[str, Manifest] = OrderedDict()  # by the SHA-256 of the bytes: never stale
_parsed_lock = threading.Lock()


def parse_manifest(data: bytes, where: str = MANIFEST) -> Manifest:
    """The checked manifest whose bytes are ``data``; ReleaseError naming the first problem.

    Parsed once per content: a manifest lists every raw input (tens of MB for a large
    corpus), and parsing it again on each load would show.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    with _parsed_lock:
        if sha256 in _parsed:
            _parsed.move_to_end(sha256)
            return _parsed[sha256]
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else _short(str(error))
        raise ReleaseError(f"{where}: unreadable manifest ({reason}); rebuild or restore the release") from None
    check_manifest(parsed, where)
    if _SURROGATE_ESCAPE.search(data) and _has_lone_surrogate(parsed):
        raise ReleaseError(_invalid(where, "a string holds a lone UTF-16 surrogate, which is not text", "/"))
    manifest = Manifest(parsed, sha256)
    with _parsed_lock:
        _parsed[sha256] = manifest
        while len(_parsed) > 8:
            _parsed.popitem(last=False)
    return manifest


def read_manifest(release: Path) -> Manifest:
    """The checked manifest of the release folder ``release``."""
    with ReleaseFolder.at(release) as folder:
        return folder.manifest()


class NotRegularFileError(OSError):
    """A path of a release that names something other than a regular file (a pipe, a device, …)."""


class ReleaseFolder:
    """A release folder, opened once: every file read through it is a file of this folder,
    even when a rewrite (``--force``) swaps another folder into its path meanwhile. Files are
    opened relative to the folder's descriptor where the system allows it (POSIX); elsewhere
    by path, and :meth:`replaced` then tells whether the path still names this folder.

    Only regular files are read (a pipe or device put in a release would block or never end);
    symbolic links are followed (a Hugging Face cache links its files to blobs), and the
    checksums decide whether what they lead to is the release's.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._close: Callable[[], object] = lambda: None
        if _DIR_FD:
            self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self._close = weakref.finalize(self, os.close, self._fd)
            status = os.fstat(self._fd)
        else:
            status = path.stat()
            if not stat.S_ISDIR(status.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
        self._identity = (status.st_dev, status.st_ino)
        self._closed = False

    @classmethod
    def at(cls, path: Path) -> ReleaseFolder:
        """The release folder ``path``; ReleaseError when there is none."""
        try:
            return cls(path)
        except FileNotFoundError:
            raise ReleaseError(f"{path}: not a release (no such folder)") from None
        except OSError as error:
            raise ReleaseError(f"{path}: not a release folder ({_reason(error)})") from None

    def __enter__(self) -> ReleaseFolder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the folder (also done when the object is collected); it cannot be read after."""
        self._close()
        self._closed = True

    def _descriptor(self) -> int:
        """The folder's descriptor (-1: none, files are opened by path)."""
        if self._closed:
            raise ValueError(f"{self.path}: the release folder was closed")
        return self._fd

    def open(self, relative: str) -> io.BufferedReader:
        """The regular file ``relative`` (a path inside the release), opened for reading."""
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        folder = self._descriptor()
        fd = os.open(relative, flags, dir_fd=folder) if folder >= 0 else os.open(self.path / relative, flags)
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "a folder, not a file", str(self.path / relative))
            if not stat.S_ISREG(mode):
                raise NotRegularFileError(errno.ENXIO, "not a regular file", str(self.path / relative))
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def read(self, relative: str, limit: int | None = None) -> bytes:
        """The bytes of file ``relative`` (at most ``limit`` + 1 of them, to tell a file over ``limit``)."""
        with self.open(relative) as stream:
            return stream.read() if limit is None else stream.read(limit + 1)

    def manifest(self) -> Manifest:
        """The checked manifest of this release folder."""
        return parse_manifest(self.manifest_bytes(), str(self.path / MANIFEST))

    def manifest_bytes(self) -> bytes:
        """The bytes of the folder's ``manifest.json``; ReleaseError when it has none or cannot be read."""
        try:
            return self.read(MANIFEST)
        except FileNotFoundError:
            raise ReleaseError(f"{self.path}: not a release (no {MANIFEST})") from None
        except OSError as error:
            raise ReleaseError(
                f"{self.path / MANIFEST}: unreadable manifest ({_reason(error)}); rebuild or restore the release"
            ) from None

    def entries(self) -> Iterator[str]:
        """The path in the release of everything in the folder but folders: files, links, pipes, …
        (a link to a folder is listed, not followed)."""
        stack = [""]
        while stack:
            prefix = stack.pop()
            with self._scandir(prefix) as found:
                for entry in found:
                    relative = prefix + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(relative + "/")
                    else:
                        yield relative

    @contextlib.contextmanager
    def _scandir(self, prefix: str) -> Iterator[Iterator[os.DirEntry[str]]]:
        folder = self._descriptor()
        if folder < 0:
            with os.scandir(self.path / prefix if prefix else self.path) as found:
                yield found
            return
        fd = os.open(prefix or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        try:
            with os.scandir(fd) as found:
                yield found
        finally:
            os.close(fd)

    @property
    def by_descriptor(self) -> bool:
        """Whether files are opened relative to the folder's descriptor (else by path: see :meth:`replaced`)."""
        return self._fd >= 0

    def replaced(self) -> bool:
        """Whether the folder's path no longer names this folder: a rewrite swapped another one in,
        or it was removed."""
        try:
            now = self.path.stat()
        except OSError:
            return True
        if (now.st_dev, now.st_ino) != self._identity:
            return True
        folder = self._descriptor()
        return folder >= 0 and os.fstat(folder).st_nlink == 0


_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def versions(root: Path | str | None = None) -> list[str]:
    """The published versions under ``root`` (default: the releases in the package; an fsspec URL
    such as ``s3://bucket/releases`` lists the store), oldest first.

    >>> "1.0.0" in versions()
    True
    """
    if isinstance(root, str) and "://" in root:
        from .fetch import remote_versions

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
    """One published release, resolved once: its folder (opened: every file is read through it)
    and its checked manifest. Close it when done (``with open_release(...) as release:``)."""

    path: Path
    manifest: Manifest
    folder: ReleaseFolder = field(compare=False, repr=False)

    @property
    def version(self) -> str:
        """The release version."""
        return self.manifest.version

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *_: object) -> None:
        self.folder.close()

    def split_names(self, split: str | None = None) -> dict[str, list[str]]:
        """The Parquet files of each split (or of ``split`` alone), as paths in the release.

        >>> open_release().split_names("validation")
        {'validation': ['data/validation-00000-of-00001.parquet']}
        """
        splits = self.manifest.splits
        if split is not None and split not in splits:
            raise ReleaseError(
                f"{self.path}: no split {split!r} (splits without records are not published); "
                f"splits: {', '.join(splits)}"
            )
        names = [split] if split is not None else list(splits)
        return {name: list(splits[name].files) for name in names}

    def split_files(self, split: str | None = None) -> dict[str, list[Path]]:
        """The Parquet files of each split (or of ``split`` alone), as paths (for readers that
        open files themselves; they are not protected from a concurrent rewrite).

        >>> [path.name for path in open_release().split_files("validation")["validation"]]
        ['validation-00000-of-00001.parquet']
        """
        return {name: [self.path / file for file in files] for name, files in self.split_names(split).items()}

    def changed(self) -> ReleaseError:
        """The error of a load during which the release was rewritten or removed."""
        return ReleaseError(
            f"{self.path}: release {self.version} was rewritten or removed while it was being read "
            "(a build with --force, or a deletion); nothing was returned: load it again"
        )


def open_release(version: str | None = None, root: Path | str | None = None) -> Release:
    """Release ``version`` (the newest when None) under ``root`` (default: the releases in the package).

    ``root`` may be an fsspec URL (``s3://bucket/releases``): the release is copied into a local
    cache first, every file checked against its manifest (:func:`~vn_security_corpus.fetch.fetch_release`).
    """
    if isinstance(root, str) and "://" in root:
        from .fetch import fetch_release

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
    opened = ReleaseFolder.at(path)
    try:
        manifest = opened.manifest()
    except BaseException as error:
        replaced = isinstance(error, ReleaseError) and opened.replaced()
        opened.close()
        if replaced:  # a rewrite swapped another folder in, and is removing the one we opened
            raise ReleaseError(
                f"{path}: release {version} was rewritten or removed while it was being opened; load it again"
            ) from None
        raise
    return Release(path, manifest, opened)
