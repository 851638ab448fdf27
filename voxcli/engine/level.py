"""Output level: match the input's loudness, then keep every peak below full scale.

The limiter is a look-ahead peak limiter without overshoot: the gain needed at each sample is
spread to its neighbours by a minimum filter and then smoothed by a shorter moving average, so
the smooth gain never exceeds what any sample needs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from voxcli.engine.filters import running_mean, running_min

Array = NDArray[np.float64]

#: Highest peak the engine outputs (about -0.1 dBFS, under the 16-bit clipping point).
PEAK_LIMIT = 0.989


def rms(samples: NDArray[np.floating]) -> float:
    """Root-mean-square level of `samples` (0 for an empty signal)."""
    x = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.dot(x, x) / len(x))) if len(x) else 0.0


def scale_to(output: Array, level: float) -> Array:
    """Scale `output` in place to the RMS `level` (silence stays silence)."""
    out_rms = rms(output)
    if out_rms <= 1e-9 or level <= 1e-9:
        return output
    output *= level / out_rms
    return output


def match_loudness(output: Array, reference: Array) -> Array:
    """Scale `output` in place to the RMS level of `reference` (silence stays silence)."""
    return scale_to(output, rms(reference))


def limit(samples: Array, sample_rate: int, threshold: float = PEAK_LIMIT) -> Array:
    """Reduce the gain around peaks above `threshold` so none exceeds it (about 5 ms ramps).

    Works in place on `samples`, and only on the stretches around the peaks: a long signal
    with a few loud moments costs no full-length temporary arrays.
    """
    if len(samples) == 0 or max(float(samples.max()), -float(samples.min())) <= threshold:
        return samples
    width = max(3, int(0.005 * sample_rate) | 1)
    reach = 2 * width + 2  # how far the smoothed gain of one hot sample spreads, plus slack
    hot = np.flatnonzero((samples > threshold) | (samples < -threshold))
    # Group hot samples whose reaches overlap into one stretch each.
    breaks = np.flatnonzero(np.diff(hot) > 2 * reach) + 1
    for group in np.split(hot, breaks):
        lo, hi = max(0, int(group[0]) - 2 * reach), min(len(samples), int(group[-1]) + 2 * reach)
        part = samples[lo:hi]
        need = np.minimum(1.0, threshold / np.maximum(np.abs(part), 1e-12))
        gain = running_min(need, 2 * width + 1)
        gain = running_mean(gain, width)
        np.clip(part * gain, -threshold, threshold, out=part)
    return samples
