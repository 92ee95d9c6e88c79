"""The docs say what the code does: README's commands, its field table, CI running README's test command."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from vn_security_corpus import versions
from vn_security_corpus.cli import _parser
from vn_security_corpus.schema import load_schema

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = re.findall(r"```sh\n(.+?)\n```", README)


def test_readme_starts_with_the_main_job_and_the_test_command() -> None:
    main_job, tests = COMMANDS[:2]
    assert README.index(main_job) < README.index("## ")
    assert main_job.startswith("python3.11 -m venv .venv") and "vn-security-corpus build --raw raw" in main_job
    assert "load_dataset" in main_job
    assert f"--version {versions()[-1]}" in main_job  # builds what the package ships
    assert tests.startswith("python3.11 -m venv .venv") and tests.endswith("pytest")


def test_ci_runs_every_step_of_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    for step in COMMANDS[1].split(" && ")[1:]:
        assert step in ci, step


def test_readme_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "raw", tmp_path / "raw")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.+?)```", README, re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "__main__"})  # as a script runs it


def test_readme_describes_every_record_field_and_command() -> None:
    for field in load_schema("article")["properties"]:
        assert f"`{field}`" in README, field
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert isinstance(commands, dict) and commands
    for command in commands:
        assert f"vn-security-corpus {command}" in README, command
