"""Personal identifiers end to end: counted in every record, masked by `build --mask-pii`, and
reported in the manifest and the card. Detection itself is tested on the cases of tests/cases/pii.json."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main

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
