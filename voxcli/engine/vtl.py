"""Vocal-tract length: formant estimates, the source-to-target ratio, and envelope warping.

A longer vocal tract lowers every formant by the same factor, so the ratio of a target's
formants to a source's is a good single number for "how much to stretch the spectrum". Formants
come from LPC roots on voiced, energetic frames (batched over frames in numpy). On short inputs
the estimate is noisy, so the ratio is shrunk toward a prior derived from the F0 ratio.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from voxcli.engine.filters import median, percentile
from voxcli.engine.params import formant_band

Array = NDArray[np.float64]

RATIO_LIMITS = (0.82, 1.22)
#: Frames of formant evidence at which the estimate and the prior weigh the same.
PRIOR_FRAMES = 100.0
#: Most frames the formant estimate analyses (every 4th voiced frame, sparser on long inputs:
#: each costs about 50 kB of transient memory).
MAX_FORMANT_FRAMES = 2000
#: Weights of F2, F3, F4 in the log ratio (F1 moves with the vowel far more than with the tract).
_WEIGHTS = np.array([0.0, 0.25, 0.5, 0.25])


def formants(
    samples: NDArray[np.floating], sample_rate: int, f0: Array, frame_period_ms: float
) -> tuple[Array, int]:
    """Median F1..F4 (Hz, NaN where never found) and the number of frames that contributed.

    Uses every 4th voiced frame (fewer on long inputs, at most `MAX_FORMANT_FRAMES`) whose
    energy is at or above the 30th percentile; above 16 kHz the signal is first resampled to
    16 kHz (formants live below 5.5 kHz).
    """
    x = np.asarray(samples, dtype=np.float64)
    rate = sample_rate
    if rate > 16000:
        import soxr

        x, rate = np.asarray(soxr.resample(x, rate, 16000, quality="HQ"), dtype=np.float64), 16000
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])  # pre-emphasis
    win = int(0.025 * rate)
    hop = frame_period_ms / 1000.0 * rate
    voiced = np.flatnonzero(f0 > 0)
    stride = max(4, -(-len(voiced) // MAX_FORMANT_FRAMES))
    centres = (voiced[::stride] * hop).astype(int)
    starts = centres - win // 2
    starts = starts[(starts >= 0) & (starts + win <= len(x))]
    if len(starts) < 3:
        return np.full(4, np.nan), 0
    frames = x[starts[:, None] + np.arange(win)] * np.hamming(win)
    energy = (frames**2).sum(axis=1)
    frames = frames[energy >= percentile(energy, 30)]
    order = int(rate / 1000) + 2
    freqs = _lpc_formants(frames, order, rate)
    with np.errstate(all="ignore"):
        found = np.isfinite(freqs)
        medians = np.array(
            [median(freqs[found[:, i], i]) if found[:, i].any() else np.nan for i in range(4)]
        )
    return medians, len(frames)


def _lpc_formants(frames: Array, order: int, rate: int) -> Array:
    """Lowest four resonances per frame from autocorrelation LPC (NaN where missing)."""
    n = frames.shape[1]
    spec = np.fft.rfft(frames, 2 * n)
    r = np.fft.irfft(np.abs(spec) ** 2)[:, : order + 1]
    r[:, 0] *= 1.0 + 1e-9  # white-noise correction keeps Levinson stable
    a = _levinson(r, order)
    companion = np.zeros((len(a), order, order))
    companion[:, 0, :] = -a[:, 1:]
    companion[:, np.arange(1, order), np.arange(order - 1)] = 1.0
    roots = np.linalg.eigvals(companion)
    freq = np.angle(roots) * rate / (2 * np.pi)
    bw = -np.log(np.maximum(np.abs(roots), 1e-12)) * rate / np.pi
    lo, hi = formant_band(rate)
    ok = (freq > lo) & (freq < hi) & (bw < 500.0)
    freq = np.where(ok, freq, np.inf)
    freq.sort(axis=1)
    out = freq[:, :4]
    return np.where(np.isfinite(out), out, np.nan)


def _levinson(r: Array, order: int) -> Array:
    """Batched Levinson-Durbin: LPC polynomials ``(frames, order + 1)`` from autocorrelations."""
    frames = len(r)
    a = np.zeros((frames, order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = r[:, i] + np.einsum("fj,fj->f", a[:, 1:i], r[:, i - 1 : 0 : -1])
        k = -acc / np.maximum(err, 1e-12)
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1 : 0 : -1]
        a[:, i] = k
        err *= 1.0 - k**2
    return a


def warp_ratio(
    source_formants: Array, target_formants: Array, evidence_frames: int, f0_ratio: float
) -> float:
    """Formant-scaling ratio target/source, shrunk toward ``f0_ratio ** 0.3`` on thin evidence.

    ``r > 1`` raises the formants (a shorter tract, e.g. male to female).
    """
    log_ratio = np.log(target_formants) - np.log(source_formants)
    ok = np.isfinite(log_ratio) & (_WEIGHTS > 0)
    prior = 0.3 * np.log(f0_ratio) if f0_ratio > 0 else 0.0
    if ok.any():
        measured = float((log_ratio[ok] * _WEIGHTS[ok]).sum() / _WEIGHTS[ok].sum())
        trust = evidence_frames / (evidence_frames + PRIOR_FRAMES)
        estimate = trust * measured + (1.0 - trust) * prior
    else:
        estimate = prior
    return float(np.clip(np.exp(estimate), *RATIO_LIMITS))


def warp_map(bins: int, sample_rate: int, ratio: float) -> tuple[NDArray[np.intp], Array]:
    """Source bin index and interpolation fraction for each output bin of a warped envelope.

    The output at frequency f reads the input at ``g(f) = f / ratio`` below
    ``fc = 0.85 * nyquist * min(1, ratio)`` and on a straight line from there to Nyquist, so
    the top of the band stays anchored.
    """
    nyq = sample_rate / 2.0
    f = np.linspace(0.0, nyq, bins)
    fc = 0.85 * nyq * min(1.0, ratio)
    g = np.where(f <= fc, f / ratio, fc / ratio + (f - fc) * (nyq - fc / ratio) / (nyq - fc))
    pos = np.clip(g / nyq * (bins - 1), 0.0, bins - 1.0)
    index = np.minimum(pos.astype(np.intp), bins - 2)
    return index, pos - index


def warp_log_envelope(
    log_sp: Array, index: NDArray[np.intp], frac: Array, *, out: Array | None = None
) -> Array:
    """Apply a `warp_map` to log envelopes ``(frames, bins)``: linear interpolation in log power.

    With `out` (the same shape), the result is written there instead of a new array."""
    if out is None:
        return log_sp[:, index] * (1.0 - frac) + log_sp[:, index + 1] * frac
    # `take` gathers rows in order (fancy indexing on axis 1 walks the array column-wise).
    np.multiply(log_sp.take(index, axis=1), 1.0 - frac, out=out)
    out += log_sp.take(index + 1, axis=1) * frac
    return out
