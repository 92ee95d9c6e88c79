"""What ships: the wheel holds the schemas, the releases and py.typed; the shipped release is
exactly what raw/ builds to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.release import PACKAGE_RELEASES

from .conftest import RAW_DIR, REPO


@pytest.mark.parametrize("version", vnsc.versions())
def test_shipped_releases_match_their_manifests(version: str) -> None:
    assert vnsc.verify_release(PACKAGE_RELEASES / version) == []


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The manifest of the newest shipped release's version built again from raw/ with its settings."""
    shipped = vnsc.info()
    root = tmp_path_factory.mktemp("rebuilt")
    assert vnsc.build(RAW_DIR, root, shipped["version"], **shipped["settings"]).written
    return vnsc.info(root=root)


def test_newest_shipped_release_is_what_raw_builds_to(rebuilt: dict[str, Any]) -> None:
    shipped = vnsc.info()
    assert rebuilt["content_sha256"] == shipped["content_sha256"]  # the records, whichever pyarrow wrote them
    assert rebuilt["inputs"] == shipped["inputs"]


def test_newest_shipped_release_data_is_rebuilt_byte_for_byte(rebuilt: dict[str, Any]) -> None:
    shipped = vnsc.info()
    if shipped["pyarrow_version"] != pa.__version__:
        pytest.skip(
            f"the shipped Parquet files were written by pyarrow {shipped['pyarrow_version']}, this is pyarrow "
            f"{pa.__version__}, which writes other bytes for the same records (their content hash is compared)"
        )
    # the data files (the card's prose may evolve)
    data = {relative: entry for relative, entry in shipped["files"].items() if relative.startswith("data/")}
    assert data and {relative: rebuilt["files"][relative] for relative in data} == data


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.whl")
    return path


def test_wheel_holds_schemas_releases_and_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in (REPO / "schema").glob("*.json"):
        assert f"vn_security_corpus/schema/{schema.name}" in names
    assert "vn_security_corpus/py.typed" in names
    for version in vnsc.versions():
        assert f"vn_security_corpus/releases/{version}/manifest.json" in names
    assert not any(name.startswith("raw/") or name.startswith("tests/") for name in names)
    # the code's licence and the terms of the articles it ships, named in the metadata
    licences = {name.rsplit("/", 1)[1] for name in names if ".dist-info/licenses/" in name}
    assert licences == {"LICENSE", "DATA-LICENSE"}
    (metadata,) = (name for name in names if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT AND LicenseRef-Publishers-Copyright\n" in text


def test_installed_wheel_loads_offline_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import vn_security_corpus as v, vn_security_corpus.schema as s; "
        "print(s.schema_path('article').parent.parent == __import__('pathlib').Path(v.__file__).parent); "
        "print(sum(d.num_rows for d in v.load_dataset().values()))"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
    )
    assert out.stdout.split() == ["True", str(vnsc.load_table().num_rows)]
    assert json.loads((site / "vn_security_corpus" / "schema" / "article.schema.json").read_text()) == json.loads(
        (REPO / "schema" / "article.schema.json").read_text()
    )
