"""Shared fixtures: the raw folder, copies of it to mutate, and a release built from it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No test may reach the network, and none may write into the user's Hugging Face cache.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="vnsc-hf-home-"))

# Property tests: randomized on a developer's machine ("dev", failures kept in .hypothesis/ and
# replayed first), the same examples on every CI run ("ci": derandomized, no example database,
# a failure printed with the blob that reproduces it). HYPOTHESIS_PROFILE chooses; otherwise CI=true
# (set by the CI service and by .ci/run) chooses "ci". Registered here, before any test module is
# imported, so the `@settings(max_examples=…)` decorators inherit everything they do not set.
settings.register_profile("dev", settings.get_profile("default"), deadline=None)
settings.register_profile(
    "ci", derandomize=True, database=None, print_blob=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
_IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _IN_CI else "dev"))

REPO = Path(__file__).resolve().parent.parent
RAW_DIR = REPO / "raw"
RAW_FILES = sorted(RAW_DIR.glob("*.txt"))


@pytest.fixture
def raw_copy(tmp_path: Path) -> Callable[..., Path]:
    """A function that copies raw/ (or some of its files) into a fresh folder and returns it."""

    def copy(names: list[str] | None = None) -> Path:
        folder = tmp_path / f"raw-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for path in RAW_FILES:
            if names is None or path.name in names:
                shutil.copyfile(path, folder / path.name)
        return folder

    return copy


def write_corpus(folder: Path, count: int, tag: str = "kỳ") -> Path:
    """``count`` distinct short raw text files in ``folder``, derived from raw/: the title of article
    ``i % 5`` with ``(tag i)`` appended, its first paragraphs and its last line."""
    folder.mkdir(parents=True, exist_ok=True)
    articles = [[line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()] for path in RAW_FILES]
    for number in range(count):
        lines = articles[number % len(articles)]
        text = "\n\n".join([f"{lines[0]} ({tag} {number})", *lines[1:4], lines[-1]]) + "\n"
        (folder / f"{number:05d}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def release_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding release 1.0.0 built from raw/ (read-only for tests)."""
    from vn_security_corpus import build

    root = tmp_path_factory.mktemp("releases")
    build(RAW_DIR, root, "1.0.0")
    return root
