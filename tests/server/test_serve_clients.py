"""Clients of a real `voxcli serve` (the local engine): the official SDK and voxcli itself."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from tests.server.test_serve_command import start
from tests.support.server import TEST_KEY

SENTENCE = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    process, url = start("--port", "0", "--api-key", TEST_KEY, "--quiet")
    try:
        yield url
    finally:
        process.kill()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def sentence(tmp_path: Path) -> Path:
    path = tmp_path / "sentence.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True)
    return path


def test_the_official_sdk_lists_and_converts(served: str, sentence: Path) -> None:
    import httpx
    from elevenlabs.client import ElevenLabs

    # Our own httpx client, so the SDK's pooled connections are closed after the test.
    with httpx.Client(timeout=120) as http:
        check_sdk(ElevenLabs(api_key=TEST_KEY, base_url=served, httpx_client=http), sentence)


def check_sdk(sdk: Any, sentence: Path) -> None:
    voices = sdk.voices.search().voices
    assert {"sally", "karl", "ken"} <= {v.voice_id for v in voices}
    models = {m.model_id: m.can_do_voice_conversion for m in sdk.models.list()}
    assert models["eleven_multilingual_sts_v2"] is True
    with sentence.open("rb") as audio:
        chunks = sdk.speech_to_speech.convert(
            "karl", audio=audio, model_id="eleven_multilingual_sts_v2", output_format="wav_22050"
        )
        body = b"".join(chunks)
    converted, rate = sf.read(io.BytesIO(body))
    assert rate == 22050
    assert abs(len(converted) / rate - sf.info(str(sentence)).duration) < 0.01


def test_voxcli_converts_through_serve(served: str, sentence: Path) -> None:
    out = sentence.with_name("sentence.karl.mp3")
    env = dict(os.environ, ELEVENLABS_API_KEY=TEST_KEY)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "voxcli",
            "convert",
            str(sentence),
            "--backend",
            "elevenlabs",
            "--base-url",
            served,
            "-v",
            "Karl",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"voice_id": "karl"' in done.stdout
    assert sf.info(str(out)).format == "MP3"
    assert abs(sf.info(str(out)).duration - sf.info(str(sentence)).duration) < 0.06
