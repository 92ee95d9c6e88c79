"""Split assignment: deterministic, proportional, stable as the corpus grows."""

from __future__ import annotations

from collections import Counter

import pytest

from vn_security_corpus.errors import ConfigError
from vn_security_corpus.normalise import make_id
from vn_security_corpus.split import DEFAULT_SPLITS, assign_split, check_splits, parse_splits

IDS = [make_id(f"title {n}", f"text {n}") for n in range(20_000)]


def test_ratios_are_respected_over_many_ids() -> None:
    counts = Counter(assign_split(record_id, DEFAULT_SPLITS) for record_id in IDS)
    for name, ratio in DEFAULT_SPLITS.items():
        assert abs(counts[name] / len(IDS) - ratio) < 0.01


def test_a_record_keeps_its_split_when_the_corpus_grows() -> None:
    before = {record_id: assign_split(record_id, DEFAULT_SPLITS) for record_id in IDS[:1000]}
    after = {record_id: assign_split(record_id, DEFAULT_SPLITS) for record_id in reversed(IDS)}
    assert all(after[record_id] == split for record_id, split in before.items())


def test_custom_splits() -> None:
    splits = parse_splits("train=0.5,dev=0.5")
    assert {assign_split(record_id, splits) for record_id in IDS[:100]} == {"train", "dev"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train=0.8,test=0.1", "sum to 0.9"),
        ("train=1.2,test=-0.2", "must be a number above 0"),
        ("Train=1", "lower-case"),
        ("train", "not name=ratio"),
        ("train=x", "not name=ratio"),
    ],
)
def test_bad_splits_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_splits(text)


def test_no_splits_is_refused() -> None:
    with pytest.raises(ConfigError, match="no splits"):
        check_splits({})
