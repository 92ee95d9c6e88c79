"""The local engine's errors say what to do, checked without starting any process."""

from __future__ import annotations

import concurrent.futures
import textwrap
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest

from vn_security_corpus.engine import LocalEngine
from vn_security_corpus.errors import BuildError


class _BrokenPool:
    """Stands for a process pool whose workers died (or never started): every task fails so."""

    def submit(self, function: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future

    def shutdown(self, cancel_futures: bool = False) -> None:
        pass


def test_a_dead_worker_says_how_to_write_the_main_guard() -> None:
    with LocalEngine(jobs=2) as engine:
        engine._pool = _BrokenPool()  # type: ignore[assignment]
        with pytest.raises(BuildError) as raised:
            list(engine.map(abs, [-1, -2, -3]))
    message = str(raised.value)
    assert message.startswith("a worker process of the build died")
    guard = 'if __name__ == "__main__":\n        report = vnsc.build('
    assert guard in message and "jobs=1)" in message
    # the lines shown are Python that runs as written, once dedented
    snippet = textwrap.dedent(message[message.index("    if __name__") : message.index("\n\nor ")])
    calls: list[tuple[object, ...]] = []
    namespace = {"__name__": "__main__", "vnsc": type("vnsc", (), {"build": staticmethod(lambda *a: calls.append(a))})}
    exec(compile(snippet, "message", "exec"), namespace)
    assert calls == [("raw", "build/releases", "1.0.1")]
