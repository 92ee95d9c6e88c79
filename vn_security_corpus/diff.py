"""What changed between two releases, and which version number the change needs.

:func:`diff_releases` compares two release folders: records added, removed and changed (field
by field, with counts per field), records that moved to another split (there must be none),
schema changes (fields added, removed or retyped, nested fields included) and settings
changes. :meth:`ReleaseDiff.required_bump` applies semantic versioning as TFDS does:

- the same records and schema: a **patch** is enough;
- records added, removed or changed, or fields added: at least a **minor** version;
- fields removed or retyped, or records moved between splits: a **major** version.

``build`` diffs the new release against the previous one in the same folder, writes the
result into the card as release notes, and refuses a version number smaller than the change
needs (unless told to break the rule).

Records are compared one column at a time, through an 8-byte hash of each value keyed by id:
memory grows with the number of records, never with the size of their text.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ReleaseError
from .release import VERSION_PATTERN, open_release, read_manifest, version_key

Bump = Literal["patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("patch", "minor", "major")
_EXAMPLES = 5  # ids shown per kind of change
_BATCH_ROWS = 10_000
# Manifest keys that are build settings (what shapes the records, and how they are written).
_SETTINGS_KEYS = ("settings", "shard_rows", "parquet")


@dataclass
class ReleaseDiff:
    """The differences between release ``old`` and release ``new`` (versions)."""

    old: str
    new: str
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    changed_fields: dict[str, int] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)  # "train → test": records
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_retyped: dict[str, tuple[str, str]] = field(default_factory=dict)
    settings: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # kind of change → some ids

    @property
    def same_records(self) -> bool:
        """No record added, removed, changed or moved."""
        return not (self.added or self.removed or self.changed or self.moved)

    @property
    def same_schema(self) -> bool:
        """No field added, removed or retyped."""
        return not (self.fields_added or self.fields_removed or self.fields_retyped)

    def required_bump(self) -> tuple[Bump, list[str]]:
        """The smallest version bump these changes allow, and why.

        >>> ReleaseDiff("1.0.0", "1.0.1", added=2).required_bump()
        ('minor', ['2 records added'])
        >>> ReleaseDiff("1.0.0", "2.0.0", fields_removed=["lang"]).required_bump()
        ('major', ['fields removed: lang'])
        """
        major = [f"fields removed: {', '.join(self.fields_removed)}"] if self.fields_removed else []
        major += [f"fields retyped: {_retyped(self.fields_retyped)}"] if self.fields_retyped else []
        major += [f"records moved between splits: {_counts(self.moved)}"] if self.moved else []
        if major:
            return "major", major
        minor = [f"{_records(self.added)} added"] if self.added else []
        minor += [f"{_records(self.removed)} removed"] if self.removed else []
        minor += [f"{_records(self.changed)} changed ({_counts(self.changed_fields)})"] if self.changed else []
        minor += [f"fields added: {', '.join(self.fields_added)}"] if self.fields_added else []
        if minor:
            return "minor", minor
        return "patch", ["the same records and schema" + (", other settings" if self.settings else "")]

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (``diff --json``)."""
        bump, reasons = self.required_bump()
        return {
            "old": self.old,
            "new": self.new,
            "records": {
                "added": self.added,
                "removed": self.removed,
                "changed": self.changed,
                "unchanged": self.unchanged,
                "changed_fields": dict(self.changed_fields),
                "moved": dict(self.moved),
            },
            "schema": {
                "added": list(self.fields_added),
                "removed": list(self.fields_removed),
                "retyped": {name: {"old": old, "new": new} for name, (old, new) in self.fields_retyped.items()},
            },
            "settings": {name: {"old": old, "new": new} for name, (old, new) in self.settings.items()},
            "examples": {kind: list(ids) for kind, ids in self.examples.items()},
            "required_bump": bump,
            "reasons": reasons,
        }

    def lines(self) -> list[str]:
        """The changes, one line each (the command line's output, the card's release notes)."""
        lines = [
            f"records: {self.added} added, {self.removed} removed, {self.changed} changed, {self.unchanged} unchanged"
        ]
        if self.changed_fields:
            lines.append(f"changed fields (records): {_counts(self.changed_fields)}")
        lines.append(f"split moves: {_counts(self.moved) if self.moved else 'none'}")
        schema = [f"added {', '.join(self.fields_added)}"] if self.fields_added else []
        schema += [f"removed {', '.join(self.fields_removed)}"] if self.fields_removed else []
        schema += [f"retyped {_retyped(self.fields_retyped)}"] if self.fields_retyped else []
        lines.append(f"schema: {'; '.join(schema) if schema else 'unchanged'}")
        settings = [f"{key} {_short(old)} → {_short(new)}" for key, (old, new) in self.settings.items()]
        lines.append(f"settings: {'; '.join(settings) if settings else 'unchanged'}")
        for kind, ids in self.examples.items():
            lines.append(f"e.g. {kind}: {', '.join(ids)}")
        bump, reasons = self.required_bump()
        lines.append(f"needs at least a {bump} version: {'; '.join(reasons)}")
        return lines


def _records(count: int) -> str:
    """``1 record``, ``2 records``."""
    return f"{count} record{'' if count == 1 else 's'}"


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def _retyped(retyped: Mapping[str, tuple[str, str]]) -> str:
    return ", ".join(f"{name} {old} → {new}" for name, (old, new) in retyped.items())


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bump_of(old: str, new: str) -> Bump | None:
    """The kind of bump from version ``old`` to ``new``; None when ``new`` is not newer.

    >>> bump_of("1.0.0", "1.0.1"), bump_of("1.0.9", "1.1.0"), bump_of("1.4.2", "2.0.0"), bump_of("1.1.0", "1.0.5")
    ('patch', 'minor', 'major', None)
    """
    a, b = version_key(old), version_key(new)
    if b <= a:
        return None
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


def newest_first(found: list[str]) -> list[str]:
    """Versions, newest first.

    >>> newest_first(["1.0.0", "1.10.0", "1.9.0"])
    ['1.10.0', '1.9.0', '1.0.0']
    """
    return sorted(found, key=version_key, reverse=True)


def next_version(old: str, bump: Bump) -> str:
    """The first version after ``old`` with a ``bump``.

    >>> next_version("1.2.3", "patch"), next_version("1.2.3", "minor"), next_version("1.2.3", "major")
    ('1.2.4', '1.3.0', '2.0.0')
    """
    major, minor, patch = version_key(old)
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def version_rule_problem(diff: ReleaseDiff) -> str | None:
    """Why version ``diff.new`` breaks the versioning rule after ``diff.old``, or None if it keeps it."""
    needed, reasons = diff.required_bump()
    made = bump_of(diff.old, diff.new)
    if made is not None and BUMPS.index(made) >= BUMPS.index(needed):
        return None
    return (
        f"version {diff.new} breaks the versioning rule: against {diff.old} it needs at least a {needed} "
        f"version ({'; '.join(reasons)}), so build {next_version(diff.old, needed)} or later"
    )


def previous_version(root: Path, version: str) -> str | None:
    """The newest published version under ``root`` that is older than ``version``."""
    if not root.is_dir():
        return None
    older = [
        path.name
        for path in root.iterdir()
        if VERSION_PATTERN.fullmatch(path.name)
        and (path / "manifest.json").is_file()
        and version_key(path.name) < version_key(version)
    ]
    return max(older, key=version_key, default=None)


def resolve_release(spec: str | Path, root: str | Path | None = None) -> Path:
    """A release folder from ``spec``: a folder holding a ``manifest.json``, or a version under
    ``root`` (default: the releases shipped in the package)."""
    path = Path(spec)
    if (path / "manifest.json").is_file():
        return path
    if VERSION_PATTERN.fullmatch(str(spec)):
        return open_release(str(spec), root).path
    raise ReleaseError(f"{spec}: neither a release folder (with a manifest.json) nor a version under the releases root")


def diff_releases(old: str | Path, new: str | Path, *, root: str | Path | None = None) -> ReleaseDiff:
    """What changed from release ``old`` to release ``new``: each a release folder, or a version
    under ``root`` (default: the releases shipped in the package).

    >>> diff = diff_releases("1.0.0", "1.1.0")
    >>> diff.moved, diff.required_bump()[0] in ("patch", "minor", "major")
    ({}, True)
    """
    old_path, new_path = resolve_release(old, root), resolve_release(new, root)
    return diff_folders(old_path, read_manifest(old_path).data, new_path, read_manifest(new_path).data)


def diff_folders(
    old_path: Path, old_manifest: Mapping[str, Any], new_path: Path, new_manifest: Mapping[str, Any]
) -> ReleaseDiff:
    """:func:`diff_releases` of two release folders whose manifests are given (a release being
    built has its manifest in memory only)."""
    diff = ReleaseDiff(str(old_manifest["version"]), str(new_manifest["version"]))
    old_files, new_files = _files(old_path, old_manifest), _files(new_path, new_manifest)
    old_types, new_types = _field_types(old_files), _field_types(new_files)
    diff.fields_added = [name for name in new_types if name not in old_types]
    diff.fields_removed = [name for name in old_types if name not in new_types]
    diff.fields_retyped = {
        name: (old_types[name], new_types[name])
        for name in old_types
        if name in new_types and old_types[name] != new_types[name]
    }
    for key in _SETTINGS_KEYS:
        before, after = old_manifest.get(key), new_manifest.get(key)
        if isinstance(before, Mapping) and isinstance(after, Mapping):  # setting by setting
            for sub in dict.fromkeys([*before, *after]):
                if before.get(sub) != after.get(sub):
                    diff.settings[f"{key}.{sub}"] = (before.get(sub), after.get(sub))
        elif before != after:
            diff.settings[key] = (before, after)

    old_splits, new_splits = _splits_by_id(old_files), _splits_by_id(new_files)
    added = sorted(new_splits.keys() - old_splits.keys())
    removed = sorted(old_splits.keys() - new_splits.keys())
    diff.added, diff.removed = len(added), len(removed)
    moved: Counter[str] = Counter()
    moved_ids = []
    for record_id, split in new_splits.items():
        before = old_splits.get(record_id)
        if before is not None and before != split:
            moved[f"{before} → {split}"] += 1
            moved_ids.append(record_id)
    diff.moved = dict(sorted(moved.items()))
    common_columns = [name for name in _columns(new_files) if name in set(_columns(old_files)) and name != "id"]
    changed_ids: set[str] = set()
    for column in common_columns:
        before_values, after_values = _hashes(old_files, column), _hashes(new_files, column)
        ids = [key for key, digest in after_values.items() if key in before_values and before_values[key] != digest]
        if ids:
            diff.changed_fields[column] = len(ids)
            diff.examples.setdefault(f"{column} changed", sorted(ids)[:_EXAMPLES])
            changed_ids.update(ids)
        del before_values, after_values
    diff.changed = len(changed_ids)
    diff.unchanged = len(new_splits) - diff.added - diff.changed
    for kind, ids in (("added", added), ("removed", removed), ("moved", sorted(moved_ids))):
        if ids:
            diff.examples[kind] = ids[:_EXAMPLES]
    diff.examples = dict(sorted(diff.examples.items()))
    return diff


def _files(release: Path, manifest: Mapping[str, Any]) -> dict[str, list[Path]]:
    return {split: [release / name for name in info["files"]] for split, info in manifest["splits"].items()}


def _all(files: Mapping[str, list[Path]]) -> Iterator[Path]:
    for paths in files.values():
        yield from paths


def _columns(files: Mapping[str, list[Path]]) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(next(_all(files))).names)


def _field_types(files: Mapping[str, list[Path]]) -> dict[str, str]:
    """Every field of the releases' Parquet schema, nested ones too (``source.file``,
    ``officials[].rank``), with its Arrow type (a struct's or list's own type leaves out its fields)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types: dict[str, str] = {}

    def walk(name: str, kind: pa.DataType) -> None:
        if pa.types.is_struct(kind):
            types[name] = "struct"
            for child in kind:
                walk(f"{name}.{child.name}", child.type)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
            types[name] = "list"
            walk(f"{name}[]", kind.value_type)
        else:
            types[name] = str(kind)

    for column in pq.read_schema(next(_all(files))):
        walk(column.name, column.type)
    return types


def _splits_by_id(files: Mapping[str, list[Path]]) -> dict[str, str]:
    import pyarrow.parquet as pq

    splits: dict[str, str] = {}
    for split, paths in files.items():
        for path in paths:
            for record_id in pq.read_table(path, columns=["id"]).column("id").to_pylist():
                splits[record_id] = split
    return splits


def _hashes(files: Mapping[str, list[Path]], column: str) -> dict[str, bytes]:
    """An 8-byte hash of each record's value of ``column``, by id (read in batches)."""
    import pyarrow.parquet as pq

    hashes: dict[str, bytes] = {}
    for path in _all(files):
        for batch in pq.ParquetFile(path).iter_batches(columns=["id", column], batch_size=_BATCH_ROWS):
            for record_id, value in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_iso)
                hashes[record_id] = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return hashes


def _iso(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a record value")
