"""The command line explains itself: what it does, examples, exit codes, every option with its default,
the same in README, and asking for help imports none of the heavy libraries."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from vn_security_corpus.cli import main

from .conftest import REPO

COMMANDS = ["parse", "validate", "build", "verify", "versions", "info"]
HEAVY = {"pyarrow", "jsonschema", "yaml", "tqdm", "datasets", "pandas"}
README_CLI = (REPO / "README.md").read_text(encoding="utf-8").split("## Command line", 1)[1].split("\n## ", 1)[0]


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out: str = capsys.readouterr().out
    return out


def arguments(help_text: str) -> dict[str, str]:
    """Each argument a help text lists (as it is shown: ``--raw DIR|URL``, ``FILE``, a command's
    name) and the help it has."""
    found: dict[str, str] = {}
    section, current = "", ""
    for line in help_text.splitlines():
        if line and not line.startswith(" "):
            section, current = line.rstrip(":"), ""
        elif section in ("positional arguments", "options", "commands") and (
            entry := re.fullmatch(r"  (\S.*?)(?:\s{2,}(.*))?|    (\w+)\s{2,}(.*)", line)
        ):
            current = entry.group(1) or entry.group(3)
            found[current] = entry.group(2) or entry.group(4) or ""
        elif current and line.strip():
            found[current] = f"{found[current]} {line.strip()}".strip()
    return found


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")


def test_the_program_says_what_it_does_with_examples_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys)
    description = text.split("\n\n")[1]
    assert "``" not in text and description.startswith("Turn a folder of raw Vietnamese") and len(description) > 200
    examples = text.split("examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith("  vn-security-corpus ") for line in examples)
    codes = re.findall(r"^  (\d+) +(\S.*)$", text.split("exit codes:\n", 1)[1], re.MULTILINE)
    assert [code for code, _ in codes] == ["0", "1", "2", "130", "141"]
    assert dict(codes)["2"].startswith("usage error")
    listed = arguments(text)
    assert [name for name in COMMANDS if listed.get(name)] == COMMANDS  # each command, with what it does


@pytest.mark.parametrize("command", COMMANDS)
def test_every_argument_has_help_and_every_value_its_default(capsys: pytest.CaptureFixture[str], command: str) -> None:
    text = help_of(capsys, command)
    assert "examples:\n  vn-security-corpus " + command in text
    listed = arguments(text)
    assert listed, text
    for name, help_ in listed.items():
        assert help_, f"{command} {name}: no help"
        takes_a_value = name.startswith("-") and any(not part.startswith("-") for part in re.split(r",? ", name))
        if takes_a_value or name == "VERSION":
            assert "default" in help_ or "required" in help_, f"{command} {name}: {help_!r} shows no default"


def test_build_shows_the_defaults_it_uses(capsys: pytest.CaptureFixture[str]) -> None:
    from vn_security_corpus.release import DEFAULT_SHARD_ROWS
    from vn_security_corpus.sources import DEFAULT_MAX_FILE_BYTES

    listed = arguments(help_of(capsys, "build"))
    assert listed["--shard-rows N"].endswith(f"default: {DEFAULT_SHARD_ROWS}")
    assert f"default: {DEFAULT_MAX_FILE_BYTES} (8 MiB)" in listed["--max-file-bytes N"]
    assert "default: train=0.8,validation=0.1,test=0.1" in listed["--splits NAME=RATIO,…"]
    assert "--release-version X.Y.Z" in listed and not any(name.startswith("--version") for name in listed)


def test_readme_names_every_option_of_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for command in COMMANDS:
        assert f"vn-security-corpus {command}" in README_CLI, command
        for name in arguments(help_of(capsys, command)):
            for option in re.findall(r"--[a-z-]+", name):
                if option != "--help":
                    assert option in README_CLI, f"{command} {option}"
    for code in ("`0`", "`1`", "`2`", "`130`", "`141`"):
        assert code in README_CLI


@pytest.mark.parametrize("command", [[], ["build"], ["info"]])
def test_help_imports_none_of_the_heavy_libraries(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vn_security_corpus", *command, "--help"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "usage: vn-security-corpus" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "vn_security_corpus" in imported and not imported & HEAVY
