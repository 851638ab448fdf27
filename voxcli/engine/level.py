"""Output level: match the input's loudness, then keep every peak below full scale.

The limiter is a look-ahead peak limiter without overshoot: the gain needed at each sample is
spread to its neighbours by a minimum filter and then smoothed by a shorter moving average, so
the smooth gain never exceeds what any sample needs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import minimum_filter1d, uniform_filter1d

Array = NDArray[np.float64]

#: Highest peak the engine outputs (about -0.1 dBFS, under the 16-bit clipping point).
PEAK_LIMIT = 0.989


def match_loudness(output: Array, reference: Array) -> Array:
    """Scale `output` to the RMS level of `reference` (silence stays silence)."""
    out_rms = float(np.sqrt(np.mean(output**2))) if len(output) else 0.0
    ref_rms = float(np.sqrt(np.mean(reference**2))) if len(reference) else 0.0
    if out_rms <= 1e-9 or ref_rms <= 1e-9:
        return output
    return output * (ref_rms / out_rms)


def limit(samples: Array, sample_rate: int, threshold: float = PEAK_LIMIT) -> Array:
    """Reduce the gain around peaks above `threshold` so none exceeds it (about 5 ms ramps)."""
    peak = np.abs(samples)
    if len(samples) == 0 or peak.max() <= threshold:
        return samples
    need = np.minimum(1.0, threshold / np.maximum(peak, 1e-12))
    width = max(3, int(0.005 * sample_rate) | 1)
    gain = minimum_filter1d(need, size=2 * width + 1, mode="nearest")
    gain = uniform_filter1d(gain, size=width, mode="nearest")
    return np.asarray(np.clip(samples * gain, -threshold, threshold), dtype=np.float64)
