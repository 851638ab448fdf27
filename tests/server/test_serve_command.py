"""`voxcli serve` in a real subprocess: the local engine behind the API, then a clean stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.interrupt import voxcli_command
from tests.support.server import TEST_KEY, flac_upload
from voxcli.backends.base import ConvertRequest
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.cli.serve import usable_cores
from voxcli.errors import AuthError

SERVE = voxcli_command("serve")
ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `voxcli serve ARGS` and return it with the URL it announced on stderr."""
    process = subprocess.Popen(
        [*SERVE, *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert process.stderr is not None
    for line in process.stderr:
        if match := re.search(r"at (http://\S+) ", line):
            return process, match[1]
    process.wait(timeout=30)
    raise AssertionError(f"serve exited with {process.returncode} before announcing its URL")


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = start("--port", "0", "--api-key", TEST_KEY)
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_serve_converts_with_the_local_engine_and_stops_on_ctrl_c(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = served
    assert url.startswith("http://127.0.0.1:")
    with ElevenLabsBackend(api_key=TEST_KEY, base_url=url, retries=1) as client:
        voices = client.voices()
        models = {m.model_id for m in client.models() if m.can_do_voice_conversion}
        assert voices and "eleven_multilingual_sts_v2" in models
        request = ConvertRequest(voices[0].voice_id, output_format="pcm_16000")
        result = client.convert(flac_upload(1.0), request)
    assert abs(len(result.audio) - 2 * 16000) <= 2 * 160  # the same length, as 16 kHz PCM
    assert result.character_cost == 17
    with (
        ElevenLabsBackend(api_key=None, base_url=url, retries=1) as keyless,
        pytest.raises(AuthError),
    ):
        keyless.models()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) in (0, 130)
    assert process.stderr is not None
    rest = process.stderr.read()
    assert "stopped" in rest
    assert '"POST /v1/voice-changer/' in rest  # the access log, on stderr
    assert TEST_KEY not in rest
    assert process.stdout is not None and process.stdout.read() == ""


def test_serve_converts_at_most_one_request_per_core_by_default(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    _, url = served
    with ElevenLabsBackend(api_key=TEST_KEY, base_url=url, retries=1) as client:
        request = ConvertRequest(client.voices()[0].voice_id, output_format="pcm_16000")
        client.convert(flac_upload(0.5), request)
        # Learned from the answer's maximum-concurrent-requests, as from the service's.
        assert client.max_concurrency == usable_cores()


def test_serve_stops_cleanly_on_sigterm(served: tuple[subprocess.Popen[str], str]) -> None:
    process, _ = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_serve_on_a_busy_port_exits_3(served: tuple[subprocess.Popen[str], str]) -> None:
    _, url = served
    port = url.rsplit(":", 1)[1]
    done = subprocess.run(
        [*SERVE, "--port", port],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 3
    assert "cannot listen on 127.0.0.1" in done.stderr
    assert "hint:" in done.stderr
