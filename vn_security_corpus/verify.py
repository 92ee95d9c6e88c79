"""Check a release folder against its manifest: every file present, unchanged, and nothing extra.

>>> from pathlib import Path; import tempfile
>>> from vn_security_corpus.build import build
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
from .publish import MANIFEST, file_sha256, read_manifest

_RESTORE = "restore the release from its source, or rebuild it"


def verify_release(release: Path) -> list[Problem]:
    """Every missing, changed or extra file of ``release``; empty when it matches its manifest."""
    release = Path(release)
    try:
        manifest = read_manifest(release)
    except ReleaseError as error:
        return [Problem(str(release / MANIFEST), None, str(error), fix=_RESTORE)]
    listed = manifest.get("files", {})
    problems = []
    for relative, expected in sorted(listed.items()):
        path = release / relative
        if not path.is_file():
            problems.append(Problem(str(path), None, "missing", fix=_RESTORE))
        elif path.stat().st_size != expected["bytes"]:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"changed: {path.stat().st_size} bytes, manifest says {expected['bytes']}",
                    fix=_RESTORE,
                )
            )
        elif file_sha256(path) != expected["sha256"]:
            problems.append(Problem(str(path), None, "changed: its SHA-256 differs from the manifest's", fix=_RESTORE))
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
