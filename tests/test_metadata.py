"""Metadata rules: dates at their true precision, bylines, provinces (old and 2025), officials."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from vn_security_corpus.metadata import (
    RANKS,
    ArticleDate,
    Places,
    article_date,
    find_officials,
    find_places,
    gazetteer,
    province_2025,
    split_byline,
)

from .conftest import REPO


@pytest.mark.parametrize(
    ("header", "paragraphs", "expected"),
    [
        ("2020-06", ["Sáng 19-6, Công an tỉnh tổ chức hội nghị."], ("2020-06-19", "day", "header+body")),
        (None, ["Sáng 5-2-2020, Công an tỉnh Thanh Hóa tổ chức hội nghị."], ("2020-02-05", "day", "body")),
        ("2020-10", ["Đó là yêu cầu.", "Chiều 1/10, Bí thư chủ trì."], ("2020-10-01", "day", "header+body")),
        ("2023-12", ["Thời gian qua…", "Sáng 15/12, huyện Kỳ Anh tổ chức."], ("2023-12-15", "day", "header+body")),
        (None, ["Ngày 15/1/2022, Công an tỉnh ra quân."], ("2022-01-15", "day", "body")),
        (None, ["Sáng nay (15/1/2022), đoàn công tác làm việc."], ("2022-01-15", "day", "body")),
        ("2022", ["Tối 14 tháng 1, lực lượng chức năng kiểm tra."], ("2022-01-14", "day", "header+body")),
        ("2020-06", ["Không có ngày ở đầu đoạn. Sáng 19-6, hội nghị."], ("2020-06", "month", "header")),
        (None, ["Không có ngày nào."], (None, None, None)),
        # a day with no year anywhere in header or lead stays unknown, even with a year elsewhere
        (None, ["Sáng 15/1, hội nghị thực hiện Nghị định số 03/2019/NĐ-CP ngày 5/9/2019."], (None, None, None)),
        ("2020-06-19", ["Sáng 19-6, hội nghị."], ("2020-06-19", "day", "header")),
        (None, ["Sáng 32/1/2020, không phải ngày."], (None, None, None)),
        ("2021-02", ["Sáng 29/2, không có ngày này năm 2021."], ("2021-02", "month", "header")),
    ],
)
def test_article_date(header: str | None, paragraphs: list[str], expected: tuple[str | None, ...]) -> None:
    date, notes = article_date(header, paragraphs)
    assert date == ArticleDate(*expected) and notes == []


@pytest.mark.parametrize(
    ("header", "lead"),
    [
        ("2020-07", "Sáng 19-6, hội nghị."),
        ("2021", "Ngày 15/1/2022, ra quân."),
        ("2020-06-18", "Sáng 19-6, hội nghị."),
    ],
)
def test_header_and_lead_that_disagree_keep_the_header_and_say_so(header: str, lead: str) -> None:
    date, notes = article_date(header, [lead])
    assert date.date == header and date.source == "header"
    assert len(notes) == 1 and header in notes[0] and "kept the header" in notes[0]


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("Đình Hợp", ["Đình Hợp"]),
        ("Thùy Dương - Anh Tấn", ["Thùy Dương", "Anh Tấn"]),
        ("Lê Hà, Minh Anh", ["Lê Hà", "Minh Anh"]),
        ("Lê Hà và Minh Anh", ["Lê Hà", "Minh Anh"]),
        ("Thu Hà – Quốc Hùng", ["Thu Hà", "Quốc Hùng"]),
        ("Các đại biểu tham dự hội nghị.", None),
        ("tổ chức diễn tập khu vực phòng thủ tỉnh năm 2022...", None),
        ("Theo Báo Công An", None),
        ("ĐÌNH HỢP", None),
        ("Nguyễn Văn An Bình Minh Quang Huy", None),
    ],
)
def test_split_byline(line: str, authors: list[str] | None) -> None:
    assert split_byline(line) == authors


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
    # Resolution 202/2025/QH15, stated by hand: new unit ← absorbed units
    merges = {
        "Tuyên Quang": ["Hà Giang"],
        "Lào Cai": ["Yên Bái"],
        "Thái Nguyên": ["Bắc Kạn"],
        "Phú Thọ": ["Vĩnh Phúc", "Hòa Bình"],
        "Bắc Ninh": ["Bắc Giang"],
        "Hưng Yên": ["Thái Bình"],
        "Hải Phòng": ["Hải Dương"],
        "Ninh Bình": ["Hà Nam", "Nam Định"],
        "Quảng Trị": ["Quảng Bình"],
        "Đà Nẵng": ["Quảng Nam"],
        "Quảng Ngãi": ["Kon Tum"],
        "Gia Lai": ["Bình Định"],
        "Khánh Hòa": ["Ninh Thuận"],
        "Lâm Đồng": ["Đắk Nông", "Bình Thuận"],
        "Đắk Lắk": ["Phú Yên"],
        "Hồ Chí Minh": ["Bình Dương", "Bà Rịa - Vũng Tàu"],
        "Đồng Nai": ["Bình Phước"],
        "Tây Ninh": ["Long An"],
        "Cần Thơ": ["Sóc Trăng", "Hậu Giang"],
        "Vĩnh Long": ["Bến Tre", "Trà Vinh"],
        "Đồng Tháp": ["Tiền Giang"],
        "Cà Mau": ["Bạc Liêu"],
        "An Giang": ["Kiên Giang"],
    }
    for unit, absorbed in merges.items():
        assert sorted(new[unit]["formed_from"]) == sorted([unit, *absorbed])
    for name in [
        "Hà Nội",
        "Lai Châu",
        "Điện Biên",
        "Sơn La",
        "Lạng Sơn",
        "Quảng Ninh",
        "Thanh Hóa",
        "Nghệ An",
        "Hà Tĩnh",
        "Cao Bằng",
    ]:
        assert new[name]["formed_from"] == [name]
    assert new["Huế"]["formed_from"] == ["Thừa Thiên Huế"]
    assert json.loads((REPO / "vn_security_corpus" / "data" / "provinces.json").read_text(encoding="utf-8")) == data


@pytest.mark.parametrize(
    ("text", "provinces"),
    [
        ("Công an TP.HCM phối hợp với Công an Bình Dương", ["Hồ Chí Minh", "Bình Dương"]),
        ("tỉnh Thừa Thiên - Huế và Thừa Thiên Huế, Huế", ["Thừa Thiên Huế"]),
        ("tỉnh Đắc Lắc, Đắk Lắk, Đăk Lăk", ["Đắk Lắk"]),
        ("tỉnh Hoà Bình, Hòa Bình; Khánh Hoà", ["Hòa Bình", "Khánh Hòa"]),
        ("tỉnh Bà Rịa – Vũng Tàu", ["Bà Rịa - Vũng Tàu"]),
        ("vùng biển Thái Bình Dương", []),
        ("vì hòa bình và ổn định", []),
        ("ông Nguyễn Hà Nam và bà Trần Thái Bình", []),
        ("huyện Kỳ Anh (Hà Tĩnh)", ["Hà Tĩnh"]),
    ],
)
def test_find_provinces(text: str, provinces: list[str]) -> None:
    assert find_places("", text).provinces == provinces


def test_main_province_and_2025_unit() -> None:
    assert find_places("Nghệ An", "Hà Tĩnh, Hà Tĩnh.").province == "Nghệ An"  # title counts double, then first
    assert find_places("", "Hà Tĩnh, Nghệ An, Nghệ An").province == "Nghệ An"
    assert find_places("", "không có tỉnh nào") == Places(None, [], None)
    assert find_places("", "Quảng Nam") == Places("Quảng Nam", ["Quảng Nam"], "Đà Nẵng")
    assert province_2025("Bình Dương") == "Hồ Chí Minh" and province_2025("Hà Tĩnh") == "Hà Tĩnh"


def test_every_rank_is_found_in_both_spellings_and_cases() -> None:
    for rank in RANKS:
        for written in (rank, rank.lower(), rank.replace("úy", "uý")):
            assert find_officials(f"Phát biểu của {written} Nguyễn Văn An tại hội nghị.") == [
                {"rank": rank, "name": "Nguyễn Văn An"}
            ], written


@pytest.mark.parametrize(
    ("text", "officials"),
    [
        ("Thiếu tướng Nguyễn Hải Trung, Ủy viên Ban Thường vụ", [("Thiếu tướng", "Nguyễn Hải Trung")]),
        ("Thượng tá Phạm Thị Vân Hạnh - Phó Trưởng phòng", [("Thượng tá", "Phạm Thị Vân Hạnh")]),
        ("Đại tá Trần Phú Hà Giám đốc Công an tỉnh", [("Đại tá", "Trần Phú Hà")]),
        ("Đại tá Lê Khắc Thuyết phát biểu; Đại tá Lê Khắc Thuyết kết luận", [("Đại tá", "Lê Khắc Thuyết")]),
        ("Đại hội Đảng bộ; Đại biểu Quốc hội; đại tá về hưu", []),
        ("Hạ sĩ quan và chiến sĩ", []),
        (
            "Chuẩn Đô đốc Phạm Văn Hùng và Đô đốc Trần Thanh",
            [("Chuẩn Đô đốc", "Phạm Văn Hùng"), ("Đô đốc", "Trần Thanh")],
        ),
    ],
)
def test_find_officials(text: str, officials: list[tuple[str, str]]) -> None:
    assert find_officials(text) == [{"rank": rank, "name": name} for rank, name in officials]
