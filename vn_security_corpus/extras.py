"""What a release holds beside its data, for tools that do not know this library, and the
releases root as a Hugging Face dataset repository.

:func:`prepare_release` runs while a release is committed, in its staging folder, before the
card and the manifest are written: it diffs the release against the previous one in the same
folder (release notes; the versioning rule), computes the statistics from the written shards,
and writes ``plots/*.png``, ``LICENSE.md`` and ``croissant.json``. :func:`write_root_card`
rewrites the root ``README.md`` (one ``datasets`` config per version) atomically after each
release.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .croissant import CROISSANT, write_croissant
from .diff import ReleaseDiff, diff_folders, previous_version, version_rule_problem
from .errors import ReleaseError, VersionRuleWarning
from .release import file_sha256, read_manifest, versions
from .stats import Statistics, release_statistics

ROOT_CARD = "README.md"


@dataclass
class ReleaseExtras:
    """What :func:`prepare_release` wrote and found: the files (path in the release → sha256,
    bytes), the statistics, and the diff against the previous release (None for the first)."""

    files: dict[str, dict[str, Any]]
    statistics: Statistics
    notes: ReleaseDiff | None = None
    rule_broken: str | None = None
    example: dict[str, Any] | None = None


def prepare_release(
    staging: Path, manifest: Mapping[str, Any], *, allow_version_rule_break: bool = False
) -> ReleaseExtras:
    """Check the versioning rule against the previous release in ``staging``'s folder, then write
    the release's plots, licence and Croissant metadata into ``staging``.

    A version smaller than the changes need is a ReleaseError saying which version to build,
    unless ``allow_version_rule_break`` (then a :class:`VersionRuleWarning`)."""
    import pyarrow as pa

    from .card import render_license
    from .plots import write_plots

    out_dir, version = staging.parent, str(manifest["version"])
    notes, problem = None, None
    previous = previous_version(out_dir, version)
    if previous is not None:
        old = out_dir / previous
        try:
            notes = diff_folders(old, read_manifest(old).data, staging, manifest)
        except (OSError, ValueError, pa.ArrowException) as error:
            raise ReleaseError(
                f"{old}: the previous release cannot be read to compare this one with ({error}); "
                f"run `vn-security-corpus verify {old}`"
            ) from None
        problem = version_rule_problem(notes)
        if problem and not allow_version_rule_break:
            raise ReleaseError(
                f"{out_dir / version}: {problem}. Nothing was published. (--allow-version-rule-break, "
                "allow_version_rule_break=True, publishes it anyway, misleading whoever trusts the version numbers)"
            )
        if problem:
            warnings.warn(f"{out_dir / version}: {problem}; published anyway", VersionRuleWarning, stacklevel=4)
    statistics = release_statistics(staging, manifest)
    files = write_plots(statistics, staging)
    license_path = staging / "LICENSE.md"
    license_path.write_text(render_license(manifest), encoding="utf-8")
    files["LICENSE.md"] = _entry(license_path)
    files[CROISSANT] = write_croissant(staging, manifest, manifest["files"])
    return ReleaseExtras(files, statistics, notes, problem, example_record(staging, manifest))


def example_record(release: Path, manifest: Mapping[str, Any], text_chars: int = 300) -> dict[str, Any] | None:
    """The first record of the release's first Parquet file, as JSON data (dates as ISO text), its
    ``text`` cut to ``text_chars`` characters: the card's example instance."""
    import pyarrow.parquet as pq

    for split in manifest["splits"].values():
        for name in split["files"]:
            batch = next(pq.ParquetFile(release / name).iter_batches(batch_size=1), None)
            if batch is None or not batch.num_rows:
                continue
            record: dict[str, Any] = json.loads(json.dumps(batch.to_pylist()[0], ensure_ascii=False, default=str))
            text = record.get("text")
            if isinstance(text, str) and len(text) > text_chars:
                record["text"] = text[:text_chars].rstrip() + " …"
            return record
    return None


def _entry(path: Path) -> dict[str, Any]:
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def write_root_card(root: Path) -> Path:
    """Rewrite ``root/README.md``, the card that makes the releases root a Hugging Face dataset
    repository with one config per version (the newest the default), atomically: written
    beside it, flushed, renamed over it. Untouched when already up to date."""
    from .card import render_root_card

    manifests = []
    for version in versions(root):
        try:
            manifests.append(read_manifest(root / version).data)
        except ReleaseError:  # a damaged release is no config (verify names it); the new one is published
            continue
    text = render_root_card(manifests)
    path = root / ROOT_CARD
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path
    partial = root / f".{ROOT_CARD}.{secrets.token_hex(8)}.partial"
    try:
        with partial.open("w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
