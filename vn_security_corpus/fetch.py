"""Fetch releases back from an fsspec store (``s3://bucket/releases``, ``hf://datasets/…``) for the
loaders: the chosen version is copied into a local cache (``$VNSC_CACHE``, default
``~/.cache/vn_security_corpus``), every file checked against its manifest, and the loaders read the
copy. The reading side of :mod:`vn_security_corpus.push`.

>>> cache_root("s3://bucket/releases").parent.name
'releases'
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError, ReleaseError
from .release import MANIFEST, VERSION_PATTERN, read_manifest, version_key
from .verify import verify_release


def store_filesystem(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec file system of ``url`` and the path of the releases root in it."""
    import fsspec

    try:
        filesystem, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as error:  # fsspec names the package: "Install s3fs to access S3"
        raise ConfigError(f"{url}: {error} (pip install it beside vn-security-corpus)") from None
    except ValueError as error:
        raise ConfigError(f"{url}: {error}; give a URL fsspec knows (s3://, gs://, file://…)") from None
    return filesystem, str(root).rstrip("/")


def store_versions(filesystem: Any, root: str) -> list[str]:
    """The versions whose manifest is in the store under ``root``, oldest first."""
    filesystem.invalidate_cache()
    try:
        names = [str(path).rstrip("/").rsplit("/", 1)[-1] for path in filesystem.ls(root, detail=False)]
    except FileNotFoundError:
        return []
    found = [
        name for name in names if VERSION_PATTERN.fullmatch(name) and filesystem.exists(f"{root}/{name}/{MANIFEST}")
    ]
    return sorted(found, key=version_key)


def remote_versions(url: str, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """The versions published under the releases root ``url``, oldest first."""
    filesystem, root = store_filesystem(url, storage_options)
    return store_versions(filesystem, root)


def cache_root(url: str) -> Path:
    """The local folder that holds the copies of the releases under ``url``."""
    base = Path(os.environ.get("VNSC_CACHE") or Path.home() / ".cache" / "vn_security_corpus")
    return base / "releases" / hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]


def fetch_release(url: str, version: str | None = None, storage_options: Mapping[str, Any] | None = None) -> Path:
    """A local folder of releases holding ``version`` (the newest when None) of the releases root
    ``url``, copied into the cache once and checked file by file against its manifest; a copy
    already there is used when it still matches the remote manifest and its files are intact."""
    filesystem, root = store_filesystem(url, storage_options)
    available = store_versions(filesystem, root)
    if not available:
        raise ReleaseError(f"{url}: no releases there (no <version>/{MANIFEST})")
    version = available[-1] if version is None else version
    if version not in available:
        raise ReleaseError(f"{url}: no release {version!r}; available: {', '.join(available)}")
    local_root = cache_root(url)
    target = local_root / version
    remote_manifest = filesystem.cat_file(f"{root}/{version}/{MANIFEST}")
    cached = (target / MANIFEST).is_file() and (target / MANIFEST).read_bytes() == remote_manifest
    if cached and not verify_release(target):
        return local_root
    local_root.mkdir(parents=True, exist_ok=True)
    staging = local_root / f".{version}.{secrets.token_hex(8)}.partial"
    try:
        staging.mkdir()
        (staging / MANIFEST).write_bytes(remote_manifest)
        manifest = read_manifest(staging)  # checked against the manifest schema
        (staging / MANIFEST).unlink()
        checksums = manifest.data.get("checksums_file")
        for name in [*manifest.files, *([checksums] if checksums else [])]:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            filesystem.get_file(f"{root}/{version}/{name}", str(staging / name))
        (staging / MANIFEST).write_bytes(remote_manifest)  # last, as in a release
        problems = verify_release(staging)
        if problems:
            raise ReleaseError(f"{url}/{version}: the copy does not match its manifest: {problems[0]}")
        if target.exists():  # an older copy, or a damaged one (another process may have just fetched it)
            same = (target / MANIFEST).is_file() and (target / MANIFEST).read_bytes() == remote_manifest
            if same and not verify_release(target):
                return local_root
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return local_root
