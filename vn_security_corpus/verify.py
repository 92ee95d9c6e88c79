"""Check a release folder: its ``checksums`` file first, then the manifest against it, then every
file against both, and nothing extra.

A release's ``checksums`` file lists the SHA-256 of every file, ``manifest.json`` included,
so an edit of the manifest (its settings, counts or content hash) shows, as does a checksums
file that is missing, altered or at odds with the manifest. Releases built before the
checksums file (1.0.0 and 1.1.0) are checked against their manifest as before, with a note
that nothing covers the manifest itself.

>>> from pathlib import Path; import tempfile
>>> from vn_security_corpus import build
>>> release = build(Path(__file__).parent.parent / "raw", Path(tempfile.mkdtemp()), "1.0.0").path
>>> verify_release(release)
[]
>>> (release / "extra.txt").write_text("x")
1
>>> for problem in verify_release(release):
...     print(problem)
/.../1.0.0/extra.txt: extra file, not listed in manifest.json; fix: remove it (a release holds only the files
its manifest lists)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, ReleaseError
from .release import (
    CHECKSUMS,
    MANIFEST,
    MAX_CHECKSUMS_BYTES,
    ChecksumsError,
    FileInfo,
    Manifest,
    Release,
    ReleaseFolder,
    parse_checksums,
    parse_manifest,
    stream_sha256,
)

_RESTORE = "restore the release from its source, or rebuild it"
LEGACY_NOTE = (
    "a release from before checksums files: every file is checked against manifest.json, "
    "but nothing covers manifest.json itself"
)


@dataclass(frozen=True)
class Verification:
    """What :func:`verification` found: ``problems`` (the release does not match: a failure) and
    ``notes`` (worth knowing, not a failure: a release without a checksums file)."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verify_release(release: Path | str | Release) -> list[Problem]:
    """Every missing, changed or extra file of ``release``; empty when it matches its checksums
    and manifest.

    Any file neither lists is extra, whatever it is (a ``.py`` script or a pickle is
    never run or loaded, only reported).
    """
    return verification(release).problems


def verification(release: Path | str | Release) -> Verification:
    """:func:`verify_release`'s problems, and notes (see :class:`Verification`)."""
    if isinstance(release, Release):
        return _verify(release.folder)
    path = Path(release)
    try:
        folder = ReleaseFolder.at(path)
    except ReleaseError as error:
        return Verification([Problem(str(path), None, _message(error, path), fix=_RESTORE)])
    with folder:
        return _verify(folder)


def check_release(release: Release) -> None:
    """Raise :class:`ReleaseError` naming every problem :func:`verify_release` finds in ``release``
    (read through its opened folder), or saying that it was rewritten meanwhile."""
    problems = verification(release).problems
    if problems:
        if release.folder.replaced():
            raise release.changed()
        lines = "\n".join(map(str, problems))
        raise ReleaseError(f"{release.path}: does not match its manifest ({len(problems)} problems):\n{lines}")


def file_problem(
    folder: ReleaseFolder, relative: str, expected: FileInfo | None, checksum: str | None = None
) -> Problem | None:
    """What is wrong with file ``relative`` of ``folder``, which the manifest lists as ``expected``
    and the checksums file with the SHA-256 ``checksum`` (None: not listed there), or None.

    When the manifest and the checksums file disagree on a file, the file tells which of
    the two was altered (the problem then names that one).
    """
    path = str(folder.path / relative)
    try:
        with folder.open(relative) as stream:
            size = os.fstat(stream.fileno()).st_size
            if expected is not None and size != expected.bytes:
                return Problem(path, None, f"changed: {size} bytes, manifest says {expected.bytes}", fix=_RESTORE)
            actual = stream_sha256(stream)
    except FileNotFoundError:
        return Problem(path, None, "missing", fix=_RESTORE)
    except OSError as error:
        return Problem(path, None, f"unreadable: {error.strerror or type(error).__name__}", fix=_RESTORE)
    listed = expected.sha256 if expected is not None else None
    if listed is not None and checksum is not None and listed != checksum:
        if actual not in (listed, checksum):
            message = "changed: its SHA-256 differs from the manifest's and from the one in checksums"
            return Problem(path, None, message, fix=_RESTORE)
        altered, agrees = (CHECKSUMS, MANIFEST) if actual == listed else (MANIFEST, CHECKSUMS)
        message = f"altered: its SHA-256 of {relative} is not the file's, which {agrees} gives"
        return Problem(str(folder.path / altered), None, message, fix=_RESTORE)
    if actual in (listed, checksum):
        return None
    source = "the one in checksums" if listed is None else "the manifest's"  # (the two agree when both list it)
    return Problem(path, None, f"changed: its SHA-256 differs from {source}", fix=_RESTORE)


def _verify(folder: ReleaseFolder) -> Verification:
    problems: list[Problem] = []

    def problem(relative: str, message: str, line: int | None = None, fix: str = _RESTORE) -> None:
        problems.append(Problem(str(folder.path / relative), line, message, fix=fix))

    checksums, has_checksums = None, True
    try:
        checksums = parse_checksums(folder.read(CHECKSUMS, MAX_CHECKSUMS_BYTES))
    except FileNotFoundError:
        has_checksums = False
    except OSError as error:
        problem(CHECKSUMS, f"unreadable: {error.strerror or type(error).__name__}")
    except ChecksumsError as error:
        problem(CHECKSUMS, f"not a checksums file: {error}", error.line)

    manifest: Manifest | None = None
    try:
        data = folder.manifest_bytes()
    except ReleaseError as error:
        problem(MANIFEST, _message(error, folder.path / MANIFEST))
    else:
        if checksums is not None:
            listed = checksums.get(MANIFEST)
            if listed is None:
                problem(CHECKSUMS, "does not list manifest.json, as every checksums file does")
            elif listed != hashlib.sha256(data).hexdigest():
                problem(MANIFEST, "changed: its SHA-256 differs from the one in checksums (edited since published)")
        try:
            manifest = parse_manifest(data, str(folder.path / MANIFEST))
        except ReleaseError as error:
            problem(MANIFEST, _message(error, folder.path / MANIFEST))

    notes = []
    if not has_checksums and manifest is not None:
        if manifest.has_checksums:
            problem(CHECKSUMS, "missing, though manifest.json says the release has one")
        else:
            notes.append(f"{folder.path}: {LEGACY_NOTE}")

    listed_files = manifest.files if manifest is not None else {}
    summed = {path: digest for path, digest in (checksums or {}).items() if path != MANIFEST}
    for relative in sorted(listed_files.keys() | summed.keys()):
        if manifest is not None and checksums is not None:
            if relative not in listed_files:
                problem(MANIFEST, f"does not list {relative}, which checksums lists")
            elif relative not in summed:
                problem(CHECKSUMS, f"does not list {relative}, which manifest.json lists")
        found = file_problem(folder, relative, listed_files.get(relative), summed.get(relative))
        if found is not None:
            problems.append(found)

    known = {MANIFEST, CHECKSUMS, *listed_files, *summed}
    folders = {parent for path in known for parent in _parents(path)}
    with contextlib.suppress(OSError):  # (a folder that cannot be listed shows as missing files above)
        for relative in sorted(folder.entries()):
            if relative not in known and relative not in folders:
                problem(
                    relative,
                    f"extra file, not listed in {MANIFEST}",
                    fix="remove it (a release holds only the files its manifest lists)",
                )
    return Verification(problems, notes)


def _parents(path: str) -> Iterator[str]:
    """The folders of a path in the release: ``a/b/c`` → ``a``, ``a/b``."""
    parts = path.split("/")
    for end in range(1, len(parts)):
        yield "/".join(parts[:end])


def _message(error: ReleaseError, where: Path) -> str:
    """The message of ``error`` without the path it starts with and the fix it ends with (the problem has both)."""
    text = str(error).removesuffix("; rebuild or restore the release")
    return text.removeprefix(f"{where}: ")
