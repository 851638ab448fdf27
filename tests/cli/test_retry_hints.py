"""Hints after exhausted retries name options every command can act on."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

runner = CliRunner()


def test_voices_after_exhausted_retries_hints_at_the_retries_setting(api: ApiServer) -> None:
    api.fail_next(503, times=10)
    result = runner.invoke(app, ["voices"])
    assert result.exit_code == ExitStatus.UNAVAILABLE, result.output
    hint = result.stderr.splitlines()[-1]
    assert hint.startswith("hint: ") and "voxcli config set retries N" in hint
    assert "--retries N on convert" in hint


def test_convert_after_exhausted_retries_hints_at_the_flag(api: ApiServer, speech: Path) -> None:
    api.fail_next(503, times=10, path="/voice-changer/")
    out = speech.with_name("out.mp3")
    args = ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--retries", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitStatus.UNAVAILABLE, result.output
    assert "--retries N on convert" in result.stderr.splitlines()[-1]
