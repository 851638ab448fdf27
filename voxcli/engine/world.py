"""WORLD vocoder analysis and synthesis (pyworld), with F0 clean-up.

`analyse` returns F0, the spectral envelope (CheapTrick) and the aperiodicity (D4C) of a mono
signal at its own rate. Two F0 trackers are offered:

- ``default``: Harvest at 5 ms frames, the accurate one. Its cost grows with the length of the
  signal it filters and the width of the F0 band it searches, so it reads the signal at 2 kHz
  (`HARVEST_RATE`; F0 of at most 700 Hz needs no more) and a cheap DIO pass first finds the
  speaker's band (about 2-2.5 octaves instead of 3.8). At 2 kHz it costs a quarter of Harvest
  at 16 kHz and agrees with it as closely as the engine needs: on the benchmark's development
  sentences, 1.8 % gross pitch errors and 4.8 % voicing differences (Harvest at 8 kHz against
  16 kHz: 0.9 % and 2.2 %), identity gap and word error rate within the benchmark's noise
  (`benchmarks/local_f0.py`, `benchmarks/local_dev.py`, CHANGELOG).
- ``fast``: DIO + StoneMask at 10 ms. DIO's voiced/unvoiced decision is its weak point (it
  disagrees with Harvest on 20-25 % of frames), so voicing is decided again from D4C's
  aperiodicity and isolated one-frame decisions are removed.

Both trackers read the signal at 16 kHz at most (`tracking_signal`), run on 20 s pieces, because
their memory grows with the input, and both are followed by `clean_f0`, which folds octave
jumps back and removes spikes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import overload

import numpy as np
from numpy.typing import NDArray

from voxcli.engine.filters import percentile, running_median
from voxcli.engine.libworld import pyworld
from voxcli.engine.params import F0_LIMITS, AnalysisParams

Array = NDArray[np.float64]

#: Rate Harvest reads the signal at (F0 of at most 700 Hz needs no more than 2 kHz).
HARVEST_RATE = 2000
#: Highest rate F0 tracking and the formant estimate read the signal at.
TRACKING_RATE = 16000
#: Highest rate D4C reads the signal at (see `aperiodicity_params`).
APERIODICITY_RATE = 24000
#: F0 trackers run on pieces this long (plus margins) to bound their memory.
TRACKER_CHUNK_SECONDS = 20
TRACKER_MARGIN_SECONDS = 1

# NOTE: WORLD's synthesis draws its noise from a process-global generator that it reseeds on
# every call; two concurrent calls would share it. A lock keeps results deterministic.
_SYNTH_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class Analysis:
    """WORLD parameters of one signal, one row per frame."""

    f0: Array
    """F0 in Hz; 0 marks an unvoiced frame."""
    sp: Array
    """Power spectral envelope, shape ``(frames, bins)``."""
    ap: Array
    """Aperiodicity in [0, 1], shape ``(frames, bins)``."""
    params: AnalysisParams

    @property
    def frames(self) -> int:
        return len(self.f0)


def analyse(
    samples: NDArray[np.floating],
    params: AnalysisParams,
    *,
    f0_range: tuple[float, float] | None = None,
) -> Analysis:
    """Analyse `samples` (mono, at ``params.sample_rate``) into F0, envelope and aperiodicity.

    `f0_range` fixes the F0 search band (Hz); by default it is found from the signal itself.
    This holds whole-input envelopes; conversion uses `voxcli.engine.blocks` instead.
    """
    x = np.ascontiguousarray(samples, dtype=np.float64)
    frames = frame_count(len(x), params)
    times: Array = np.arange(frames, dtype=np.float64) * (params.frame_period_ms / 1000.0)
    raw_f0 = track_f0(*tracking_signal(x, params), f0_range, frames)
    sp = pyworld().cheaptrick(x, raw_f0, times, params.sample_rate, fft_size=params.fft_size)
    ap = aperiodicity(x, raw_f0, times, params)
    f0 = finish_f0(raw_f0, low_band_aperiodicity(ap, params), params)
    return Analysis(f0=f0, sp=sp, ap=ap, params=params)


def frame_count(samples: int, params: AnalysisParams) -> int:
    """Number of analysis frames of a signal of `samples` samples (one at time 0)."""
    return int(samples / params.sample_rate * 1000.0 / params.frame_period_ms) + 1


def tracking_signal(x: Array, params: AnalysisParams) -> tuple[Array, AnalysisParams]:
    """`x` as F0 tracking and the formant estimate read it: at most `TRACKING_RATE`.

    F0 and formants live far below 8 kHz; above 16 kHz, DIO and the speaker-range pass would
    only filter more samples (at 44.1 kHz, 0.03 CPU-s per second of input for nothing).
    """
    if params.sample_rate <= TRACKING_RATE:
        return x, params
    return resampled(x, params.sample_rate, TRACKING_RATE), replace(
        params, sample_rate=TRACKING_RATE
    )


def aperiodicity_params(params: AnalysisParams) -> AnalysisParams:
    """`params` as D4C reads the signal: at the input's rate, at most `APERIODICITY_RATE`.

    D4C measures aperiodicity in bands at 3, 6, 9, 12 and 15 kHz, as far as the rate allows,
    with FFTs four periods of its 47 Hz floor long: at 44.1 kHz 4096 points and 5 bands, at 24
    kHz 2048 points and 3. At 24 kHz it costs 2.5 times less (0.03 x real time less at 44.1
    kHz) and its bands agree with those measured at 44.1 kHz within 0.05 dB on average; the 12
    and 15 kHz bands repeat the 9 kHz one (`blocks.CodedAperiodicity`), within about 1 dB of
    their measurement on average, where speech is mostly noise. The envelope and the synthesis
    keep the input's rate, so the output keeps its whole band (CHANGELOG: issue 12's options).
    """
    if params.sample_rate <= APERIODICITY_RATE:
        return params
    return replace(params, sample_rate=APERIODICITY_RATE)


def resampled(x: Array, rate: int, to_rate: int) -> Array:
    """`x` at `to_rate` (soxr, high quality), float64."""
    import soxr

    return np.asarray(soxr.resample(x, rate, to_rate, quality="HQ"), dtype=np.float64)


def finish_f0(raw_f0: Array, low_band_ap: Array, params: AnalysisParams) -> Array:
    """The tracker's F0 made ready for use: DIO's voicing re-decided (fast), octaves cleaned.

    `low_band_ap` is `low_band_aperiodicity` of the frames (used by the fast tracker only).
    """
    f0 = _revoice(raw_f0, low_band_ap) if params.f0_tracker == "dio" else raw_f0
    return clean_f0(f0)


def low_band_aperiodicity(ap: Array, params: AnalysisParams) -> Array:
    """Mean aperiodicity below 1.5 kHz per frame: low for periodic (voiced) frames."""
    top = max(2, int(1500.0 / params.sample_rate * params.fft_size))
    return np.asarray(ap[:, 1:top].mean(axis=1), dtype=np.float64)


def aperiodicity(x: Array, f0: Array, times: Array, params: AnalysisParams) -> Array:
    """D4C aperiodicity per frame. At 5 ms frames it is computed every 10 ms and interpolated.

    Aperiodicity changes slowly, and D4C is the costliest stage after Harvest; halving its
    frames saves about 5 % of real time at no audible cost.
    """
    fs, n = params.sample_rate, params.fft_size
    # NOTE: D4C's voicing check ("LoveTrain") needs bands up to 8 kHz; below 16 kHz it marks
    # every frame aperiodic and the output turns to whisper, so it is switched off there.
    threshold = 0.85 if fs >= 16000 else 0.0
    if params.frame_period_ms >= 10.0 or len(times) < 4:
        return np.asarray(pyworld().d4c(x, f0, times, fs, fft_size=n, threshold=threshold))
    coarse = pyworld().d4c(x, np.ascontiguousarray(f0[::2]), np.ascontiguousarray(times[::2]), fs,
                         fft_size=n, threshold=threshold)  # fmt: skip
    return fill_odd_frames(coarse, len(times))


def fill_odd_frames(coarse: Array, frames: int) -> Array:
    """`frames` rows from `coarse`, the values at the even frames: each odd frame is the mean of
    its neighbours, and an odd frame at the end with no (coarse) neighbour after it repeats the
    last one. `coarse` may hold one row past the last even frame (the next block's first)."""
    out = np.empty((frames, coarse.shape[1]))
    out[::2] = coarse[: len(out[::2])]
    odd = out[1::2]
    following = coarse[1 : len(odd) + 1]
    odd[: len(following)] = 0.5 * (coarse[: len(following)] + following)
    odd[len(following) :] = coarse[-1]
    return out


def track_f0(
    x: Array, params: AnalysisParams, f0_range: tuple[float, float] | None, frames: int
) -> Array:
    """The tracker's F0 for `frames` frames, with the tracker the quality level asks for."""
    fs, period = params.sample_rate, params.frame_period_ms
    if params.f0_tracker == "dio":
        lo, hi = f0_range or (F0_LIMITS if params.quality == "fast" else speaker_range(x, fs))

        def dio(piece: Array) -> Array:
            # A wider allowed_range marks more frames voiced; `_revoice` removes the false ones.
            f0, t = pyworld().dio(piece, fs, f0_floor=lo, f0_ceil=hi, frame_period=period,
                                allowed_range=0.2)  # fmt: skip
            return np.asarray(pyworld().stonemask(piece, f0, t, fs))

        f0 = _in_pieces(dio, x, params)
    else:
        lo, hi = f0_range or speaker_range(x, fs)
        low, low_params = x, params
        if HARVEST_RATE < fs:  # see the module docstring: Harvest's cost is its input's length
            low, low_params = (
                resampled(x, fs, HARVEST_RATE),
                replace(params, sample_rate=HARVEST_RATE),
            )

        def harvest(piece: Array) -> Array:
            f0, _ = pyworld().harvest(piece, low_params.sample_rate, f0_floor=lo, f0_ceil=hi,
                                      frame_period=period)  # fmt: skip
            return np.asarray(f0)

        f0 = _in_pieces(harvest, low, low_params)
    return fit_length(f0, frames)


def _in_pieces(tracker: Callable[[Array], Array], x: Array, params: AnalysisParams) -> Array:
    """Run an F0 `tracker` on `TRACKER_CHUNK_SECONDS` pieces with `TRACKER_MARGIN_SECONDS` of
    context each side, and join the frames.

    NOTE: Harvest keeps every filter channel of the whole signal in memory, about 3-6 MB per
    second of audio, and DIO about 2 MB. Pieces start on whole seconds, which are whole frames
    at 5 and 10 ms, and the margins keep the trackers' context, so the joins are seamless.
    """
    chunk, margin, fs = TRACKER_CHUNK_SECONDS, TRACKER_MARGIN_SECONDS, params.sample_rate
    if len(x) <= (chunk + 2 * margin) * fs:
        return np.asarray(tracker(x), dtype=np.float64)
    per_second = int(round(1000.0 / params.frame_period_ms))
    total = frame_count(len(x), params)
    out = np.zeros(total)
    for start in range(0, int(np.ceil(len(x) / fs)), chunk):
        first = max(0, start - margin)
        f0 = tracker(x[first * fs : (start + chunk + margin) * fs])
        g0, g1 = start * per_second, min(total, (start + chunk) * per_second)
        offset = first * per_second
        take = f0[g0 - offset : g1 - offset]
        out[g0 : g0 + len(take)] = take
    return out


@overload
def speaker_range(x: Array, fs: int) -> tuple[float, float]: ...
@overload
def speaker_range(x: Array, fs: int, *, min_voiced: int) -> tuple[float, float] | None: ...
def speaker_range(
    x: Array, fs: int, *, min_voiced: int | None = None
) -> tuple[float, float] | None:
    """The F0 band worth searching for this signal, from a cheap DIO pass.

    Harvest's cost is proportional to the octaves it searches; speech rarely leaves the band
    from 0.6x its 5th percentile to 1.6x its 95th. When DIO finds under 20 voiced 10 ms frames
    the answer is `F0_LIMITS`; with `min_voiced` given, fewer voiced frames than that give None.
    """
    # speed=4 decimates internally: the percentiles match speed=1 at a seventh of the cost.
    f0, t = pyworld().dio(
        x, fs, f0_floor=F0_LIMITS[0], f0_ceil=F0_LIMITS[1], frame_period=10.0, speed=4
    )
    voiced = f0[f0 > 0]
    if min_voiced is not None and len(voiced) < min_voiced:
        return None
    if len(voiced) < 20:
        return F0_LIMITS
    lo = max(F0_LIMITS[0], percentile(voiced, 5) * 0.6)
    hi = min(F0_LIMITS[1], percentile(voiced, 95) * 1.6)
    if hi / lo < 2.0:  # never less than an octave, centred on the speaker
        mid = np.sqrt(lo * hi)
        lo, hi = max(F0_LIMITS[0], mid / np.sqrt(2.0)), min(F0_LIMITS[1], mid * np.sqrt(2.0))
    return lo, hi


def fit_length(values: Array, frames: int) -> Array:
    """`values` trimmed or zero-padded to `frames` rows (WORLD's counts differ by one or two)."""
    if len(values) >= frames:
        return np.ascontiguousarray(values[:frames])
    return np.concatenate([values, np.zeros(frames - len(values))])


def _revoice(f0: Array, low_band_ap: Array) -> Array:
    """Re-decide voicing for DIO's F0 from the aperiodicity below 1.5 kHz.

    A periodic frame has low aperiodicity in the low band; DIO's false voicing sits on noise
    (fricatives, breath) whose aperiodicity there is high.
    """
    voiced = (f0 > 0) & (low_band_ap < 0.5)
    # Drop one-frame voiced islands and fill one-frame gaps: real voicing is never that short.
    smoothed = running_median(voiced.astype(np.uint8), 3).astype(bool)
    voiced = smoothed & (f0 > 0)
    return np.where(voiced, f0, 0.0)


def clean_f0(f0: Array, *, window: int = 21) -> Array:
    """Fold octave errors back and replace remaining outliers by interpolation.

    Works on log-F0 of the voiced frames only: a running median over `window` voiced frames is
    the reference; a value more than a factor 1.6 away is halved or doubled if that brings it
    within range, else interpolated from its neighbours. Frames at the edge of a voiced run,
    where trackers spike, must stay within a factor 1.25.
    """
    out = f0.copy()
    idx = np.flatnonzero(f0 > 0)
    if len(idx) < 3:
        return out
    logf = np.log(f0[idx])
    ref = running_median(logf, min(window, len(logf) | 1))
    dev = logf - ref
    for shift in (np.log(2.0), -np.log(2.0)):
        fold = (np.abs(dev) > np.log(1.6)) & (np.abs(dev - shift) < np.log(1.6))
        logf[fold] -= shift
    dev = logf - ref
    run_start = np.diff(idx, prepend=-10) > 1
    run_end = np.diff(idx, append=idx[-1] + 10) > 1
    near_edge = run_start | run_end | np.roll(run_start, -1) | np.roll(run_end, 1)
    limit = np.where(near_edge, np.log(1.25), np.log(1.6))
    bad = np.abs(dev) > limit
    good = ~bad
    if bad.any() and good.sum() >= 2:
        logf[bad] = np.interp(idx[bad], idx[good], logf[good])
    out[idx] = np.exp(logf)
    return out


def synthesize(f0: Array, sp: Array, ap: Array, params: AnalysisParams) -> Array:
    """WORLD synthesis of the given parameters at ``params.sample_rate``."""
    with _SYNTH_LOCK:
        out = pyworld().synthesize(
            np.ascontiguousarray(f0), np.ascontiguousarray(sp), np.ascontiguousarray(ap),
            params.sample_rate, params.frame_period_ms,
        )  # fmt: skip
    return np.asarray(out, dtype=np.float64)
