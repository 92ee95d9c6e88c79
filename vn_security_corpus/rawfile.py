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
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decode import DecodeError, decode
from .errors import Problem
from .metadata import split_byline

TEXT_SUFFIXES = (".txt",)
JSON_SUFFIXES = (".json", ".jsonl")
SUFFIXES = TEXT_SUFFIXES + JSON_SUFFIXES

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
    """An input that cannot become a record, with every reason."""

    file: str
    line: int | None
    sha256: str
    problems: list[Problem]


@dataclass
class RawFile:
    """A regular file found in the raw folder: where to read it and what to call it."""

    path: Path
    name: str  # relative to the raw folder, / separated: provenance and sort key


def find_raw_files(raw_dir: Path) -> tuple[list[RawFile], list[str]]:
    """The raw files directly inside ``raw_dir``, sorted by name, and notices of what was skipped.

    >>> files, notices = find_raw_files(Path(__file__).parent.parent / "raw")
    >>> [f.name[:3] for f in files], notices
    (['000', '001', '002', '003', '004'], [])
    """
    files, notices = [], []
    for path in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        if path.is_dir():
            notices.append(f"{path}: skipped: a folder (raw files are read from the top level of the raw folder only)")
        elif not path.is_file():
            notices.append(f"{path}: skipped: not a regular file")
        else:
            files.append(RawFile(path, path.name))
    return files, notices


def read_raw_file(raw: RawFile, display: str | None = None) -> Iterator[RawArticle | Rejected]:
    """Every article in one raw file (one for .txt, one per object for .json/.jsonl).

    ``display`` is how messages name the file (default: its path).
    """
    display = display or str(raw.path)
    data = raw.path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = raw.path.suffix.lower()
    if suffix not in SUFFIXES:
        yield Rejected(
            raw.name,
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
        yield Rejected(raw.name, error.line, sha256, [Problem(display, error.line, error.message, fix=error.fix)])
        return
    if suffix in TEXT_SUFFIXES:
        yield _parse_or_reject(decoded.text, raw.name, sha256, decoded.encoding, decoded.repairs, display)
    else:
        yield from parse_json(
            decoded.text, raw.name, sha256, decoded.encoding, decoded.repairs, display, lines=suffix == ".jsonl"
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
    try:
        items = list(_json_lines(text) if lines else _json_items(text))
    except json.JSONDecodeError as error:
        yield Rejected(
            name,
            error.lineno,
            sha256,
            [
                Problem(
                    display,
                    error.lineno,
                    f"not valid JSON: {error.msg} (column {error.colno})",
                    fix="fix the JSON syntax" if not lines else "each line of a .jsonl file must be one JSON object",
                )
            ],
        )
        return
    for line, item in items:
        if isinstance(item, json.JSONDecodeError):
            yield Rejected(
                name,
                line,
                sha256,
                [
                    Problem(
                        display,
                        line,
                        f"not valid JSON: {item.msg} (column {item.colno})",
                        fix="each line of a .jsonl file must be one JSON object",
                    )
                ],
            )
        elif not isinstance(item, dict):
            yield Rejected(
                name,
                line,
                sha256,
                [
                    Problem(
                        display,
                        line,
                        f"a JSON {_JSON_KINDS.get(type(item), 'value')} where an article object belongs",
                        fix="give each article as an object with title and paragraphs or body",
                    )
                ],
            )
        elif "source" in item:
            yield Rejected(
                name,
                line,
                sha256,
                [
                    Problem(
                        display,
                        line,
                        "the object sets `source`, which the reader fills in",
                        "/source",
                        fix="remove `source` from the input",
                    )
                ],
            )
        else:
            source = {"file": name, "line": line, "sha256": sha256, "encoding": encoding, "repairs": list(repairs)}
            yield RawArticle({**item, "source": source}, {"": line})


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(_LINE_END.split(text), 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
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
