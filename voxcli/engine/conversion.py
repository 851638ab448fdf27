"""Voice conversion of one signal toward a `VoiceProfile`.

The pipeline, per input (all statistics of the source come from the input itself):

1. WORLD analysis at the input's rate (`voxcli.engine.world`).
2. F0: log-F0 mean and variance mapped onto the target's.
3. Vocal tract: the envelope is warped by the target/source formant ratio (`vtl`).
4. Timbre: mel-cepstral mean normalisation toward the target per voicing class, in the
   canonical 16 kHz space, with the spread moved half-way (`VARIANCE_EXPONENT`: full variance
   matching costs intelligibility for little identity); the energy term c0 stays the source's.
5. Exemplar correction (`knn`): a local mean shift toward the target's frames of the same kind
   of sound, smoothed over 25 ms.
6. The change from steps 4-5 is applied to the warped envelope as a smooth gain (so detail finer
   than the cepstrum survives), each frame keeps its source energy, aperiodicity is kept, and
   WORLD resynthesises. The result has the input's length and loudness and no peak above
   `level.PEAK_LIMIT`.

`strength` (0..1) scales the conversion: up to 0.5 it fades in steps 2-4; above 0.5 it fades in
the exemplar correction (weight 0 at 0.5, 1 at 1). The default, 0.8, is the strongest setting
whose cost in word error rate stays within a few points (see `benchmarks/local_quality.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from voxcli.engine import level, world
from voxcli.engine.blocks import (
    CodedAperiodicity,
    Grid,
    analyse_block,
)
from voxcli.engine.mapping import EnvelopeStats, apply_change, cepstral_change
from voxcli.engine.params import MAX_RATE, MIN_RATE, QUALITIES, AnalysisParams, Quality
from voxcli.engine.profile import VoiceProfile
from voxcli.engine.threads import one_blas_thread
from voxcli.engine.vtl import formants, warp_map, warp_ratio
from voxcli.errors import InputError

Array = NDArray[np.float64]

DEFAULT_STRENGTH = 0.8
#: Inputs shorter than this are returned unchanged: there is nothing to analyse.
MIN_SECONDS = 0.1
#: Fewer speech frames than this and the input is treated as silence (returned unchanged).
MIN_SPEECH_FRAMES = 10
#: Share of the log formant ratio applied by the tract warp.
VTL_SHARE = 1.0
#: Exemplar-correction weight at strength 1.
LAMBDA_MAX = 1.0


@dataclass(frozen=True)
class ConversionOptions:
    """How strongly and how carefully to convert."""

    strength: float = DEFAULT_STRENGTH
    """0 = resynthesis only, 1 = the strongest conversion."""
    quality: Quality = "default"
    """``default`` (Harvest, 5 ms) or ``fast`` (DIO, 10 ms; about 3x cheaper)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise InputError(f"strength must be from 0 to 1, not {self.strength}")
        if self.quality not in QUALITIES:
            raise InputError(
                f"unknown quality {self.quality!r}", hint=f"use one of: {', '.join(QUALITIES)}"
            )

    @property
    def global_weight(self) -> float:
        """How much of the F0, tract and timbre normalisation to apply."""
        return min(1.0, self.strength / 0.5)

    @property
    def exemplar_weight(self) -> float:
        """Weight of the exemplar correction (the recipe's lambda)."""
        return LAMBDA_MAX * max(0.0, self.strength - 0.5) / 0.5


#: Where each pass ends, as a fraction of a conversion's time (measured at 16 kHz, default
#: quality: F0 tracking 44 %, aperiodicity 22 %, envelopes 11 %, mapping 14 %, synthesis 12 %).
_F0_DONE, _AP_DONE, _ENVELOPES_DONE, _MAPPED = 0.44, 0.66, 0.77, 0.88


def convert(
    samples: NDArray[np.floating],
    sample_rate: int,
    profile: VoiceProfile,
    options: ConversionOptions | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> NDArray[np.float32]:
    """Convert mono `samples` at `sample_rate` toward `profile`; same length and rate out.

    Deterministic: the same input, profile and options give bit-identical output. Memory grows
    with the input by the signal plus one converted envelope and one aperiodicity for the single
    WORLD synthesis; analysis runs a block at a time (`voxcli.engine.blocks`). `progress` gets
    the fraction done (0..1) as the passes and blocks go by (an estimate: passes differ in cost).
    """
    opts = options or ConversionOptions()
    with one_blas_thread():
        return _convert(samples, sample_rate, profile, opts, progress or _ignore)


def _ignore(fraction: float) -> None:
    pass


def _convert(
    samples: NDArray[np.floating],
    sample_rate: int,
    profile: VoiceProfile,
    opts: ConversionOptions,
    progress: Callable[[float], None],
) -> NDArray[np.float32]:
    if not MIN_RATE <= sample_rate <= MAX_RATE:
        raise InputError(
            f"the local engine converts audio at {MIN_RATE}-{MAX_RATE} Hz, not {sample_rate} Hz",
            hint="resample the input first, e.g. sox in.wav -r 16000 out.wav",
        )
    x = np.nan_to_num(np.array(samples, dtype=np.float64), copy=False)
    if len(x) < MIN_SECONDS * sample_rate or not np.any(x):
        return x.astype(np.float32)
    params = AnalysisParams(sample_rate, opts.quality)
    grid = Grid(params, len(x))
    blocks = list(grid.blocks())
    # Pass 1: F0, and the aperiodicity (coded, small), which the fast tracker's voicing needs.
    low, low_params = world.tracking_signal(x, params)
    raw_f0 = world.track_f0(low, low_params, None, grid.frames)
    progress(_F0_DONE)
    aperiodicity, measured = CodedAperiodicity(grid), world.aperiodicity_params(params)
    low_band = np.zeros(grid.frames)
    for start, stop in blocks:
        ap = analyse_block(x, raw_f0, grid, start, stop, "ap")
        aperiodicity.store(start, ap)
        low_band[start:stop] = world.low_band_aperiodicity(ap, measured)
        progress(_F0_DONE + (_AP_DONE - _F0_DONE) * stop / grid.frames)
    del ap
    f0 = world.finish_f0(raw_f0, low_band, params)
    voiced = f0 > 0
    # Pass 2: the vocal-tract ratio and the envelope statistics of the input. Each block's
    # warped log envelope is kept in the one array that synthesis takes, so CheapTrick, the
    # log and the warp run once per frame.
    warp = warp_map(params.bins, sample_rate, _tract_ratio(low, f0, profile, opts, low_params))
    del low
    sp, stats = _envelopes(x, raw_f0, grid, blocks, warp)
    progress(_ENVELOPES_DONE)
    speech = stats.speech()
    if speech.sum() < MIN_SPEECH_FRAMES:
        return x.astype(np.float32)
    change = cepstral_change(stats.mcep, voiced, speech, profile, opts.global_weight,
                             opts.exemplar_weight, params.frame_period_ms)  # fmt: skip
    energy = stats.energy
    del stats
    # Pass 3: convert the (warped, log) envelope block by block in place, then synthesise
    # once: cuts between separately synthesised blocks cost intelligibility (restarted pulses
    # and noise).
    for start, stop in blocks:
        apply_change(sp[start:stop], energy[start:stop], change[start:stop], sample_rate)
    progress(_MAPPED)
    # The input is not needed any more: only its length and level are (a full-length array
    # less while WORLD synthesises, the memory peak).
    length, loudness = len(x), level.rms(x)
    del x
    ap = aperiodicity.whole()
    y = world.synthesize(map_f0(f0, profile, opts.global_weight), sp, ap, params)
    del sp, ap
    y = level.scale_to(world.fit_length(y, length), loudness)
    progress(1.0)
    return level.limit(y, sample_rate).astype(np.float32)


def _envelopes(
    x: Array, raw_f0: Array, grid: Grid, blocks: list[tuple[int, int]],
    warp: tuple[NDArray[np.intp], Array],
) -> tuple[Array, EnvelopeStats]:  # fmt: skip
    """The warped log CheapTrick envelopes of the whole input in one array (for `apply_change`),
    and their statistics."""
    warped = np.empty((grid.frames, grid.params.bins))

    def envelope(start: int, stop: int) -> Array:
        return analyse_block(x, raw_f0, grid, start, stop, "sp")

    stats = EnvelopeStats.collect(blocks, envelope, warp, grid.params.sample_rate, warped)
    return warped, stats


def _tract_ratio(
    x: Array, f0: Array, profile: VoiceProfile, opts: ConversionOptions, params: AnalysisParams
) -> float:
    """The formant ratio target/source the envelope is warped by (1 = no warp)."""
    voiced = f0 > 0
    found, evidence = formants(x, params.sample_rate, f0, params.frame_period_ms)
    f0_ratio = profile.f0_mean_hz / np.exp(np.log(f0[voiced]).mean()) if voiced.any() else 1.0
    ratio = warp_ratio(found, profile.formants_hz, evidence, f0_ratio)
    return float(ratio ** (VTL_SHARE * opts.global_weight))


def map_f0(f0: Array, profile: VoiceProfile, weight: float = 1.0) -> Array:
    """Map voiced F0 onto the target's log-F0 mean and spread (unvoiced frames stay 0)."""
    voiced = f0 > 0
    if not voiced.any() or weight == 0.0:
        return f0.copy()
    logf = np.log(f0[voiced])
    mean, std = logf.mean(), logf.std()
    # A handful of frames gives no usable spread: shift the mean only.
    scale = 1.0 if voiced.sum() < 20 or std < 1e-3 else np.clip(profile.log_f0_std / std, 0.5, 2.0)
    mapped = profile.log_f0_mean + (logf - mean) * scale
    out = np.zeros_like(f0)
    out[voiced] = np.exp(logf + weight * (mapped - logf))
    return out
