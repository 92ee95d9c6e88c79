"""A two-node Ray build against local builds of one and two jobs, on the same generated corpus.

Starts the cluster of ``tests/test_ray_cluster.py`` on this machine (a head and a second
raylet on 127.0.0.1, one CPU each), then measures, each build in a subprocess of its own
(the command line): wall time, the peak RSS of the driver, and the peak RSS of the
workers, summed and the largest (the local build's worker processes; the cluster's Ray
worker processes, whose RSS counts the object store pages they touched), sampled every
50 ms from /proc. Checks
that the three releases are byte-identical. Prints a table and one JSON line.

    python bench/ray_cluster.py --articles 20000      # needs root for the cluster's mount namespace, or skips it

The cluster's start-up is not counted; a cluster build includes connecting, the nodes'
check and starting Ray's worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402

SAMPLE_SECONDS = 0.05
MiB = 1024**2


def rss(pid: int) -> int:
    """The resident set size of process ``pid`` in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return children + [grandchild for child in children for grandchild in descendants(child)]


def ray_workers(root: str) -> list[int]:
    """The Ray worker processes of the cluster whose temporary folder is ``root``: the raylets' children
    but their agents (a worker renames itself ``ray::IDLE``, ``ray::run``, … once started)."""
    raylets = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and root.encode() in _cmdline(int(entry.name))
        and b"raylet/raylet" in _cmdline(int(entry.name))
    ]
    workers = []
    for child in (child for raylet in raylets for child in descendants(raylet)):
        cmdline = _cmdline(child)
        if (cmdline.startswith(b"ray::") and b"Agent" not in cmdline) or b"default_worker.py" in cmdline:
            workers.append(child)
    return workers


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def measure(command: Sequence[str], env: dict[str, str], cluster_root: str | None) -> dict[str, Any]:
    """Run a build; its wall time, the driver's peak RSS and the workers' (peak of their sum)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver = workers = largest = 0
    seen: set[int] = set()
    while process.poll() is None:
        driver = max(driver, rss(process.pid))
        pids = ray_workers(cluster_root) if cluster_root else descendants(process.pid)
        sizes = [rss(pid) for pid in pids]
        workers, largest = max(workers, sum(sizes)), max(largest, *sizes, 0)
        seen.update(pids)
        time.sleep(SAMPLE_SECONDS)
    _, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{err[-3000:]}")
    return {
        "seconds": round(seconds, 2),
        "driver_rss_mib": round(driver / MiB),
        "workers_rss_mib": round(workers / MiB),
        "largest_worker_rss_mib": round(largest / MiB),
        "worker_processes": len(seen),
    }


def release_bytes(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="folder for the corpus and the releases")
    args = parser.parse_args(argv)
    from tests.test_ray_cluster import Cluster

    work = args.work or Path(tempfile.mkdtemp(prefix="vnsc-bench-ray-"))
    raw = work / f"corpus-{args.articles}-{args.seed}"
    if not (raw / "generation.json").exists():
        shutil.rmtree(raw, ignore_errors=True)
        generate(raw, articles=args.articles, seed=args.seed)
    out = work / f"releases-{os.getpid()}"
    build = [
        sys.executable,
        "-m",
        "vn_security_corpus",
        "build",
        "--raw",
        str(raw / "txt"),
        "--release-version",
        "1.0.0",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    figures: dict[str, Any] = {"articles": args.articles, "load_average": os.getloadavg()[0]}
    for jobs in (1, 2):
        figures[f"local_jobs_{jobs}"] = measure(
            [*build, "--out", str(out / f"jobs{jobs}"), "--jobs", str(jobs)], env, None
        )
        print(f"local --jobs {jobs}: {figures[f'local_jobs_{jobs}']}", file=sys.stderr)
    cluster_root = Path(tempfile.mkdtemp(prefix="vnsc-ray-", dir="/tmp"))
    cluster = Cluster(cluster_root)
    try:
        cluster.start()
        command = [*build, "--out", str(out / "ray"), "--engine", "ray", "--ray-address", cluster.address]
        figures["ray_two_nodes"] = measure(command, cluster.env(), str(cluster_root))
        print(f"Ray, two nodes: {figures['ray_two_nodes']}", file=sys.stderr)
    finally:
        cluster.stop()
        shutil.rmtree(cluster_root, ignore_errors=True)
    one = release_bytes(out / "jobs1" / "1.0.0")
    figures["identical"] = one == release_bytes(out / "jobs2" / "1.0.0") == release_bytes(out / "ray" / "1.0.0")
    figures["load_average_after"] = os.getloadavg()[0]
    base = figures["local_jobs_1"]["seconds"]
    header = f"{'build':<16} {'wall s':>8} {'x jobs 1':>9} {'driver MiB':>11}"
    print(f"{header} {'workers MiB':>12} {'largest':>8} {'procs':>6}")
    for name in ("local_jobs_1", "local_jobs_2", "ray_two_nodes"):
        f = figures[name]
        row = f"{name:<16} {f['seconds']:>8} {base / f['seconds']:>9.2f} {f['driver_rss_mib']:>11}"
        print(f"{row} {f['workers_rss_mib']:>12} {f['largest_worker_rss_mib']:>8} {f['worker_processes']:>6}")
    print(f"byte-identical: {figures['identical']}")
    print(json.dumps(figures))
    shutil.rmtree(out, ignore_errors=True)
    return 0 if figures["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
