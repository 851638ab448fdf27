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
from voxcli.backends.limits import SPEED_RANGE
from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

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


def test_the_hint_after_a_taken_built_in_name_works(tmp_path: Path) -> None:
    reference = long_speech(tmp_path / "ref.wav", 0.4, voice="en-us+f3")
    taken = runner.invoke(app, ["voices", "-q", "add", "Sally", str(reference)])
    assert taken.exit_code == ExitStatus.INPUT, taken.output
    hint = taken.stderr.splitlines()[-1]
    assert "remove" not in hint  # a built-in voice cannot be removed: never suggest it
    suggested = shlex.split(hint.split("e.g. ", 1)[1])
    followed = runner.invoke(app, [*suggested[1:], "-q"])
    assert followed.exit_code == 0, followed.output
    assert followed.stdout.strip() == "my-sally"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("jobs", "abc", "expected auto or a whole number from 1 to 64"),
        ("jobs", "2.5", "expected auto or a whole number from 1 to 64"),
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


def test_voices_subcommands_take_their_options_where_people_type_them(
    api: ApiServer, speech: Path
) -> None:
    shown = runner.invoke(app, ["voices", "show", "Rachel", "-q", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["name"] == "Rachel"
    added = runner.invoke(app, ["voices", "add", "Narrator", str(speech), str(speech), "-q"])
    assert added.exit_code == 0, added.output
    removed = runner.invoke(app, ["voices", "remove", "Narrator", "--json", "--base-url", api.url])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout)["removed"] is True
    # Given before the subcommand it applies as well: --json is not silently dropped.
    before = runner.invoke(app, ["voices", "--json", "show", "Rachel"])
    assert json.loads(before.stdout)["name"] == "Rachel"
    # A filter of the listing with a subcommand would be ignored: refused instead.
    assert runner.invoke(app, ["voices", "--search", "x", "show", "Rachel"]).exit_code == 2


def test_local_voices_with_backend_after_the_subcommand_and_hints_that_work(
    tmp_path: Path, api: ApiServer
) -> None:
    # A key is configured, so only --backend local (typed after the subcommand) means local.
    reference = long_speech(tmp_path / "ref.wav", 0.4, voice="en-us+f3")
    added = runner.invoke(app, ["voices", "add", "narrator", str(reference), "--backend", "local"])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "narrator"
    assert api.requests == []  # nothing went to the service
    again = runner.invoke(app, ["voices", "add", "narrator", str(reference), "-b", "local"])
    assert again.exit_code == ExitStatus.INPUT
    command = again.stderr.splitlines()[-1].split("remove it first: ", 1)[1]
    followed = runner.invoke(app, shlex.split(command)[1:])  # must reach the local voice
    assert followed.exit_code == 0, followed.output
    assert api.requests == []
    builtin = runner.invoke(app, ["voices", "remove", "sally", "-q", "--backend", "local"])
    assert builtin.exit_code == ExitStatus.INPUT  # refused here, not by a service (5)
    assert "built-in voice" in builtin.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["models", "-q", "--json"],
        ["devices", "-q", "--json"],
        ["doctor", "--backend", "local", "--json"],
        ["config", "get", "jobs", "--json"],
        ["cache", "clear", "--json"],
    ],
)
def test_commands_with_output_take_json_and_quiet(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code in (0, ExitStatus.DEVICE), result.output
    json.loads(result.stdout)


def test_config_show_says_which_backend_is_used_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    table = runner.invoke(app, ["config", "show"], env=WIDE)
    backend = next(line for line in table.stdout.splitlines() if line.startswith("backend"))
    assert re.match(r"backend\s+local\s+default: no API key configured", backend), backend
    data = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)["settings"]
    assert data["backend"]["value"] == "local" and data["backend"]["source"] == "default"
    assert data["backend"]["reason"] == "no API key configured"
    assert data["voice"]["value"] == "sally"
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_0123456789abcdefWXYZ")
    data = json.loads(runner.invoke(app, ["config", "get", "backend", "--json"]).stdout)
    assert (data["value"], data["reason"]) == ("elevenlabs", "an API key is configured")
    flagged = json.loads(runner.invoke(app, ["config", "show", "-b", "local", "--json"]).stdout)
    assert flagged["settings"]["backend"]["source"] == "flag"


def test_the_local_engine_notice_says_how_to_keep_it_and_that_silences_it() -> None:
    first = runner.invoke(app, ["models"])
    assert first.exit_code == 0, first.output
    notice = first.stderr.strip()
    assert "export ELEVENLABS_API_KEY=" in notice  # how to use ElevenLabs
    command = re.search(r"(voxcli config set backend local)", notice)
    assert command, notice  # and how to choose the local engine for good
    assert runner.invoke(app, shlex.split(command[1])[1:]).exit_code == 0
    assert runner.invoke(app, ["models"]).stderr == ""


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
