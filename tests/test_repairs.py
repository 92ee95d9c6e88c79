"""Repair and conflict codes: the registry refuses unknown codes and gives stable names."""

from __future__ import annotations

import pytest

from vn_security_corpus.repairs import CONFLICTS, REPAIRS, conflict, repair, repair_code


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown repair code 'made-up'"):
        repair("made-up")
    with pytest.raises(ValueError, match="unknown repair code 'date-header-lead'"):
        repair("date-header-lead")  # a conflict is not a repair
    with pytest.raises(ValueError, match="unknown conflict code 'unicode-nfc'"):
        conflict("unicode-nfc")


def test_codes_are_stable_names() -> None:
    assert not set(REPAIRS) & set(CONFLICTS)
    for code, description in {**REPAIRS, **CONFLICTS}.items():
        assert code == code.lower() and code.replace("-", "").isalnum() and "--" not in code
        assert description and "\n" not in description
        assert repair_code(repair(code) if code in REPAIRS else conflict(code)) == code
