"""What a new user meets, through the CLI (issue 14): honest network errors, hints that lead
somewhere, plain-language setting errors, one speed range, options where people type them,
the effective backend and why, a notice with both ways out, and unique request ids."""

from __future__ import annotations

import json
import re
import shlex
import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.long_speech import long_speech
from voxcli.backends.base import SPEED_RANGE
from voxcli.cli import app
from voxcli.errors import ExitStatus

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def test_nothing_listening_on_the_base_url_fails_at_once_and_says_so(
    monkeypatch: pytest.MonkeyPatch, speech: Path
) -> None:
    monkeypatch.setenv("VOXCLI_RETRY_BACKOFF", "1.0")  # as a user has it: 1, 2, 4, 8 s
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    args = ["convert", str(speech), "--backend", "elevenlabs", "--base-url", url, "-v", "x"]
    started = time.monotonic()
    result = runner.invoke(app, [*args, "-o", str(speech.with_name("out.wav"))])
    assert time.monotonic() - started < 5.0  # not 15 s of backoff
    assert result.exit_code == ExitStatus.UNAVAILABLE, result.output
    error, hint = result.stderr.splitlines()
    assert error == f"error: listing voices: connection refused at {url}"
    assert hint.startswith("hint: nothing listens there") and "--retries" not in hint
    assert not speech.with_name("out.wav").exists()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("jobs", "abc", "expected a whole number from 1 to 64"),
        ("jobs", "2.5", "expected a whole number from 1 to 64"),
        ("retry_backoff", "soon", "expected a number from 0 to 60"),
    ],
)
def test_bad_setting_values_are_explained_in_plain_words(
    key: str, value: str, expected: str
) -> None:
    result = runner.invoke(app, ["config", "set", key, value])
    assert result.exit_code == ExitStatus.INPUT
    assert result.stderr.splitlines()[0] == f"error: invalid {key} {value!r}: {expected}"
    assert "literal" not in result.stderr and "convert string" not in result.stderr


def test_speed_has_one_range_in_help_error_and_hint(speech: Path) -> None:
    low, high = SPEED_RANGE
    assert (low, high) == (0.7, 1.2)  # the contract: reference §4
    help_text = runner.invoke(app, ["convert", "--help"], env=WIDE).stdout
    assert f"Speed, {low} to {high}" in help_text
    result = runner.invoke(app, ["convert", str(speech), "--speed", "5", "-q"])
    assert result.exit_code == ExitStatus.INPUT
    assert (
        result.stderr.splitlines()[0]
        == f"error: speed must be a number from {low} to {high}, not 5.0"
    )
    ranges = re.findall(r"(\d+(?:\.\d+)?) (?:to|and) (\d+(?:\.\d+)?)", result.stderr)
    assert set(ranges) == {(str(low), str(high))}


def test_local_request_ids_identify_each_request(tmp_path: Path) -> None:
    source = long_speech(tmp_path / "talk.wav", 0.1)
    ids = []
    for run in range(2):
        out = tmp_path / f"out{run}.wav"
        args = ["convert", str(source), "-o", str(out), "--quality", "fast", "--no-cache"]
        result = runner.invoke(app, [*args, "--json", "-q"])
        assert result.exit_code == 0, result.output
        ids.append(json.loads(result.stdout)["request_id"])
    assert ids[0].startswith("local-") and ids[0] != ids[1]


def test_the_local_engine_notice_says_how_to_keep_it_and_that_silences_it() -> None:
    first = runner.invoke(app, ["models"])
    assert first.exit_code == 0, first.output
    notice = first.stderr.strip()
    assert "export ELEVENLABS_API_KEY=" in notice  # how to use ElevenLabs
    command = re.search(r"(voxcli config set backend local)", notice)
    assert command, notice  # and how to choose the local engine for good
    assert runner.invoke(app, shlex.split(command[1])[1:]).exit_code == 0
    assert runner.invoke(app, ["models"]).stderr == ""
