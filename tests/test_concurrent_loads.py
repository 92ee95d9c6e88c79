"""Loads never mix releases: while another process publishes new versions and rewrites the newest
one with --force, over and over, every load returns exactly one release's rows or a ReleaseError
that says to load again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import vn_security_corpus as vnsc

from .conftest import REPO, write_corpus

MIN_BUILDS = 8  # two versions published, each rewritten
MIN_LOADS = 20  # loads that returned one release, while the writer was at work
SHARD_ROWS = 2  # several files per split: a load reads many, and a mix would show

# Publishes 1.0.0, rewrites it three times with --force (other records each time), publishes
# 1.1.0 (other records: a minor version), and so on, until it has built MIN_BUILDS times and the
# test has made its loads (it creates the file `enough`): counts, not a clock, so a slow machine
# makes the test slower, never weaker. The newest version is rewritten most of the time.
WRITER = """
import sys, time, warnings
from pathlib import Path
import vn_security_corpus as vnsc
warnings.simplefilter("ignore", vnsc.RewriteWarning)
out, enough, raws = sys.argv[1], Path(sys.argv[2]), sys.argv[5:]
min_builds, shard_rows = int(sys.argv[3]), int(sys.argv[4])
builds, deadline = 0, time.monotonic() + 300
for minor in range(10_000):
    for _ in range(4):
        vnsc.build(raws[builds % len(raws)], out, f"1.{minor}.0", force=True, shard_rows=shard_rows, progress=False)
        builds += 1
        if builds >= min_builds and enough.exists():
            print(builds)
            sys.exit(0)
        if time.monotonic() > deadline:
            sys.exit(f"the test made too few loads in 300 s of builds ({builds} builds)")
"""


def ids_of(raw: Path, root: Path) -> frozenset[str]:
    vnsc.build(raw, root, "1.0.0", shard_rows=SHARD_ROWS)
    return frozenset(vnsc.load_table(root=root, columns=["id"]).column("id").to_pylist())


def test_loads_during_rewrites_and_new_versions_return_one_release_or_fail_cleanly(tmp_path: Path) -> None:
    raws = [write_corpus(tmp_path / f"raw-{tag}", count, tag=tag) for tag, count in (("a", 11), ("b", 13), ("c", 15))]
    known = {ids_of(raw, tmp_path / f"alone-{raw.name}") for raw in raws}
    assert len(known) == 3 and not any(a & b for a in known for b in known if a is not b)

    import datasets  # noqa: F401  (imported now, not during the first load_dataset below)

    out, enough = tmp_path / "out", tmp_path / "enough"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out), str(enough), str(MIN_BUILDS), str(SHARD_ROWS), *map(str, raws)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    outcomes: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + 60
        while not vnsc.versions(out):  # the first version appears (the writer imports, then builds)
            assert writer.poll() is None and time.monotonic() < deadline, writer.communicate()
            time.sleep(0.01)
        loads = 0
        while writer.poll() is None:
            loads += 1
            verify = loads % 2 == 0
            try:
                if loads % 10 == 0:
                    dataset = vnsc.load_dataset(root=out, verify=verify)
                    ids = [row_id for split in dataset.values() for row_id in split["id"]]
                else:
                    ids = vnsc.load_table(root=out, columns=["id"], verify=verify).column("id").to_pylist()
            except vnsc.ReleaseError as error:
                assert "load it again" in str(error), error
                outcomes["retry"] += 1
                continue
            assert len(ids) == len(set(ids)) and frozenset(ids) in known, "a load mixed releases"
            outcomes["one release"] += 1
            if outcomes["one release"] == MIN_LOADS:
                enough.touch()
    finally:
        if writer.poll() is None:
            writer.kill()
        stdout, stderr = writer.communicate()
    assert writer.returncode == 0, stderr
    builds = int(stdout)
    print(f"{builds} builds, {outcomes}")
    assert builds >= MIN_BUILDS and outcomes["one release"] >= MIN_LOADS, (builds, outcomes)
    assert vnsc.verify_release(out / vnsc.versions(out)[-1]) == []


@pytest.mark.parametrize("by_descriptor", [True, False], ids=["by descriptor", "by path (Windows)"])
@pytest.mark.parametrize("verify", [False, True])
def test_a_rewrite_between_resolving_and_reading_is_caught(
    tmp_path: Path, verify: bool, by_descriptor: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moment a concurrent rewrite can fall in, forced: after the release is resolved, before
    its files are read. The load reads the release it resolved, or says to load again."""
    from vn_security_corpus import release as release_module
    from vn_security_corpus.load import read_release
    from vn_security_corpus.release import open_release

    monkeypatch.setattr(release_module, "_DIR_FD", by_descriptor and release_module._DIR_FD)
    raws = [write_corpus(tmp_path / f"raw-{tag}", 9, tag=tag) for tag in "ab"]
    out = tmp_path / "out"
    vnsc.build(raws[0], out, "1.0.0", shard_rows=SHARD_ROWS)
    with open_release(root=out) as release:
        with pytest.warns(vnsc.RewriteWarning):
            vnsc.build(raws[1], out, "1.0.0", shard_rows=SHARD_ROWS, force=True)  # swaps, then removes the old folder
        with pytest.raises(vnsc.ReleaseError, match=r"was rewritten or removed while it was being read.*load it again"):
            read_release(release, columns=["id"], verify=verify)

    if not by_descriptor:
        return  # (by path, the load below reads the folder's successor, and says to load again)
    second = set(vnsc.load_table(root=out, columns=["id"]).column("id").to_pylist())
    with open_release(root=out) as release:
        (out / "1.0.0").rename(tmp_path / "moved")  # kept whole elsewhere, and another release put in its place
        vnsc.build(raws[0], out, "1.0.0", shard_rows=SHARD_ROWS)
        table = read_release(release, columns=["id"], verify=verify)
    assert set(table.column("id").to_pylist()) == second  # the release it resolved, none of its successor
