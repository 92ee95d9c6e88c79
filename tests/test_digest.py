"""The record digest (the unit of the content hash) is written with orjson and must stay the bytes
``json.dumps`` gave: a differential property test over every shape a record's values take."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vn_security_corpus.release import record_digest
from vn_security_corpus.schema import load_schema


def reference_digest(record: dict[str, Any]) -> str:
    """The digest as json.dumps writes it (the definition, and what every published release holds)."""

    def iso(value: object) -> str:
        assert isinstance(value, datetime.date)
        return value.isoformat()

    rest = {key: value for key, value in record.items() if key not in ("title", "text")}
    canonical = json.dumps(rest, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=iso)
    digest = hashlib.sha256(canonical.encode())
    digest.update(f"\0{record['title']}\0{record['text']}".encode())
    return digest.hexdigest()


# Every kind of value a record holds: text of any script and control characters, 64-bit integers,
# booleans, nulls, dates (typed, as read back from Parquet), lists and objects of them.
scalars = st.one_of(
    st.text(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.none(),
    st.dates(),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(), values, max_size=8), st.text(), st.text())
def test_the_digest_is_the_one_json_dumps_gives(fields: dict[str, Any], title: str, text: str) -> None:
    record = {**fields, "title": title, "text": text}
    assert record_digest(record) == reference_digest(record)


def test_records_hold_no_floats() -> None:
    """orjson writes some floats otherwise than json.dumps (1e16, 1e-07): records must hold none."""

    def types(node: object) -> list[object]:
        if isinstance(node, dict):
            return [node.get("type"), *(kind for value in node.values() for kind in types(value))]
        if isinstance(node, list):
            return [kind for value in node for kind in types(value)]
        return []

    found = types(load_schema("article"))
    assert "integer" in found and not any(
        kind == "number" or (isinstance(kind, list) and "number" in kind) for kind in found
    )
