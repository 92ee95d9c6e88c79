"""croissant.json: Croissant 1.1 metadata that mlcroissant validates and loads into the same
records as the library's own loader."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.croissant import CROISSANT, RECORD_SET
from vn_security_corpus.release import file_sha256
from vn_security_corpus.schema import load_schema

mlc = pytest.importorskip("mlcroissant")


def plain(value: Any, prefix: str) -> Any:
    """An mlcroissant value as the library's loader gives it: text, dates, keys without the
    record set's prefix."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, Mapping):
        return {key.rsplit("/", 1)[-1]: plain(item, prefix) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item, prefix) for item in value]
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp: the typed dates
        return value.to_pydatetime().date()
    if value is not None and not isinstance(value, str | int | float | bool | datetime.date):
        return None if str(value) == "NaT" else value
    return value


def schema_paths(properties: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every field of article.schema.json, nested ones as ``source/file``."""
    paths = set()
    for name, sub in properties.items():
        paths.add(prefix + name)
        inner = sub.get("items", sub)
        if "properties" in inner:
            paths |= schema_paths(inner["properties"], f"{prefix}{name}/")
    return paths


def croissant_paths(fields: list[dict[str, Any]]) -> set[str]:
    paths = set()
    for field in fields:
        name = field["@id"].split("/", 1)[1]
        paths.add(name)
        paths |= croissant_paths(field.get("subField", []))
    return paths


def test_croissant_lists_every_parquet_file_with_its_checksum(release_root: Path) -> None:
    release = release_root / "1.0.0"
    manifest = vnsc.info(root=release_root)
    assert CROISSANT in manifest["files"]
    document = json.loads((release / CROISSANT).read_text(encoding="utf-8"))
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["version"] == "1.0.0" and document["citeAs"].startswith("@misc{")
    assert document["license"] and document["description"]
    objects = {item["contentUrl"]: item for item in document["distribution"] if item["@type"] == "cr:FileObject"}
    parquet = {name for name in manifest["files"] if name.startswith("data/")}
    assert set(objects) == parquet
    for name, item in objects.items():
        assert item["sha256"] == manifest["files"][name]["sha256"] == file_sha256(release / name)
    (splits,) = (item for item in document["recordSet"] if item["@id"] == "splits")
    assert [row["splits/name"] for row in splits["data"]] == list(manifest["splits"])
    (articles,) = (item for item in document["recordSet"] if item["@id"] == RECORD_SET)
    assert croissant_paths(articles["field"]) == schema_paths(load_schema("article")["properties"]) | {"split"}
    types = {field["name"]: field.get("dataType") for field in articles["field"]}
    assert types["date_start"] == "sc:Date" and types["n_words"] == "sc:Integer" and types["title"] == "sc:Text"


def test_mlcroissant_validates_and_loads_the_records_of_load_table(release_root: Path) -> None:
    dataset = mlc.Dataset(jsonld=str(release_root / "1.0.0" / CROISSANT))
    assert not dataset.metadata.issues.errors
    loaded = sorted((plain(record, RECORD_SET) for record in dataset.records(RECORD_SET)), key=lambda r: r["id"])
    expected = sorted(vnsc.load_table(root=release_root).to_pylist(), key=lambda row: row["id"])
    # mlcroissant 1.1 gives a sub-field of a sub-field (source.personal_data) beside the record's
    # top-level fields, keyed by its own name: put it back where it belongs before comparing.
    for row in loaded:
        row["source"]["personal_data"] = row.pop("personal_data")
    assert loaded == expected
