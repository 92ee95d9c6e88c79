"""Publish a release: Parquet shards, dataset card and manifest, written atomically.

A release folder ``OUT/VERSION/`` is written into a hidden staging folder beside
it and renamed into place at the end, so it appears complete or not at all.
Rows are sorted by id, each shard is written from one contiguous chunk with
fixed options and no timestamps: the same records and the same pyarrow give the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ._version import __version__
from .card import render_card
from .errors import ConfigError, ReleaseError
from .schema import arrow_schema, schema_sha256

MANIFEST = "manifest.json"
CARD = "README.md"
DATA_DIR = "data"
VERSION_PATTERN = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
DEFAULT_SHARD_ROWS = 50_000
# Every option that changes the bytes is fixed here and recorded in the manifest.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "version": "2.6",
    "row_group_size": 10_000,
}


def check_version(version: str) -> str:
    """``version`` if it is a release version ``MAJOR.MINOR.PATCH``.

    >>> check_version("1.0.0")
    '1.0.0'
    """
    if not VERSION_PATTERN.fullmatch(version):
        raise ConfigError(f"version {version!r} is not MAJOR.MINOR.PATCH, e.g. 1.0.0")
    return version


def record_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON: the unit of the content hash.

    >>> record_digest({"b": 1, "a": "ạ"}) == record_digest({"a": "ạ", "b": 1})
    True
    """
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def content_sha256(rows: Iterable[tuple[str, str]]) -> str:
    """The content hash of a release from ``(split, record digest)`` in published order.

    It depends on the records only, not on Parquet bytes or the pyarrow version.
    """
    digest = hashlib.sha256()
    for split, record_sha in rows:
        digest.update(f"{split}\t{record_sha}\n".encode())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shard_name(split: str, index: int, count: int) -> str:
    """The Hugging Face style name of one shard.

    >>> shard_name("train", 0, 1)
    'data/train-00000-of-00001.parquet'
    """
    return f"{DATA_DIR}/{split}-{index:05d}-of-{count:05d}.parquet"


def publish(
    records: Mapping[str, Sequence[dict[str, Any]]],
    out_dir: Path,
    version: str,
    *,
    build_info: Mapping[str, Any],
    shard_rows: int = DEFAULT_SHARD_ROWS,
) -> tuple[Path, bool]:
    """Write release ``out_dir/version`` from the records of each split.

    ``build_info`` goes into the manifest as is (settings, inputs, rejected, …).
    Empty splits are left out. Returns the release path and whether it was
    newly written (False: the version already existed with the same content).
    """
    check_version(version)
    if shard_rows < 1:
        raise ConfigError(f"shard_rows must be at least 1, not {shard_rows}")
    target = out_dir / version
    splits = {name: sorted(rows, key=lambda r: str(r["id"])) for name, rows in records.items() if rows}
    content = content_sha256((name, record_digest(row)) for name, rows in splits.items() for row in rows)
    if target.exists():
        _check_same_release(target, content)
        return target, False
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".{version}.{secrets.token_hex(8)}.partial"
    staging.mkdir()
    try:
        files: dict[str, dict[str, Any]] = {}
        split_info: dict[str, dict[str, Any]] = {}
        for name, rows in splits.items():
            table = pa.Table.from_pylist(list(rows), schema=arrow_schema())
            count = math.ceil(table.num_rows / shard_rows)
            names = [shard_name(name, index, count) for index in range(count)]
            for index, relative in enumerate(names):
                shard = table.slice(index * shard_rows, shard_rows).combine_chunks()
                path = staging / relative
                path.parent.mkdir(exist_ok=True)
                pq.write_table(shard, path, **PARQUET_OPTIONS)
                files[relative] = {"sha256": file_sha256(path), "bytes": path.stat().st_size, "rows": shard.num_rows}
            split_info[name] = {"rows": table.num_rows, "arrow_bytes": table.nbytes, "files": names}
        manifest = {
            "name": "vn_security_corpus",
            "version": version,
            "library_version": __version__,
            "pyarrow_version": pa.__version__,
            "schema_sha256": schema_sha256(),
            "content_sha256": content,
            "parquet": PARQUET_OPTIONS,
            "shard_rows": shard_rows,
            "splits": split_info,
            **build_info,
        }
        (staging / CARD).write_text(render_card(manifest, files), encoding="utf-8")
        files[CARD] = {"sha256": file_sha256(staging / CARD), "bytes": (staging / CARD).stat().st_size}
        manifest["files"] = dict(sorted(files.items()))
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _fsync_tree(staging)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target, True


def read_manifest(release: Path) -> dict[str, Any]:
    """The manifest of the release folder ``release``."""
    path = release / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseError(f"{release}: not a release (no {MANIFEST})") from None
    except (OSError, ValueError) as error:
        raise ReleaseError(f"{path}: unreadable manifest ({error}); rebuild or restore the release") from None
    return manifest


def _check_same_release(target: Path, content: str) -> None:
    existing = read_manifest(target)
    if existing.get("content_sha256") != content:
        raise ReleaseError(
            f"{target}: version {target.name} is already published with other content "
            f"(content hash {str(existing.get('content_sha256'))[:12]}…, this build {content[:12]}…); "
            "a published version never changes: build under a new version"
        )


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as stream:
                os.fsync(stream.fileno())
