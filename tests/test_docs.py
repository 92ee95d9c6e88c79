"""The docs say what the code does: README's commands, its field table, CI running README's test command."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from vn_security_corpus import versions
from vn_security_corpus.cli import main
from vn_security_corpus.schema import load_schema

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = re.findall(r"```sh\n(.+?)\n```", README)


def test_readme_starts_with_the_main_job_and_the_test_command() -> None:
    main_job, tests = COMMANDS[:2]
    assert README.index(main_job) < README.index("## ")
    assert main_job.startswith("python3.11 -m venv .venv") and "vn-security-corpus build --raw raw" in main_job
    assert "load_dataset" in main_job
    assert f"--release-version {versions()[-1]}" in main_job  # builds what the package ships
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


def test_readme_describes_every_record_field_and_command(capsys: pytest.CaptureFixture[str]) -> None:
    for field in load_schema("article")["properties"]:
        assert f"`{field}`" in README, field
    with pytest.raises(SystemExit):  # an unknown command: the error names every command there is
        main(["no-such-command"])
    choices = re.search(r"invalid choice: .+ \(choose from (.+)\)", capsys.readouterr().err)
    assert choices, "the command line no longer lists its commands when given an unknown one"
    commands = [command.strip("'\"") for command in choices.group(1).split(", ")]
    assert "build" in commands
    for command in commands:
        assert f"vn-security-corpus {command}" in README, command
