"""Tampering: verify names every changed, missing or extra file; loaders never hand back damaged data
silently and never run anything found in a release."""

from __future__ import annotations

import ast
import os
import pickle
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main

from .conftest import RAW_DIR, REPO


@pytest.fixture
def release(release_root: Path, tmp_path: Path) -> Path:
    """A copy of release 1.0.0 built from raw/, to damage."""
    return Path(shutil.copytree(release_root / "1.0.0", tmp_path / "root" / "1.0.0"))


def shard(release: Path) -> Path:
    return release / "data" / "train-00000-of-00001.parquet"


def flip_byte(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def flip_a_byte(release: Path) -> Path:
    flip_byte(shard(release), shard(release).stat().st_size // 2)
    return shard(release)


def truncate(release: Path) -> Path:
    shard(release).write_bytes(shard(release).read_bytes()[:-100])
    return shard(release)


def delete(release: Path) -> Path:
    shard(release).unlink()
    return shard(release)


def add(release: Path) -> Path:
    (release / "data" / "extra.parquet").write_bytes(b"PAR1")
    return release / "data" / "extra.parquet"


def edit_card(release: Path) -> Path:
    flip_byte(release / "README.md", 200)
    return release / "README.md"


TAMPERINGS = {
    "flipped byte": (flip_a_byte, "changed: its SHA-256 differs"),
    "truncated": (truncate, "changed: "),
    "deleted": (delete, "missing"),
    "added": (add, "extra file"),
    "card edited": (edit_card, "changed: its SHA-256 differs"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_verify_names_the_tampered_file_and_exits_1(
    release: Path, tampering: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vnsc.verify_release(release) == []
    damage, message = TAMPERINGS[tampering]
    path = damage(release)
    (problem,) = vnsc.verify_release(release)
    assert problem.file == str(path) and problem.message.startswith(message)
    assert main(["verify", str(release)]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [str(problem)]


LOADERS: dict[str, Callable[..., object]] = {
    "load_table": vnsc.load_table,
    "load_pandas": vnsc.load_pandas,
    "load_dataset": vnsc.load_dataset,
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("damage", ["truncated", "magic bytes"])
def test_a_damaged_parquet_file_is_a_release_error_naming_it(release: Path, loader: str, damage: str) -> None:
    path = shard(release)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        flip_byte(path, path.stat().st_size - 1)  # the footer's "PAR1"
    with pytest.raises(vnsc.ReleaseError, match=rf"^{re.escape(str(path))}: cannot be read as Parquet .*changed"):
        LOADERS[loader](root=release.parent)


@pytest.mark.parametrize("loader", LOADERS)
def test_verify_true_checks_checksums_before_loading(release: Path, loader: str) -> None:
    flip_byte(shard(release), shard(release).stat().st_size // 2)  # may well read without error
    with pytest.raises(vnsc.ReleaseError, match=rf"does not match its manifest.*\n{re.escape(str(shard(release)))}"):
        LOADERS[loader](root=release.parent, verify=True)
    with pytest.raises(vnsc.ReleaseError, match="does not match its manifest"):
        vnsc.load_dataset(root=release.parent, streaming=True, verify=True)
    intact = next(name for name in vnsc.info(root=release.parent)["splits"] if name != "train")
    assert vnsc.load_table(root=release.parent, split=intact).num_rows > 0  # without verify, intact splits still read


def test_bad_columns_or_filters_are_a_config_error(release_root: Path) -> None:
    with pytest.raises(vnsc.ConfigError, match="cannot be read with these columns and filters"):
        vnsc.load_table(root=release_root, filters=[("no_such_column", "=", 1)])


class Planted:
    """Unpickling this creates ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[Path]]:
        return Path.touch, (self.marker,)


def test_nothing_in_a_release_is_ever_run(release: Path, tmp_path: Path) -> None:
    markers = {name: tmp_path / f"ran-{name}" for name in ("py", "init", "pickle", "yaml")}
    (release / "1.0.0.py").write_text(f"open({str(markers['py'])!r}, 'w')\n", encoding="utf-8")
    (release / "__init__.py").write_text(f"open({str(markers['init'])!r}, 'w')\n", encoding="utf-8")
    (release / "data" / "train.pkl").write_bytes(pickle.dumps(Planted(markers["pickle"])))
    card = (release / "README.md").read_text(encoding="utf-8")
    tag = f"evil: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path [{markers['yaml']}]]\n"
    (release / "README.md").write_text(card.replace("---\n", "---\n" + tag, 1), encoding="utf-8")

    problems = {Path(problem.file).name: problem.message for problem in vnsc.verify_release(release)}
    assert problems.keys() == {"1.0.0.py", "__init__.py", "train.pkl", "README.md"}
    root = release.parent
    assert vnsc.versions(root) == ["1.0.0"] and vnsc.info(root=root)["version"] == "1.0.0"
    assert vnsc.load_table(root=root).num_rows == vnsc.load_pandas(root=root).shape[0] == 5
    assert sum(split.num_rows for split in vnsc.load_dataset(root=root).values()) == 5
    assert sum(1 for split in vnsc.load_dataset(root=root, streaming=True).values() for _ in split) == 5
    assert [name for name, marker in markers.items() if marker.exists()] == []


UNSAFE_MODULES = {"pickle", "marshal", "shelve", "runpy", "importlib", "dill", "cloudpickle", "joblib"}
SAFE_SUBMODULES = {"importlib.resources"}  # reads package data files; imports nothing
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}
UNSAFE_YAML = {"load", "load_all", "full_load", "unsafe_load"}  # yaml.safe_load is the one allowed


def unsafe_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in UNSAFE_BUILTINS
    return isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "yaml" and func.attr in UNSAFE_YAML


def test_the_package_has_no_way_to_run_code_from_data() -> None:
    found = []
    for path in sorted((REPO / "vn_security_corpus").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [
                    f"{path.name}: import {m}"
                    for m in modules
                    if m.split(".")[0] in UNSAFE_MODULES and m not in SAFE_SUBMODULES
                ]
            elif isinstance(node, ast.Call) and unsafe_call(node.func):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node.func)}()")
    assert found == []


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("shards", [1, 2])
def test_a_parquet_file_of_another_schema_is_a_release_error_naming_it(
    raw_copy: Callable[..., Path], tmp_path: Path, loader: str, shards: int
) -> None:
    """Without verify: a valid Parquet file with other columns in place of a shard, whether it meets
    files of its own split (several shards) or of other splits."""
    rows = 5 if shards == 1 else 2
    release = vnsc.build(RAW_DIR, tmp_path, "1.0.0", splits={"train": 0.6, "test": 0.4}, shard_rows=rows).path
    path = sorted((release / "data").glob("train-*.parquet"))[-1]
    pq.write_table(pa.table({"id": ["vnsc-0000000000000000"], "title": [1]}), path)
    with pytest.raises(vnsc.ReleaseError, match=rf"^{re.escape(str(path))}: its columns are not those of .*changed"):
        LOADERS[loader](root=tmp_path)


def test_a_pipe_or_a_folder_in_place_of_a_file_neither_blocks_nor_passes(release: Path) -> None:
    path = shard(release)
    path.unlink()
    os.mkfifo(path)  # opening a pipe for reading waits for a writer: never done
    outcome: list[object] = []

    def load() -> None:
        try:
            vnsc.load_table(root=release.parent)
        except vnsc.ReleaseError as error:
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert len(outcome) == 1 and "not a regular file" in str(outcome[0])
    assert [(p.file, p.message) for p in vnsc.verify_release(release)] == [
        (str(path), "unreadable: not a regular file")
    ]
    path.unlink()
    path.mkdir()
    assert [(p.file, p.message) for p in vnsc.verify_release(release)] == [
        (str(path), "unreadable: a folder, not a file")
    ]
