"""Deterministic split assignment from the record id.

The split of an id depends only on the id and the split ratios. A build gives it to
every article without near-duplicates and to every new near-duplicate cluster (by its
canonical member's id); members of a cluster share one split, and articles a previous
release published keep theirs (:mod:`vn_security_corpus.clusters`), so an article keeps
its split when the corpus grows.

>>> assign_split("vnsc-a467a9b015117ddd", DEFAULT_SPLITS)
'train'
>>> parse_splits("train=0.9,test=0.1")
{'train': 0.9, 'test': 0.1}
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping

from .errors import ConfigError

DEFAULT_SPLITS: dict[str, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}
_SPLIT_NAME = re.compile(r"[a-z][a-z0-9_]*")
RESERVED_SPLIT_NAMES = frozenset({"all"})  # `datasets` reads split="all" as every split together


def check_splits(splits: Mapping[str, float]) -> dict[str, float]:
    """The split ratios, checked: lower-case names (not ``all``), positive ratios that sum to 1.

    >>> check_splits({"all": 1.0})
    Traceback (most recent call last):
    vn_security_corpus.errors.ConfigError: split name 'all' is reserved: ...
    """
    if not splits:
        raise ConfigError("no splits given; e.g. train=0.8,validation=0.1,test=0.1")
    for name, ratio in splits.items():
        if not _SPLIT_NAME.fullmatch(name):
            raise ConfigError(f"split name {name!r}: use lower-case letters, digits and _, starting with a letter")
        if name in RESERVED_SPLIT_NAMES:
            raise ConfigError(
                f"split name {name!r} is reserved: `datasets` reads it as every split together; "
                "choose another name, e.g. train"
            )
        if not (isinstance(ratio, int | float) and math.isfinite(ratio) and ratio > 0):
            raise ConfigError(f"split {name!r}: ratio {ratio!r} must be a number above 0")
    if not math.isclose(sum(splits.values()), 1.0, abs_tol=1e-9):
        raise ConfigError(f"split ratios sum to {sum(splits.values()):g}, not 1")
    return dict(splits)


def parse_splits(text: str) -> dict[str, float]:
    """Split ratios from the command line form ``name=ratio,name=ratio``."""
    splits: dict[str, float] = {}
    for part in text.split(","):
        name, sep, ratio = part.partition("=")
        try:
            splits[name.strip()] = float(ratio)
        except ValueError:
            raise ConfigError(f"{part!r} is not name=ratio; write e.g. train=0.8,validation=0.1,test=0.1") from None
        if not sep:
            raise ConfigError(f"{part!r} is not name=ratio; write e.g. train=0.8,validation=0.1,test=0.1")
    return check_splits(splits)


def assign_split(record_id: str, splits: Mapping[str, float]) -> str:
    """The split of ``record_id``: a uniform number from its hash, placed on the cumulative ratios."""
    point = int.from_bytes(hashlib.sha256(f"split:{record_id}".encode()).digest()[:8], "big") / 2**64
    total = 0.0
    for name, ratio in splits.items():
        total += ratio
        if point < total:
            return name
    return list(splits)[-1]  # rounding: the last split takes the remainder
