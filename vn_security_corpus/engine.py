"""Where the work of a build runs: this process, a pool of local processes, or a Ray cluster.

An engine maps a function over work items and yields the results as they finish
(in any order: the build's output does not depend on it). Functions, items and
results are the library's own objects, which ``multiprocessing`` and Ray carry
between processes; no data file is ever unpickled.

>>> with LocalEngine(jobs=1) as engine:
...     sorted(engine.map(abs, [-2, 1]))
[1, 2]
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from .errors import BuildError, ConfigError

Item = TypeVar("Item")
Result = TypeVar("Result")
ENGINES = ("local", "ray")
_PR_SET_PDEATHSIG = 1
# What a script that builds with worker processes must look like: the lines to write, verbatim.
_WORKER_DIED = """a worker process of the build died: it was killed (out of memory?), or it could not start \
because the script that called build() has no main guard (with jobs > 1, every core by default, each worker \
process imports that script again). Put your call to build() under the guard, for example:

    if __name__ == "__main__":
        report = vnsc.build("raw", "build/releases", "1.0.1")

or build in this process, with no worker processes:

    report = vnsc.build("raw", "build/releases", "1.0.1", jobs=1)"""


class Engine(Protocol):
    """Maps a function over items, yielding results as they finish."""

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...


def default_jobs() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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


class RayEngine:
    """Ray Data batch maps on a Ray cluster (``address``), or on a local Ray instance with
    ``jobs`` CPUs when ``address`` is None. Needs the ``ray`` extra.

    Workers read the raw files and write the release's shards themselves: on a cluster both
    folders must be on storage every node mounts at the same path.
    """

    def __init__(self, jobs: int | None = None, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "the ray engine needs Ray: pip install 'vn-security-corpus[ray]' (or use --engine local)"
            ) from None
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "warning"}
            if address is None:
                options["num_cpus"] = default_jobs() if jobs is None else jobs
            ray.init(address=address, **options)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self._ray.shutdown()

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        """Results of ``function`` on each item through ``ray.data.Dataset.map_batches`` (one item
        per batch), streamed back as they finish."""
        if not items:
            return

        def run(batch: Any) -> Any:  # Ray's batch types: here a dict of one column of our objects
            return {"result": [function(item) for item in batch["item"]]}

        rows = [{"item": item} for item in items]  # Ray keeps the library's objects as Python objects
        dataset = self._ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(run, batch_size=1)
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            yield from batch["result"]


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


def engine_for(name: str, jobs: int | None = None, address: str | None = None) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``)."""
    if name == "local":
        if address is not None:
            raise ConfigError("--ray-address needs --engine ray")
        return LocalEngine(jobs)
    if name == "ray":
        return RayEngine(jobs, address)
    raise ConfigError(f"unknown engine {name!r}; choose {' or '.join(ENGINES)}")
