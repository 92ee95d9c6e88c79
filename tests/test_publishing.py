"""Atomic, locked, immutable publishing: builds killed at any moment, builds racing, versions rebuilt."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vn_security_corpus import ReleaseError, RewriteWarning, build, load_table, verify_release, versions
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
    command = ["build", "--raw", str(raw), "--out", str(out), "--version", "1.0.0", "--shard-rows", SHARD_ROWS]
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
    assert staging_folders(out) == [] and visible(out)[0] == "1.0.0"
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
        assert main(["build", "--raw", str(raw), "--out", str(out), "--version", "1.0.0"]) == 1
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
        '"near_duplicates": "keep", "near_duplicate_threshold": 0.5} → '
        '{"splits": {"train": 0.5, "test": 0.5}, "tone_style": "traditional", "near_duplicates": "keep", '
        '"near_duplicate_threshold": 0.5}',
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
    assert [p.name for p in out.iterdir()] == ["1.0.0"]  # the old release is gone, nothing left over
    again = build(raw, out, "1.0.0", force=True)
    assert not again.written and not again.replaced  # same inputs: nothing to rewrite


def test_cli_refuses_a_changed_version_and_force_prints_a_warning_line(
    raw_copy: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = raw_copy()
    args = ["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--version", "1.0.0"]
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
