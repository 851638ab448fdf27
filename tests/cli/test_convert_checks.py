"""`voxcli convert` refuses, before any upload, what would go wrong; and reports what it skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.helpers import conversions
from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

runner = CliRunner()


@pytest.mark.parametrize("where", ["-o -", "stdin, no -o"])
def test_json_with_audio_on_stdout_is_refused_before_any_upload(
    api: ApiServer, speech: Path, where: str
) -> None:
    if where == "-o -":
        result = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", "-", "--json"])
    else:
        result = runner.invoke(
            app, ["convert", "-", "-v", "Rachel", "--json"], input=speech.read_bytes()
        )
    assert result.exit_code == ExitStatus.INPUT, result.output
    assert result.stdout == ""
    assert "--json needs -o FILE: stdout carries the audio" in result.stderr
    assert conversions(api) == []


def test_skipping_an_existing_output_is_reported_in_json(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    out.write_bytes(b"earlier result")
    args = ["convert", str(speech), "-v", "Rachel", "-o", str(out), "-n", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"output": str(out), "skipped": True}
    assert out.read_bytes() == b"earlier result"
    assert conversions(api) == []


def test_dry_run_on_the_local_engine_costs_no_credits(speech: Path) -> None:
    args = ["convert", str(speech), "--backend", "local", "--dry-run"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no credits: offline local engine" in result.stdout
    assert "credits (1,000 per minute)" not in result.stdout
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert data["estimated_credits"] == 0


def test_dry_run_on_elevenlabs_estimates_credits(api: ApiServer, speech: Path) -> None:
    result = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "estimated cost 50 credits (1,000 per minute)" in result.stdout
    assert conversions(api) == []
