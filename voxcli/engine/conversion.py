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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from voxcli.engine import knn, level, world
from voxcli.engine.features import (
    MATCH_DIMS,
    class_stats,
    from_canonical,
    speech_mask,
    to_canonical,
)
from voxcli.engine.knn import exemplar_correction, smooth
from voxcli.engine.mcep import POWER_FLOOR, canonical_basis, from_log_power
from voxcli.engine.params import MAX_RATE, MIN_RATE, QUALITIES, AnalysisParams, Quality
from voxcli.engine.profile import VoiceProfile
from voxcli.engine.vtl import formants, warp_log_envelope, warp_map, warp_ratio
from voxcli.errors import InputError

Array = NDArray[np.float64]

DEFAULT_STRENGTH = 0.8
#: Inputs shorter than this are returned unchanged: there is nothing to analyse.
MIN_SECONDS = 0.1
#: Fewer speech frames than this and the input is treated as silence (returned unchanged).
MIN_SPEECH_FRAMES = 10
#: Exponent on the target/source spread ratio of each cepstral coefficient (1 = full MVN).
#: Half-way (0.5) costs 3-4 fewer WER points for about 0.015 less of the identity gap.
VARIANCE_EXPONENT = 0.5
SCALE_LIMITS = (0.25, 4.0)
#: Share of the log formant ratio applied by the tract warp.
VTL_SHARE = 1.0
#: Exemplar-correction weight at strength 1.
LAMBDA_MAX = 1.0
#: Length of the moving average applied to the exemplar correction.
SMOOTHING_MS = 25.0


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


def convert(
    samples: NDArray[np.floating],
    sample_rate: int,
    profile: VoiceProfile,
    options: ConversionOptions | None = None,
) -> NDArray[np.float32]:
    """Convert mono `samples` at `sample_rate` toward `profile`; same length and rate out.

    Deterministic: the same input, profile and options give bit-identical output.
    """
    opts = options or ConversionOptions()
    if not MIN_RATE <= sample_rate <= MAX_RATE:
        raise InputError(
            f"the local engine converts audio at {MIN_RATE}-{MAX_RATE} Hz, not {sample_rate} Hz",
            hint="resample the input first, e.g. sox in.wav -r 16000 out.wav",
        )
    x = np.nan_to_num(np.asarray(samples, dtype=np.float64))
    if len(x) < MIN_SECONDS * sample_rate or not np.any(x):
        return x.astype(np.float32)
    params = AnalysisParams(sample_rate, opts.quality)
    analysis = world.analyse(x, params)
    speech = speech_mask(analysis.sp)
    if speech.sum() < MIN_SPEECH_FRAMES:
        return x.astype(np.float32)
    f0 = map_f0(analysis.f0, profile, opts.global_weight)
    sp = convert_envelope(x, analysis, speech, profile, opts)
    y = world.synthesize(f0, sp, analysis.ap, params)
    del sp, analysis
    y = _fit_length(y, len(x))
    return level.limit(level.match_loudness(y, x), sample_rate).astype(np.float32)


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


def convert_envelope(
    x: Array,
    analysis: world.Analysis,
    speech: NDArray[np.bool_],
    profile: VoiceProfile,
    opts: ConversionOptions,
) -> Array:
    """The converted power envelope ``(frames, bins)`` (steps 3-6 of the module docstring).

    NOTE: to keep peak memory near three envelopes for long inputs, this takes the log of
    ``analysis.sp`` in place: the analysis's envelope is consumed.
    """
    params, fs = analysis.params, analysis.params.sample_rate
    voiced = analysis.f0 > 0
    log_sp = np.log(np.maximum(analysis.sp, POWER_FLOOR, out=analysis.sp), out=analysis.sp)
    frame_energy = _log_sum_exp(log_sp)
    # Step 3: vocal-tract warp.
    found, evidence = formants(x, fs, analysis.f0, params.frame_period_ms)
    f0_ratio = (
        profile.f0_mean_hz / np.exp(np.log(analysis.f0[voiced]).mean()) if voiced.any() else 1.0
    )
    ratio = warp_ratio(found, profile.formants_hz, evidence, f0_ratio) ** (
        VTL_SHARE * opts.global_weight
    )
    log_sp = warp_log_envelope(log_sp, *warp_map(log_sp.shape[1], fs, ratio))
    # Step 4: mean/variance normalisation in the canonical space.
    basis = canonical_basis()
    mc = from_log_power(to_canonical(log_sp, fs), basis)
    src_mean, src_std = class_stats(mc, voiced, speech)
    cls = np.where(voiced, 0, 1)
    scale = np.clip((profile.mcep_std[cls] / src_std[cls]) ** VARIANCE_EXPONENT, *SCALE_LIMITS)
    normalised = profile.mcep_mean[cls] + (mc - src_mean[cls]) * scale
    normalised[:, 0] = mc[:, 0]
    target = mc + opts.global_weight * (normalised - mc)
    # Step 5: exemplar correction.
    if opts.exemplar_weight > 0.0:
        query = ((mc - src_mean[cls]) / src_std[cls])[:, MATCH_DIMS]
        book = profile.codebook.astype(np.float64)
        book_cls = np.where(profile.codebook_voiced, 0, 1)
        book_query = ((book - profile.mcep_mean[book_cls]) / profile.mcep_std[book_cls])[
            :, MATCH_DIMS
        ]
        delta = exemplar_correction(
            query, voiced, target, book_query, book, profile.codebook_voiced, k=knn.K_NEIGHBOURS
        )
        delta[:, 0] = 0.0
        target = target + opts.exemplar_weight * smooth(
            delta, max(1, int(round(SMOOTHING_MS / params.frame_period_ms)) | 1)
        )
    # Step 6: apply the change as a smooth gain on the native grid and restore frame energy.
    gain = from_canonical(basis.log_power(target - mc), fs, log_sp.shape[1])
    log_sp += gain
    del gain
    log_sp += (frame_energy - _log_sum_exp(log_sp))[:, None]
    return np.exp(log_sp, out=log_sp)


def _log_sum_exp(log_sp: Array) -> Array:
    peak = log_sp.max(axis=1)
    return np.asarray(peak + np.log(np.exp(log_sp - peak[:, None]).sum(axis=1)), dtype=np.float64)


def _fit_length(y: Array, frames: int) -> Array:
    """WORLD's output is a frame longer or shorter than the input: trim or zero-pad to fit."""
    if len(y) >= frames:
        return y[:frames]
    return np.concatenate([y, np.zeros(frames - len(y))])
