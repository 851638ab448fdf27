"""Fixtures for CLI tests: a contract server on 127.0.0.1 and speech files to convert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.audio import speechlike, write_wav
from tests.support.server import TEST_KEY
from tests.support.transform_backend import TransformBackend
from voxcli.server import ApiServer


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """A server speaking the ElevenLabs contract, inverting polarity; voxcli points at it.

    The key is configured through ELEVENLABS_API_KEY and the URL through VOXCLI_BASE_URL, as a
    user would; the server requires the key.
    """
    with ApiServer(TransformBackend("invert"), api_key=TEST_KEY) as server:
        monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
        monkeypatch.setenv("VOXCLI_BASE_URL", server.url)
        yield server


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    """Three seconds of speech-like 16 kHz mono WAV."""
    return write_wav(tmp_path / "speech.wav", speechlike(3.0, 16000))
