"""Helpers for tests that talk to `voxcli.server.ApiServer` over real sockets.

Audio bodies, uploads, and small doubles for the backend's injectable parts: a `sleep` that
records the delays it was asked for, and a `Reporter` that keeps notices.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from tests.support.audio import sine
from voxcli.audio.io import to_pcm16
from voxcli.backends.base import Upload
from voxcli.progress import NullReporter

VOICE_ID = "21m00Tcm4TlvDq8ikWAM"  # "Rachel" in `TransformBackend`'s default voices
TEST_KEY = "sk_test_0123456789abcdef0123456789abcdef"


def tone(seconds: float = 1.0, rate: int = 16000) -> NDArray[np.float32]:
    """A 440 Hz test tone (a fresh, writable copy)."""
    return np.array(sine(440.0, seconds, rate), dtype=np.float32)


def flac_bytes(samples: NDArray[np.float32], rate: int = 16000) -> bytes:
    """`samples` as a 16-bit FLAC file."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def wav_bytes(samples: NDArray[np.float32], rate: int = 16000) -> bytes:
    """`samples` as a 16-bit WAV file."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def flac_upload(seconds: float = 1.0, rate: int = 16000) -> Upload:
    """A FLAC upload of a test tone, as the pipeline would make it."""
    return Upload(flac_bytes(tone(seconds, rate), rate), "section.flac", "audio/flac", seconds)


def pcm_upload(seconds: float = 1.0) -> Upload:
    """A raw 16 kHz s16le upload (``file_format=pcm_s16le_16``)."""
    data = to_pcm16(tone(seconds, 16000))
    return Upload(data, "section.pcm", "application/octet-stream", seconds, "pcm_s16le_16")


def pcm16(data: bytes) -> NDArray[np.float32]:
    """Headerless s16le bytes as float samples."""
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


class RecordingSleep:
    """A `sleep` stand-in that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class RecordingReporter(NullReporter):
    """A `Reporter` that keeps every notice."""

    def __init__(self) -> None:
        self.notices: list[str] = []

    def notice(self, message: str) -> None:
        self.notices.append(message)
