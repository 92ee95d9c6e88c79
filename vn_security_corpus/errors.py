"""The library's errors: one small hierarchy, each message naming file, line and fix.

>>> p = Problem("raw/a.txt", 1, "the header date '2020-13' is not a date", "/date",
...             "write it as YYYY-MM or YYYY-MM-DD, e.g. 2020-06")
>>> str(p)
"raw/a.txt:1: the header date '2020-13' is not a date (at /date); fix: write it as YYYY-MM or YYYY-MM-DD, e.g. 2020-06"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is, what it is, and how to fix it."""

    file: str
    line: int | None
    message: str
    pointer: str = ""
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.message}"
        if self.pointer:
            text += f" (at {self.pointer})"
        if self.fix:
            text += f"; fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict (for ``--json`` reports and manifests)."""
        return asdict(self)


class CorpusError(Exception):
    """Root of every error this library raises on purpose."""


class InvalidInputError(CorpusError):
    """One or more inputs are invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ReleaseError(CorpusError):
    """A release is missing, incomplete, tampered with, or would be overwritten."""


class BuildError(CorpusError):
    """A build could not run to its end for a reason outside its input (a worker process died)."""


class ConfigError(CorpusError):
    """A setting passed to the library is not usable (bad version, split ratios, …)."""


class RewriteWarning(UserWarning):
    """A published version is being rewritten (``force=True``): history changes under its users."""


class VersionRuleWarning(UserWarning):
    """A release was published with a version number smaller than its changes need
    (``allow_version_rule_break=True``): users who trust semantic versioning will be misled."""
