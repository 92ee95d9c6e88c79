"""Where the work of a build runs: this process, a pool of local processes, or a Ray cluster.

An engine maps a function over work items and yields the results as they finish
(in any order: the build's output does not depend on it). Functions, items and
results are the library's own objects, which ``multiprocessing`` and Ray carry
between processes; no data file is ever unpickled.

>>> with LocalEngine(jobs=1) as engine:
...     sorted(engine.map(abs, [-2, 1]))
[1, 2]

On Ray, every failure reaches the caller as one of the library's errors, in one line
naming the node: a worker's exception (:class:`WorkerFailure`), a node that runs other
versions or cannot see the build's folders (checked on every node before any work,
:func:`check_workspace`), a cluster that cannot be reached or makes no progress for
``timeout`` seconds, a lost node of the driver.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import itertools
import logging
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import BuildError, ConfigError, CorpusError
from .sources import RemoteFolder

Item = TypeVar("Item")
Result = TypeVar("Result")
ENGINES = ("local", "ray")
# Seconds a Ray cluster may take to answer, and to make progress (a result, or a CPU at work).
DEFAULT_RAY_TIMEOUT = 60.0
_PR_SET_PDEATHSIG = 1
# What a script that builds with worker processes must look like: the lines to write, verbatim.
_WORKER_DIED = """a worker process of the build died: it was killed (out of memory?), or it could not start \
because the script that called build() has no main guard (with jobs > 1, every core by default, each worker \
process imports that script again). Put your call to build() under the guard, for example:

    if __name__ == "__main__":
        report = vnsc.build("raw", "build/releases", "1.0.1")

or build in this process, with no worker processes:

    report = vnsc.build("raw", "build/releases", "1.0.1", jobs=1)"""
_POLL = 1.0  # seconds between looks at a Ray cluster's CPUs while no result comes
_CHECK_FILE = ".workers-check"  # written by the driver into the scratch folder, read by every node
_MOUNT_FIX = "mount it at the same path on every node of the cluster (shared storage: NFS, Lustre, a FUSE mount)"
_INSTALL_FIX = "install the same versions on every node (and run the driver with them)"
_URL_FIX = "; fix: install the storage's fsspec package and its credentials on every node"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Engine(Protocol):
    """Maps a function over items, yielding results as they finish."""

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True)
class Workspace:
    """The folders a build's workers use, which every node must see as the driver does: the raw
    folder (``raw_files``: a few of the files the driver listed in it, with their sizes) and the
    output folder ``out``, in which ``scratch`` is a folder of the build's own where workers write."""

    raw: Path | RemoteFolder
    raw_files: tuple[tuple[str, int], ...]
    out: Path
    scratch: Path


@dataclass(frozen=True)
class WorkerFailure:
    """An exception raised by the library's code in a Ray worker, carried back as a result (so
    that it reaches the user as the library's own error naming the node, not as Ray's wrapping).

    >>> failure = WorkerFailure.of(FileNotFoundError(2, "No such file or directory", "/out/x"))
    >>> failure.filename, str(failure.error(None)).split(" failed: ")[1]
    ('/out/x', "FileNotFoundError: [Errno 2] No such file or directory: '/out/x'")
    """

    node: str
    kind: str  # the exception's class name
    message: str  # (an OSError's names its file)
    filename: str | None  # an OSError's file (pyarrow's name it in their message only)
    corpus_error: str  # the class name when it is one of the library's errors, else ""

    @classmethod
    def of(cls, error: BaseException) -> WorkerFailure:
        """The failure ``error`` of a worker of this node."""
        filename = None
        if isinstance(error, OSError):
            filename = error.filename
            if filename is None:  # pyarrow: "Failed to open local file '/out/x'. Detail: [errno 2] …"
                quoted = re.search(r"'(/[^']*)'", str(error))
                filename = quoted.group(1) if quoted else None
        corpus_error = type(error).__name__ if isinstance(error, CorpusError) else ""
        return cls(current_node(), type(error).__name__, str(error), str(filename) if filename else None, corpus_error)

    def error(self, workspace: Workspace | None) -> CorpusError:
        """The library's error for the user: the worker's own, or a BuildError naming the node and the fix."""
        if self.corpus_error:  # (a setting the driver accepted that a node cannot use: the node's fault)
            return BuildError(f"{self.message} (in a worker on {self.node})")
        if self.filename and workspace is not None:
            for folder, name in ((workspace.out, "output"), (workspace.raw, "raw")):
                if isinstance(folder, Path) and _inside(self.filename, folder):
                    return BuildError(
                        f"{self.node} cannot use the {name} folder {folder}: {self.kind}: {self.message}; "
                        f"fix: {_MOUNT_FIX}"
                    )
        return BuildError(f"a worker on {self.node} failed: {self.kind}: {self.message}")


def default_jobs() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def current_node() -> str:
    """How messages name the machine this code runs on: in a Ray worker its Ray node, else the host.

    >>> current_node() == f"this machine ({socket.gethostname()})" or current_node().startswith("node ")
    True
    """
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        with contextlib.suppress(Exception):
            return _node_name(
                ray.util.get_node_ip_address(), socket.gethostname(), ray.get_runtime_context().get_node_id()
            )
    return f"this machine ({socket.gethostname()})"


def _node_name(ip: str, host: str, node_id: str) -> str:
    return f"node {ip} ({host}, Ray node {node_id[:8]})"


def _described(node: Mapping[str, Any]) -> str:
    """A node of ``ray.nodes()`` as messages name it."""
    return _node_name(node.get("NodeManagerAddress", "?"), node.get("NodeManagerHostname", "?"), node["NodeID"])


class LocalEngine:
    """``jobs`` worker processes on this machine; with one job, or one item, everything runs
    in this process. Workers die with the build, even when it is killed (on Linux)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = default_jobs() if jobs is None else jobs
        if self.jobs < 1:
            raise ConfigError(f"jobs must be at least 1, not {self.jobs}")
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if exc and exc[0] is not None:  # failed or interrupted (Ctrl-C): the work is abandoned, stop it now
                for process in list(self._pool._processes.values()):
                    process.terminate()
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        """Results of ``function`` on each item, as they finish; at most ``2 * jobs`` run or wait
        at once, so results never pile up in memory."""
        if self.jobs == 1 or len(items) <= 1:
            yield from map(function, items)
            return
        if self._pool is None:
            import multiprocessing  # (only where a pool is started: importing the library stays light)

            # spawn, not fork: the parent holds Arrow's threads; and the workers are its own children
            context = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
            )
        pending: set[concurrent.futures.Future[Result]] = set()
        try:
            for item in items:
                with _interrupts_held():  # (submitting may start a worker)
                    pending.add(self._pool.submit(function, item))
                if len(pending) >= 2 * self.jobs:
                    done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            for future in concurrent.futures.as_completed(pending):
                yield future.result()
        except concurrent.futures.process.BrokenProcessPool:
            raise BuildError(_WORKER_DIED) from None


def cluster_address(address: str | None) -> str | None:
    """The Ray cluster a build uses: ``address``, else ``RAY_ADDRESS`` (as Ray reads it), else None
    for a new local Ray instance. ``auto`` is the cluster started last on this machine (``ray start``).
    Ray Client addresses (``ray://``) are refused: the driver must run on a machine of the cluster.

    >>> cluster_address("head:6379"), cluster_address(None) == (os.environ.get("RAY_ADDRESS") or None)
    ('head:6379', True)
    """
    given = address if address is not None else os.environ.get("RAY_ADDRESS") or None
    if given is None or given == "local":
        return None
    source = "--ray-address" if address is not None else "RAY_ADDRESS"
    if "://" in given:
        raise ConfigError(
            f"{source} {given}: Ray Client addresses (ray://) are not supported: the build's driver writes the "
            "release itself, so run it on a machine of the cluster that mounts the output folder (the head node, "
            "or through `ray job submit`), with the cluster's GCS address, HOST:6379 (or auto on the head)"
        )
    if given != "auto" and not re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+):[0-9]{1,5}", given):
        raise ConfigError(
            f"{source} {given!r} is not a Ray cluster address: give HOST:PORT (the head's GCS, e.g. head:6379)"
        )
    return given


class RayEngine:
    """Ray tasks on the Ray cluster at ``address`` (default ``RAY_ADDRESS``), or on a new local Ray
    instance with ``jobs`` CPUs that listens on this machine's loopback only. On a cluster, ``jobs``
    caps how many tasks run at once (default: two per CPU of the cluster wait or run). Needs the
    ``ray`` extra.

    Workers read the raw files and write the release's shards themselves: on a cluster both
    folders must be on storage every node mounts at the same path. Given the ``workspace``, every
    node with CPUs checks, before any work, that it runs the driver's versions of Python, pyarrow
    and this library, and sees those folders. ``timeout``: seconds the cluster may take to answer,
    and to go without progress (no result, and no CPU at work) before the build stops. Ray retries
    the tasks of a node that dies (three times each); a failed build cancels its tasks.

    Plain tasks, not Ray Data: each item is one Python object, so Ray Data's blocks would only
    add its actors (which outlive a build on a cluster) and its start-up time.
    """

    def __init__(
        self,
        jobs: int | None = None,
        address: str | None = None,
        *,
        timeout: float = DEFAULT_RAY_TIMEOUT,
        workspace: Workspace | None = None,
    ) -> None:
        if not timeout > 0:
            raise ConfigError(f"the Ray timeout must be more than 0 seconds, not {timeout}")
        if jobs is not None and jobs < 1:
            raise ConfigError(f"jobs must be at least 1, not {jobs}")
        self.address = cluster_address(address)
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "the ray engine needs Ray: pip install 'vn-security-corpus[ray]' (or use --engine local)"
            ) from None
        self._ray: Any = ray
        self.timeout = timeout
        self._workspace = workspace
        self._jobs = jobs
        self._started = not ray.is_initialized()
        if self._started:
            if self.address is None:
                _start_local_ray(ray, default_jobs() if jobs is None else jobs)
            else:
                _connect(ray, self.address, timeout)
        self._pending: list[Any] = []  # the tasks of a map under way, cancelled if the build stops
        self._head_lost = False
        try:
            if workspace is not None:
                self._check_nodes(workspace)
        except BaseException as error:
            self.__exit__()
            if isinstance(error, Exception) and not isinstance(error, CorpusError):
                raise _ray_error(error) from None
            raise

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._head_lost:
            return  # (cancelling or disconnecting would wait for the head, in vain)
        self._cancel()
        if self._started and self._ray.is_initialized():
            with contextlib.suppress(Exception):  # (an error of the build, if any, is the one to report)
                self._ray.shutdown()

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        """Results of ``function`` on each item, one Ray task per item, as they finish; at most
        ``jobs`` (default: twice the cluster's CPUs) tasks run or wait at once. A worker's exception
        stops the map as the library's error naming the node; so does a cluster that makes no
        progress for ``timeout`` seconds."""
        if not items:
            return
        ray = self._ray
        task = ray.remote(_in_worker(function)).options(num_cpus=1, scheduling_strategy="SPREAD")
        window = self._jobs or 2 * max(int(ray.cluster_resources().get("CPU", 1)), 1)
        waiting = iter(items)
        pending = self._pending
        pending += [task.remote(item) for item in itertools.islice(waiting, window)]
        since = time.monotonic()
        try:
            while pending:
                ready, _ = ray.wait(pending, num_returns=1, timeout=_POLL)
                if not ready:
                    since = self._watch(since)
                    continue
                pending.remove(ready[0])
                pending += [task.remote(item) for item in itertools.islice(waiting, 1)]
                result = ray.get(ready[0])
                if isinstance(result, WorkerFailure):
                    raise result.error(self._workspace)
                yield result
                since = time.monotonic()
        except CorpusError:
            raise
        except Exception as error:  # Ray's own: a lost node, a crashed worker, …
            raise _ray_error(error) from None
        finally:
            self._cancel()

    def _cancel(self) -> None:
        """Stop the tasks still pending or running (a failed build's workers must not go on writing)."""
        while self._pending:
            with contextlib.suppress(Exception):
                self._ray.cancel(self._pending.pop(), force=True)

    def _watch(self, since: float) -> float:
        """While no result comes: when some CPU of the cluster is at work, progress is being made
        (the new ``since``); when none has been for ``timeout`` seconds, raise a BuildError."""
        now = time.monotonic()
        gcs = self._ray.get_runtime_context().gcs_address
        if not _answers(gcs, min(self.timeout, 5)):  # (Ray's own calls would wait for the head for minutes)
            if now - since < self.timeout:
                return since
            self._head_lost = True
            raise BuildError(
                f"the Ray cluster's head (its GCS at {gcs}) has not answered for {now - since:.0f} s: the build "
                "stopped and nothing was published; fix: start the head again (ray start --head) and build again"
            )
        try:
            total = self._ray.cluster_resources().get("CPU", 0)
            free = self._ray.available_resources().get("CPU", 0)
        except Exception:  # the cluster does not answer: no progress either
            total = free = 0
        if total - free > 0:
            return now
        if now - since < self.timeout:
            return since
        what = (
            "the cluster has no CPU left (its nodes with CPUs died or left)"
            if not total
            else f"none of the cluster's {total:g} CPUs is at work"
        )
        raise BuildError(
            f"the Ray build made no progress for {now - since:.0f} s: {what}; nothing was published; fix: check "
            "the cluster (ray status) and build again; raise --ray-timeout for a cluster that adds nodes on demand"
        )

    def _check_nodes(self, workspace: Workspace) -> None:
        """Before any work: every alive node with CPUs runs the driver's versions and sees the workspace."""
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        expected = versions()
        token = secrets.token_hex(8)
        marker = workspace.scratch / _CHECK_FILE
        marker.write_text(token, encoding="ascii")
        try:
            nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
            if not nodes:
                return  # (no node can work yet: the map waits for one, or stops after the timeout)
            probe = ray.remote(_make_probe())
            raw = workspace.raw.url if isinstance(workspace.raw, RemoteFolder) else str(workspace.raw)
            pending = {
                probe.options(
                    num_cpus=0,
                    max_retries=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
                ).remote(
                    expected,
                    raw,
                    isinstance(workspace.raw, RemoteFolder),
                    list(workspace.raw_files),
                    str(workspace.scratch),
                    token,
                ): node
                for node in nodes
            }
            ready, late = ray.wait(list(pending), num_returns=len(pending), timeout=self.timeout)
            if late:
                raise BuildError(
                    f"{_described(pending[late[0]])} did not answer the build's check within {self.timeout:g} s "
                    "(overloaded, or cut off?): the build stopped before any work; fix: check the cluster "
                    "(ray status), or raise --ray-timeout"
                )
            problems = []
            for ref in ready:
                name = _described(pending[ref])
                try:
                    report = ray.get(ref)
                except Exception as error:  # the node could not even run the check
                    problems.append((f"{name} cannot run the build's check: {_ray_summary(error)}", _INSTALL_FIX))
                    continue
                problems += [(f"{name} {problem}", fix) for problem, fix in _node_problems(expected, report)]
        finally:
            marker.unlink(missing_ok=True)
        if problems:
            (problem, fix), more = problems[0], len(problems) - 1
            also = f" (and {more} more problem{'s' * (more > 1)} on this or other nodes)" if more else ""
            raise BuildError(f"{problem}{also}: the build stopped before any work; fix: {fix}")


def versions() -> dict[str, str]:
    """The versions a build's workers must share with its driver: they decide the release's bytes.

    >>> sorted(versions())
    ['Python', 'pyarrow', 'vn-security-corpus']
    """
    import platform

    import pyarrow

    from ._version import __version__

    return {"Python": platform.python_version(), "pyarrow": pyarrow.__version__, "vn-security-corpus": __version__}


def _node_problems(expected: Mapping[str, str], report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a node, from its check's ``report`` (see :func:`_make_probe`), and the fix.

    >>> _node_problems({"Python": "3.11.9"}, {"versions": {"Python": "3.11.2"}, "problems": []})[0][0]
    'runs Python 3.11.2 where the driver runs Python 3.11.9'
    """
    found = report.get("versions", {})
    if any(found.get(name) != version for name, version in expected.items()):
        theirs = ", ".join(f"{name} {found.get(name, '?')}" for name in expected)
        mine = ", ".join(f"{name} {version}" for name, version in expected.items())
        return [(f"runs {theirs} where the driver runs {mine}", _INSTALL_FIX)]
    problems = [problem.split("; fix: ", 1) for problem in report.get("problems", [])]  # (some bring their fix)
    return [(parts[0], parts[1] if len(parts) > 1 else _MOUNT_FIX) for parts in problems]


def _make_probe() -> Callable[..., dict[str, Any]]:
    """The check a node runs before any work. Built here as a function of its own, which Ray sends
    by value: it runs, and reports, on a node that lacks this library or runs another version."""

    def probe(
        expected: dict[str, str], raw: str, raw_is_url: bool, raw_files: list[Any], scratch: str, token: str
    ) -> dict[str, Any]:
        import platform

        found = {"Python": platform.python_version(), "pyarrow": "not installed", "vn-security-corpus": "not installed"}
        try:
            import pyarrow

            found["pyarrow"] = pyarrow.__version__
        except ImportError:
            pass
        try:
            from vn_security_corpus._version import __version__

            found["vn-security-corpus"] = __version__
        except ImportError:
            pass
        if found != expected:
            return {"versions": found, "problems": []}
        from vn_security_corpus.engine import check_workspace

        return {"versions": found, "problems": check_workspace(raw, raw_is_url, raw_files, scratch, token)}

    return probe


def check_workspace(
    raw: str, raw_is_url: bool, raw_files: Sequence[Sequence[Any]], scratch: str, token: str
) -> list[str]:
    """What this machine cannot do of what a build's worker does: see the raw files named, with the
    size the driver listed (``raw_files``: name and size pairs, of the local folder or URL ``raw``),
    read the driver's check file holding ``token`` in the ``scratch`` folder (the same storage as
    the driver's, not a folder of the same name), write there.

    >>> import tempfile; folder = Path(tempfile.mkdtemp()); _ = (folder / _CHECK_FILE).write_text("t")
    >>> check_workspace(str(folder), False, [("a.txt", 9)], str(folder), "t")
    ['cannot see the raw file .../a.txt: No such file or directory (the raw folder ...)']
    """
    problems = []
    try:
        seen = (Path(scratch) / _CHECK_FILE).read_text(encoding="ascii")
    except OSError as error:
        problems.append(f"cannot see the output folder's staging folder {scratch}: {error.strerror or error}")
    else:
        if seen != token:
            problems.append(f"sees another folder at {scratch} than the driver's (not shared storage)")
        probe = Path(scratch) / f".probe-{secrets.token_hex(8)}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            problems.append(f"cannot write the output folder's staging folder {scratch}: {error.strerror or error}")
    for name, listed in raw_files:
        if raw_is_url:
            folder = RemoteFolder(raw)
            where = folder.display(name)
            try:
                filesystem, _ = folder.filesystem()
                size = int(filesystem.info(folder.path(name)).get("size") or 0)
            except FileNotFoundError:
                problems.append(f"cannot see the raw file {where}")
                break
            except Exception as error:  # a missing fsspec package, credentials, the network: the storage's own
                problems.append(f"cannot read the raw folder {raw}: {type(error).__name__}: {error}{_URL_FIX}")
                break
        else:
            path = Path(raw) / name
            where = str(path)
            try:
                size = path.lstat().st_size  # (as the driver listed it: a link's own size)
                os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
            except OSError as error:
                problems.append(f"cannot see the raw file {path}: {error.strerror or error} (the raw folder {raw})")
                break
        if listed and size != listed:
            problems.append(
                f"sees another raw file at {where} than the driver ({size:,} bytes where the driver listed "
                f"{listed:,}): not the same storage"
            )
            break
    return problems


def _in_worker(function: Callable[[Item], Result]) -> Callable[[Item], Result | WorkerFailure]:
    """``function`` as a Ray task whose exceptions come back as :class:`WorkerFailure` results."""

    def run(item: Item) -> Result | WorkerFailure:
        try:
            return function(item)
        except Exception as error:
            return WorkerFailure.of(error)

    return run


def _ray_error(error: BaseException) -> CorpusError:
    """One of Ray's exceptions as the library's error, in one line."""
    if isinstance(error, CorpusError):
        return error
    kind = type(error).__name__
    if "LocalRayletDied" in kind:
        return BuildError(
            "the Ray node of this driver died (its raylet is gone), so the build stopped; nothing was published: "
            "start the node again (ray start) and build again"
        )
    if "NodeDied" in kind or "ObjectLost" in kind or "OwnerDied" in kind:
        return BuildError(f"the Ray cluster lost work the build needs: {_ray_summary(error)}; nothing was published")
    if "OutOfMemory" in kind or "WorkerCrashed" in kind:
        return BuildError(
            f"a Ray worker of the build died: {_ray_summary(error)}; nothing was published "
            "(out of memory? lower --shard-rows, or give the nodes more memory)"
        )
    return BuildError(f"the Ray cluster failed the build: {_ray_summary(error)}; nothing was published")


def _ray_summary(error: BaseException) -> str:
    """``error`` as one line: its innermost cause's class and first line of message, without Ray's colours."""
    cause: BaseException = error
    while getattr(cause, "cause", None) is not None or cause.__cause__ is not None:
        inner = getattr(cause, "cause", None) or cause.__cause__
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    lines = [line.strip() for line in _ANSI.sub("", str(cause)).splitlines() if line.strip()]
    first = next((line for line in lines if not line.startswith(("ray::", "File ", "Traceback"))), "")
    name = type(cause).__name__
    return f"{name}: {first}" if first else name


def _as_ray_connects(ray: Any, address: str) -> str:
    """``address`` as Ray will connect to it: Ray turns ``localhost`` into this machine's routable address."""
    with contextlib.suppress(Exception):
        from ray._private.services import canonicalize_bootstrap_address

        return str(canonicalize_bootstrap_address(address) or address)
    return address


def _inside(filename: str, folder: Path) -> bool:
    return Path(filename) == folder or Path(filename).is_relative_to(folder)


@contextlib.contextmanager
def _loopback_only(ray: Any) -> Iterator[None]:
    """While a local Ray instance starts: its processes listen on 127.0.0.1 only. (Ray turns 127.0.0.1
    into the machine's routable address unless it is told, as on Windows and macOS, that the
    instance is a single machine: ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, read when Ray is imported.)"""
    variable = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
    constants: Any = sys.modules.get("ray._private.ray_constants")
    saved = os.environ.get(variable), getattr(constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[variable] = "0"  # (inherited by the instance's processes)
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if saved[0] is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = saved[0]
        if constants is not None:
            constants.ENABLE_RAY_CLUSTER = saved[1]


def _start_local_ray(ray: Any, cpus: int) -> None:
    with _loopback_only(ray):
        ray.init(
            address="local",
            num_cpus=cpus,
            include_dashboard=False,
            log_to_driver=False,
            logging_level="warning",
        )


def _check_token(address: str) -> None:
    """Raise Ray's AuthenticationError at once when the cluster at ``address`` refuses this driver's
    token (``ray.init`` would retry for minutes)."""
    from ray import _raylet

    gcs_client = getattr(_raylet, "GcsClient", None)  # (no public API asks the GCS once)
    if gcs_client is None:
        return
    try:
        gcs_client(address=address)
    except Exception as error:
        if "Authentication" in type(error).__name__:
            raise


def _answers(address: str, timeout: float) -> bool:
    """Whether something accepts connections at ``address`` (HOST:PORT) within ``timeout`` seconds."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def _connect(ray: Any, address: str, timeout: float) -> None:
    """Connect to the cluster at ``address`` within ``timeout`` seconds, or raise the library's error."""
    if address != "auto":
        host, _, port = _as_ray_connects(ray, address).rpartition(":")
        try:  # a quick answer for an address where nothing listens (Ray itself retries for minutes)
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                pass
        except OSError as error:
            reason = "timed out" if isinstance(error, TimeoutError) else (error.strerror or str(error))
            raise BuildError(
                f"cannot reach the Ray cluster at {address}: {reason} (within {timeout:g} s); start it "
                "(ray start --head) or give its address: --ray-address HOST:6379 or RAY_ADDRESS"
            ) from None
    outcome: dict[str, BaseException | bool] = {}
    abandoned = threading.Event()

    def init() -> None:
        try:
            if address != "auto":
                _check_token(_as_ray_connects(ray, address))
            with _quiet_ray_thread_warning():
                ray.init(address=address, log_to_driver=False, logging_level="warning")
            outcome["ok"] = True
            if abandoned.is_set():  # too late: the build has given up on this cluster
                ray.shutdown()
        except BaseException as error:  # Ray raises SystemExit, ConnectionError, ValueError, …
            outcome["error"] = error

    thread = threading.Thread(target=init, daemon=True, name="ray-connect")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        abandoned.set()
        raise BuildError(
            f"the Ray cluster at {address} did not answer within {timeout:g} s: is it a Ray head's GCS address "
            "(HOST:6379)? Check it, or raise --ray-timeout"
        )
    failure = outcome.get("error")
    if isinstance(failure, BaseException):
        text = _ray_summary(failure)
        if "Authentication" in type(failure).__name__:
            reason = text.split(". ")[0]  # (Ray's advice follows; ours is below)
            raise BuildError(
                f"the Ray cluster at {address} refused this driver: {reason}; fix: set RAY_AUTH_MODE=token and give "
                "the cluster's token (RAY_AUTH_TOKEN, or a file: RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)"
            ) from None
        raise BuildError(f"cannot connect to the Ray cluster at {address}: {text[:300]}") from None


class _DropThreadWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "not the main thread" not in record.getMessage()


@contextlib.contextmanager
def _quiet_ray_thread_warning() -> Iterator[None]:
    """Ray warns that a driver connected from a thread gets no SIGTERM handler: true, and harmless here."""
    logger, drop = logging.getLogger("ray._private.worker"), _DropThreadWarning()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold SIGINT back from this thread for a moment: a Ctrl-C then comes after it, and a
    worker started meanwhile starts with SIGINT blocked (the mask is inherited), so it never
    prints a KeyboardInterrupt of its own while it starts."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _die_with_parent(parent: int) -> None:
    """In a worker: ignore Ctrl-C (the terminal sends it to every process of the build, and
    the build is the parent's to stop), and ask Linux to kill this process when its parent
    dies (a killed build leaves no workers behind, still writing into its staging folder)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def engine_for(
    name: str,
    jobs: int | None = None,
    address: str | None = None,
    *,
    timeout: float | None = None,
    workspace: Workspace | None = None,
) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``); ``timeout`` and ``workspace`` are the Ray engine's."""
    if name == "local":
        if address is not None:
            raise ConfigError("--ray-address needs --engine ray")
        if timeout is not None:
            raise ConfigError("--ray-timeout needs --engine ray")
        return LocalEngine(jobs)
    if name == "ray":
        return RayEngine(
            jobs, address, timeout=DEFAULT_RAY_TIMEOUT if timeout is None else timeout, workspace=workspace
        )
    raise ConfigError(f"unknown engine {name!r}; choose {' or '.join(ENGINES)}")
