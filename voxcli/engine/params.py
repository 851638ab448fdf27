"""Analysis settings that depend on the sample rate and the quality level.

WORLD's spectral resolution, the mel-cepstral warping factor and the formant search band all
depend on the sample rate. Everything here is derived once per conversion from the input's rate,
so the rest of the engine never hard-codes 16 kHz. The one fixed rate is `CANONICAL_RATE`: voice
profiles describe the 0-8 kHz band at 16 kHz, whatever the rate of the audio being converted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Quality = Literal["default", "fast"]
QUALITIES: tuple[Quality, ...] = ("default", "fast")
Tracker = Literal["harvest", "dio"]

#: The F0 tracker of the default quality (``fast`` always uses DIO).
DEFAULT_TRACKER: Tracker = "harvest"

#: Rate of the band voice profiles describe (and of the mel-cepstra they store).
CANONICAL_RATE = 16000
#: Mel-cepstral order used everywhere (c0..c39).
MCEP_ORDER = 39
#: Lowest and highest input rates the engine accepts.
MIN_RATE = 8000
MAX_RATE = 48000

#: Widest band a conversion may search; the actual band is narrowed per input (see `world`).
F0_LIMITS = (50.0, 700.0)

# All-pass constants that approximate the mel scale (SPTK's table, as used by pysptk).
_ALPHAS = ((8000, 0.31), (11025, 0.36), (16000, 0.42), (22050, 0.455), (32000, 0.50),
           (44100, 0.544), (48000, 0.554))  # fmt: skip


def mel_alpha(sample_rate: int) -> float:
    """The frequency-warping factor that makes a mel-cepstrum follow the mel scale at this rate."""
    rates = [r for r, _ in _ALPHAS]
    alphas = [a for _, a in _ALPHAS]
    # Interpolate on log-rate: the table is close to linear there.
    x = math.log(min(max(sample_rate, rates[0]), rates[-1]))
    for (r0, a0), (r1, a1) in zip(_ALPHAS, _ALPHAS[1:], strict=False):
        if x <= math.log(r1):
            t = (x - math.log(r0)) / (math.log(r1) - math.log(r0))
            return a0 + t * (a1 - a0)
    return alphas[-1]


def fft_size(sample_rate: int) -> int:
    """CheapTrick's FFT size for a 71 Hz floor: 512 at 8 kHz, 1024 at 16-24 kHz, 2048 at 44.1+."""
    return int(2 ** (1 + int(math.log2(3.0 * sample_rate / 71.0 + 1.0))))


@dataclass(frozen=True)
class AnalysisParams:
    """How WORLD analyses one signal."""

    sample_rate: int
    quality: Quality = "default"
    tracker: Tracker | None = None
    """The F0 tracker; None: the quality's (`f0_tracker`)."""

    @property
    def f0_tracker(self) -> Tracker:
        """``harvest`` or ``dio``: `tracker` if given, else ``dio`` for ``fast`` and
        `DEFAULT_TRACKER` for ``default``."""
        if self.tracker is not None:
            return self.tracker
        return "dio" if self.quality == "fast" else DEFAULT_TRACKER

    @property
    def frame_period_ms(self) -> float:
        """5 ms frames for Harvest (default), 10 ms for DIO (fast)."""
        return 5.0 if self.quality == "default" else 10.0

    @property
    def fft_size(self) -> int:
        return fft_size(self.sample_rate)

    @property
    def bins(self) -> int:
        """Number of spectral bins (``fft_size // 2 + 1``)."""
        return self.fft_size // 2 + 1


def formant_band(sample_rate: int) -> tuple[float, float]:
    """The band formant candidates are taken from; it shrinks with the Nyquist frequency."""
    return 200.0, min(5500.0, 0.45 * sample_rate)
