"""One test per exit status (DESIGN §4), each driven through the CLI.

Every failure prints ``error: ...`` and a ``hint: ...`` on stderr, nothing on stdout, and no
traceback. Device and interrupt statuses run voxcli in a subprocess, as a user's shell would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.cli.helpers import conversions, leftovers
from tests.support.interrupt import voxcli_command
from tests.support.server import TEST_KEY, VOICE_ID
from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

runner = CliRunner()


def convert(speech: Path, *extra: str) -> Result:
    out = speech.with_name("out.mp3")
    return runner.invoke(app, ["convert", str(speech), "-v", VOICE_ID, "-o", str(out), *extra])


def assert_failure(result: Result, status: ExitStatus) -> None:
    assert result.exit_code == status, result.output
    # Retry notices ("note: ...") may come first; the failure itself is one error line + a hint.
    lines = [line for line in result.stderr.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: ")
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert TEST_KEY not in result.output


def test_success(api: ApiServer, speech: Path) -> None:
    assert convert(speech).exit_code == ExitStatus.SUCCESS


def test_usage(speech: Path) -> None:
    assert convert(speech, "--no-such-flag").exit_code == ExitStatus.USAGE


def test_config_invalid_key(api: ApiServer, speech: Path) -> None:
    api.fail_next(401, "invalid_api_key", shape="legacy")
    assert_failure(convert(speech), ExitStatus.CONFIG)


def test_config_missing_key_for_the_real_service(speech: Path) -> None:
    # Nothing is sent: without a key the official service would only answer 401.
    result = runner.invoke(
        app, ["convert", str(speech), "-v", VOICE_ID, "-o", "x.mp3", "--backend", "elevenlabs"]
    )
    assert_failure(result, ExitStatus.CONFIG)
    assert "ELEVENLABS_API_KEY" in result.stderr


def test_config_key_never_sent_over_plain_http_to_another_host(
    monkeypatch: pytest.MonkeyPatch, speech: Path
) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
    result = convert(speech, "--base-url", "http://192.0.2.1:9")  # TEST-NET-1: never routed
    assert_failure(result, ExitStatus.CONFIG)


def test_input_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["convert", str(tmp_path / "nope.wav"), "-v", VOICE_ID])
    assert_failure(result, ExitStatus.INPUT)


def test_input_undecodable_file(api: ApiServer, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("not audio at all\n")
    assert_failure(convert(bogus), ExitStatus.INPUT)


def test_input_empty_audio(api: ApiServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    import soundfile as sf

    sf.write(str(empty), [], 16000, subtype="PCM_16")
    assert_failure(convert(empty), ExitStatus.INPUT)


def test_refused_unknown_voice(api: ApiServer, speech: Path) -> None:
    result = runner.invoke(
        app, ["convert", str(speech), "-v", "UnknownVoiceId000001", "-o", "x.mp3"]
    )
    assert_failure(result, ExitStatus.REFUSED)


def test_refused_validation(api: ApiServer, speech: Path) -> None:
    api.fail_next(422, shape="validation", path="/voice-changer/")
    assert_failure(convert(speech), ExitStatus.REFUSED)


def test_unavailable_after_retries(api: ApiServer, speech: Path) -> None:
    api.fail_next(500, times=5, path="/voice-changer/")
    assert_failure(convert(speech), ExitStatus.UNAVAILABLE)


def test_quota(api: ApiServer, speech: Path) -> None:
    api.fail_next(401, "quota_exceeded", path="/voice-changer/")
    assert_failure(convert(speech), ExitStatus.QUOTA)


def _subprocess_env(api: ApiServer, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, ELEVENLABS_API_KEY=TEST_KEY, VOXCLI_BASE_URL=api.url)
    # No sound server: point PulseAudio clients at nothing and forbid autospawning one.
    client_conf = tmp_path / "client.conf"
    client_conf.write_text("autospawn = no\n")
    env.update(
        PULSE_SERVER=f"unix:{tmp_path / 'no-such-socket'}",
        PULSE_CLIENTCONFIG=str(client_conf),
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    return env


def test_device_unavailable(api: ApiServer, speech: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voxcli", "convert", str(speech), "-v", VOICE_ID, "--play"],
        env=_subprocess_env(api, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == ExitStatus.DEVICE, done.stderr
    assert done.stderr.startswith("error: ") and "hint: " in done.stderr
    assert "Traceback" not in done.stderr
    # The device is opened before uploading: a missing one costs no credits.
    assert conversions(api) == []


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, ExitStatus.INTERRUPTED), (signal.SIGTERM, ExitStatus.TERMINATED)],
    ids=["SIGINT", "SIGTERM"],
)
def test_interrupted(
    api: ApiServer, speech: Path, tmp_path: Path, signum: int, status: ExitStatus
) -> None:
    api.latency_seconds = 30.0
    out = speech.with_name("out.mp3")
    process = subprocess.Popen(
        voxcli_command("convert", str(speech), "-v", VOICE_ID, "-o", str(out)),
        env=_subprocess_env(api, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not [r for r in api.requests if "/voice-changer/" in r.path]:
        assert time.monotonic() < deadline, "the upload never arrived"
        time.sleep(0.05)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert not out.exists() and leftovers(speech.parent) == []
