"""Metadata rules beyond the cases of tests/cases/*.json (run by test_cases.py): the gazetteer's
provinces and 2025 units, every spelling of every province in running text, every rank."""

from __future__ import annotations

from collections import Counter

from vn_security_corpus.metadata import RANKS, find_officials, find_places, gazetteer


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


def test_every_spelling_of_every_province_is_found_in_a_sentence_and_has_a_2025_unit() -> None:
    data = gazetteer()
    units = {unit["name"] for unit in data["units_2025"]}
    for province in data["provinces"]:
        for spelling in (province["name"], *province["variants"]):
            places = find_places("", f"Sáng nay, đoàn công tác đến làm việc tại {spelling}, sau đó họp báo.")
            assert (places.province, places.provinces) == (province["name"], [province["name"]]), spelling
            assert places.province_2025 in units, spelling


def test_every_rank_is_found_in_both_spellings_and_cases() -> None:
    for rank in RANKS:
        for written in (rank, rank.lower(), rank.replace("úy", "uý")):
            assert find_officials(f"Phát biểu của {written} Nguyễn Văn An tại hội nghị.") == [
                {"rank": rank, "name": "Nguyễn Văn An"}
            ], written
