"""Find raw files, decode them, and parse each article into a raw record.

A raw record satisfies ``schema/raw_article.schema.json`` when the input is
valid; :class:`RawArticle` keeps, beside it, the line of the raw file each part
came from, so that every later problem can name its line.

>>> article = parse_text(" date 2020-06 Tiêu đề\\n\\nĐoạn một.\\n\\nĐình Hợp\\n", "a.txt", "0" * 64, "utf-8")
>>> article.record["date"], article.record["paragraphs"], article.record["byline"]
('2020-06', ['Đoạn một.'], 'Đình Hợp')
>>> article.line_of("/paragraphs/0")
3
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .decode import DecodeError, decode
from .errors import Problem
from .metadata import split_byline

TEXT_SUFFIXES = (".txt",)
JSON_SUFFIXES = (".json", ".jsonl")
SUFFIXES = TEXT_SUFFIXES + JSON_SUFFIXES
# Larger files are refused unread (JSON too): an article is a few kB. Raise it for bulk JSON Lines.
DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024
# Never follow a link swapped in after the check, never block on a pipe (where the system has them).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

# ` date 2020-06 Title`: optional leading space, the word `date`, a date, the title.
_HEADER = re.compile(r"\s*date\s+(\S+)(?:\s+(.*))?", re.DOTALL)
_LINE_END = re.compile(r"\r\n|\r|\n")
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


@dataclass
class RawArticle:
    """One article as read: its raw record and the line each JSON pointer came from."""

    record: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The raw file's path relative to the raw folder."""
        return str(self.record["source"]["file"])

    def line_of(self, pointer: str) -> int | None:
        """The raw line of ``pointer`` or of its nearest enclosing part.

        >>> RawArticle({}, {"": 1, "/paragraphs/0": 3}).line_of("/paragraphs/0/x")
        3
        """
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


@dataclass
class Rejected:
    """An input that cannot become a record, with every reason.

    >>> Rejected("a.txt", 1, None, [Problem("raw/a.txt", 1, "the file contains only white space")]).to_dict()
    {'file': 'a.txt', 'line': 1, 'sha256': None, 'reasons': ['a.txt:1: the file contains only white space']}
    """

    file: str
    line: int | None
    sha256: str | None  # None when the file was not read (a link out of the raw folder, unreadable)
    problems: list[Problem]

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry: each reason as one line naming the file relative to the raw folder."""
        reasons = [str(replace(problem, file=self.file)) for problem in self.problems]
        return {"file": self.file, "line": self.line, "sha256": self.sha256, "reasons": reasons}


@dataclass
class RawFile:
    """A file found in the raw folder: where to read it and what to call it."""

    path: Path
    name: str  # relative to the raw folder, / separated: provenance and sort key
    root: Path | None = None  # the raw folder it was found in: a symbolic link must point inside it


def find_raw_files(raw_dir: Path) -> tuple[list[RawFile], list[str]]:
    """The raw files directly inside ``raw_dir``, sorted by name, and notices of what was skipped.

    Folders and special files (pipes, sockets, devices) are skipped with a notice;
    symbolic links are kept, for :func:`read_raw_file` to check where they point.

    >>> files, notices = find_raw_files(Path(__file__).parent.parent / "raw")
    >>> [f.name[:3] for f in files], notices
    (['000', '001', '002', '003', '004'], [])
    """
    files, notices = [], []
    for path in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        if path.is_dir():
            notices.append(f"{path}: skipped: a folder (raw files are read from the top level of the raw folder only)")
        elif path.is_file() or path.is_symlink():
            files.append(RawFile(path, path.name, raw_dir))
        else:
            notices.append(f"{path}: skipped: not a regular file (a pipe, socket or device)")
    return files, notices


def read_raw_file(
    raw: RawFile, display: str | None = None, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[RawArticle | Rejected]:
    """Every input in one raw file (one for .txt, one per object for .json/.jsonl).

    ``display`` is how messages name the file (default: its path). Never raises
    for bad data: a file that cannot or must not be read is one :class:`Rejected`.
    """
    display = display or str(raw.path)
    data = _read_bytes(raw, display, max_bytes)
    if isinstance(data, Rejected):
        yield data
    else:
        yield from parse_bytes(data, raw.name, display, raw.path.suffix)


def _read_bytes(raw: RawFile, display: str, max_bytes: int) -> bytes | Rejected:
    """The bytes of ``raw``, or why they are refused: a file name that is not UTF-8, a
    symbolic link out of the raw folder, not a regular file, unreadable, or over ``max_bytes``
    (never held in memory then, but its SHA-256 is still computed, block by block)."""

    def refuse(message: str, fix: str, sha256: str | None = None) -> Rejected:
        return Rejected(_printable(raw.name), None, sha256, [Problem(_printable(display), None, message, fix=fix)])

    if _printable(raw.name) != raw.name:
        return refuse("the file name is not valid UTF-8", "rename the file")
    linked = raw.path.is_symlink()
    path = raw.path.resolve() if linked else raw.path
    if linked and raw.root is not None and not path.is_relative_to(raw.root.resolve()):
        return refuse(
            f"a symbolic link to {_printable(str(raw.path.readlink()))}, outside the raw folder: refused "
            "(a raw folder never reads files elsewhere)",
            "copy the file into the raw folder instead of linking to it",
        )
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        return refuse(f"cannot be opened: {error.strerror}", "check that the file exists and can be read")
    with os.fdopen(fd, "rb") as stream:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return refuse("not a regular file", "keep only regular files in the raw folder")
        size = status.st_size
        data = stream.read() if size <= max_bytes else b""
        if len(data) <= max_bytes and size <= max_bytes:
            return data
        digest = hashlib.sha256(data)
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    json_input = raw.path.suffix.lower() in JSON_SUFFIXES
    what, limit = ("the JSON input", "JSON size limit") if json_input else ("the file", "size limit")
    return refuse(
        f"{what} is {max(size, len(data)):,} bytes, over the {limit} of {max_bytes:,} bytes",
        "split it into smaller files, or raise the limit (build --max-file-bytes N, max_file_bytes=N)",
        digest.hexdigest(),
    )


def _printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (surrogate escapes) shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_bytes(data: bytes, name: str, display: str, suffix: str | None = None) -> Iterator[RawArticle | Rejected]:
    """Every input in the bytes of raw file ``name``; the suffix (default: the name's) says how to read them.

    Never raises for bad data: what cannot be read comes back as :class:`Rejected`.

    >>> [(type(a).__name__, a.problems[0].message) for a in parse_bytes(b"", "a.txt", "raw/a.txt")]
    [('Rejected', 'the file is empty')]
    """
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = (Path(name).suffix if suffix is None else suffix).lower()
    if suffix not in SUFFIXES:
        yield Rejected(
            name,
            None,
            sha256,
            [
                Problem(
                    display,
                    None,
                    f"unknown kind of raw file {suffix or '(no suffix)'!r}",
                    fix=f"raw files end in {', '.join(SUFFIXES)}; rename it or move it out of the raw folder",
                )
            ],
        )
        return
    try:
        decoded = decode(data)
    except DecodeError as error:
        yield Rejected(name, error.line, sha256, [Problem(display, error.line, error.message, fix=error.fix)])
        return
    if suffix in TEXT_SUFFIXES:
        yield _parse_or_reject(decoded.text, name, sha256, decoded.encoding, decoded.repairs, display)
    else:
        yield from parse_json(
            decoded.text, name, sha256, decoded.encoding, decoded.repairs, display, lines=suffix == ".jsonl"
        )


def _parse_or_reject(
    text: str, name: str, sha256: str, encoding: str, repairs: list[str], display: str
) -> RawArticle | Rejected:
    if not text.strip():
        return Rejected(
            name,
            1,
            sha256,
            [
                Problem(
                    display,
                    1,
                    "the file contains only white space",
                    fix="remove the file, or write the article into it",
                )
            ],
        )
    return parse_text(text, name, sha256, encoding, repairs)


def parse_text(text: str, name: str, sha256: str, encoding: str, repairs: list[str] | None = None) -> RawArticle:
    """Parse the raw text format: an optional ``date`` prefix and the title on the
    first non-blank line, then one paragraph per non-blank line, the last one
    being the byline when it reads as one. Blank lines are not needed between
    paragraphs; LF, CRLF and CR line ends are all accepted (and recorded).
    """
    repairs = list(repairs or [])
    if "\r\n" in text:
        repairs.append("line-ends: CRLF → LF")
    elif "\r" in text:
        repairs.append("line-ends: CR → LF")
    numbered = [(number, line) for number, line in enumerate(_LINE_END.split(text), 1) if line.strip()]
    source = {"file": name, "line": 1, "sha256": sha256, "encoding": encoding, "repairs": repairs}
    if not numbered:
        return RawArticle({"title": "", "paragraphs": [], "source": source}, {"": 1})
    (title_line, title), body = numbered[0], numbered[1:]
    record: dict[str, Any] = {"title": title.strip(), "date": None}
    header = _HEADER.fullmatch(title)
    if header:
        record["date"], record["title"] = header.group(1), (header.group(2) or "").strip()
    lines = {"": title_line, "/title": title_line, "/date": title_line, "/paragraphs": title_line}
    byline = None
    if len(body) > 1 and split_byline(unicodedata.normalize("NFC", body[-1][1])) is not None:
        (lines["/byline"], byline), body = body[-1], body[:-1]
    record["paragraphs"] = [line for _, line in body]
    record["byline"] = byline
    record["source"] = source
    lines.update((f"/paragraphs/{index}", number) for index, (number, _) in enumerate(body))
    return RawArticle(record, lines)


def parse_json(
    text: str, name: str, sha256: str, encoding: str, repairs: list[str], display: str, *, lines: bool
) -> Iterator[RawArticle | Rejected]:
    """Each object of a JSON file (one object or a list) or of a JSON Lines file."""

    def reject(line: int | None, message: str, fix: str, pointer: str = "") -> Rejected:
        return Rejected(name, line, sha256, [Problem(display, line, message, pointer, fix)])

    syntax_fix = "each line of a .jsonl file must be one JSON object" if lines else "fix the JSON syntax"
    try:
        items = list(_json_lines(text) if lines else _json_items(text))
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        yield reject(*_json_error(error), syntax_fix)
        return
    for line, item in items:
        if isinstance(item, ValueError | RecursionError):
            yield reject(line, _json_error(item)[1], syntax_fix)
        elif not isinstance(item, dict):
            kind = _JSON_KINDS.get(type(item), "value")
            yield reject(
                line,
                f"a JSON {kind} where an article object belongs",
                "give each article as an object with title and paragraphs or body",
            )
        elif "source" in item:
            yield reject(
                line, "the object sets `source`, which the reader fills in", "remove `source` from the input", "/source"
            )
        else:
            source = {"file": name, "line": line, "sha256": sha256, "encoding": encoding, "repairs": list(repairs)}
            yield RawArticle({**item, "source": source}, {"": line})


def _json_error(error: ValueError | RecursionError) -> tuple[int | None, str]:
    """The line and message of a JSON parsing error.

    >>> _json_error(RecursionError())
    (None, 'not valid JSON for an article: nested too deeply')
    """
    if isinstance(error, json.JSONDecodeError):
        return error.lineno, f"not valid JSON: {error.msg} (column {error.colno})"
    if isinstance(error, RecursionError):
        return None, "not valid JSON for an article: nested too deeply"
    return None, "not valid JSON for an article: a number with too many digits"  # int_max_str_digits


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(_LINE_END.split(text), 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError) as error:
                yield number, error


def _json_items(text: str) -> Iterator[tuple[int, Any]]:
    """A JSON document's top-level object, or each element of its top-level list, with its line."""
    decoder = json.JSONDecoder()
    start = _skip_space(text, 0)
    if not text.startswith("[", start):
        value, end = decoder.raw_decode(text, start)
        _expect_end(text, end)
        yield text.count("\n", 0, start) + 1, value
        return
    position = _skip_space(text, start + 1)
    if text.startswith("]", position):
        _expect_end(text, position + 1)
        return
    while True:
        value, end = decoder.raw_decode(text, position)
        yield text.count("\n", 0, position) + 1, value
        position = _skip_space(text, end)
        if text.startswith("]", position):
            _expect_end(text, position + 1)
            return
        if not text.startswith(",", position):
            raise json.JSONDecodeError("expected ',' or ']'", text, position)
        position = _skip_space(text, position + 1)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _expect_end(text: str, position: int) -> None:
    if _skip_space(text, position) != len(text):
        raise json.JSONDecodeError("extra data after the JSON value", text, _skip_space(text, position))
