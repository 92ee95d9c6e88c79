"""What raw bytes mean: the raw text format, JSON and JSON Lines, parsed into raw records.

Functions here take bytes or text and never touch files (that is
:mod:`vn_security_corpus.sources`' work). A raw record satisfies
``schema/raw_article.schema.json`` when the input is valid; :class:`RawArticle` keeps,
beside it, the line each part came from, so that every later problem can name its line.
Bad data never raises: it comes back as :class:`Rejected`, with every reason.

>>> article = parse_text(" date 2020-06 Tiêu đề\\n\\nĐoạn một.\\n\\nĐình Hợp\\n", "a.txt", "0" * 64, "utf-8")
>>> article.record["date"], article.record["paragraphs"], article.record["byline"]
('2020-06', ['Đoạn một.'], 'Đình Hợp')
>>> article.line_of("/paragraphs/0")
3
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from .decode import DecodeError, decode
from .errors import Problem
from .metadata import find_byline
from .repairs import add_entries, repair
from .text import line_end_repairs, markup_page, may_hold_markup, strip_markup_lines

TEXT_SUFFIXES = (".txt",)
JSON_SUFFIXES = (".json", ".jsonl")
SUFFIXES = TEXT_SUFFIXES + JSON_SUFFIXES

# ` date 2020-06 Title`: optional leading space, the word `date`, a date, the title.
_HEADER = re.compile(r"\s*date\s+(\S+)(?:\s+(.*))?", re.DOTALL)
_LINE_END = re.compile(r"\r\n|\r|\n")
# A JSON escape of a UTF-16 surrogate: only these can put a lone surrogate into a string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
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


def parse_json_lines(
    lines: Iterable[bytes | None], name: str, sha256: str, display: str, max_bytes: int, first_line: int = 1
) -> Iterator[RawArticle | Rejected]:
    """Each object of a JSON Lines file (JSON Lines is UTF-8), given its ``lines`` without their
    ends (None: a line over ``max_bytes``, not read), from line ``first_line`` on (each line is an
    input of its own, so a file may be read in parts); ``sha256`` is the whole file's.

    >>> [a.record["title"] for a in parse_json_lines([b'{"title": "T"}', b"", b"[]"], "a.jsonl", "0", "a.jsonl", 99)
    ...  if isinstance(a, RawArticle)]
    ['T']
    """

    def reject(line: int | None, message: str, fix: str) -> Rejected:
        return Rejected(name, line, sha256, [Problem(display, line, message, fix=fix)])

    for number, line in enumerate(lines, first_line):
        if line is None:
            yield reject(
                number,
                f"the JSON object is over the JSON size limit of {max_bytes:,} bytes",
                "split it, or raise the limit (build --max-file-bytes N, max_file_bytes=N)",
            )
            continue
        repairs = []
        if number == 1:
            if looks_utf16(line):
                yield reject(1, "a JSON Lines file that is not UTF-8 (it looks like UTF-16)", "save it as UTF-8")
                return
            if line.startswith(codecs.BOM_UTF8):
                line, repairs = line[len(codecs.BOM_UTF8) :], [repair("bom-utf8-removed")]
        if not line.strip():
            continue
        try:
            decoded = decode(line)
        except DecodeError as error:
            yield reject(number, error.message, error.fix)
            continue
        yield from parse_json(
            decoded.text,
            name,
            sha256,
            decoded.encoding,
            repairs + decoded.repairs,
            display,
            lines=True,
            first_line=number,
        )


def looks_utf16(first_line: bytes) -> bool:
    """Whether the first line of a JSON Lines file shows it is not UTF-8 but UTF-16 (then the whole
    file is one rejected input, not one per line).

    >>> looks_utf16('{"a": 1}'.encode("utf-16")), looks_utf16(b'{"a": 1}')
    (True, False)
    """
    return b"\x00" in first_line or first_line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def parse_bytes(data: bytes, name: str, display: str, suffix: str | None = None) -> Iterator[RawArticle | Rejected]:
    """Every input in the bytes of raw file ``name``; the suffix (default: the name's) says how to read them.

    Never raises for bad data: what cannot be read comes back as :class:`Rejected`.

    >>> [(type(a).__name__, a.problems[0].message) for a in parse_bytes(b"", "a.txt", "raw/a.txt")]
    [('Rejected', 'the file is empty')]
    """
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = (PurePosixPath(name).suffix if suffix is None else suffix).lower()
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
    page = markup_page(text)
    if page is not None:
        reason, offset = page
        line = len(_LINE_END.findall(text, 0, offset)) + 1
        return Rejected(name, line, sha256, [_page_problem(display, line, reason)])
    return parse_text(text, name, sha256, encoding, repairs)


def _page_problem(display: str, line: int | None, reason: str) -> Problem:
    return Problem(
        display,
        line,
        f"the text is a web page, not an article's text: {reason}",
        fix="take the article's text out of the page first (tags, character references and Markdown inside "
        "text are repaired when read; a whole page is not)",
    )


def split_lines(text: str) -> list[str]:
    """``text`` cut at LF, CRLF and CR line ends (``str.split`` when there is no CR: much faster).

    >>> split_lines("a\\r\\nb\\rc\\nd")
    ['a', 'b', 'c', 'd']
    """
    return _LINE_END.split(text) if "\r" in text else text.split("\n")


def parse_text(text: str, name: str, sha256: str, encoding: str, repairs: list[str] | None = None) -> RawArticle:
    """Parse the raw text format: an optional ``date`` prefix and the title on the
    first non-blank line, then one paragraph per non-blank line, the byline found where
    real layouts put it (:func:`~vn_security_corpus.metadata.find_byline`: its own last line,
    before trailers such as "Theo VOV", or glued to the last sentence). Blank lines are not
    needed between paragraphs; LF, CRLF and CR line ends are all accepted (and recorded).
    Remnants of HTML and Markdown are repaired first (:func:`~vn_security_corpus.text.strip_markup`):
    a line that held only an image or an underline is dropped, one split by ``<p>`` or ``<br>``
    gives several paragraphs.
    """
    repairs = list(repairs or []) + line_end_repairs(text)
    raw_lines = split_lines(text)
    if may_hold_markup(text):  # HTML and Markdown remnants repaired, each line keeping its number
        pieces, markup = strip_markup_lines(raw_lines)
        repairs += markup
        numbered = [(index + 1, line) for index, line in pieces if line.strip()]
    else:
        numbered = [(number, line) for number, line in enumerate(raw_lines, 1) if line.strip()]
    source = {"file": name, "line": 1, "sha256": sha256, "encoding": encoding, "repairs": repairs}
    if not numbered:
        return RawArticle({"title": "", "paragraphs": [], "source": source}, {"": 1})
    (title_line, title), body = numbered[0], numbered[1:]
    record: dict[str, Any] = {"title": title.strip(), "date": None}
    header = _HEADER.fullmatch(title)
    if header:
        record["date"], record["title"] = header.group(1), (header.group(2) or "").strip()
    lines = {"": title_line, "/title": title_line, "/date": title_line, "/paragraphs": title_line}
    texts = [unicodedata.normalize("NFC", line) for _, line in body]
    found = find_byline(texts)
    kept = len(found.paragraphs)
    glued = found.byline is not None and found.paragraphs[-1] != texts[kept - 1]
    if found.byline is not None:
        lines["/byline"] = body[kept - 1 if glued else kept][0]
    repairs.extend(repair("byline-trailer-removed", repr(trailer)) for trailer in found.trailers)
    record["paragraphs"] = [line for _, line in body[:kept]]
    if glued:
        record["paragraphs"][-1] = found.paragraphs[-1]
        repairs.append(repair("byline-unglued", repr(found.byline)))
    body = body[:kept]
    record["byline"] = found.byline
    record["source"] = source
    lines.update((f"/paragraphs/{index}", number) for index, (number, _) in enumerate(body))
    return RawArticle(record, lines)


def parse_json(
    text: str,
    name: str,
    sha256: str,
    encoding: str,
    repairs: list[str],
    display: str,
    *,
    lines: bool,
    first_line: int = 1,
) -> Iterator[RawArticle | Rejected]:
    """Each object of a JSON file (one object or a list) or of JSON Lines (``text`` starting at
    line ``first_line`` of the file)."""

    def reject(line: int | None, message: str, fix: str, pointer: str = "") -> Rejected:
        return Rejected(name, line, sha256, [Problem(display, line, message, pointer, fix)])

    syntax_fix = "each line of a .jsonl file must be one JSON object" if lines else "fix the JSON syntax"
    try:
        items = list(_json_lines(text, first_line) if lines else _json_items(text))
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        yield reject(*_json_error(error), syntax_fix)
        return
    escapes_surrogates = _SURROGATE_ESCAPE.search(text) is not None
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
        elif escapes_surrogates and _holds_lone_surrogate(item):
            yield reject(
                line,
                "the object holds a lone surrogate escape (\\ud800 to \\udfff), which stands for no character",
                "remove the escape, or write the character it was meant to be",
            )
        elif "source" in item:
            yield reject(
                line, "the object sets `source`, which the reader fills in", "remove `source` from the input", "/source"
            )
        elif (page := markup_page("\n".join(_strings(item)))) is not None:
            yield Rejected(name, line, sha256, [_page_problem(display, line, page[0])])
        else:
            cleaned, markup = _strip_item_markup(item)
            source = {"file": name, "line": line, "sha256": sha256, "encoding": encoding, "repairs": repairs + markup}
            yield RawArticle({**cleaned, "source": source}, {"": line})


_TEXT_FIELDS = ("title", "body", "byline")


def _strings(item: dict[str, Any]) -> Iterator[str]:
    """The text of an input object: its title, body or paragraphs, and byline (where they are strings)."""
    for key in _TEXT_FIELDS:
        if isinstance(item.get(key), str):
            yield item[key]
    if isinstance(item.get("paragraphs"), list):
        yield from (paragraph for paragraph in item["paragraphs"] if isinstance(paragraph, str))


def _strip_item_markup(item: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An input object with the markup remnants of its text repaired, and the repairs made.

    Title, body and byline keep their lines (a ``<br>`` becomes a line break); a paragraph split
    by ``<p>`` or ``<br>`` becomes several, and one left blank by the repairs is dropped.

    >>> _strip_item_markup({"title": "<b>T</b>", "paragraphs": ["a<p>b", "![ảnh](a.jpg)", "c"]})[0]
    {'title': 'T', 'paragraphs': ['a', 'b', 'c']}
    """
    cleaned, repairs = dict(item), list[str]()
    for key in _TEXT_FIELDS:
        if isinstance(item.get(key), str):
            pieces, made = strip_markup_lines(item[key].split("\n"))
            if made:
                cleaned[key] = "\n".join(piece for _, piece in pieces)
                add_entries(repairs, made)
    paragraphs = item.get("paragraphs")
    if isinstance(paragraphs, list) and all(isinstance(paragraph, str) for paragraph in paragraphs):
        new: list[str] = []
        for paragraph in paragraphs:
            pieces, made = strip_markup_lines(paragraph.split("\n"))
            if not made:
                new.append(paragraph)
                continue
            add_entries(repairs, made)
            # pieces of one line were cut by a tag: paragraphs of their own; lines stay lines
            parts: list[list[str]] = []
            for number, (index, piece) in enumerate(pieces):
                if number and index != pieces[number - 1][0]:
                    parts[-1].append(piece)
                else:
                    parts.append([piece])
            new.extend(text for text in map("\n".join, parts) if text.strip())
        if new != paragraphs:
            cleaned["paragraphs"] = new
    return cleaned, repairs


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value holds a lone surrogate anywhere (it has no UTF-8 form).

    >>> _holds_lone_surrogate({"title": ["\\ud800"]}), _holds_lone_surrogate({"title": "😀"})
    (True, False)
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(key) or _holds_lone_surrogate(item) for key, item in value.items())
    return isinstance(value, list) and any(map(_holds_lone_surrogate, value))


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


def _json_lines(text: str, first_line: int = 1) -> Iterator[tuple[int, Any]]:
    """Each line's value: lines end at LF only (a CR is JSON white space, inside a line or before its LF).

    >>> list(_json_lines('{"a":\\r1}\\r\\n\\n[]'))
    [(1, {'a': 1}), (3, [])]
    """
    for number, line in enumerate(text.split("\n"), first_line):
        if line.strip():
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError) as error:
                yield number, error


def _json_items(text: str) -> Iterator[tuple[int, Any]]:
    """A JSON document's top-level object, or each element of its top-level list, with its line.

    Lines are counted from one item to the next, so a long list costs linear time.

    >>> list(_json_items('[{"a": 1},\\n {"b": 2}]'))
    [(1, {'a': 1}), (2, {'b': 2})]
    """
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
    line, counted = 1, 0  # the line at offset `counted`
    while True:
        value, end = decoder.raw_decode(text, position)
        line += text.count("\n", counted, position)
        counted = position
        yield line, value
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
