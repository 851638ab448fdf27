"""Fixtures for CLI tests: a contract server on 127.0.0.1 and speech files to convert."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.audio import speechlike, write_wav


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    """Three seconds of speech-like 16 kHz mono WAV."""
    return write_wav(tmp_path / "speech.wav", speechlike(3.0, 16000))
