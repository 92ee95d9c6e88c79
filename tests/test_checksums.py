"""The manifest is covered: every release's checksums file lists every file's SHA-256, the
manifest's included; verify checks it first. Malformed manifests are a problem line for
verify and a ReleaseError naming the field for every reader, never a Python error."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main
from vn_security_corpus.release import PACKAGE_RELEASES, format_checksums, parse_checksums

from .conftest import RAW_DIR


@pytest.fixture
def release(release_root: Path, tmp_path: Path) -> Path:
    """A copy of release 1.0.0 built from raw/, to damage."""
    return Path(shutil.copytree(release_root / "1.0.0", tmp_path / "root" / "1.0.0"))


def manifest_of(release: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    return data


def write_manifest(release: Path, manifest: object) -> None:
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def rewrite_checksums(release: Path) -> None:
    """What someone who rewrites the checksums file to match their edits does."""
    hashes = parse_checksums((release / "checksums").read_bytes())
    for path in hashes:
        hashes[path] = hashlib.sha256((release / path).read_bytes()).hexdigest()
    (release / "checksums").write_bytes(format_checksums(hashes))


def problems(release: Path) -> list[str]:
    return [f"{Path(p.file).relative_to(release).as_posix()}: {p.message}" for p in vnsc.verify_release(release)]


def test_the_checksums_file_lists_every_file_and_sha256sum_checks_it(release: Path) -> None:
    listed = (release / "checksums").read_text(encoding="ascii").splitlines()
    files = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    assert [line.split("  ")[1] for line in listed] == sorted(set(files) - {"checksums"})
    for line in listed:
        digest, path = line.split("  ")
        assert hashlib.sha256((release / path).read_bytes()).hexdigest() == digest
    assert "checksums" not in manifest_of(release)["files"] and manifest_of(release)["checksums_file"] == "checksums"
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "--check", "--strict", "checksums"], cwd=release, capture_output=True)
        assert done.returncode == 0, done.stdout


MANIFEST_EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "settings": lambda manifest: manifest["settings"].update(tone_style="new"),
    "counts": lambda manifest: manifest["counts"].update(published=4),
    "content hash": lambda manifest: manifest.update(content_sha256="0" * 64),
    "a file's size and hash": lambda manifest: manifest["files"]["README.md"].update(bytes=1, sha256="0" * 64),
}


@pytest.mark.parametrize("edit", MANIFEST_EDITS)
def test_an_edited_manifest_is_reported(release: Path, edit: str, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = manifest_of(release)
    MANIFEST_EDITS[edit](manifest)
    write_manifest(release, manifest)
    found = problems(release)
    assert found[0] == "manifest.json: changed: its SHA-256 differs from the one in checksums (edited since published)"
    assert main(["verify", str(release)]) == 1
    assert capsys.readouterr().err.splitlines()[0].startswith(f"{release / 'manifest.json'}: changed: ")
    with pytest.raises(vnsc.ReleaseError, match="does not match its manifest"):
        vnsc.load_table(root=release.parent, verify=True)


def test_checksums_missing_altered_or_malformed_are_reported(release: Path) -> None:
    original = (release / "checksums").read_bytes()
    (release / "checksums").unlink()
    assert problems(release) == ["checksums: missing, though manifest.json says the release has one"]

    shard = next(path for path in sorted(manifest_of(release)["files"]) if path.startswith("data/"))
    altered = re.sub(rb"^[0-9a-f]{64}(?=  " + re.escape(shard.encode()) + rb"\n)", b"0" * 64, original, flags=re.M)
    (release / "checksums").write_bytes(altered)
    assert problems(release) == [
        f"checksums: altered: its SHA-256 of {shard} is not the file's, which manifest.json gives"
    ]

    for malformed, line in ((original.replace(b"  ", b" ", 1), 1), (original[:-1], None), (b"", None)):
        (release / "checksums").write_bytes(malformed)
        (problem,) = vnsc.verify_release(release)
        assert problem.message.startswith("not a checksums file: ") and problem.line == line

    (release / "checksums").write_bytes(original.replace(b"manifest.json", b"manifest.jsom"))
    assert problems(release)[0] == "checksums: does not list manifest.json, as every checksums file does"


def test_the_manifest_files_must_agree_with_the_checksums(release: Path) -> None:
    manifest = manifest_of(release)
    manifest["files"]["README.md"]["sha256"] = "0" * 64  # and the checksums file rewritten for this manifest
    write_manifest(release, manifest)
    rewrite_checksums(release)
    assert problems(release) == [
        "manifest.json: altered: its SHA-256 of README.md is not the file's, which checksums gives"
    ]

    (release / "data" / "evil.parquet").write_bytes(b"PAR1")
    hashes = parse_checksums((release / "checksums").read_bytes())
    hashes["data/evil.parquet"] = hashlib.sha256(b"PAR1").hexdigest()
    (release / "checksums").write_bytes(format_checksums(hashes))
    assert "manifest.json: does not list data/evil.parquet, which checksums lists" in problems(release)


def test_the_shipped_releases_have_no_checksums_and_verify_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    for version in ("1.0.0", "1.1.0"):
        release = PACKAGE_RELEASES / version
        assert not (release / "checksums").exists()
        checked = vnsc.verify_release(release)
        assert checked == []
        assert main(["verify", str(release)]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out == [
            f"ok: {release} matches its manifest",
            f"note: {release}: a release from before checksums files: every file is checked against "
            "manifest.json, but nothing covers manifest.json itself",
        ]
        assert vnsc.load_table(version, verify=True).num_rows == 5


def test_a_legacy_release_still_has_its_files_checked(tmp_path: Path) -> None:
    release = Path(shutil.copytree(PACKAGE_RELEASES / "1.1.0", tmp_path / "1.1.0"))
    (release / "README.md").write_text("changed", encoding="utf-8")
    assert problems(release) == [
        "README.md: changed: 7 bytes, manifest says " + str(manifest_of(release)["files"]["README.md"]["bytes"])
    ]
    (release / "checksums").write_bytes(b"garbage")  # a checksums file added to a legacy release is checked too
    assert problems(release)[0].startswith("checksums: not a checksums file: ")


def deep(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = [value]
    return value


def set_path(field: str, value: object) -> Callable[[dict[str, Any]], object]:
    def edit(manifest: dict[str, Any]) -> object:
        *parents, last = field.split("/")
        target: Any = manifest
        for key in parents:
            target = target[key]
        target[last] = value
        return manifest

    return edit


def escape_path(path: str) -> Callable[[dict[str, Any]], object]:
    def edit(manifest: dict[str, Any]) -> object:
        name = next(name for name in manifest["splits"] if name != "train")
        old = manifest["splits"][name]["files"][0]
        manifest["files"][path] = manifest["files"].pop(old)
        manifest["splits"][name]["files"] = [path]
        return manifest

    return edit


def drop(key: str) -> Callable[[dict[str, Any]], object]:
    def edit(manifest: dict[str, Any]) -> object:
        del manifest[key]
        return manifest

    return edit


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    "not an object": (lambda manifest: [manifest], "at /"),
    "a string": (lambda manifest: "manifest", "at /"),
    "splits of the wrong type": (set_path("splits", 5), "at /splits"),
    "rows of the wrong type": (set_path("splits/train/rows", "many"), "at /splits/train/rows"),
    "settings a list": (set_path("settings", ["traditional"]), "at /settings"),
    "files null": (set_path("files", None), "at /files"),
    "deep nesting": (set_path("settings/extra", deep(500)), "nested too deeply"),
    "no version": (drop("version"), "version"),
    "no files": (drop("files"), "files"),
    "a path out of the release": (escape_path("../../x.parquet"), "at /splits"),
    "an absolute path": (escape_path("/etc/x.parquet"), "at /splits"),
    "a lone surrogate": (set_path("library_version", "\ud800"), "lone UTF-16 surrogate"),
    "a control character in a key": (set_path("splits/\x1b[2Jx\n", {}), "at /splits"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_manifest_is_a_problem_line_and_a_release_error_for_every_reader(
    release: Path, case: str, capsys: pytest.CaptureFixture[str], raw_copy: Callable[..., Path]
) -> None:
    edit, field = MALFORMED[case]
    text = json.dumps(edit(manifest_of(release)), ensure_ascii=True)  # (a lone surrogate as \ud800)
    if case == "deep nesting":
        assert "[[[[" in text
    (release / "manifest.json").write_text(text, encoding="utf-8")
    root = release.parent

    found = vnsc.verify_release(release)
    assert [p.file for p in found][:2] == [str(release / "manifest.json")] * 2  # changed, and not valid
    assert field in found[1].message and "\n" not in str(found[1]) and "\x1b" not in str(found[1])
    assert main(["verify", str(release)]) == 1
    _, err = capsys.readouterr()
    assert "Traceback" not in err and len(err.splitlines()) == len(found)

    for read in (
        lambda: vnsc.info(root=root),
        lambda: vnsc.load_table(root=root),
        lambda: vnsc.load_table(root=root, verify=True),
        lambda: vnsc.load_pandas(root=root),
        lambda: vnsc.load_dataset(root=root),
    ):
        with pytest.raises(vnsc.ReleaseError, match=r"manifest\.json: (not a valid manifest|unreadable manifest)"):
            read()
    assert main(["info", "--root", str(root)]) == 1
    assert "Traceback" not in capsys.readouterr().err

    with pytest.raises(vnsc.ReleaseError, match=r"is published but damaged: manifest\.json: changed"):
        vnsc.build(RAW_DIR, root, "1.0.0")
    with pytest.warns(vnsc.RewriteWarning, match="its manifest cannot be read"):
        vnsc.build(RAW_DIR, root, "1.0.0", force=True)
    assert vnsc.verify_release(release) == []


def test_a_manifest_that_is_not_json_or_not_text(release: Path) -> None:
    for data in (b"{", b"\xff\xfe\x00", b'{"a": 1' + b"0" * 5000 + b"}", b"[" * 100_000):
        (release / "manifest.json").write_bytes(data)
        messages = [p.message for p in vnsc.verify_release(release)]
        assert messages[0].startswith("changed: ") and messages[1].startswith(("unreadable manifest", "not a valid"))
        with pytest.raises(vnsc.ReleaseError, match="manifest"):
            vnsc.load_table(root=release.parent)


def test_an_unsigned_release_rewritten_whole_passes_verify_but_not_a_pinned_verified_load(
    release: Path, raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """The limit of an unsigned manifest, and what closes it: a pin the user holds."""
    pin = manifest_of(release)["content_sha256"]
    other = vnsc.build(raw_copy([p.name for p in sorted(RAW_DIR.glob("*.txt"))[1:]]), tmp_path / "other", "1.0.0")
    shutil.rmtree(release)
    shutil.copytree(other.path, release)  # other records, and a manifest and checksums rewritten to claim the pin
    manifest = manifest_of(release)
    manifest["content_sha256"] = pin
    write_manifest(release, manifest)
    rewrite_checksums(release)

    assert vnsc.verify_release(release) == []  # every file matches a manifest and checksums file someone rewrote
    assert vnsc.load_table(root=release.parent, content_sha256=pin).num_rows == 4  # the manifest's word, unchecked
    with pytest.raises(vnsc.ReleaseError, match=rf"records of release 1.0.0 hash to \w+, not to the pinned {pin}"):
        vnsc.load_table(root=release.parent, content_sha256=pin, verify=True)
