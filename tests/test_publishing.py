"""Atomic, locked, immutable publishing: builds killed at any moment, builds racing, versions rebuilt."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vn_security_corpus import (
    InvalidInputError,
    ReleaseError,
    RewriteWarning,
    build,
    load_table,
    verify_release,
    versions,
)
from vn_security_corpus.cli import main
from vn_security_corpus.publish import release_lock

from .conftest import RAW_FILES, write_corpus

CORPUS_FILES = 2000  # enough for a build to be killed while it reads and while it writes shards
SHARD_ROWS = "10"  # many small shards: publishing takes long enough to be killed in the middle


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic raw folder of a few thousand distinct articles derived from raw/."""
    return write_corpus(tmp_path_factory.mktemp("corpus") / "raw", CORPUS_FILES)


def start_build(raw: Path, out: Path, *options: str) -> subprocess.Popen[str]:
    command = ["build", "--raw", str(raw), "--out", str(out), "--release-version", "1.0.0", "--shard-rows", SHARD_ROWS]
    return subprocess.Popen(
        [sys.executable, "-m", "vn_security_corpus", *command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` as soon as ``condition()`` holds; False if it ended first."""
    while process.poll() is None:
        if condition():
            process.send_signal(signal.SIGKILL)
            process.communicate()
            return True
        time.sleep(0.002)
    process.communicate()
    return False


def staging_folders(out: Path) -> list[Path]:
    return sorted(out.glob(".1.0.0.*.partial")) if out.exists() else []


def staged_shards(out: Path, at_least: int) -> Callable[[], bool]:
    return lambda: sum(len(list((folder / "data").glob("*.parquet"))) for folder in staging_folders(out)) >= at_least


def after(seconds: float) -> Callable[[], bool]:
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline


def release_files(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}


def visible(out: Path) -> list[str]:
    """Everything under ``out`` outside hidden (staging) folders: what a loader or a user would see."""
    if not out.exists():
        return []
    return [p.relative_to(out).as_posix() for p in out.rglob("*") if not p.relative_to(out).parts[0].startswith(".")]


def test_a_build_killed_at_any_moment_publishes_nothing_and_the_next_one_succeeds(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    kill_points = {
        "while starting": after(0.05),
        "while reading the raw files": after(0.8),
        "when the staging folder appears": lambda: bool(staging_folders(out)),
        "while writing shards": staged_shards(out, 100),
    }
    for moment, condition in kill_points.items():
        assert kill_when(start_build(corpus, out), condition), f"the build ended before being killed {moment}"
        assert visible(out) == [], moment
        assert versions(out) == [], moment
        with pytest.raises(ReleaseError, match=r"no such folder of releases|no releases here"):
            load_table(root=out)
    assert len(staging_folders(out)) == 1  # a killed build leaves its staging folder; the next build removes it

    done = start_build(corpus, out)
    stdout, stderr = done.communicate()
    assert done.returncode == 0, stderr
    assert stdout.startswith(f"built {out / '1.0.0'}: {CORPUS_FILES} articles")
    assert staging_folders(out) == [] and visible(out)[0] == "1.0.0" and not (out / ".lock").exists()
    assert verify_release(out / "1.0.0") == []
    assert load_table(root=out, columns=["id"]).num_rows == CORPUS_FILES


def test_forced_rewrite_killed_in_the_middle_leaves_the_old_release(
    corpus: Path, tmp_path: Path, raw_copy: Callable[..., Path]
) -> None:
    out = tmp_path / "out"
    old = build(raw_copy(), out, "1.0.0")
    before = release_files(old.path)
    assert kill_when(start_build(corpus, out, "--force"), staged_shards(out, 100))
    assert release_files(out / "1.0.0") == before and verify_release(out / "1.0.0") == []
    done = start_build(corpus, out, "--force")
    _, stderr = done.communicate()
    assert done.returncode == 0 and stderr.startswith("vn-security-corpus: warning: rewriting published version")
    assert verify_release(out / "1.0.0") == [] and staging_folders(out) == []
    assert load_table(root=out, columns=["id"]).num_rows == CORPUS_FILES


def test_one_build_at_a_time_per_output_folder(
    raw_copy: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, out = raw_copy(), tmp_path / "out"
    out.mkdir()
    with release_lock(out):  # as if another build were publishing into out/
        with pytest.raises(ReleaseError, match="another build is publishing into this folder; wait for it"):
            build(raw, out, "1.0.0")
        assert main(["build", "--raw", str(raw), "--out", str(out), "--release-version", "1.0.0"]) == 1
        _, err = capsys.readouterr()
        assert err.startswith(f"vn-security-corpus: error: {out}: another build is publishing into this folder")
    assert list(out.iterdir()) == []
    assert build(raw, out, "1.0.0").written  # the lock is gone with its holder


def test_two_builds_of_one_version_at_once_one_wins_the_other_fails_cleanly(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Other settings: whichever build comes second must not publish.
    builds = [start_build(corpus, out), start_build(corpus, out, "--splits", "train=0.5,test=0.5")]
    results = [(process.wait(), *process.communicate()) for process in builds]
    assert sorted(code for code, _, _ in results) == [0, 1]
    (failure,) = [stderr for code, _, stderr in results if code == 1]
    assert "Traceback" not in failure and len(failure.splitlines()) == 1
    assert "another build is publishing into this folder" in failure or "settings: " in failure
    assert verify_release(out / "1.0.0") == [] and staging_folders(out) == []


def test_rebuilding_a_version_says_what_changed(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    build(raw, tmp_path, "1.0.0")
    build(raw, tmp_path, "1.0.1")
    assert not build(raw, tmp_path, "1.0.0").written  # the same inputs: nothing to do
    (raw / RAW_FILES[0].name).unlink()
    (raw / "new.txt").write_text(RAW_FILES[0].read_text(encoding="utf-8").replace("Sáng", "Chiều"), encoding="utf-8")
    changed = raw / RAW_FILES[1].name
    changed.write_bytes(changed.read_bytes() + b"\n\n")  # other bytes, the same record
    with pytest.raises(ReleaseError) as caught:
        build(raw, tmp_path, "1.0.0", splits={"train": 0.5, "test": 0.5})
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / '1.0.0'}: version 1.0.0 is already published from other input: ")
    for part in (
        "inputs added: new.txt",
        f"inputs removed: {RAW_FILES[0].name}",
        f"inputs changed: {RAW_FILES[1].name}",
        "records: 1 added, 1 removed",
        'settings: {"splits": {"train": 0.8, "validation": 0.1, "test": 0.1}, "tone_style": "traditional", '
        '"mask_pii": false, "near_duplicates": "keep", "near_duplicate_threshold": 0.5} → '
        '{"splits": {"train": 0.5, "test": 0.5}, "tone_style": "traditional", "mask_pii": false, '
        '"near_duplicates": "keep", "near_duplicate_threshold": 0.5}',
        "build a new version (e.g. 1.0.2)",
        "--force",
    ):
        assert part in message, part
    assert "\n" not in message


def test_force_rewrites_loudly_and_atomically(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw, out = raw_copy(), tmp_path / "out"
    first = build(raw, out, "1.0.0")
    (raw / RAW_FILES[0].name).unlink()
    with pytest.warns(RewriteWarning, match=r"rewriting published version 1.0.0 .*records: 0 added, 1 removed"):
        report = build(raw, out, "1.0.0", force=True)
    assert report.written and report.replaced and report.path == first.path
    assert verify_release(report.path) == [] and load_table(root=out).num_rows == 4
    # the old release is gone, nothing left over but the root's card (one config per version)
    assert sorted(p.name for p in out.iterdir()) == ["1.0.0", "README.md"]
    again = build(raw, out, "1.0.0", force=True)
    assert not again.written and not again.replaced  # same inputs: nothing to rewrite


def test_cli_refuses_a_changed_version_and_force_prints_a_warning_line(
    raw_copy: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = raw_copy()
    args = ["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--release-version", "1.0.0"]
    assert main(args) == 0
    (raw / RAW_FILES[0].name).unlink()
    capsys.readouterr()
    assert main(args) == 1
    _, err = capsys.readouterr()
    assert "records: 0 added, 1 removed" in err and "build a new version (e.g. 1.0.1)" in err
    assert main([*args, "--force"]) == 0
    out, err = capsys.readouterr()
    assert (
        err.startswith("vn-security-corpus: warning: rewriting published version 1.0.0") and len(err.splitlines()) == 1
    )
    assert out.startswith(f"rewrote {tmp_path / 'out' / '1.0.0'}: 4 articles")


def test_a_folder_that_is_not_a_release_is_never_replaced(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "1.0.0").mkdir()
    (tmp_path / "1.0.0" / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"not a release \(no manifest.json\)"):
        build(raw_copy(), tmp_path, "1.0.0", force=True)
    assert (tmp_path / "1.0.0" / "mine.txt").read_text(encoding="utf-8") == "keep me"


def delete_a_shard(release: Path) -> str:
    shard = next((release / "data").iterdir())
    shard.unlink()
    return shard.relative_to(release).as_posix()


def flip_a_byte(release: Path) -> str:
    shard = next((release / "data").iterdir())
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 1
    shard.write_bytes(bytes(data))
    return shard.relative_to(release).as_posix()


def edit_the_manifest(release: Path) -> str:
    path = release / "manifest.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"published": 5', '"published": 6'), encoding="utf-8")
    return "manifest.json"


def delete_the_checksums(release: Path) -> str:
    (release / "checksums").unlink()
    return "checksums"


def break_the_manifest(release: Path) -> str:
    (release / "manifest.json").write_text("{", encoding="utf-8")
    return "manifest.json"


DAMAGES = {
    "a shard deleted": (delete_a_shard, "missing", "--force repairs it"),
    "a byte flipped": (flip_a_byte, "changed: its SHA-256 differs", "--force repairs it"),
    "the manifest edited": (edit_the_manifest, "changed: its SHA-256 differs from the one in checksums", "repairs"),
    "the checksums deleted": (delete_the_checksums, "missing, though manifest.json says", "repairs"),
    "the manifest broken": (break_the_manifest, "changed: its SHA-256 differs", "whether this build is the one"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_release_is_never_unchanged_and_force_repairs_it(
    raw_copy: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    raw, out = raw_copy(), tmp_path / "out"
    args = ["build", "--raw", str(raw), "--out", str(out), "--release-version", "1.0.0"]
    assert main(args) == 0
    release = out / "1.0.0"
    intact = release_files(release)
    harm, problem, verdict = DAMAGES[damage]
    damaged = harm(release)
    capsys.readouterr()

    assert main(args) == 1  # not "unchanged": the same input, but the release is not what it built
    _, err = capsys.readouterr()
    assert err.startswith(f"vn-security-corpus: error: {release}: version 1.0.0 is published but damaged: {damaged}: ")
    assert problem in err and verdict in err and err.endswith("Pass --force (force=True) to rebuild it in place\n")
    assert len(err.splitlines()) == 1
    with pytest.raises(ReleaseError, match="is published but damaged"):
        build(raw, out, "1.0.0")

    assert main([*args, "--force"]) == 0
    stdout, err = capsys.readouterr()
    assert err.startswith("vn-security-corpus: warning: re") and f"{damaged}: " in err
    assert stdout.startswith(f"rewrote {release}: 5 articles")
    assert release_files(release) == intact and verify_release(release) == []  # byte for byte what it was
    assert sorted(p.name for p in out.iterdir()) == ["1.0.0", "README.md"]  # the release and the root card
    assert main(args) == 0 and capsys.readouterr().out.startswith("unchanged: ")


def test_a_damaged_release_built_from_other_input_says_force_rewrites_history(
    raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    raw = raw_copy()
    build(raw, tmp_path, "1.0.0")
    delete_a_shard(tmp_path / "1.0.0")
    (raw / RAW_FILES[0].name).unlink()
    with pytest.raises(ReleaseError, match=r"damaged: data/.*: missing; this build is not the one it came from \("):
        build(raw, tmp_path, "1.0.0")
    with pytest.warns(RewriteWarning, match="rewriting damaged version 1.0.0 .*other data under the same name"):
        build(raw, tmp_path, "1.0.0", force=True)
    assert verify_release(tmp_path / "1.0.0") == [] and load_table(root=tmp_path).num_rows == 4


def test_a_failed_build_leaves_none_of_the_folders_it_created(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()
    (raw / "bad.txt").write_text(" date 2020-13 Tiêu đề\n\nThân bài.\n", encoding="utf-8")
    (tmp_path / "kept").mkdir()
    for out in (tmp_path / "a" / "b" / "out", tmp_path / "kept" / "b" / "out"):
        with pytest.raises(InvalidInputError):
            build(raw, out, "1.0.0")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["kept", raw.name])
    assert list((tmp_path / "kept").iterdir()) == []


def test_the_lock_file_is_there_only_while_held_and_opens_only_for_those_who_may_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for folder_mode, lock_mode in ((0o755, 0o600), (0o775, 0o660), (0o777, 0o666), (0o700, 0o600)):
        out.chmod(folder_mode)
        with release_lock(out):
            assert stat.S_IMODE((out / ".lock").stat().st_mode) == lock_mode
        assert list(out.iterdir()) == []


def test_a_lock_file_let_go_of_or_left_by_a_killed_build_does_not_block(
    raw_copy: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # a build that has just removed the lock file, and not yet closed it: its lock is on a file no one will open
    previous = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(previous, fcntl.LOCK_EX)
    (out / ".lock").unlink()
    try:
        with release_lock(out):
            assert (out / ".lock").exists()
    finally:
        os.close(previous)
    (out / ".lock").write_bytes(b"")  # what a build killed with SIGKILL leaves
    assert build(raw_copy(), out, "1.0.0").written
    assert sorted(path.name for path in out.iterdir()) == ["1.0.0", "README.md"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="acting as another user needs root")
def test_who_can_only_read_the_folder_cannot_hold_the_lock(raw_copy: Callable[..., Path]) -> None:
    top = Path(tempfile.mkdtemp())  # (pytest's temporary folders are closed to other users)
    try:
        top.chmod(0o755)
        out = top / "out"
        out.mkdir(mode=0o755)
        with release_lock(out):
            child = os.fork()
            if child == 0:  # as nobody, who may read the folder but not write into it
                code = 1
                try:
                    os.setgid(65534)
                    os.setuid(65534)
                    folder = os.open(out, os.O_RDONLY)
                    fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the folder itself: anyone can lock it
                    try:
                        os.open(out / ".lock", os.O_RDONLY)
                    except PermissionError:
                        code = 0
                finally:
                    os._exit(code)
            assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
        folder = os.open(out, os.O_RDONLY)
        fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a reader locking the folder itself blocks no build
        try:
            assert build(raw_copy(), out, "1.0.0").written
        finally:
            os.close(folder)
    finally:
        shutil.rmtree(top)
