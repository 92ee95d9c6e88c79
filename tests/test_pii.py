"""Personal identifiers end to end: counted in every record, masked by `build --mask-pii`, and
reported in the manifest and the card. Detection itself is tested on the cases of tests/cases/pii.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main
from vn_security_corpus.pii import PATTERNS, find_personal_data

from .conftest import RAW_FILES

# Planted in the articles, one kind per sentence, as crime news writes them.
PLANTED = {
    "phone": "Người dân có thể báo tin qua số điện thoại 0912.345.678 của trực ban.",
    "id_number": "Đối tượng xuất trình CCCD số 038085001234 mang tên người khác.",
    "licence_plate": "Tổ công tác dừng xe ô tô biển kiểm soát 36A-123.45 để kiểm tra.",
    "email": "Mọi tin báo gửi về hộp thư tinbao@congan.example.vn của đơn vị.",
    "bank_account": "Bị hại đã chuyển tiền vào số tài khoản 0011004123456 theo yêu cầu.",
    "private_person": "Lê Văn T. (SN 1985, trú tại xã Quảng Phú) bị tạm giữ.",
}
IDENTIFIERS = ["0912.345.678", "038085001234", "36A-123.45", "tinbao@congan.example.vn", "0011004123456"]


def planted_corpus(folder: Path) -> Path:
    """raw/ with one planted sentence of each kind added after the lead of each article."""
    folder.mkdir()
    for path in RAW_FILES:
        lines = path.read_text(encoding="utf-8").split("\n\n")
        lines.insert(2, " ".join(PLANTED.values()))
        (folder / path.name).write_text("\n\n".join(lines), encoding="utf-8")
    return folder


def strings(table: pa.Table) -> list[str]:
    """Every string anywhere in ``table``: columns, lists and structs."""
    return [value for row in table.to_pylist() for value in _strings(row)]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_mask_pii_leaves_no_identifier_in_any_text_field_and_the_card_counts_them(tmp_path: Path) -> None:
    raw = planted_corpus(tmp_path / "raw")
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "masked"), "--release-version", "1.0.0",
                 "--mask-pii", "--no-progress"]) == 0  # fmt: skip
    vnsc.build(raw, tmp_path / "kept", "1.0.0")
    masked, kept = (vnsc.load_table(root=tmp_path / name) for name in ("masked", "kept"))
    found = strings(masked)
    assert not [identifier for identifier in IDENTIFIERS if any(identifier in text for text in found)]
    assert all(identifier in masked_text for identifier in ("<PHONE>", "<ID_NUMBER>", "<LICENCE_PLATE>",
               "<EMAIL>", "<BANK_ACCOUNT>") for masked_text in masked.column("text").to_pylist())  # fmt: skip
    assert all(identifier in text for identifier in IDENTIFIERS for text in kept.column("text").to_pylist())
    # ids and metadata are the same with or without masking (the near-duplicate stage, and so the
    # splits of near-duplicates, see the published text: the masked one when masked)
    rows = {row["id"]: row for row in kept.to_pylist()}
    assert sorted(rows) == sorted(masked.column("id").to_pylist())
    for row in masked.to_pylist():
        assert all(row[column] == rows[row["id"]][column] for column in ("officials", "province", "date"))
    expected = {kind: len(RAW_FILES) for kind in PLANTED}
    for root in ("masked", "kept"):
        manifest = vnsc.info(root=tmp_path / root)
        assert manifest["personal_data"] == expected
        assert [row["personal_data"] for row in vnsc.load_table(root=tmp_path / root).column("source").to_pylist()] == [
            dict.fromkeys(PLANTED, 1)
        ] * len(RAW_FILES)
    card = (tmp_path / "masked" / "1.0.0" / "README.md").read_text(encoding="utf-8")
    assert "## Personal and sensitive information" in card and "built with `--mask-pii`" in card
    assert all(f"| `{kind}` | {len(RAW_FILES)} |" in card for kind in PLANTED)
    assert json.loads((tmp_path / "masked" / "1.0.0" / "manifest.json").read_text())["settings"]["mask_pii"] is True
    assert "keeps them as published" in (tmp_path / "kept" / "1.0.0" / "README.md").read_text(encoding="utf-8")


# The reference: one scan of the alternation of every kind's pattern (each kind a named group).
_REFERENCE = re.compile(
    "|".join(
        f"(?P<{kind}>{'|'.join((patterns,) if isinstance(patterns, str) else patterns)})".replace(
            "?P<value>", f"?P<{kind}_value>"
        )
        for kind, (patterns, _) in PATTERNS.items()
    )
)
# What identifiers are made of, and what sits next to them in crime news.
_PIECES = ["0", "+84", "0084", "9", "12", "345", " ", ".", "-", "/", ",", "A", "F1", "(", "SN ", "sinh năm ",
           "19", "20", "CCCD số ", "CMND ", "căn cước ", "số tài khoản ", "STK: ", "@", "congan", ".vn", "x",
           "Lê Văn ", "\n", "đ"]  # fmt: skip


def _reference(text: str) -> list[tuple[str, tuple[int, int]]]:
    return [(str(match.lastgroup), match.span()) for match in _REFERENCE.finditer(text)]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_identifiers_are_found_as_one_scan_of_the_alternation_finds_them(text: str) -> None:
    assert [(kind, match.span()) for kind, match in find_personal_data(text)] == _reference(text)


def test_the_planted_and_generated_sentences_read_as_the_alternation_reads_them() -> None:
    texts = [*PLANTED.values(), " ".join(PLANTED.values()), *(path.read_text(encoding="utf-8") for path in RAW_FILES)]
    for text in texts:
        assert [(kind, match.span()) for kind, match in find_personal_data(text)] == _reference(text)
