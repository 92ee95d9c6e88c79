"""Metadata rules beyond the cases of tests/cases/*.json (run by test_cases.py): the gazetteer's
provinces and 2025 units, every rank."""

from __future__ import annotations

import json
from collections import Counter

from vn_security_corpus.metadata import RANKS, find_officials, gazetteer

from .conftest import REPO


def test_gazetteer_has_the_63_units_and_their_34_successors() -> None:
    data = gazetteer()
    old = [p["name"] for p in data["provinces"]]
    assert len(old) == len(set(old)) == 63 and data["sources"]
    new = {u["name"]: u for u in data["units_2025"]}
    assert len(new) == 34 and Counter(u["type"] for u in new.values()) == {"tỉnh": 28, "thành phố": 6}
    assert {p["province_2025"] for p in data["provinces"]} == set(new)
    for unit in new.values():
        assert sorted(unit["formed_from"]) == sorted(
            p["name"] for p in data["provinces"] if p["province_2025"] == unit["name"]
        )
    # which unit each of the 63 became is stated by hand in tests/cases/provinces.json
    assert json.loads((REPO / "vn_security_corpus" / "data" / "provinces.json").read_text(encoding="utf-8")) == data


def test_every_rank_is_found_in_both_spellings_and_cases() -> None:
    for rank in RANKS:
        for written in (rank, rank.lower(), rank.replace("úy", "uý")):
            assert find_officials(f"Phát biểu của {written} Nguyễn Văn An tại hội nghị.") == [
                {"rank": rank, "name": "Nguyễn Văn An"}
            ], written
