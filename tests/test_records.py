"""The per-input step's last check (records.is_publishable) against the full article schema: a record
that normalisation made of a valid raw record and that the check lets through satisfies
article.schema.json, and one it stops is rejected with the full check's problems."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vn_security_corpus import schema
from vn_security_corpus.formats import RawArticle, Rejected
from vn_security_corpus.records import process
from vn_security_corpus.schema import parse_partial_date

# Pieces of crawled text: words, names, dates and identifiers as articles write them, and what
# cleaning removes or changes (invisible and control characters, odd spaces, markup, tone styles).
_PIECES = ["Công an", "tỉnh", "Thanh Hóa", "Hà Tĩnh", "Đại tá", "đại uý", "Trần Phú Hà", "Sáng 19-6,", "hội nghị.",
           "Đình Hợp", "Theo VOV", "(SN 1985, trú tại xã X)", "0912.345.678", "hoà", "thuỷ", " ", "  ", "\t",
           "\u00a0", "\u200b", "\ufeff", "\x07", "\u202e", "\u00d0", "o\u0300", "<b>", "</b>", "<br>", "&nbsp;",
           "&amp;", "**", "_", "# ", "====", "[xem](https://x.vn)", "![ảnh](a.jpg)", "\r", "2020", "Tin"]  # fmt: skip
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_RAW = st.fixed_dictionaries(
    {
        "title": _TEXT,
        "paragraphs": st.lists(_TEXT, min_size=1, max_size=4),
        "byline": st.one_of(st.none(), _TEXT),
        "date": st.sampled_from([None, "2020", "2020-06", "2020-06-19"]),
    }
)
_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("partial-date")
def _is_partial_date(value: object) -> bool:
    return not isinstance(value, str) or parse_partial_date(value) is not None


_FULL = jsonschema.Draft202012Validator(schema.load_schema("article"), format_checker=_FORMATS)


@settings(max_examples=200, deadline=None)
@given(_RAW, st.sampled_from(["traditional", "new"]), st.booleans())
def test_what_the_last_check_lets_through_satisfies_the_full_schema(
    fields: dict[str, Any], tone_style: Any, mask_pii: bool
) -> None:
    source = {"file": "a.txt", "line": 1, "sha256": "0" * 64, "encoding": "utf-8", "repairs": []}
    raw = {**fields, "source": source}
    assume(schema.is_valid("raw_article", raw))
    result = process(
        RawArticle(raw, {"": 1}), "raw/a.txt", tone_style=tone_style, mask_pii=mask_pii, other_languages="publish"
    )
    if isinstance(result, Rejected):
        assert result.problems  # stopped: the full check says why
    else:
        assert list(_FULL.iter_errors(result)) == []


def test_a_title_that_cleaning_empties_is_rejected_with_the_full_checks_problem() -> None:
    source = {"file": "a.txt", "line": 1, "sha256": "0" * 64, "encoding": "utf-8", "repairs": []}
    raw = {"title": "\u200b\u200b", "paragraphs": ["Sáng 19-6, Công an tỉnh Thanh Hóa tổ chức hội nghị."],
           "source": source}  # fmt: skip
    assert schema.is_valid("raw_article", raw)
    result = process(RawArticle(raw, {"": 1, "/title": 3}), "raw/a.txt")
    assert isinstance(result, Rejected)
    assert [(problem.line, problem.pointer) for problem in result.problems] == [(3, "/title")]
