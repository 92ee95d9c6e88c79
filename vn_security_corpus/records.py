"""The per-input step: raw file → raw records → validated, normalised article records, or problems.

``parse``, ``validate`` and ``build`` all go through :func:`process_files`: every input
(a text file, or one object of a JSON / JSON Lines file) comes out as its article record
or as :class:`~vn_security_corpus.formats.Rejected` with every problem.

>>> from pathlib import Path
>>> from vn_security_corpus.sources import find_raw_files
>>> files, _ = find_raw_files(Path(__file__).parent.parent / "raw")
>>> [result["lang"] for result in process_files(files[:2])]
['vi', 'vi']
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from . import schema
from .errors import Problem
from .formats import RawArticle, Rejected, looks_utf16, parse_bytes, parse_json_lines
from .language import NAMES, UNDETERMINED, VIETNAMESE
from .normalise import CANONICAL_STYLE, to_article
from .sources import (
    DEFAULT_MAX_FILE_BYTES,
    READ_AHEAD_FILES,
    Content,
    FileBytes,
    FileLines,
    RawFile,
    ReadError,
    printable,
    read_contents,
    scan_lines,
)
from .text import ToneStyle
from .timings import StageClock

# Where, in the raw record, each field of the article record came from.
_RAW_POINTER = {"/title": "/title", "/text": "/paragraphs", "/date": "/date", "/authors": "/byline"}


def read_inputs(
    files: Iterable[RawFile], *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, ahead: int = READ_AHEAD_FILES
) -> Iterator[tuple[RawFile, RawArticle | Rejected]]:
    """Every input of ``files`` as a raw record, or rejected (a file that yields no input at all
    is rejected too, so that every file is accounted for; a part of a file that yields none is not:
    whether any part of the file did is for the one who read them all to say, with :func:`no_input`)."""
    for raw, content in read_contents(files, max_bytes=max_file_bytes, ahead=ahead):
        empty = True
        for article in parse_content(raw, content, max_file_bytes):
            empty = False
            yield raw, article
        if empty and raw.part is None:
            sha256 = hashlib.sha256(content.data).hexdigest() if isinstance(content, FileBytes) else content.sha256
            yield raw, no_input(raw, sha256)


def no_input(raw: RawFile, sha256: str | None) -> Rejected:
    """A file that holds no input: an empty JSON list, a JSON Lines file of blank lines."""
    message = "the file holds no article (an empty JSON list, or only blank lines)"
    problem = Problem(printable(raw.display), None, message, fix="remove the file, or write articles into it")
    return Rejected(printable(raw.name), None, sha256, [problem])


def json_lines_parts(raw: RawFile, part_bytes: int, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[RawFile]:
    """JSON Lines file ``raw`` as parts of about ``part_bytes`` (:func:`~vn_security_corpus.sources.scan_lines`),
    whose inputs, read part by part, are those of the whole file: the same lines, line numbers and hash.
    A file that looks like UTF-16 is one part (it is rejected as a whole); one that cannot be read is
    left whole (reading it says why).

    >>> from pathlib import Path
    >>> raw = RawFile.at(Path(__file__).parent.parent / "raw" / "000_815a394d8668fa3a.txt")
    >>> [(raw.part.line, raw.part.start, raw.size) for raw in json_lines_parts(raw, 2000) if raw.part]
    [(1, 0, 3304), (14, 3304, 2322), (20, 5626, 13)]
    """
    scan = scan_lines(raw, part_bytes, max_file_bytes)
    if scan is None:
        return [raw]
    if len(scan.parts) > 1 and len(scan.first_line) <= max_file_bytes and looks_utf16(scan.first_line):
        whole = scan.parts[0].part
        assert whole is not None
        return [replace(scan.parts[0], size=whole.size, part=replace(whole, stop=whole.size))]
    return scan.parts


def read_file_inputs(raw: RawFile, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[RawArticle | Rejected]:
    """Every input of one raw file (one for .txt, one per object for .json/.jsonl).

    >>> from pathlib import Path
    >>> [type(a).__name__ for a in read_file_inputs(RawFile.at(Path(__file__).parent.parent / "raw" / "x.csv"))]
    ['Rejected']
    """
    return [article for _, article in read_inputs([raw], max_file_bytes=max_file_bytes)]


def parse_content(raw: RawFile, content: Content, max_file_bytes: int) -> Iterator[RawArticle | Rejected]:
    """The inputs in the ``content`` of raw file ``raw``."""
    name, display = printable(raw.name), printable(raw.display)
    if isinstance(content, FileBytes):
        yield from parse_bytes(content.data, name, display)
    elif isinstance(content, FileLines):
        try:
            yield from parse_json_lines(
                content.lines, name, content.sha256, display, max_file_bytes, content.first_line
            )
        except ReadError as error:  # the lines before it are inputs of their own, already given
            fix = "check that the file can be read, or replace it"
            yield Rejected(name, error.line, content.sha256, [Problem(display, error.line, error.message, fix=fix)])
    else:
        problem = Problem(display, content.line, content.message, fix=content.fix)
        yield Rejected(name, content.line, content.sha256, [problem])


def process(
    article: RawArticle | Rejected,
    display: str,
    *,
    tone_style: ToneStyle = CANONICAL_STYLE,
    other_languages: str = "reject",
    mask_pii: bool = False,
    clock: StageClock | None = None,
) -> dict[str, Any] | Rejected:
    """One input through validation, normalisation (in ``tone_style``, personal identifiers masked
    when ``mask_pii``) and the check of what normalisation can break (:func:`is_publishable`;
    each stage's CPU time on ``clock``, when given).

    Returns the article record, or the input rejected with every problem. An article in another
    language than Vietnamese is rejected, naming the language it looks like, unless
    ``other_languages="publish"``; one too short to tell is published with ``lang`` ``und``.
    """
    if isinstance(article, Rejected):
        return article
    record = article.record
    source = record.get("source", {})

    def rejected(problems: list[Problem]) -> Rejected:
        return Rejected(source.get("file", display), source.get("line"), source.get("sha256", ""), problems)

    problems = schema.validate("raw_article", record, display, article.line_of)
    if clock:
        clock.lap("validate")
    if problems:
        return rejected(problems)
    result = to_article(record, tone_style=tone_style, mask_pii=mask_pii)
    if clock:
        clock.lap("normalise")
    if result["lang"] not in (VIETNAMESE, UNDETERMINED) and other_languages != "publish":
        name = NAMES.get(result["lang"], result["lang"])
        message = f"the article is not in Vietnamese: it looks like {name} ({result['lang']})"
        fix = "remove it from the raw folder, or build with --other-languages publish to publish it with its language"
        return rejected([Problem(display, article.line_of(""), message, "/lang", fix)])
    problems = []
    if not is_publishable(result):  # the full check then says what is wrong, and where
        problems = schema.validate("article", result, display, lambda pointer: article.line_of(_raw_pointer(pointer)))
    if clock:
        clock.lap("check")
    return rejected(problems) if problems else result


def is_publishable(result: dict[str, Any]) -> bool:
    """Whether the article record that normalisation made of a valid raw record satisfies
    article.schema.json: what normalisation can break is a title or a text that cleaning
    empties (of only invisible characters, spacing, markup); everything else holds by how the
    record is made (tests/test_records.py holds this to the full schema).

    >>> is_publishable({"title": "", "text": "Đoạn một."}), is_publishable({"title": "Tin", "text": "Đoạn một."})
    (False, True)
    """
    return bool(result["title"]) and bool(result["text"])


def _raw_pointer(pointer: str) -> str:
    head = "/" + pointer.split("/")[1] if pointer else ""
    return _RAW_POINTER.get(head, "")


def process_files(
    files: Iterable[RawFile],
    *,
    tone_style: ToneStyle = CANONICAL_STYLE,
    mask_pii: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    other_languages: str = "reject",
    clock: StageClock | None = None,
) -> Iterator[dict[str, Any] | Rejected]:
    """Every input of ``files`` (an article per text file, an object per JSON item), processed
    (each stage's CPU time on ``clock``, when given: reading and parsing count as ``read``)."""
    for raw, article in read_inputs(files, max_file_bytes=max_file_bytes):
        if clock:
            clock.lap("read")
        yield process(
            article,
            printable(raw.display),
            tone_style=tone_style,
            other_languages=other_languages,
            mask_pii=mask_pii,
            clock=clock,
        )
        if clock:
            clock.restart()  # (what the caller does with the result is no stage of this)
