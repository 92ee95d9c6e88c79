"""Where raw bytes come from: local folders and fsspec URLs, listed, confined, limited and hashed.

A raw folder is a local path or an fsspec URL (:func:`raw_location`); :func:`find_raw_files`
lists the files directly inside it, and :func:`read_contents` reads them, a group at a
time with the reads started together, as :class:`FileBytes` (a whole file within the size
limit), :class:`FileLines` (a JSON Lines file, streamed line by line) or :class:`Refusal`
(why a file must not or cannot be read). What the bytes mean is :mod:`vn_security_corpus.formats`' work.

>>> files, notices = find_raw_files(Path(__file__).parent.parent / "raw")
>>> [type(content).__name__ for _, content in read_contents(files[:2])]
['FileBytes', 'FileBytes']
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import io
import itertools
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, TypeGuard

from .errors import ConfigError

# Larger files are refused unread (JSON too): an article is a few kB. Raise it for bulk JSON Lines.
DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024
# How many files are read together (read_contents), and how much of a local file the kernel
# is asked to read ahead (a big JSON Lines file then streams with the kernel's own read-ahead).
READ_AHEAD_FILES = 256
_READ_AHEAD_BYTES = 1 << 20
# At most this much of a URL folder's files is fetched ahead at once (the rest is read file by file).
_FETCH_BYTES = 64 * 1024 * 1024
_SCAN_BLOCK = 1 << 20  # scan_lines reads a file this much at a time
# Never follow a link swapped in after the check, never block on a pipe (where the system has them).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# An fsspec URL: a protocol, then ``://`` (``s3://bucket/raw``, ``zip://raw::file:///data/corpus.zip``).
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]+://")
_SKIPPED_FOLDER = "skipped: a folder (raw files are read from the top level of the raw folder only)"
_REASON_CHARS = 300  # a foreign error's message is cut there: a message is one line
_SIZE_FIX = "split it into smaller files, or raise the limit (build --max-file-bytes N, max_file_bytes=N)"


@dataclass(frozen=True)
class FileBytes:
    """A whole raw file's bytes (within the size limit)."""

    data: bytes


@dataclass(frozen=True)
class FileLines:
    """A JSON Lines file, read one line at a time: each line without its end, or None for a line
    over the size limit (skipped unread); ``sha256`` is the whole file's. The lines are those of the
    bytes hashed (not what was appended since), from line ``first_line`` (a :class:`Part` of the file);
    a failure part-way raises :class:`ReadError`."""

    lines: Iterator[bytes | None]
    sha256: str
    first_line: int = 1


@dataclass(frozen=True)
class Refusal:
    """Why a raw file is not read: too large, a link out of the raw folder, not a regular file,
    unreadable. ``sha256`` is None when the file was not read at all; ``line``, the first line of the
    :class:`Part` that could not be read."""

    message: str
    fix: str
    sha256: str | None = None
    line: int | None = None


Content = FileBytes | FileLines | Refusal


class ReadError(Exception):
    """Raised by :attr:`FileLines.lines` when the file stops being readable part-way (an archive's
    CRC error, a network error): ``line`` is the first line not read, ``message`` says why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class RemoteFolder:
    """A raw folder named by an fsspec URL (``s3://bucket/raw``, ``gs://…``, ``hf://datasets/…``,
    ``zip://raw::file:///data/corpus.zip``), listed and read through fsspec, so that workers on
    other machines read it too. Credentials are found as the storage's fsspec package (s3fs,
    gcsfs, …) finds them: environment, configuration files, instance roles.

    >>> RemoteFolder("zip://raw::file:///data/corpus.zip").display("a.txt")
    'zip://raw/a.txt::file:///data/corpus.zip'
    """

    url: str

    def filesystem(self) -> tuple[Any, str]:
        """The fsspec file system and the folder's path in it."""
        return _filesystem(self.url)

    def path(self, name: str) -> str:
        """The path of file ``name`` of the folder in its file system."""
        root = self.filesystem()[1]
        return f"{root}/{name}" if root else name

    def display(self, name: str) -> str:
        """How messages name file ``name`` of the folder: its URL."""
        folder, chained, rest = self.url.partition("::")
        return f"{folder.rstrip('/')}/{name}{chained}{rest}"


@functools.lru_cache(maxsize=16)
def _filesystem(url: str) -> tuple[Any, str]:
    import fsspec  # (imported for URLs only: a local build does without it)

    try:
        filesystem, root = fsspec.core.url_to_fs(url)
    except ImportError as error:  # fsspec names the package: "Install s3fs to access S3"
        raise ConfigError(f"{url}: {error} (pip install it beside vn-security-corpus)") from None
    except ValueError as error:  # "Protocol not known: …"
        raise ConfigError(f"{url}: {error}; give a folder, or a URL fsspec knows (s3://, gs://, zip://…)") from None
    except Exception as error:  # an archive that is not there or not one (zip:// over a text file), …
        raise ConfigError(f"{printable(url)}: cannot be opened: {reason(error)}") from None
    return filesystem, str(root).rstrip("/")


def is_url(location: object) -> TypeGuard[str]:
    """Whether ``location`` is a URL (``protocol://…``) rather than a local path.

    >>> is_url("s3://bucket/raw"), is_url("raw"), is_url(Path("s3://bucket"))
    (True, False, False)
    """
    return isinstance(location, str) and _URL.match(location) is not None


def raw_location(location: str | PathLike[str] | RemoteFolder) -> Path | RemoteFolder:
    """A raw folder as given by a user: a local path, or an fsspec URL (``file://`` URLs are local paths).

    >>> raw_location("raw"), raw_location("file:///data/raw"), raw_location("s3://bucket/raw")
    (PosixPath('raw'), PosixPath('/data/raw'), RemoteFolder(url='s3://bucket/raw'))
    """
    if isinstance(location, RemoteFolder):
        return location
    if is_url(location):
        if location.startswith("file://") and "::" not in location:
            return Path(location.removeprefix("file://"))
        return RemoteFolder(location)
    return Path(location)


@dataclass(frozen=True, slots=True)
class Part:
    """A range of lines of a large JSON Lines file, read as a work item of its own (:func:`scan_lines`).

    Its lines are those that start at an offset in ``[start, stop)``; ``start`` is the start of a line,
    ``line`` its number in the file. ``size`` is how many bytes of the file were hashed (no byte past
    them is read) and ``sha256`` their hash: the whole file's, as provenance records it.
    """

    start: int
    stop: int
    line: int
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class RawFile:
    """A raw file: the folder it is in and its name there (a light object: a build lists millions).

    ``folder`` is a local folder or a :class:`RemoteFolder`.
    ``name`` is what provenance records and what files are sorted by. When ``confined``,
    a symbolic link must point inside ``folder`` (a raw folder never reads files elsewhere).
    ``size`` is as listed (for a symbolic link, its target's): for sharing out the work, not trusted.
    ``part``, when set, is the range of lines of a JSON Lines file to read instead of all of it.
    """

    folder: Path | RemoteFolder
    name: str
    size: int = 0
    confined: bool = True
    part: Part | None = None

    @classmethod
    def at(cls, path: Path) -> RawFile:
        """A file named on its own (e.g. on the command line): read wherever a link points.

        >>> RawFile.at(Path("raw/a.txt"))
        RawFile(folder=PosixPath('raw'), name='a.txt', size=0, confined=False, part=None)
        """
        return cls(path.parent, path.name, confined=False)

    @property
    def path(self) -> Path:
        """Where to read a file of a local folder (one of a :class:`RemoteFolder` has a URL: :attr:`display`)."""
        if isinstance(self.folder, RemoteFolder):
            raise ValueError(f"{self.display} is a URL, not a local path")
        return self.folder / self.name

    @property
    def display(self) -> str:
        """How messages name the file: its path, or its URL."""
        return self.folder.display(self.name) if isinstance(self.folder, RemoteFolder) else str(self.path)


def find_raw_files(raw_dir: Path | RemoteFolder) -> tuple[list[RawFile], list[str]]:
    """The raw files directly inside ``raw_dir``, sorted by name, and notices of what was skipped.

    Folders and special files (pipes, sockets, devices) are skipped with a notice;
    symbolic links are kept, for :func:`read_content` to check where they point.

    >>> files, notices = find_raw_files(Path(__file__).parent.parent / "raw")
    >>> [f.name[:3] for f in files], notices
    (['000', '001', '002', '003', '004'], [])
    """
    if isinstance(raw_dir, RemoteFolder):
        return _find_remote_files(raw_dir)
    files, notices = [], []
    try:
        with os.scandir(raw_dir) as entries:
            for entry in entries:
                skipped = _skipped(entry)
                if skipped:
                    notices.append(f"{printable(str(raw_dir / entry.name))}: {skipped}")
                else:
                    files.append(RawFile(raw_dir, entry.name, _listed_size(entry)))
    except OSError as error:  # not a folder, permissions
        raise ConfigError(f"{printable(str(raw_dir))}: the raw folder cannot be listed: {reason(error)}") from None
    return sorted(files, key=lambda raw: raw.name), sorted(notices)


def _skipped(entry: os.DirEntry[str]) -> str | None:
    """Why a raw folder's entry is not read (a folder, a pipe, …), or None when it is a file to read.
    A symbolic link that leads nowhere (a loop, a missing target) is a file to read: reading it says why not."""
    try:
        if entry.is_dir():
            return _SKIPPED_FOLDER
        if entry.is_file() or entry.is_symlink():
            return None
    except OSError:  # a link in a loop: "too many levels of symbolic links"
        return None
    return "skipped: not a regular file (a pipe, socket or device)"


def _listed_size(entry: os.DirEntry[str]) -> int:
    """The size of a file as listed (what a symbolic link points to, where that can be found), to share out work."""
    try:
        return entry.stat().st_size if entry.is_symlink() else entry.stat(follow_symlinks=False).st_size
    except OSError:
        try:
            return entry.stat(follow_symlinks=False).st_size
        except OSError:
            return 0


def _find_remote_files(folder: RemoteFolder) -> tuple[list[RawFile], list[str]]:
    """:func:`find_raw_files` of a folder given by URL; sizes are as listed."""
    filesystem, root = folder.filesystem()
    url = printable(folder.url)
    try:
        kind = filesystem.info(root).get("type")
        entries = filesystem.ls(root, detail=True) if kind == "directory" else []
    except FileNotFoundError:
        kind = None
    except Exception as error:  # permissions, network, offline mode, a corrupt archive: the storage's own errors
        raise ConfigError(f"{url}: the raw folder cannot be listed: {reason(error)}") from None
    if kind != "directory":
        raise ConfigError(f"{url}: the raw folder does not exist or is not a folder")
    files, notices = [], []
    for entry in entries:
        name = PurePosixPath(entry["name"]).name
        if entry["type"] == "file":
            files.append(RawFile(folder, name, int(entry.get("size") or 0)))
        elif entry["type"] == "directory":
            notices.append(f"{printable(folder.display(name))}: {_SKIPPED_FOLDER}")
        else:
            notices.append(f"{printable(folder.display(name))}: skipped: not a regular file ({entry['type']})")
    return sorted(files, key=lambda raw: raw.name), sorted(notices)


def read_contents(
    files: Iterable[RawFile], *, max_bytes: int = DEFAULT_MAX_FILE_BYTES, ahead: int = READ_AHEAD_FILES
) -> Iterator[tuple[RawFile, Content]]:
    """The content of each of ``files`` (:func:`read_content`), in order, the files taken ``ahead``
    at a time and the reads of each group started together: local files into the kernel's cache
    while the first of them are processed (``posix_fadvise``), remote files fetched at once
    (concurrently where the file system can: s3, gcs, http, …). Disk reads and round trips
    then overlap with each other and with the work. A JSON Lines file's lines must be read
    before the next file comes.

    >>> files, _ = find_raw_files(Path(__file__).parent.parent / "raw")
    >>> [raw for raw, _ in read_contents(files, ahead=2)] == files
    True
    """
    remaining = iter(files)
    folders: dict[Path, int | None] = {}  # local folders open (files are opened by name in them)
    try:
        while group := list(itertools.islice(remaining, max(ahead, 1))):
            fetched = _start_reading(group, max_bytes, folders)
            for raw in group:
                folder = folders.get(raw.folder) if isinstance(raw.folder, Path) else None
                for content in read_content(raw, max_bytes=max_bytes, data=fetched.pop(raw, None), folder_fd=folder):
                    yield raw, content
    finally:
        for descriptor in folders.values():
            if descriptor is not None:
                os.close(descriptor)


def _open_folder(folder: Path) -> int | None:
    """A descriptor of local ``folder``, to open its files by name in it (None: it cannot be opened so)."""
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, AttributeError):  # (O_DIRECTORY is POSIX-only)
        return None


def _start_reading(files: Sequence[RawFile], max_bytes: int, folders: dict[Path, int | None]) -> dict[RawFile, bytes]:
    """Start reading ``files``: local ones into the kernel's cache (best effort, links not followed;
    each local folder opened once, into ``folders``), remote ones fetched, all at once (up to 64 MiB);
    returns the remote files' bytes. A remote file that is over ``max_bytes`` (refused unread), JSON
    Lines (streamed), beyond the 64 MiB, or that fails to come is left to :func:`read_content`, which
    opens it and says why it cannot be read."""
    remote: dict[RemoteFolder, list[RawFile]] = {}
    budget = _FETCH_BYTES
    for raw in files:
        if isinstance(raw.folder, Path):
            if raw.folder not in folders:
                folders[raw.folder] = _open_folder(raw.folder)
            _advise_reading(raw, folders[raw.folder], raw.part.start if raw.part else 0)
        elif raw.size <= min(max_bytes, budget) and not raw.name.lower().endswith(".jsonl"):
            remote.setdefault(raw.folder, []).append(raw)
            budget -= raw.size
    fetched: dict[RawFile, bytes] = {}
    for folder, members in remote.items():
        filesystem, _ = folder.filesystem()
        paths = [folder.path(raw.name) for raw in members]
        try:
            contents = filesystem.cat_ranges(paths, 0, None, on_error="return")  # (no glob, unlike cat())
        except Exception:  # a failed batch: each file is then read on its own, which says why it fails
            continue
        fetched.update((raw, data) for raw, data in zip(members, contents, strict=True) if isinstance(data, bytes))
    return fetched


def _advise_reading(raw: RawFile, folder_fd: int | None, offset: int = 0) -> None:
    """Ask the kernel to start reading local file ``raw`` from ``offset`` (without following a link),
    opened by name in its folder's descriptor ``folder_fd`` when there is one."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = _open_by_name(raw, folder_fd)
    except OSError:
        return
    with contextlib.suppress(OSError):  # a pipe, say: nothing to read ahead
        os.posix_fadvise(fd, offset, _READ_AHEAD_BYTES, os.POSIX_FADV_WILLNEED)
    os.close(fd)


def read_content(
    raw: RawFile, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES, data: bytes | None = None, folder_fd: int | None = None
) -> Iterator[Content]:
    """The content of one raw file, as one item (a generator, so that a JSON Lines file stays open
    while its lines are read); ``data``, the file's bytes if they were already fetched; ``folder_fd``,
    a descriptor of its local folder, open, to open it by name there. Never raises
    for a file that cannot or must not be read: that is a :class:`Refusal`, whatever the error of the
    storage (a corrupt archive member, a network error); a JSON Lines file that fails part-way raises
    :class:`ReadError` from its lines.

    A ``.jsonl`` file is read line by line, so it may be of any size: ``max_bytes`` limits
    each of its lines; it limits other files as a whole. A file with a :class:`Part` gives
    the lines of its part only.

    >>> raw = RawFile.at(Path(__file__).parent.parent / "raw" / "nosuch.txt")
    >>> next(read_content(raw)).message
    'cannot be opened: No such file or directory'
    """
    opened: tuple[BinaryIO, int] | Refusal
    if data is not None:
        opened = io.BytesIO(data), len(data)
    elif isinstance(raw.folder, RemoteFolder):
        opened = _open_remote(raw, raw.folder)
    else:
        opened = _open_raw(raw, raw.folder, folder_fd)
    if isinstance(opened, Refusal):
        yield _of_part(opened, raw.part)
        return
    stream, size = opened
    try:
        try:
            content = _read(raw, stream, size, max_bytes)
        except Exception as error:  # whatever the storage raises: a CRC error, a network error, EIO
            content = Refusal(f"cannot be read: {reason(error)}", "check that the file can be read, or replace it")
        yield _of_part(content, raw.part) if isinstance(content, Refusal) else content
        # (a JSON Lines file's lines are read while the stream is open)
    finally:
        with contextlib.suppress(Exception):
            stream.close()


def _of_part(refusal: Refusal, part: Part | None) -> Refusal:
    """A refusal to read a :class:`Part` of a file: it names the part's first line, and the file's hash."""
    return refusal if part is None else replace(refusal, line=part.line, sha256=part.sha256)


def _read(raw: RawFile, stream: BinaryIO, size: int, max_bytes: int) -> Content:
    """The content of raw file ``raw``, open as ``stream`` of ``size`` bytes (as its storage says)."""
    suffix = PurePosixPath(raw.name).suffix.lower()
    if raw.part is not None:
        part = raw.part
        if size < part.size:
            return Refusal(
                f"the file changed while the build read it: {part.size:,} bytes when hashed, {size:,} now",
                "build again once nothing writes to the file",
            )
        stream.seek(part.start)
        return FileLines(_limited_lines(stream, max_bytes, part.line, part.start, part.stop), part.sha256, part.line)
    if suffix == ".jsonl":
        sha256, hashed = _sha256(stream)
        stream.seek(0)
        return FileLines(_limited_lines(stream, max_bytes, 1, 0, hashed), sha256)
    data = stream.read() if size <= max_bytes else b""  # (read(max_bytes) would allocate them all)
    if size <= max_bytes and len(data) <= max_bytes:  # (it may have grown meanwhile)
        return FileBytes(data)
    rest, hashed = _sha256(stream, hashlib.sha256(data))
    size = max(size, len(data) + hashed)
    what, limit = ("the JSON input", "JSON size limit") if suffix == ".json" else ("the file", "size limit")
    return Refusal(f"{what} is {size:,} bytes, over the {limit} of {max_bytes:,} bytes", _SIZE_FIX, rest)


_LOOP = Refusal(
    "a symbolic link loop: following the link leads back to it, never to a file",
    "remove the link, or point it at a file",
)


def _open_by_name(raw: RawFile, folder_fd: int | None) -> int:
    """A descriptor of local file ``raw`` (links not followed): opened by name in its folder when
    ``folder_fd`` is a descriptor of the folder (no path to build and walk), else by its path."""
    if folder_fd is not None:
        return os.open(raw.name, _OPEN_FLAGS, dir_fd=folder_fd)
    return os.open(raw.path, _OPEN_FLAGS)


def _open_raw(raw: RawFile, folder: Path, folder_fd: int | None = None) -> tuple[BinaryIO, int] | Refusal:
    """File ``raw`` of local ``folder`` (open as ``folder_fd``, when given) open for reading, and its size;
    or why it is refused: a file name that is not UTF-8, a symbolic link out of the raw folder or in a loop,
    not a regular file, or unreadable. A link is found by the open refusing to follow it, so a plain file
    costs one system call."""
    if not _is_utf8(raw.name):
        return Refusal("the file name is not valid UTF-8", "rename the file")
    try:
        try:
            fd = _open_by_name(raw, folder_fd)
        except OSError as error:
            path = raw.path
            if error.errno != errno.ELOOP or not path.is_symlink():
                raise
            try:
                target = path.resolve()
            except RuntimeError:  # "Symlink loop from …" (Python 3.11 and 3.12)
                return _LOOP
            if raw.confined and not target.is_relative_to(folder.resolve()):
                return Refusal(
                    f"a symbolic link to {printable(str(path.readlink()))}, outside the raw folder: refused "
                    "(a raw folder never reads files elsewhere)",
                    "copy the file into the raw folder instead of linking to it",
                )
            try:
                fd = os.open(target, _OPEN_FLAGS)
            except OSError as again:  # a loop that resolving let through (newer Pythons do not raise)
                if again.errno == errno.ELOOP:
                    return _LOOP
                raise
    except OSError as error:
        return Refusal(f"cannot be opened: {reason(error)}", "check that the file exists and can be read")
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        return Refusal("not a regular file", "keep only regular files in the raw folder")
    return os.fdopen(fd, "rb"), status.st_size


def _open_remote(raw: RawFile, folder: RemoteFolder) -> tuple[BinaryIO, int] | Refusal:
    """File ``raw`` of a folder given by URL, open for reading, and its size; or why it cannot be read."""
    filesystem, _ = folder.filesystem()
    path = folder.path(raw.name)
    try:
        stream = filesystem.open(path, "rb")
        # Object stores' files learn their size on opening (one request less than asking again).
        size = getattr(stream, "size", None)
    except Exception as error:  # gone since the listing, permissions, network: the storage's own errors
        return Refusal(f"cannot be opened: {reason(error)}", "check that the file exists and can be read")
    return stream, int(size) if size is not None else raw.size


@dataclass(frozen=True)
class LinesScan:
    """What :func:`scan_lines` found: the file cut into parts, and its first line (at most
    ``max_bytes + 1`` bytes, without its end), which says how the file is encoded."""

    parts: list[RawFile]
    first_line: bytes


def scan_lines(raw: RawFile, part_bytes: int, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LinesScan | None:
    """Cut JSON Lines file ``raw`` into parts of about ``part_bytes`` each, at line starts, in one pass that
    also hashes the file and counts its lines: each part is read on its own (:func:`read_content`), and
    gives the same lines, line numbers and hash as reading the whole file. None when the file cannot be
    opened or read (reading it whole then says why).

    >>> path = Path(__file__).parent.parent / "raw" / "000_815a394d8668fa3a.txt"  # (lines as JSON Lines' are)
    >>> [(raw.part.start, raw.part.stop, raw.part.line) for raw in scan_lines(RawFile.at(path), 1000).parts]
    [(0, 1228, 1), (1228, 3304, 8), (3304, 5626, 14), (5626, 5639, 20)]
    """
    opened = _open_remote(raw, raw.folder) if isinstance(raw.folder, RemoteFolder) else _open_raw(raw, raw.folder)
    if isinstance(opened, Refusal):
        return None
    stream, _ = opened
    digest, cuts, first_line = hashlib.sha256(), [(0, 1)], b""
    offset = newlines = 0  # of the block's first byte; the line ends before it
    target = part_bytes  # the next part starts at the first line start at or after this offset
    try:
        with stream:
            if isinstance(raw.folder, Path) and hasattr(os, "posix_fadvise"):
                with contextlib.suppress(OSError, ValueError):
                    os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            for block in iter(lambda: stream.read(_SCAN_BLOCK), b""):
                digest.update(block)
                if len(first_line) <= max_bytes and b"\n" not in first_line:
                    first_line += block[: max_bytes + 1 - len(first_line)]
                end = offset + len(block)
                while target <= end:
                    found = block.find(b"\n", max(target - 1 - offset, 0))
                    if found < 0:
                        break
                    cut = offset + found + 1
                    cuts.append((cut, 1 + newlines + block.count(b"\n", 0, found + 1)))
                    target = cut + part_bytes
                newlines += block.count(b"\n")
                offset = end
    except Exception:  # a CRC error, a network error: reading the file whole says why
        return None
    if len(cuts) > 1 and cuts[-1][0] == offset:
        cuts.pop()  # the last line end is the file's end: no part after it
    digest_hex = digest.hexdigest()
    parts = [
        replace(raw, size=stop - start, part=Part(start, stop, line, offset, digest_hex))
        for (start, line), (stop, _) in zip(cuts, [*cuts[1:], (offset, 0)], strict=True)
    ]
    return LinesScan(parts, first_line.split(b"\n", 1)[0].rstrip(b"\r"))


def _sha256(stream: BinaryIO, digest: Any = None) -> tuple[str, int]:
    """SHA-256 of what remains of ``stream`` (added to ``digest``), read block by block, and how many bytes that was."""
    digest = digest or hashlib.sha256()
    hashed = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
        hashed += len(block)
    return str(digest.hexdigest()), hashed


def _limited_lines(stream: BinaryIO, max_bytes: int, line: int, start: int, stop: int) -> Iterator[bytes | None]:
    """The lines of ``stream``, which is at offset ``start``, without their line end, up to offset ``stop``
    (the bytes that were hashed: what is appended meanwhile is not read); None for a line longer than
    ``max_bytes`` (skipped without holding it in memory). ``line`` is the number of the first line; an
    error of the storage is a :class:`ReadError` naming the line it stopped at."""
    remaining = stop - start
    try:
        while remaining > 0:
            data = stream.readline(min(max_bytes + 1, remaining))
            if not data:
                return
            remaining -= len(data)
            if len(data) <= max_bytes or data.endswith(b"\n"):
                yield data.rstrip(b"\r\n")
            else:
                while remaining > 0 and data and not data.endswith(b"\n"):
                    data = stream.readline(min(1 << 20, remaining))
                    remaining -= len(data)
                yield None
            line += 1
    except Exception as error:  # whatever the storage raises: a CRC error, a network error, EIO
        raise ReadError(line, f"cannot be read from line {line} on: {reason(error)}") from None


def _is_utf8(name: str) -> bool:
    """Whether a file name is text (undecodable bytes of a local name come as surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str, *, backslashes: bool = True) -> str:
    r"""A file name, path or URL as messages and the manifest record it: unambiguous and on one line.

    An undecodable byte of a file name (a surrogate escape) is written ``\xNN``, a control character
    (C0, DEL) ``\xNN`` too (they are below 0x80, undecodable bytes never are), and C1 controls, line
    and paragraph separators (U+2028, U+2029), bidirectional controls and other surrogates ``\uNNNN``;
    a backslash is doubled. So two names never print alike, and the name can be recovered.
    ``backslashes=False`` leaves backslashes as they are: for text that may hold names already
    written by this function (a message printed on a terminal), so nothing is escaped twice.

    >>> printable("tin\udcff.txt"), printable("tinÿ.txt"), printable("a\nb\x1b[31m.txt")
    ('tin\\xff.txt', 'tinÿ.txt', 'a\\x0ab\\x1b[31m.txt')
    >>> printable("C:\\tin\x85\u2028\u202e.txt")
    'C:\\\\tin\\u0085\\u2028\\u202e.txt'
    """
    pattern = _ESCAPED if backslashes else _CONTROLS
    return pattern.sub(_escape, text) if pattern.search(text) else text


# What printable() escapes: backslash, C0, DEL, C1, surrogates, U+2028/9 and the bidirectional controls.
_CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ESCAPED = re.compile(f"[\\\\{_CONTROL_CHARACTERS}]")
_CONTROLS = re.compile(f"[{_CONTROL_CHARACTERS}]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\\":
        return "\\\\"
    if 0xDC80 <= code <= 0xDCFF:  # the surrogate escape of an undecodable byte (os.fsdecode)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def unprintable(text: str) -> str:
    r"""The name that :func:`printable` wrote as ``text`` (its inverse).

    >>> name = "C:\\a\udcfe\x85\n.txt"
    >>> unprintable(printable(name)) == name
    True
    """
    return _UNESCAPED.sub(_unescape, text)


_UNESCAPED = re.compile(r"\\(?:\\|x([0-9a-f]{2})|u([0-9a-f]{4}))")


def _unescape(match: re.Match[str]) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code + 0xDC00 if code >= 0x80 else code)
    return chr(int(match.group(2), 16)) if match.group(2) else "\\"


def reason(error: BaseException) -> str:
    """An error, from this library or from the storage's (fsspec, an archive, a network library), as one
    line for a message: an OS error's own words, others named by their type.

    >>> reason(FileNotFoundError(2, "No such file or directory")), reason(ValueError("bad\\n  value"))
    ('No such file or directory', 'ValueError: bad value')
    """
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror
    else:
        text = " ".join(str(error).split())
        if not isinstance(error, OSError):
            text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    text = printable(text)
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"
