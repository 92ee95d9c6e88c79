"""CPU time by stage, from the library's own clock: what a build reports it spent where.

A :class:`StageClock` is read once at each boundary between stages (:meth:`StageClock.lap`):
the CPU time since the last reading goes to the stage that just ended. A clock costs one
reading of the process's CPU time per boundary, so it stays on in every build.

>>> clock = StageClock()
>>> _ = sum(range(10_000)); clock.lap("read")
>>> _ = sorted(range(10_000)); clock.lap("normalise")
>>> list(clock.seconds), all(seconds >= 0 for seconds in clock.seconds.values())
(['read', 'normalise'], True)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

# The stages of a build, in the order they come (a build reports them in this order).
STAGES = ("read", "validate", "normalise", "check", "sign", "spill", "cluster", "write")


class StageClock:
    """CPU seconds spent in each stage (``seconds``), read off the process's CPU clock."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.process_time()

    def lap(self, stage: str) -> None:
        """The CPU time since the last lap (or since the clock started) goes to ``stage``."""
        now = time.process_time()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now

    def restart(self) -> None:
        """Forget the time since the last lap: what comes now belongs to no stage."""
        self._last = time.process_time()


def total_seconds(parts: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """The seconds of several clocks (one per chunk, shard, worker) summed by stage, in :data:`STAGES` order.

    >>> total_seconds([{"write": 1.0, "read": 2.0}, {"read": 0.5}])
    {'read': 2.5, 'write': 1.0}
    """
    total: dict[str, float] = {}
    for seconds in parts:
        for stage, value in seconds.items():
            total[stage] = total.get(stage, 0.0) + value
    return {stage: total[stage] for stage in sorted(total, key=_order)}


def _order(stage: str) -> tuple[int, str]:
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), stage)
