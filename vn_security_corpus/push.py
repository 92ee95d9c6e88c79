"""Publish a built release to a Hugging Face dataset repository or any fsspec object store, and
fetch releases back from a store for the loaders.

``hf://datasets/OWNER/NAME``: one commit that adds ``<version>/…`` and rewrites the root
``README.md`` (one ``datasets`` config per version), tagged ``v<version>``. A tag that already
names other content is never moved.

Any other fsspec URL (``s3://bucket/prefix``, ``gs://…``, ``file://…``): the release's files are
uploaded under ``<prefix>/<version>/``, each read back and checked against its SHA-256, and the
manifest is uploaded last, so a release whose manifest is there is complete. A version already
there with another manifest is refused; the same release again is a no-op. Pushes of one version
to one store must not run at the same time (object stores have no rename and no lock).

Loaders accept such a URL as ``root`` (:mod:`vn_security_corpus.fetch`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError, ReleaseError
from .fetch import store_filesystem, store_versions
from .release import MANIFEST, VERSION_PATTERN, check_manifest, read_manifest
from .verify import verify_release

HF_PREFIX = "hf://datasets/"
_HF_REPO = re.compile(r"hf://datasets/([A-Za-z0-9][\w.-]*/[\w.-]+)/?")
_BLOCK = 1 << 20
Outcome = Literal["pushed", "unchanged"]


@dataclass
class PushReport:
    """What a push did: where, which version, ``pushed`` or ``unchanged``, and how much it sent."""

    target: str
    version: str
    outcome: Outcome
    files: int = 0
    bytes: int = 0
    commit: str | None = None  # the Hub commit (hf:// targets)


def push_release(
    release: str | Path,
    to: str,
    *,
    storage_options: Mapping[str, Any] | None = None,
    api: Any = None,
    progress: Callable[[str], None] | None = None,
) -> PushReport:
    """Push the release folder ``release`` to ``to``: ``hf://datasets/OWNER/NAME`` or an fsspec
    URL of a releases root (``s3://bucket/releases``).

    The release is verified first (a damaged release is never pushed). ``storage_options`` go to
    fsspec (``{"endpoint_url": …}``); ``api`` is the ``huggingface_hub.HfApi`` to use (default: a
    new one, with the token huggingface_hub finds). ``progress`` receives a line per step.
    """
    path = Path(release)
    problems = verify_release(path)
    if problems:
        raise ReleaseError(f"{path}: not pushed, it does not match its manifest: {problems[0]}")
    say = progress or (lambda _line: None)
    if to.startswith(HF_PREFIX):
        return _push_to_hub(path, to, api, say)
    if "://" not in to:
        raise ConfigError(f"{to}: give a URL, hf://datasets/OWNER/NAME or an fsspec URL such as s3://bucket/releases")
    return _push_to_store(path, to, dict(storage_options or {}), say)


def _release_files(release: Path) -> list[tuple[str, Path]]:
    """``(path in the release, local path)`` of every file: those the manifest lists, its checksums
    file (releases since 1.2.0 have one), the manifest last."""
    manifest = read_manifest(release)
    checksums = manifest.data.get("checksums_file")
    names = [*sorted(manifest.files), *([checksums] if checksums else [])]
    return [*((name, release / name) for name in names), (MANIFEST, release / MANIFEST)]


# ---------------------------------------------------------------- Hugging Face Hub


def _push_to_hub(release: Path, to: str, api: Any, say: Callable[[str], None]) -> PushReport:
    match = _HF_REPO.fullmatch(to)
    if not match:
        raise ConfigError(f"{to}: a Hub dataset is hf://datasets/OWNER/NAME")
    repo_id = match.group(1)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    from huggingface_hub import CommitOperationAdd

    version = read_manifest(release).version
    tag = f"v{version}"
    local_manifest = (release / MANIFEST).read_bytes()
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    tags = {ref.name: ref.target_commit for ref in refs.tags}
    # The commit is made on top of the head seen here: a push that raced this one fails it, never mixes with it.
    head = next((ref.target_commit for ref in refs.branches if ref.name == "main"), None)
    if tag in tags:
        if _hub_manifest(api, repo_id, version, tag) != local_manifest:
            raise ReleaseError(
                f"{to}: tag {tag} already names another release {version} (its manifest differs); a tag is "
                "never moved and a published version never changes: push it as a new version"
            )
        say(f"unchanged: {to} tag {tag} already holds this release")
        return PushReport(to, version, "unchanged", commit=tags[tag])
    published = _hub_manifest(api, repo_id, version, None)  # on the main branch, untagged
    if published is not None and published != local_manifest:
        raise ReleaseError(
            f"{to}: the main branch already holds another release {version} (its manifest differs): push it as "
            "a new version"
        )
    commit = None
    files, sent = 0, 0
    if published is None:
        operations = [
            CommitOperationAdd(path_in_repo=f"{version}/{name}", path_or_fileobj=str(local))
            for name, local in _release_files(release)
        ]
        manifests = [*_hub_manifests(api, repo_id, exclude=version), read_manifest(release).data]
        operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=_root_card(manifests)))
        files, sent = len(operations) - 1, sum(local.stat().st_size for _, local in _release_files(release))
        say(f"committing {files} files of release {version} to {repo_id}")
        info = api.create_commit(
            repo_id,
            operations=operations,
            commit_message=f"Release {version}",
            commit_description=f"vn_security_corpus release {version}: every file listed in {version}/{MANIFEST}.",
            repo_type="dataset",
            parent_commit=head,
        )
        commit = info.oid
    api.create_tag(repo_id, tag=tag, revision=commit, tag_message=f"Release {version}", repo_type="dataset")
    say(f"tagged {tag}")
    return PushReport(to, version, "pushed", files, sent, commit)


def _hub_manifest(api: Any, repo_id: str, version: str, revision: str | None) -> bytes | None:
    """The bytes of ``<version>/manifest.json`` in the repository at ``revision`` (main when
    None), or None when it is not there."""
    from huggingface_hub.errors import EntryNotFoundError, RevisionNotFoundError

    path = f"{version}/{MANIFEST}"
    if revision is None and not api.file_exists(repo_id, path, repo_type="dataset"):
        return None
    try:
        local = api.hf_hub_download(repo_id, path, repo_type="dataset", revision=revision)
    except (EntryNotFoundError, RevisionNotFoundError):
        return None
    return Path(local).read_bytes()


def _hub_manifests(api: Any, repo_id: str, exclude: str) -> list[dict[str, Any]]:
    """The manifests of the versions already in the repository (for its root card)."""
    import json

    found = []
    for entry in api.list_repo_tree(repo_id, repo_type="dataset"):
        name = getattr(entry, "path", "")
        if VERSION_PATTERN.fullmatch(name) and name != exclude:
            data = _hub_manifest(api, repo_id, name, None)
            if data is not None:
                found.append(json.loads(data))
    return found


def _root_card(manifests: Sequence[Mapping[str, Any]]) -> bytes:
    from .card import render_root_card

    return render_root_card(manifests).encode("utf-8")


# ---------------------------------------------------------------- fsspec object stores


def _remote_sha256(filesystem: Any, path: str) -> str:
    digest = hashlib.sha256()
    with filesystem.open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _push_to_store(release: Path, to: str, options: dict[str, Any], say: Callable[[str], None]) -> PushReport:
    filesystem, root = store_filesystem(to, options)
    manifest = read_manifest(release)
    version = manifest.version
    base = f"{root}/{version}"
    local_manifest = (release / MANIFEST).read_bytes()
    filesystem.invalidate_cache()
    if filesystem.exists(f"{base}/{MANIFEST}"):
        if filesystem.cat_file(f"{base}/{MANIFEST}") != local_manifest:
            raise ReleaseError(
                f"{to}/{version}: another release {version} is already there (its manifest differs); a published "
                "version never changes: push it as a new version"
            )
        listed = {
            info["name"].removeprefix(f"{base}/"): info.get("size")
            for info in filesystem.find(base, detail=True).values()
        }
        missing = [name for name, info in manifest.files.items() if listed.get(name) != info.bytes]
        if missing:
            raise ReleaseError(
                f"{to}/{version}: holds this release's manifest but not its files ({', '.join(missing[:3])}): "
                "the copy there is damaged; remove it and push again"
            )
        say(f"unchanged: {to}/{version} already holds this release")
        return PushReport(to, version, "unchanged")
    files = _release_files(release)
    for name, local in files[:-1]:
        say(f"uploading {name}")
        filesystem.put_file(str(local), f"{base}/{name}")
    filesystem.invalidate_cache()
    for name, info in manifest.files.items():  # read back: what is there is what was built
        if _remote_sha256(filesystem, f"{base}/{name}") != info.sha256:
            raise ReleaseError(f"{to}/{version}/{name}: the uploaded copy differs from the release; push again")
    filesystem.pipe_file(f"{base}/{MANIFEST}", local_manifest)  # last: the release is complete
    if filesystem.cat_file(f"{base}/{MANIFEST}") != local_manifest:
        raise ReleaseError(f"{to}/{version}/{MANIFEST}: the uploaded copy differs from the release; push again")
    manifests = [_store_manifest(filesystem, root, found) for found in store_versions(filesystem, root)]
    filesystem.pipe_file(f"{root}/README.md", _root_card(manifests))
    say(f"pushed {len(files)} files to {to}/{version}")
    return PushReport(to, version, "pushed", len(files), sum(local.stat().st_size for _, local in files))


def _store_manifest(filesystem: Any, root: str, version: str) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(filesystem.cat_file(f"{root}/{version}/{MANIFEST}"))
    check_manifest(data, f"{root}/{version}/{MANIFEST}")
    return data
