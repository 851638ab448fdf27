"""The shipped completion scripts in completions/ match what the app generates."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxcli.cli import app

COMPLETIONS = Path(__file__).resolve().parents[2] / "completions"
runner = CliRunner()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_current(shell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Typer internal: without it Typer inspects the parent process to guess the shell.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = runner.invoke(app, ["--show-completion", shell], prog_name="voxcli")
    assert result.exit_code == 0, result.output
    shipped = (COMPLETIONS / f"voxcli.{shell}").read_text()
    assert result.stdout.strip() == shipped.strip(), (
        f"regenerate: voxcli --show-completion {shell} > completions/voxcli.{shell}"
    )
