"""Builds on a real Ray cluster: a head and a second raylet on this machine, one CPU each, listening on
loopback only, the second raylet in a mount namespace of its own where one raw folder is hidden
(an empty folder bind-mounted over it), as on a node that does not mount the raw storage.

The cluster tests (marker ``ray_cluster``) skip with the reason when no cluster can start here (no
Ray, not root for the mount namespace, a host name that is not loopback); with
``VNSC_RAY_CLUSTER_TESTS=required`` (set by ``.ci/run``) they fail instead. The other tests here
check the Ray engine's error paths without a cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import vn_security_corpus.pipeline as pipeline
from bench.generate import generate
from vn_security_corpus import BuildError, build
from vn_security_corpus.engine import (
    DEFAULT_RAY_TIMEOUT,
    LocalEngine,
    RayEngine,
    WorkerFailure,
    Workspace,
    _make_probe,
    _node_problems,
    check_workspace,
    cluster_address,
    engine_for,
    versions,
)
from vn_security_corpus.errors import ConfigError

from .conftest import REPO

REQUIRED = os.environ.get("VNSC_RAY_CLUSTER_TESTS") == "required"
SHARD_ROWS = 60  # several shards per split
CHUNK_FILES = 15  # many chunks: both nodes get work
ARTICLES = 180
VENV_BIN = Path(sys.executable).parent
# A driver: the command line, with small chunks (and, on request: slower chunks; without the nodes' check
# before the work and its tasks on the second node, to exercise the driver's own check of the files a
# worker could not read; claiming another pyarrow; attached to the second node's raylet); it prints which
# nodes read chunks and which actors the build left.
DRIVER = """
import json, os, sys
import vn_security_corpus.engine as engine
import vn_security_corpus.pipeline as pipeline
pipeline.CHUNK_FILES = int(os.environ["VNSC_TEST_CHUNK_FILES"])
if os.environ.get("VNSC_TEST_NO_NODE_CHECK"):  # and every task on the second node (its resource "second")
    import ray
    engine.RayEngine._check_nodes = lambda self, workspace: None
    remote = ray.remote
    def pinned(*args, **kwargs):
        if not kwargs and getattr(args[0], "__module__", "").startswith("vn_security_corpus"):
            return remote(resources={"second": 0.01})(args[0])
        return remote(*args, **kwargs)
    ray.remote = pinned
nodes = set()
check = pipeline._check_unread_inputs
def seen(results, *args):
    nodes.update(result.node for result in results)
    return check(results, *args)
pipeline._check_unread_inputs = seen
if os.environ.get("VNSC_TEST_SLOW_CHUNKS"):  # chunks as slow as real ones (this function goes by value)
    import time
    read_chunk, delay = pipeline.process_chunk, float(os.environ["VNSC_TEST_SLOW_CHUNKS"])
    def slow_chunk(chunk):
        time.sleep(delay)
        return read_chunk(chunk)
    pipeline.process_chunk = slow_chunk
if os.environ.get("VNSC_TEST_DRIVER_PYARROW"):  # the driver says it runs another pyarrow than the nodes
    found = engine.versions
    engine.versions = lambda: found() | {"pyarrow": os.environ["VNSC_TEST_DRIVER_PYARROW"]}
if os.environ.get("VNSC_TEST_DRIVER_NODE"):  # attach to that node's raylet (Ray prefers the head's)
    import ray
    connect = ray.init
    ray.init = lambda *args, **kwargs: connect(*args, **kwargs, _temp_dir=os.environ["VNSC_TEST_DRIVER_NODE"])
from vn_security_corpus.cli import main
code = main(sys.argv[1:])
actors = None
if os.environ.get("VNSC_TEST_LIST_ACTORS"):
    import ray
    ray.init(address=os.environ["VNSC_TEST_ADDRESS"], log_to_driver=False, logging_level="error")
    actors = ray.util.list_named_actors(all_namespaces=True)
    ray.shutdown()
print(json.dumps({"nodes": sorted(nodes), "named_actors": actors}), file=sys.stderr)
sys.exit(code)
"""


# Both nodes: one CPU, a small object store, ports the system picks, and no log monitor (drivers here
# do not print the workers' logs); `--block` keeps each node's processes in one session.
NODE_OPTIONS = ["--num-cpus=1", "--object-store-memory=200000000", "--min-worker-port=0", "--max-worker-port=0"]
NODE_OPTIONS += ["--include-log-monitor=false", "--disable-usage-stats", "--block"]


def release_bytes(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in sorted(release.rglob("*")) if p.is_file()}


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"the Ray cluster tests must run here (VNSC_RAY_CLUSTER_TESTS=required): {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pids_naming(text: str) -> list[int]:
    """The processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and text.encode() in read_cmdline(int(entry.name)):
            found.append(int(entry.name))
    return found


def read_cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def listening_addresses(pids: list[int]) -> set[str]:
    """The local addresses the TCP sockets of ``pids`` listen on (from /proc)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = str(fd.readlink())
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address = fields[1].split(":")[0]
                if len(address) == 8:
                    addresses.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:  # four little-endian words
                    words = bytes.fromhex(address)
                    raw = b"".join(words[i : i + 4][::-1] for i in range(0, 16, 4))
                    addresses.add(socket.inet_ntop(socket.AF_INET6, raw))
    return addresses


def loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1") or address.startswith("::ffff:127.")


class Cluster:
    """A Ray head and a second raylet on this machine, each started by ``ray start --block`` in a
    session of its own (and the second in a mount namespace hiding ``hidden``): stopped by killing
    those sessions and every process whose command line names the cluster's temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.hidden = root / "hidden-raw"
        self.empty = root / "empty"
        self.hidden.mkdir()
        self.empty.mkdir()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.launched: dict[str, subprocess.Popen[bytes]] = {}
        self.namespaced = False
        host = socket.gethostname()
        # The second raylet reaches the head by a name, not by 127.0.0.1: Ray turns 127.0.0.1 into
        # the machine's routable address, but keeps a name, and finds its own address (127.0.0.1)
        # from the route to it.
        if not all(loopback(str(info[4][0])) for info in socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)):
            unavailable(f"the host name {host} does not resolve to loopback only: a second raylet would not stay there")
        self.head_by_name = f"{host}:{self.port}"

    def env(self, *, single_machine: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
        env |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token, "RAY_USAGE_STATS_ENABLED": "0"}
        if single_machine:  # keep 127.0.0.1 as this node's address (the head, the drivers)
            env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        return env

    def start(self) -> None:
        head_env = self.env() | {  # the head declares a lost node dead in ~2 s (Ray's default: ~15 s)
            "RAY_health_check_period_ms": "500",
            "RAY_health_check_timeout_ms": "500",
            "RAY_health_check_failure_threshold": "3",
        }
        head = [str(VENV_BIN / "ray"), "start", "--head", f"--port={self.port}", "--node-ip-address=127.0.0.1"]
        head += [f"--temp-dir={self.root / 'head'}", "--include-dashboard=false", *NODE_OPTIONS]
        self._launch(head, head_env, "head")
        deadline = time.monotonic() + 60
        while True:  # the second raylet can join once the head's GCS answers, while the head's agents start
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                break
            self._check_started("head", deadline)
            time.sleep(0.1)
        self.start_second_node(wait=False)
        self._wait("head", deadline)
        self._wait("node2", deadline)

    def start_second_node(self, *, wait: bool = True) -> None:
        node = [str(VENV_BIN / "ray"), "start", f"--address={self.head_by_name}", f"--temp-dir={self.root / 'node2'}"]
        node += [*NODE_OPTIONS, '--resources={"second": 1}']  # (a test's tasks may ask for this node)
        command = node
        unshare = shutil.which("unshare")
        if unshare and os.geteuid() == 0:
            mount = f"mount --bind {shlex.quote(str(self.empty))} {shlex.quote(str(self.hidden))}"
            command = [unshare, "-m", "--propagation", "private", "sh", "-c", f"{mount} && exec {shlex.join(node)}"]
        self._launch(command, self.env(single_machine=False), "node2")
        self.namespaced = command is not node
        if wait:
            self._wait("node2", time.monotonic() + 60)

    def _launch(self, command: list[str], env: dict[str, str], name: str) -> None:
        with (self.root / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        self.launched[name] = process

    def _wait(self, name: str, deadline: float) -> None:
        while b"Ray runtime started" not in (self.root / f"{name}.log").read_bytes():
            self._check_started(name, deadline)
            time.sleep(0.1)

    def _check_started(self, name: str, deadline: float) -> None:
        if self.launched[name].poll() is not None or time.monotonic() > deadline:
            log = (self.root / f"{name}.log").read_text(errors="replace")
            self.stop()
            unavailable(f"the Ray {name} did not start: {log[-600:]}")

    def raylet(self, name: str) -> int:
        """The pid of the raylet of node ``name`` (head, node2)."""
        pids = [pid for pid in pids_naming(str(self.root / name)) if b"raylet/raylet" in read_cmdline(pid)]
        assert len(pids) == 1, pids
        return pids[0]

    def listening(self) -> set[str]:
        return listening_addresses(pids_naming(str(self.root)))

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for _ in range(3):  # workers, agents: whatever names the cluster's folder
            for pid in pids_naming(str(self.root)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        self.processes.clear()

    def ensure_second_node(self) -> None:
        """Start the second raylet again if a test killed it."""
        if not any(b"raylet/raylet" in read_cmdline(pid) for pid in pids_naming(str(self.root / "node2"))):
            self.start_second_node()

    def drive(
        self,
        *args: str,
        no_node_check: bool = False,
        list_actors: bool = False,
        driver_node: str = "head",
        driver_env: dict[str, str] | None = None,
    ) -> subprocess.Popen[str]:
        """Start a build on the cluster (the command line, through :data:`DRIVER`), its driver on the
        head's raylet or on ``driver_node``'s."""
        env = self.env() | {"VNSC_TEST_CHUNK_FILES": str(CHUNK_FILES), "VNSC_TEST_ADDRESS": self.address}
        env |= driver_env or {}
        if driver_node != "head":
            env["VNSC_TEST_DRIVER_NODE"] = str(self.root / driver_node)
        if no_node_check:
            env["VNSC_TEST_NO_NODE_CHECK"] = "1"
        if list_actors:
            env["VNSC_TEST_LIST_ACTORS"] = "1"
        command = [sys.executable, "-c", DRIVER, "build", "--engine", "ray", "--ray-address", self.address]
        command += ["--ray-timeout", "30", "--shard-rows", str(SHARD_ROWS), *args]
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        import ray  # noqa: F401
    except ImportError:
        unavailable("Ray is not installed: pip install -e '.[ray]'")
    if not (VENV_BIN / "ray").exists():
        unavailable(f"no `ray` command beside {sys.executable}")
    root = Path(tempfile.mkdtemp(prefix="vnsc-ray-", dir="/tmp"))  # short: Ray's socket paths must fit
    cluster = Cluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ray-corpus") / "generated"
    generate(folder, articles=ARTICLES, seed=17)
    return folder / "txt"


@pytest.fixture(scope="module")
def local_release(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    return build(corpus, out, "1.0.0", jobs=1, shard_rows=SHARD_ROWS, progress=False).path


def finish(process: subprocess.Popen[str]) -> tuple[str, dict[str, Any]]:
    """Wait for a driver: its stderr without its last line, and that line (nodes, actors left)."""
    _, err = process.communicate(timeout=120)
    *lines, last = err.rstrip("\n").split("\n")
    assert last.startswith("{"), err  # the driver ran to its end
    return "\n".join(lines), json.loads(last)


@pytest.mark.ray_cluster
def test_a_two_node_build_gives_the_bytes_of_a_local_build(
    cluster: Cluster, corpus: Path, local_release: Path, tmp_path: Path
) -> None:
    cluster.ensure_second_node()
    process = cluster.drive(
        "--raw", str(corpus), "--out", str(tmp_path), "--release-version", "1.0.0", list_actors=True
    )
    err, seen = finish(process)
    assert process.returncode == 0, err
    assert release_bytes(tmp_path / "1.0.0") == release_bytes(local_release)
    assert len(seen["nodes"]) == 2, seen  # both nodes read chunks
    assert seen["named_actors"] == []  # nothing of the build is left on the cluster
    assert all(loopback(address) for address in cluster.listening()), cluster.listening()


@pytest.mark.ray_cluster
def test_a_node_that_cannot_see_a_folder_fails_the_build(cluster: Cluster, corpus: Path, tmp_path: Path) -> None:
    """Four builds at once, each with a folder the second node does not see, the raw folder or the output
    folder: checked by every node before any work; or without that check and with the tasks on that node,
    whose workers find no raw files (the driver does), or cannot write the spill files."""
    if not cluster.namespaced:
        unavailable("the second raylet needs a mount namespace (unshare -m, as root) to hide a folder")
    cluster.ensure_second_node()
    generate(cluster.hidden / "generated", articles=60, seed=3)
    hidden_raw = cluster.hidden / "generated" / "txt"
    builds = {}
    for hidden in ("raw", "out"):
        for check in ("nodes", "driver"):
            raw, out = (hidden_raw, tmp_path / check) if hidden == "raw" else (corpus, cluster.hidden / check)
            options = ["--raw", str(raw), "--out", str(out), "--release-version", "1.0.0", "--allow-invalid"]
            builds[hidden, check] = (cluster.drive(*options, no_node_check=check == "driver"), out)
    expected = {
        ("raw", "nodes"): ["cannot see the raw file", "before any work"],
        ("raw", "driver"): [
            f"{hidden_raw}/",
            "could not read this file (cannot be opened: No such file or directory), which this machine reads",
        ],
        ("out", "nodes"): [f"cannot see the output folder's staging folder {cluster.hidden / 'nodes'}/."],
        ("out", "driver"): [
            f"cannot use the output folder {cluster.hidden / 'driver'}: FileNotFoundError: ",
            "No such file or directory",
        ],
    }
    for (hidden, check), (process, out) in builds.items():
        err, _ = finish(process)
        assert process.returncode == 1, err
        assert len(err.splitlines()) == 1, err  # one line, no traceback
        assert err.startswith("vn-security-corpus: error: ") and "node 127.0.0.1" in err and "fix: mount" in err
        for part in expected[hidden, check]:
            assert part in err, err
        assert not out.exists()  # nothing published, not even the folder


@pytest.mark.ray_cluster
def test_nodes_that_run_other_versions_than_the_driver_stop_the_build(cluster: Cluster, tmp_path: Path) -> None:
    process = cluster.drive(
        "--raw", str(REPO / "raw"), "--out", str(tmp_path / "out"), "--release-version", "1.0.0",
        driver_env={"VNSC_TEST_DRIVER_PYARROW": "17.0.0"},
    )  # fmt: skip
    err, _ = finish(process)
    assert process.returncode == 1
    mine = versions()
    assert re.fullmatch(
        r"vn-security-corpus: error: node 127\.0\.0\.1 \(.+, Ray node [0-9a-f]{8}\) runs "
        + re.escape(
            f"Python {mine['Python']}, pyarrow {mine['pyarrow']}, vn-security-corpus {mine['vn-security-corpus']} "
            f"where the driver runs Python {mine['Python']}, pyarrow 17.0.0, vn-security-corpus "
            f"{mine['vn-security-corpus']} (and 1 more problem on this or other nodes): the build stopped before "
            "any work; fix: install the same versions on every node (and run the driver with them)"
        ),
        err,
    ), err
    assert not (tmp_path / "out").exists()


@pytest.mark.ray_cluster
def test_killing_the_second_node_during_builds(
    cluster: Cluster, corpus: Path, local_release: Path, tmp_path: Path
) -> None:
    """Two builds at once when the second node dies: the one whose driver is on the head gives the same
    bytes (Ray runs the lost tasks again); the one whose driver is on the dead node stops in one line."""
    cluster.ensure_second_node()
    raylet = cluster.raylet("node2")
    slow = {"VNSC_TEST_SLOW_CHUNKS": "0.4"}  # the kill must come while both builds work
    options = ["--raw", str(corpus), "--release-version", "1.0.0"]
    survivor = cluster.drive(*options, "--out", str(tmp_path / "head"), driver_env=slow)
    orphan = cluster.drive(*options, "--out", str(tmp_path / "node2"), driver_node="node2", driver_env=slow)
    deadline = time.monotonic() + 60
    for name, process in (("head", survivor), ("node2", orphan)):  # both have work under way
        while not list((tmp_path / name).glob(".*.partial/.spill/*.arrow")):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)
    os.kill(raylet, signal.SIGKILL)
    err, _ = finish(survivor)
    assert survivor.returncode == 0, err
    assert release_bytes(tmp_path / "head" / "1.0.0") == release_bytes(local_release)
    err, _ = finish(orphan)
    assert orphan.returncode == 1
    assert err.splitlines()[-1] == (
        "vn-security-corpus: error: the Ray node of this driver died (its raylet is gone), so the build stopped; "
        "nothing was published: start the node again (ray start) and build again"
    )
    assert not (tmp_path / "node2").exists()


@pytest.mark.ray_cluster
def test_a_driver_without_the_clusters_token_is_refused_in_one_line(cluster: Cluster, tmp_path: Path) -> None:
    env = cluster.env() | {"RAY_AUTH_TOKEN": "0" * 32}
    command = [sys.executable, "-m", "vn_security_corpus", "build", "--raw", str(REPO / "raw"), "--out", str(tmp_path)]
    command += ["--release-version", "1.0.0", "--engine", "ray", "--ray-address", cluster.address]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"vn-security-corpus: error: the Ray cluster at {cluster.address} refused this driver: AuthenticationError: "
        "RPC error: InvalidAuthToken: Authentication token is missing or incorrect; fix: set RAY_AUTH_MODE=token and "
        "give the cluster's token (RAY_AUTH_TOKEN, or a file: RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)"
    )
    assert not any(tmp_path.iterdir())


def test_an_address_where_nothing_listens_fails_at_once_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    address = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env |= {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_ADDRESS": address}  # the address, as Ray reads it
    command = [sys.executable, "-m", "vn_security_corpus", "build", "--raw", str(REPO / "raw"), "--out", str(tmp_path)]
    started = time.monotonic()
    done = subprocess.run(
        [*command, "--release-version", "1.0.0", "--engine", "ray", "--ray-timeout", "5"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"vn-security-corpus: error: cannot reach the Ray cluster at {address}: Connection refused (within 5 s); "
        "start it (ray start --head) or give its address: --ray-address HOST:6379 or RAY_ADDRESS"
    ]
    assert time.monotonic() - started < 30
    assert not any(tmp_path.iterdir())


def test_ray_addresses_the_engine_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert cluster_address(None) is None  # a local instance
    assert cluster_address("head.example:6379") == "head.example:6379"
    assert cluster_address("auto") == "auto"
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    assert cluster_address(None) == "10.0.0.1:6379"  # RAY_ADDRESS, as Ray documents it
    assert cluster_address("local") is None
    with pytest.raises(ConfigError, match=r"RAY_ADDRESS ray://head:10001: Ray Client addresses \(ray://\) are not"):
        monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
        cluster_address(None)
    with pytest.raises(ConfigError, match="not a Ray cluster address: give HOST:PORT"):
        cluster_address("head")
    with pytest.raises(ConfigError, match="the Ray timeout must be more than 0 seconds"):
        RayEngine(timeout=0)
    with pytest.raises(ConfigError, match="--ray-timeout needs --engine ray"):
        engine_for("local", timeout=5)
    assert DEFAULT_RAY_TIMEOUT == 60


def test_worker_failures_become_the_librarys_errors_naming_the_node(tmp_path: Path) -> None:
    workspace = Workspace(
        tmp_path / "raw", (("a.txt", 1),), tmp_path / "out", tmp_path / "out" / ".1.0.0.x.partial" / ".s"
    )
    missing = FileNotFoundError(2, "No such file or directory", str(workspace.scratch / "000001-train.parquet"))
    failure = WorkerFailure.of(missing)
    error = failure.error(workspace)
    assert isinstance(error, BuildError)
    assert str(error) == (
        f"{failure.node} cannot use the output folder {tmp_path / 'out'}: FileNotFoundError: [Errno 2] No such "
        f"file or directory: '{missing.filename}'; fix: mount it at the same path on every node of the cluster "
        "(shared storage: NFS, Lustre, a FUSE mount)"
    )
    arrow = FileNotFoundError(f"[Errno 2] Failed to open local file '{missing.filename}'. Detail: [errno 2] No such")
    assert WorkerFailure.of(arrow).filename == missing.filename  # (pyarrow names the file in the message only)
    config = WorkerFailure.of(ConfigError("s3://b/raw: Install s3fs to access S3")).error(workspace)
    assert type(config) is BuildError  # a setting the driver accepted, which a node cannot use
    assert str(config) == f"s3://b/raw: Install s3fs to access S3 (in a worker on {failure.node})"


def test_a_node_reports_other_versions_and_folders_it_cannot_see(tmp_path: Path) -> None:
    probe = _make_probe()
    expected = versions()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / ".workers-check").write_text("token", encoding="ascii")
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    assert probe(expected, str(tmp_path), False, [("a.txt", 1)], str(scratch), "token") == {
        "versions": expected,
        "problems": [],
    }
    older = expected | {"pyarrow": "0.0.1"}  # (a version no environment here has, the floor's included)
    report = probe(older, str(tmp_path), False, [("a.txt", 1)], str(scratch), "token")
    [(problem, fix)] = _node_problems(older, report)
    assert problem == (
        f"runs Python {expected['Python']}, pyarrow {expected['pyarrow']}, vn-security-corpus "
        f"{expected['vn-security-corpus']} where the driver runs Python {expected['Python']}, pyarrow 0.0.1, "
        f"vn-security-corpus {expected['vn-security-corpus']}"
    )
    assert fix.startswith("install the same versions on every node")
    assert check_workspace(str(tmp_path), False, [("b.txt", 1)], str(scratch), "other") == [
        f"sees another folder at {scratch} than the driver's (not shared storage)",
        f"cannot see the raw file {tmp_path / 'b.txt'}: No such file or directory (the raw folder {tmp_path})",
    ]
    assert check_workspace(str(tmp_path), False, [("a.txt", 2)], str(scratch), "token") == [
        f"sees another raw file at {tmp_path / 'a.txt'} than the driver (1 bytes where the driver listed 2): not the "
        "same storage"
    ]
    [url] = check_workspace("nosuch://bucket/raw", True, [("b.txt", 1)], str(scratch), "token")
    [(problem, fix)] = _node_problems(expected, {"versions": expected, "problems": [url]})
    assert problem.startswith("cannot read the raw folder nosuch://bucket/raw: ConfigError: nosuch://bucket/raw: ")
    assert fix == "install the storage's fsspec package and its credentials on every node"


def test_the_nodes_check_runs_where_the_library_is_not_installed(tmp_path: Path) -> None:
    cloudpickle = pytest.importorskip("ray.cloudpickle")
    pickled = tmp_path / "probe.pickle"
    pickled.write_bytes(cloudpickle.dumps(_make_probe()))
    script = (
        "import pickle, sys; sys.modules['vn_security_corpus'] = None; "  # an import of the library fails
        f"print(pickle.loads(open({str(pickled)!r}, 'rb').read())({{}}, '/r', False, [], '/s', 't'))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "'vn-security-corpus': 'not installed'" in done.stdout


def test_the_driver_fails_a_build_whose_worker_could_not_read_files_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on a node that does not mount the raw folder: the worker finds no files, the driver does."""
    raw = tmp_path / "raw"
    shutil.copytree(REPO / "raw", raw)

    class Blind(LocalEngine):
        def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
            if function is not pipeline.process_chunk:
                yield from super().map(function, items)
                return
            raw.rename(tmp_path / "away")
            try:
                results = list(super().map(function, items))
            finally:
                (tmp_path / "away").rename(raw)
            yield from results

    monkeypatch.setattr(pipeline, "engine_for", lambda *args, **kwargs: Blind(1))
    with pytest.raises(BuildError, match=r"could not read this file \(cannot be opened: No such file or directory\)"):
        build(raw, tmp_path / "out", "1.0.0", allow_invalid=True, progress=False)
    assert not (tmp_path / "out").exists()
