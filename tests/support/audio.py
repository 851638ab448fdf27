"""Synthesised test audio: tones and speech-like signals with pauses, written with soundfile."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray


@lru_cache(maxsize=32)
def sine(
    hz: float, seconds: float, sample_rate: int = 16000, amplitude: float = 0.3
) -> NDArray[np.float32]:
    """A sine with 10 ms fades at both ends (read-only: copy before changing it)."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    wave = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    fade = min(len(wave) // 2, int(0.01 * sample_rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    wave.flags.writeable = False
    return wave


def speechlike(
    seconds: float,
    sample_rate: int = 16000,
    *,
    pause_every: float = 3.0,
    pause: float = 0.4,
    seed: int = 0,
) -> NDArray[np.float32]:
    """Harmonic "syllables" with gaps, plus a pause of `pause` s every `pause_every` s.

    Deterministic for a given seed. Pauses hold very low noise (-70 dBFS), like a quiet room.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    out = (rng.standard_normal(n) * 10 ** (-70 / 20)).astype(np.float32)
    pos = 0
    while pos < n:
        burst = int(pause_every * sample_rate)
        end = min(n, pos + burst)
        t = np.arange(end - pos) / sample_rate
        f0 = 110 + 40 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6))
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate
        voice = sum(np.sin(k * phase) / k for k in range(1, 8))
        syllables = 0.5 * (1 - np.cos(2 * np.pi * 4.0 * t)) * (np.sin(2 * np.pi * 0.9 * t) > -0.6)
        out[pos:end] += (0.15 * voice * syllables).astype(np.float32)
        pos = end + int(pause * sample_rate)
    return out


def write_wav(path: Path, samples: NDArray[np.float32], sample_rate: int = 16000) -> Path:
    """Write 16-bit PCM WAV and return `path`."""
    sf.write(str(path), samples, sample_rate, subtype="PCM_16")
    return path
