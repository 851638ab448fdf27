"""Session-wide speech fixtures for the engine tests (espeak-ng, generated once per run)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.engine.speech import SENTENCES, SHORT, espeak
from voxcli.engine import VoiceProfile, build_profile

BUILTIN = Path(__file__).resolve().parents[2] / "voxcli" / "data" / "voices"


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def male_speech(speech_dir: Path) -> tuple[NDArray[np.float32], int]:
    """About 5 s of a low-pitched espeak-ng voice at 22.05 kHz."""
    return espeak(SHORT, speech_dir / "male.wav", pitch=25)


@pytest.fixture(scope="session")
def female_reference(speech_dir: Path) -> tuple[NDArray[np.float32], int]:
    """About 15 s of a high-pitched espeak-ng female variant (a profile's reference)."""
    return espeak(SENTENCES, speech_dir / "female.wav", voice="en-us+f3", pitch=70)


@pytest.fixture(scope="session")
def female_profile(female_reference: tuple[NDArray[np.float32], int]) -> VoiceProfile:
    """A profile from the reference, given as two recordings at different rates."""
    import soxr

    samples, rate = female_reference
    half = len(samples) // 2
    second = np.asarray(soxr.resample(samples[half:], rate, 44100), dtype=np.float32)
    return build_profile([(samples[:half], rate), (second, 44100)], metadata={"name": "test"})


@pytest.fixture(scope="session")
def sally() -> VoiceProfile:
    """The shipped female profile."""
    return VoiceProfile.from_bytes((BUILTIN / "sally.npz").read_bytes())
