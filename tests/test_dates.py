"""Typed dates beside the string: ``date_start`` and ``date_end`` (Arrow date32), the first and
last day an article's date can be, filtered the same way by every tool that reads Parquet."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.schema import arrow_schema, date_range, full_validator, is_valid, validate

from .conftest import RAW_FILES

JUNE, JUNE_END = datetime.date(2020, 6, 1), datetime.date(2020, 6, 30)


@pytest.fixture(scope="module")
def dated_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of four articles dated 2020-06 (month), 2020-06-19 (day), 2021 (year) and none."""
    raw = tmp_path_factory.mktemp("raw-dates")
    bodies = [path.read_text(encoding="utf-8").split("\n\n", 1)[1] for path in RAW_FILES[:4]]
    # A lead without a date phrase keeps the header's precision: the body of 001 opens "Chiều 1/10".
    plain = "Công an tỉnh tổ chức hội nghị tổng kết công tác.\n\nTố Phương\n"
    (raw / "month.txt").write_text(f" date 2020-06 Tiêu đề tháng sáu\n\n{plain}", encoding="utf-8")
    (raw / "day.txt").write_text(f" date 2020-06-19 Tiêu đề một ngày\n\n{bodies[1]}", encoding="utf-8")
    (raw / "year.txt").write_text(f" date 2021 Tiêu đề một năm\n\n{plain}", encoding="utf-8")
    (raw / "none.txt").write_text(f"Tiêu đề không ngày\n\n{plain}", encoding="utf-8")
    root = tmp_path_factory.mktemp("releases-dates")
    vnsc.build(raw, root, "1.0.0", splits={"train": 1.0})
    return root / "1.0.0"


def test_date_range_covers_the_precision() -> None:
    assert date_range("2020-06") == ("2020-06-01", "2020-06-30")
    assert date_range("2024-02") == ("2024-02-01", "2024-02-29")
    assert date_range("2023-12") == ("2023-12-01", "2023-12-31")
    assert date_range("2021") == ("2021-01-01", "2021-12-31")
    assert date_range("2020-06-19") == ("2020-06-19", "2020-06-19")
    assert date_range(None) == (None, None)
    assert date_range("2020-13") == (None, None)


def test_schema_types_them_as_date32_and_validates_iso_days() -> None:
    assert arrow_schema().field("date_start").type == pa.date32()
    assert arrow_schema().field("date_end").type == pa.date32()
    (record,) = (row for row in vnsc.load_table(columns=None).to_pylist()[:1])
    del record["split"]
    for key in ("date_start", "date_end"):
        if key not in record:  # the shipped release predates the typed dates
            record.setdefault(key, None)
        value = record[key]
        record[key] = value.isoformat() if isinstance(value, datetime.date) else value
    for value, valid in (("2020-06-30", True), (None, True), ("2020-06", False), ("2020-02-30", False)):
        instance = {**record, "date_start": value}
        assert is_valid("article", instance) == valid == full_validator("article").is_valid(instance)
    (problem,) = validate("article", {**record, "date_end": "2020-02-30"}, "x.json")
    assert problem.pointer == "/date_end" and "not a real day in the form YYYY-MM-DD" in problem.message


def test_records_carry_the_range_of_their_date(dated_release: Path) -> None:
    rows = {row["title"]: row for row in vnsc.load_table(root=dated_release.parent).to_pylist()}
    assert rows["Tiêu đề tháng sáu"]["date_precision"] == "month"
    assert (rows["Tiêu đề tháng sáu"]["date_start"], rows["Tiêu đề tháng sáu"]["date_end"]) == (JUNE, JUNE_END)
    day = datetime.date(2020, 6, 19)
    assert (rows["Tiêu đề một ngày"]["date_start"], rows["Tiêu đề một ngày"]["date_end"]) == (day, day)
    assert rows["Tiêu đề một năm"]["date_end"] == datetime.date(2021, 12, 31)
    assert rows["Tiêu đề không ngày"]["date_start"] is None and rows["Tiêu đề không ngày"]["date_end"] is None


# "Certainly in June 2020": the whole range lies in it (the month and the day, not the year).
CERTAINLY_IN_JUNE = {"Tiêu đề tháng sáu", "Tiêu đề một ngày"}


def test_filter_with_the_library_and_pandas(dated_release: Path) -> None:
    filters = [("date_start", ">=", JUNE), ("date_end", "<=", JUNE_END)]
    table = vnsc.load_table(root=dated_release.parent, filters=filters)
    assert set(table.column("title").to_pylist()) == CERTAINLY_IN_JUNE
    import pandas as pd

    frame = pd.read_parquet(dated_release / "data", filters=filters)
    assert set(frame["title"]) == CERTAINLY_IN_JUNE


def test_filter_with_duckdb(dated_release: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    glob = f"{dated_release}/data/*.parquet"
    rows = duckdb.sql(
        f"SELECT title FROM '{glob}' WHERE date_start >= DATE '2020-06-01' AND date_end <= DATE '2020-06-30'"
    ).fetchall()
    assert {title for (title,) in rows} == CERTAINLY_IN_JUNE


def test_filter_with_polars(dated_release: Path) -> None:
    pl = pytest.importorskip("polars")
    frame = (
        pl.scan_parquet(f"{dated_release}/data/*.parquet")
        .filter((pl.col("date_start") >= JUNE) & (pl.col("date_end") <= JUNE_END))
        .collect()
    )
    assert set(frame["title"].to_list()) == CERTAINLY_IN_JUNE


def test_filter_with_datasets(dated_release: Path) -> None:
    import datasets

    train = datasets.load_dataset(str(dated_release), split="train")
    assert train.features["date_start"] == datasets.Value("date32")
    june = train.filter(lambda r: r["date_start"] is not None and r["date_start"] >= JUNE and r["date_end"] <= JUNE_END)
    assert set(june["title"]) == CERTAINLY_IN_JUNE
