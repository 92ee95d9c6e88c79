"""Check a release folder against its manifest: every file present, unchanged, and nothing extra.

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

from pathlib import Path

from .errors import Problem, ReleaseError
from .release import MANIFEST, FileInfo, file_sha256, read_manifest

_RESTORE = "restore the release from its source, or rebuild it"


def check_release(release: Path) -> None:
    """Raise :class:`ReleaseError` naming every problem :func:`verify_release` finds."""
    problems = verify_release(release)
    if problems:
        lines = "\n".join(map(str, problems))
        raise ReleaseError(f"{release}: does not match its manifest ({len(problems)} problems):\n{lines}")


def file_problem(path: Path, expected: FileInfo) -> Problem | None:
    """What is wrong with one file a manifest lists (``expected``: its bytes and sha256), or None."""
    if not path.is_file():
        return Problem(str(path), None, "missing", fix=_RESTORE)
    size = path.stat().st_size
    if size != expected.bytes:
        return Problem(str(path), None, f"changed: {size} bytes, manifest says {expected.bytes}", fix=_RESTORE)
    if file_sha256(path) != expected.sha256:
        return Problem(str(path), None, "changed: its SHA-256 differs from the manifest's", fix=_RESTORE)
    return None


def verify_release(release: Path | str) -> list[Problem]:
    """Every missing, changed or extra file of ``release``; empty when it matches its manifest.

    Any file the manifest does not list is extra, whatever it is (a ``.py``
    script or a pickle is never run or loaded, only reported).
    """
    release = Path(release)
    try:
        manifest = read_manifest(release)
    except ReleaseError as error:
        return [Problem(str(release / MANIFEST), None, str(error), fix=_RESTORE)]
    listed = manifest.files
    problems = [
        problem
        for relative, expected in sorted(listed.items())
        if (problem := file_problem(release / relative, expected)) is not None
    ]
    for path in sorted(release.rglob("*")):
        relative = path.relative_to(release).as_posix()
        if path.is_file() and relative != MANIFEST and relative not in listed:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"extra file, not listed in {MANIFEST}",
                    fix="remove it (a release holds only the files its manifest lists)",
                )
            )
    return problems
