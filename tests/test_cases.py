"""The metadata heuristics against the cases in tests/cases/*.json: input → expected fields.

One file per heuristic (dates, bylines, provinces, officials, personal identifiers, markup remnants). A case
the code gets wrong stays in its file with ``known_failure`` (the reason) and runs as a strict xfail: fixing it
turns the suite red until the key is removed, so the file always says what works.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from vn_security_corpus.metadata import (
    article_date,
    find_byline,
    find_officials,
    find_places,
    gazetteer,
    split_byline,
)
from vn_security_corpus.pii import count_personal_data, mask_personal_data
from vn_security_corpus.repairs import repair_code
from vn_security_corpus.text import markup_page, strip_markup

CASES = Path(__file__).with_name("cases")
Fields = dict[str, Any]


def dates(given: Fields) -> Fields:
    date, conflicts = article_date(given["header"], given["paragraphs"])
    return {"date": date.date, "precision": date.precision, "source": date.source, "conflicts": conflicts}


def bylines(given: Fields) -> Fields:
    """A byline line on its own (``line``), or the end of an article (``paragraphs``) taken apart."""
    if "line" in given:
        return {"authors": split_byline(given["line"])}
    found = find_byline(given["paragraphs"])
    authors = split_byline(found.byline) if found.byline is not None else None
    return {"authors": authors, "paragraphs": found.paragraphs, "trailers": found.trailers}


def provinces(given: Fields) -> Fields:
    places = find_places(given.get("title", ""), given["text"])
    return {"province": places.province, "provinces": places.provinces, "province_2025": places.province_2025}


def officials(given: Fields) -> Fields:
    return {"officials": find_officials(given["text"])}


def personal_data(given: Fields) -> Fields:
    return {"counts": count_personal_data(given["text"]), "masked": mask_personal_data(given["text"])}


def markup(given: Fields) -> Fields:
    text, repairs = strip_markup(given["text"])
    return {
        "text": text,
        "repairs": [repair_code(entry) for entry in repairs],
        "page": markup_page(given["text"]) is not None,
    }


class Heuristic(NamedTuple):
    run: Callable[[Fields], Fields]
    inputs: frozenset[str]  # the keys an input must have
    optional: frozenset[str]  # the keys it may have
    fields: frozenset[str]  # the keys ``expected`` may state; the others are not compared


HEURISTICS = {
    "dates": Heuristic(
        dates, frozenset({"header", "paragraphs"}), frozenset(), frozenset({"date", "precision", "source", "conflicts"})
    ),
    "bylines": Heuristic(
        bylines, frozenset(), frozenset({"line", "paragraphs"}), frozenset({"authors", "paragraphs", "trailers"})
    ),
    "provinces": Heuristic(
        provinces, frozenset({"text"}), frozenset({"title"}), frozenset({"province", "provinces", "province_2025"})
    ),
    "officials": Heuristic(officials, frozenset({"text"}), frozenset(), frozenset({"officials"})),
    "pii": Heuristic(personal_data, frozenset({"text"}), frozenset(), frozenset({"counts", "masked"})),
    "markup": Heuristic(markup, frozenset({"text"}), frozenset(), frozenset({"text", "repairs", "page"})),
}


def cases_of(heuristic: str) -> list[Fields]:
    cases: list[Fields] = json.loads((CASES / f"{heuristic}.json").read_text(encoding="utf-8"))["cases"]
    return cases


def params() -> Iterator[Any]:
    for heuristic in HEURISTICS:
        for case in cases_of(heuristic):
            failure = case.get("known_failure")
            marks = [pytest.mark.xfail(strict=True, reason=failure)] if failure else []
            yield pytest.param(heuristic, case, id=f"{heuristic}: {case['name']}", marks=marks)


@pytest.mark.parametrize(("heuristic", "case"), list(params()))
def test_case(heuristic: str, case: Fields) -> None:
    actual = HEURISTICS[heuristic].run(case["input"])
    assert {key: actual[key] for key in case["expected"]} == case["expected"]


@pytest.mark.parametrize("heuristic", HEURISTICS)
def test_case_file_is_well_formed(heuristic: str) -> None:
    """Well-formed cases, so that a strict xfail fails only for the stated reason (not a KeyError)."""
    spec, cases = HEURISTICS[heuristic], cases_of(heuristic)
    assert cases
    for case in cases:
        assert {"name", "input", "expected"} <= set(case) <= {"name", "input", "expected", "known_failure"}, case
        assert case["name"].isascii() and case["name"].strip() == case["name"] != "", case["name"]  # readable test ids
        assert spec.inputs <= set(case["input"]) <= spec.inputs | spec.optional, case["name"]
        assert case["expected"] and set(case["expected"]) <= spec.fields, case["name"]
        reason = case.get("known_failure", "a reason")
        assert isinstance(reason, str) and reason.strip(), case["name"]
    names = [case["name"] for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"


def test_every_case_file_is_run() -> None:
    assert sorted(path.stem for path in CASES.glob("*.json")) == sorted(HEURISTICS)


def test_the_province_cases_state_the_2025_unit_of_each_of_the_63() -> None:
    """Every province of the gazetteer has a case naming it alone, with its 2025 unit stated by hand
    (Resolution 202/2025/QH15), and those units are the gazetteer's 34."""
    stated: dict[str, str] = {}
    for case in cases_of("provinces"):
        expected = case["expected"]
        if "known_failure" in case or set(expected) != HEURISTICS["provinces"].fields:
            continue
        if expected["provinces"] == [expected["province"]]:
            unit = stated.setdefault(expected["province"], expected["province_2025"])
            assert unit == expected["province_2025"], case["name"]
    data = gazetteer()
    assert set(stated) == {p["name"] for p in data["provinces"]}
    assert set(stated.values()) == {unit["name"] for unit in data["units_2025"]}
