"""The JSON Schemas: well formed, fully described, and the single source of the Arrow schema."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vn_security_corpus.formats import Rejected
from vn_security_corpus.records import process, read_file_inputs
from vn_security_corpus.schema import (
    SCHEMA_NAMES,
    arrow_schema,
    is_valid,
    load_schema,
    parse_partial_date,
    validate,
)
from vn_security_corpus.sources import RawFile

from .conftest import REPO


def subschemas(schema: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from subschemas(sub, f"{where}/{name}")
    if isinstance(schema.get("items"), dict):
        yield from subschemas(schema["items"], f"{where}/items")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_draft_2020_12_with_id_title_and_descriptions(name: str) -> None:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    for where, sub in subschemas(schema):
        assert sub.get("description"), f"{name}{where} has no description"
        if sub.get("type") == "object":  # a record with named fields, or a map whose values have a schema
            extra = sub.get("additionalProperties")
            assert extra is False or isinstance(extra, dict), f"{name}{where} allows extra properties"


def test_schema_files_are_the_ones_in_the_repository() -> None:
    for name in SCHEMA_NAMES:
        assert (REPO / "schema" / f"{name}.schema.json").is_file()


def test_arrow_schema_follows_the_json_schema() -> None:
    schema, arrow = load_schema("article"), arrow_schema()
    assert arrow.names == list(schema["properties"])
    for field in arrow:
        sub = schema["properties"][field.name]
        kinds = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
        assert field.nullable == ("null" in kinds), field.name
    assert (
        str(arrow.field("officials").type)
        == "list<item: struct<rank: string not null, name: string not null> not null>"
    )
    assert [field.name for field in arrow.field("source").type] == list(schema["properties"]["source"]["properties"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020", (2020, None, None)),
        ("2020-06", (2020, 6, None)),
        ("2020-02-29", (2020, 2, 29)),
        ("2021-02-29", None),
        ("2020-13", None),
        ("2020-00", None),
        ("2020-06-32", None),
        ("20x0-06", None),
        ("0000-01", None),
        ("2020-6", None),
    ],
)
def test_partial_dates(value: str, expected: tuple[int, int | None, int | None] | None) -> None:
    assert parse_partial_date(value) == expected


def reject(tmp_path: Path, text: str) -> Rejected:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    (article,) = read_file_inputs(RawFile.at(path))
    result = process(article, "raw/bad.txt")
    assert isinstance(result, Rejected)
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            " date 2020-13 Tiêu đề\n\nThân bài.\n",
            "raw/bad.txt:1: date '2020-13' is not a real date in the form YYYY, YYYY-MM or YYYY-MM-DD (at /date); "
            "fix: write the date as YYYY-MM or YYYY-MM-DD with a real month and day, e.g. 2020-06 or 2020-06-19",
        ),
        ("\n\n date 20x0-06 Tiêu đề\n\nThân bài.\n", "raw/bad.txt:3: date '20x0-06' is not a real date"),
        ("Tiêu đề\n", "raw/bad.txt:1: paragraphs is empty (at /paragraphs); fix: an article needs a body"),
        (" date 2020-06\n\nThân bài.\n", "raw/bad.txt:1: title is empty or blank (at /title)"),
        ("T" * 1500 + "\n\nThân bài.\n", "raw/bad.txt:1: title is 1500 characters long, more than 1000 (at /title)"),
    ],
)
def test_problems_name_file_line_pointer_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    assert str(reject(tmp_path, text).problems[0]).startswith(expected)


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "", "paragraphs": ["a", 7], "date": "2020-02-30", "extra": 1}\n', encoding="utf-8")
    (article,) = read_file_inputs(RawFile.at(path))
    result = process(article, "bad.jsonl")
    assert isinstance(result, Rejected)
    assert [(p.line, p.pointer) for p in result.problems] == [
        (1, ""),
        (1, "/date"),
        (1, "/paragraphs/1"),
        (1, "/title"),
    ]
    assert "unexpected field 'extra'" in result.problems[0].message


def test_validate_accepts_every_published_record_of_raw(release_root: Path) -> None:
    from vn_security_corpus import load_table

    for row in load_table(root=release_root).drop_columns(["split"]).to_pylist():
        record = json.loads(json.dumps(row, default=datetime.date.isoformat))  # dates as the JSON record's ISO text
        assert validate("article", record, "x") == []


# Values that each keyword of the raw schema treats differently: web-page markup the pattern
# refuses and markup it leaves to the reader's repairs, blank and odd-space strings, real and unreal dates.
_STRINGS = st.sampled_from(
    [
        "Công an tỉnh Thanh Hóa",
        " ",
        "\u00a0\u2003",
        "",
        "a <b>tag</b>",
        "x < y > z",
        "<!-- note",
        "<![CDATA[x",
        "AT&amp;T",
        "&#160;",
        "&#x1F600;",
        "R&D; 3 < 4",
        "<br/>",
        "<a\thref=x>",
        "< p>",
        "<html>",
        "tin <SCRIPT src=x>",
        "<header>",
        "<!doctype html",
        "2020-06",
        "2020-02-30",
        "2020-13",
        "20200",
        "x" * 1001,
    ]
)
_VALUES = st.one_of(_STRINGS, st.none(), st.integers(-1, 2), st.lists(_STRINGS, max_size=3))
_GOOD_SOURCE = {"file": "a.txt", "line": 1, "sha256": "0" * 64, "encoding": "utf-8", "repairs": []}
_BAD_SOURCE_FIELDS = {"file": "", "line": 0, "sha256": "G" * 64, "encoding": "", "repairs": [1], "extra": 1}
_SOURCES = st.sampled_from(sorted(_BAD_SOURCE_FIELDS)).map(lambda key: {**_GOOD_SOURCE, key: _BAD_SOURCE_FIELDS[key]})
_GOOD_ARTICLE = {
    "title": "Công an tỉnh Thanh Hóa",
    "paragraphs": ["Sáng 19-6, hội nghị.", "Đoạn hai."],
    "date": "2020-06",
    "byline": "Đình Hợp",
    "source": _GOOD_SOURCE,
}
_REMOVED = object()
# A valid raw article with up to three fields changed (to any of the values above) or removed.
_RAW_ARTICLES = st.lists(
    st.tuples(
        st.sampled_from([*_GOOD_ARTICLE, "body", "extra"]),
        st.one_of(st.just(_REMOVED), _VALUES, st.lists(_STRINGS, min_size=1, max_size=3), _SOURCES),
    ),
    max_size=3,
).map(
    lambda changes: {key: value for key, value in {**_GOOD_ARTICLE, **dict(changes)}.items() if value is not _REMOVED}
)


# The full check, built here from the schema file and the public parse_partial_date.
_FULL_FORMATS = jsonschema.FormatChecker()


@_FULL_FORMATS.checks("partial-date")
def _is_partial_date(value: object) -> bool:
    return not isinstance(value, str) or parse_partial_date(value) is not None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_RAW_ARTICLES)
def test_the_fast_check_agrees_with_the_full_one(instance: dict[str, Any]) -> None:
    full = jsonschema.Draft202012Validator(load_schema("raw_article"), format_checker=_FULL_FORMATS)
    assert is_valid("raw_article", instance) == full.is_valid(instance)


def test_the_raw_schema_refuses_what_the_reader_calls_a_web_page() -> None:
    """The plainText rule and text.markup_page name a web page by the same pattern."""
    from vn_security_corpus.text import PAGE_MARKUP

    assert load_schema("raw_article")["$defs"]["plainText"]["not"]["pattern"] == PAGE_MARKUP
    problems = validate("raw_article", {**_GOOD_ARTICLE, "paragraphs": ["<html><body>Tin"]}, "raw/a.json")
    assert [problem.message for problem in problems] == [
        "paragraphs.0 is a web page, not an article's text: it holds '<html'"
    ]
