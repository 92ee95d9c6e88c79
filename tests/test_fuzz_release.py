"""Fuzzing a release: random edits of its manifest (keys dropped, values of other types, deep
nesting, paths out of the release) and of its files (truncated, bytes flipped, deleted, replaced
by folders). Whatever the damage, verify, info, the loaders and a build into that root raise
only the library's own errors; and a build with --force leaves a release that verifies."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main

from .conftest import RAW_DIR

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
ESCAPES = st.sampled_from(
    ["../../x.parquet", "/etc/passwd", "data/../../x.parquet", "data/./a.parquet", "data\\x.parquet", "", "data/"]
)
CHOICE = st.integers(min_value=0, max_value=10**6)  # an index into what is there at run time, modulo its size

MANIFEST_EDITS = st.one_of(
    st.tuples(st.just("drop"), CHOICE),
    st.tuples(st.just("set"), CHOICE, JSON_VALUES),
    st.tuples(st.just("deep"), CHOICE, st.sampled_from([9, 60, 5_000, 200_000])),
    st.tuples(st.just("escape"), CHOICE, ESCAPES | st.text(max_size=20)),
)
FILE_DAMAGES = st.one_of(
    st.tuples(st.just("truncate"), CHOICE, CHOICE),
    st.tuples(st.just("flip"), CHOICE, CHOICE),
    st.tuples(st.just("delete"), CHOICE),
    st.tuples(st.just("folder"), CHOICE),
    st.tuples(st.just("append"), CHOICE, st.binary(min_size=1, max_size=64)),
)
DAMAGES = st.lists(MANIFEST_EDITS | FILE_DAMAGES, min_size=1, max_size=3)


@pytest.fixture(scope="module")
def intact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release 1.0.0 built from raw/, with several files per split."""
    root = tmp_path_factory.mktemp("intact")
    vnsc.build(RAW_DIR, root, "1.0.0", shard_rows=2)
    return root / "1.0.0"


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``value``, the root's included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from json_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from json_paths(child, (*prefix, index))


def edit_manifest(manifest: Any, edit: tuple[Any, ...]) -> tuple[Any, str | None]:
    """``manifest`` with ``edit`` applied, and for a deep nesting the text to put in place of a marker."""
    kind, choice, *rest = edit
    paths = list(json_paths(manifest))
    path = paths[choice % len(paths)]
    deep = None
    if kind == "escape":
        if not isinstance(manifest, dict) or not isinstance(manifest.get("splits"), dict) or not manifest["splits"]:
            return manifest, None
        names = sorted(manifest["splits"])
        split = manifest["splits"][names[choice % len(names)]]
        if isinstance(split, dict) and isinstance(split.get("files"), list) and split["files"]:
            old = split["files"][0]
            split["files"][0] = rest[0]
            files = manifest.get("files")
            if isinstance(files, dict) and isinstance(old, str) and old in files:
                files[rest[0]] = files.pop(old)
        return manifest, None
    if kind == "deep":
        value: Any = "__deep__"
        deep = "[" * rest[0] + "]" * rest[0]
    elif kind == "set":
        value = rest[0]
    if not path:
        return (None if kind == "drop" else value), deep
    parent = manifest
    for key in path[:-1]:
        parent = parent[key]
    if kind == "drop":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return manifest, deep


def damage_file(release: Path, damage: tuple[Any, ...]) -> None:
    files = sorted(path for path in release.rglob("*") if path.is_file())
    if not files:
        return
    kind, choice, *rest = damage
    path = files[choice % len(files)]
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[: rest[0] % max(len(data), 1)])
    elif kind == "flip" and data:
        position = rest[0] % len(data)
        path.write_bytes(data[:position] + bytes([data[position] ^ 0x5A]) + data[position + 1 :])
    elif kind == "delete":
        path.unlink()
    elif kind == "folder":
        path.unlink()
        path.mkdir()
    elif kind == "append":
        path.write_bytes(data + rest[0])


def apply(release: Path, damages: list[tuple[Any, ...]]) -> None:
    for damage in damages:
        if damage[0] in ("drop", "set", "deep", "escape"):
            path = release / "manifest.json"
            if not path.is_file():
                continue
            try:
                manifest = json.loads(path.read_bytes())
            except (ValueError, RecursionError):
                continue  # an earlier damage made it something else than JSON: left as it is
            manifest, deep = edit_manifest(manifest, damage)
            text = json.dumps(manifest, ensure_ascii=True)
            if deep is not None:
                text = text.replace('"__deep__"', deep)
            path.write_text(text, encoding="ascii")
        else:
            damage_file(release, damage)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(damages=DAMAGES)
def test_only_the_librarys_errors_come_out_of_a_damaged_release(intact: Path, damages: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        release = Path(shutil.copytree(intact, root / "1.0.0"))
        apply(release, damages)

        assert isinstance(vnsc.verify_release(release), list)
        for command in (["verify", str(release)], ["info", "--root", str(root)], ["versions", "--root", str(root)]):
            # 2: `info` of a root whose only release lost its manifest has no release to describe
            assert main(command) in (0, 1, 2)
        reads: dict[str, Callable[[], object]] = {
            "info": lambda: vnsc.info(root=root),
            "load_table": lambda: vnsc.load_table(root=root),
            "load_table verified": lambda: vnsc.load_table(root=root, verify=True),
            "load_table of columns": lambda: vnsc.load_table(root=root, split="train", columns=["id", "title"]),
            "load_pandas": lambda: vnsc.load_pandas(root=root),
            "load_dataset": lambda: vnsc.load_dataset(root=root),
            "load_dataset verified": lambda: vnsc.load_dataset(root=root, verify=True),
        }
        for name, read in reads.items():
            try:
                read()
            except vnsc.CorpusError as error:
                event(f"{name}: {type(error).__name__}")
            else:
                event(f"{name}: read")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", vnsc.RewriteWarning)
            with contextlib.suppress(vnsc.CorpusError):
                vnsc.build(RAW_DIR, root, "1.0.0", shard_rows=2)
            try:
                vnsc.build(RAW_DIR, root, "1.0.0", shard_rows=2, force=True)
            except vnsc.ReleaseError as error:  # only a folder that is no release (no manifest.json) stays
                assert "not a release (no manifest.json)" in str(error), error
            else:
                assert vnsc.verify_release(release) == []
