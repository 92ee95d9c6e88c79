"""Basic text normalisation: NFC, invisible characters, spacing; every change reported."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vn_security_corpus.text import clean_paragraph

from .conftest import RAW_FILES


@pytest.mark.parametrize(
    ("raw", "clean", "repairs"),
    [
        ("Công an tỉnh", "Công an tỉnh", []),
        (unicodedata.normalize("NFD", "Thanh Hóa"), "Thanh Hóa", ["unicode: NFC"]),
        ("Công\u00a0an\u202ftỉnh", "Công an tỉnh", ["spaces: odd spaces replaced"]),
        ("Công  an\ttỉnh ", "Công an tỉnh", ["spaces: odd spaces replaced", "spaces: runs collapsed or trimmed"]),
        ("Công\u200ban\u200d tỉnh\ufeff", "Côngan tỉnh", ["removed: zero-width characters"]),
        ("Công\x07 an\x1b tỉnh", "Công an tỉnh", ["removed: control characters"]),
        ("a\u200b\u0301", "á", ["removed: zero-width characters", "unicode: NFC"]),
        ("dòng một\ndòng hai", "dòng một dòng hai", ["spaces: runs collapsed or trimmed"]),
    ],
)
def test_clean_paragraph(raw: str, clean: str, repairs: list[str]) -> None:
    assert clean_paragraph(raw) == (clean, repairs)


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.name[:3])
def test_raw_paragraphs_need_no_repair(path: object) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():  # type: ignore[attr-defined]
        if line.strip() and not line.startswith(" date"):
            assert clean_paragraph(line) == (line, [])


@given(st.text())
def test_clean_paragraph_is_idempotent_and_total(text: str) -> None:
    cleaned, _ = clean_paragraph(text)
    assert clean_paragraph(cleaned) == (cleaned, [])
    assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned and "\n" not in cleaned


@given(st.text(alphabet=st.characters(categories=["L", "N", "P"])))
def test_letters_digits_punctuation_are_kept(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert clean_paragraph(nfc)[0] == nfc.replace("\u00ad", "")
