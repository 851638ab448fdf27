"""The README's first lines are the contract with a new user and with CI: keep them true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md must start with a sh code block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_starts_with_the_two_commands() -> None:
    run, test = readme_commands()
    assert run.startswith("pip install . && voxcli convert examples/")
    assert (ROOT / run.split()[6]).is_file()  # the example recording ships with the repo
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    _, test = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci
