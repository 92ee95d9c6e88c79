"""Streaming and parallel builds: the same bytes whatever the number of jobs or the engine; bounded
work units; progress only on a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import vn_security_corpus.pipeline as pipeline
from bench.generate import generate
from vn_security_corpus import build, load_table, verify_release
from vn_security_corpus.engine import LocalEngine, engine_for
from vn_security_corpus.errors import ConfigError
from vn_security_corpus.sources import find_raw_files

SHARD_ROWS = 120  # several shards per split from a few hundred articles
# Run a command on a pseudo-terminal of 120 columns and print what it shows.
ON_A_TERMINAL = """
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    sys.stdout.write(chunk.decode(errors="replace"))
sys.exit(os.waitpid(pid, 0)[1] >> 8)
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic corpus (bench/generate.py): text files with duplicates and other encodings, JSON Lines."""
    folder = tmp_path_factory.mktemp("corpus") / "generated"
    generate(folder, articles=400, seed=11, fmt="both", jsonl_per_file=150)
    mixed = folder.parent / "mixed"
    mixed.mkdir()
    for path in [*(folder / "txt").iterdir(), *(folder / "jsonl").iterdir()]:
        path.rename(mixed / path.name)
    return mixed


@pytest.fixture(scope="module")
def zipped_corpus(corpus: Path) -> str:
    """The corpus in a zip archive: the fsspec URL of its folder there (workers in other processes open it)."""
    archive = corpus.parent / "corpus.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(corpus.iterdir()):
            zipped.write(path, f"corpus/{path.name}")
    return f"zip://corpus::{archive}"


def release_bytes(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}


def test_jobs_and_engines_give_byte_identical_releases(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_FILES", 37)  # many chunks: real parallel work
    one = build(corpus, tmp_path / "one", "1.0.0", jobs=1, shard_rows=SHARD_ROWS, progress=False)
    two = build(corpus, tmp_path / "two", "1.0.0", jobs=2, shard_rows=SHARD_ROWS, progress=False)
    assert one.inputs == 800 and one.published + len(one.duplicates) == one.inputs
    assert len(one.duplicates) >= 400  # every JSON Lines article repeats a text file's
    assert sum(len(json.loads((one.path / "manifest.json").read_text())["splits"][s]["files"]) for s in one.splits) > 3
    assert release_bytes(one.path) == release_bytes(two.path)
    assert verify_release(two.path) == []
    assert load_table(root=tmp_path / "two").num_rows == one.published


def test_a_raw_folder_given_by_url_gives_the_same_bytes(corpus: Path, zipped_corpus: str, tmp_path: Path) -> None:
    local = build(corpus, tmp_path / "local", "1.0.0", jobs=1, shard_rows=SHARD_ROWS, progress=False)
    remote = build(zipped_corpus, tmp_path / "remote", "1.0.0", jobs=2, shard_rows=SHARD_ROWS, progress=False)
    assert remote.inputs == local.inputs == 800
    assert release_bytes(local.path) == release_bytes(remote.path)


def test_shards_gather_the_same_records_however_chunks_cut_the_spill_files(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_FILES", 37)  # spill files of one row group or two
    small = build(corpus, tmp_path / "small", "1.0.0", jobs=1, shard_rows=SHARD_ROWS, progress=False)
    monkeypatch.setattr(pipeline, "CHUNK_FILES", 10_000)  # one chunk: every shard cuts its spill files' row groups
    one = build(corpus, tmp_path / "one", "1.0.0", jobs=1, shard_rows=SHARD_ROWS, progress=False)
    assert release_bytes(small.path) == release_bytes(one.path)
    assert sum(one.splits.values()) == one.published == small.published


@pytest.mark.ray_cluster  # (a local Ray instance: run with the cluster tests, beside the suite)
def test_ray_engine_gives_the_same_bytes(
    corpus: Path, zipped_corpus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    monkeypatch.setattr(pipeline, "CHUNK_FILES", 101)
    local = build(corpus, tmp_path / "local", "1.0.0", jobs=1, shard_rows=SHARD_ROWS, progress=False)
    # the Ray workers read the raw files through fsspec, as on a cluster
    ray = build(zipped_corpus, tmp_path / "ray", "1.0.0", engine="ray", jobs=2, shard_rows=SHARD_ROWS, progress=False)
    assert release_bytes(local.path) == release_bytes(ray.path)


def test_the_shard_plan_and_chunks_do_not_depend_on_jobs(corpus: Path, tmp_path: Path) -> None:
    files, _ = find_raw_files(corpus)
    options = pipeline.BuildOptions({"train": 1.0}, "traditional", 1 << 20)
    chunks = pipeline.chunk_files(files, options, tmp_path)
    assert [raw for chunk in chunks for raw in chunk.files] == files
    assert all(
        sum(raw.size for raw in chunk.files) <= pipeline.CHUNK_BYTES or len(chunk.files) == 1 for chunk in chunks
    )


def test_local_engine_runs_in_process_for_one_job_and_refuses_zero() -> None:
    with LocalEngine(jobs=1) as engine:
        assert list(engine.map(os.getpid.__class__.__call__, [])) == []
        assert set(engine.map(lambda _: os.getpid(), [1, 2, 3])) == {os.getpid()}
    with pytest.raises(ConfigError, match="jobs must be at least 1"):
        LocalEngine(jobs=0)
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        engine_for("spark")
    with pytest.raises(ConfigError, match="--ray-address needs --engine ray"):
        engine_for("local", address="ray://x:10001")


def test_progress_shows_on_a_terminal_only(corpus: Path, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "vn_security_corpus",
        "build",
        "--raw",
        str(corpus),
        "--out",
        str(tmp_path),
        "--release-version",
        "1.0.0",
        "--jobs",
        "2",
    ]
    piped = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "\r" not in piped.stderr and "reading" not in piped.stderr
    assert piped.stdout.startswith(f"built {tmp_path / '1.0.0'}: ")
    assert piped.stderr == "" and "exact duplicates: listed in manifest.json)" in piped.stdout  # counted, not listed
    on_terminal = subprocess.run(
        [sys.executable, "-c", ON_A_TERMINAL, "-m", "vn_security_corpus", *command[3:-4], "--release-version", "1.0.1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "reading:" in on_terminal.stdout and "file/s" in on_terminal.stdout  # the terminal shows stderr too


def test_a_script_without_a_main_guard_gets_a_clear_error(corpus: Path, tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import vn_security_corpus.pipeline as p\n"
        "p.CHUNK_FILES = 50\n"
        f"p.build({str(corpus)!r}, {str(tmp_path / 'out')!r}, '1.0.0', jobs=2, progress=False)\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "BuildError: a worker process of the build died" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr
    assert not (tmp_path / "out").exists()
