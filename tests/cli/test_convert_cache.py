"""A finished single request is cached: rerunning the same conversion never pays for it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.helpers import conversions
from tests.support.server import VOICE_ID
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_rerun_is_answered_from_the_cache(api: ApiServer, speech: Path, stream: bool) -> None:
    out = speech.with_name("out.wav")
    args = ["convert", str(speech), "-v", VOICE_ID, "-o", str(out), "--json", "-y"]
    args += ["--stream"] if stream else []
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    written = out.read_bytes()
    out.unlink()

    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert len(conversions(api)) == 1
    assert out.read_bytes() == written
    result = json.loads(second.stdout)
    assert result["cached"] == 1 and result["character_cost"] == 0
    assert result["request_id"] == json.loads(first.stdout)["request_id"]


def test_no_cache_sends_again(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    args = ["convert", str(speech), "-v", VOICE_ID, "-o", str(out), "-y"]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--no-cache"]).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0
    assert len(conversions(api)) == 2
