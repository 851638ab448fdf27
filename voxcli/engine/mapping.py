"""The spectral mapping: what the conversion does to each frame's envelope.

Three parts, in the order the conversion uses them:

- `EnvelopeStats.collect`: the per-frame numbers the mapping needs from the whole input (frame
  power and the canonical mel-cepstrum of the tract-warped envelope), gathered one block of
  envelopes at a time, and the warped log envelopes themselves, kept for `apply_change`.
- `cepstral_change`: the change to each frame's mel-cepstrum: mean normalisation toward the
  target per voicing class (spread moved part-way, `VARIANCE_EXPONENT`), then the exemplar
  correction (`voxcli.engine.knn`), smoothed over `SMOOTHING_MS`. c0 (energy) is untouched.
- `apply_change`: a block of warped envelopes given the change as a smooth gain (so detail
  finer than the cepstrum survives), and rescaled to each frame's source energy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from voxcli.engine import knn
from voxcli.engine.features import (
    MATCH_DIMS,
    class_stats,
    from_canonical,
    speech_frames,
    to_canonical,
)
from voxcli.engine.mcep import POWER_FLOOR, canonical_basis, from_log_power
from voxcli.engine.profile import VoiceProfile
from voxcli.engine.vtl import warp_log_envelope

Array = NDArray[np.float64]

#: Exponent on the target/source spread ratio of each cepstral coefficient (1 = full MVN).
#: Half-way (0.5) costs 3-4 fewer WER points for about 0.015 less of the identity gap.
VARIANCE_EXPONENT = 0.5
SCALE_LIMITS = (0.25, 4.0)
#: Length of the moving average applied to the exemplar correction.
SMOOTHING_MS = 25.0


@dataclass
class EnvelopeStats:
    """Per-frame envelope numbers of the whole input (see `collect`)."""

    power: Array
    """Total envelope power per frame (for the speech mask)."""
    energy: Array
    """Log of each frame's envelope power, as `apply_change` keeps it."""
    mcep: Array
    """Canonical mel-cepstra of the warped envelopes, ``(frames, 40)``."""

    @classmethod
    def collect(
        cls,
        blocks: list[tuple[int, int]],
        envelope: Callable[[int, int], Array],
        warp: tuple[NDArray[np.intp], Array],
        sample_rate: int,
        warped: Array,
    ) -> EnvelopeStats:
        """Gather the numbers from `envelope(start, stop)` (power envelopes, consumed) block by
        block, and write each frame's warped log envelope into `warped` ``(frames, bins)``:
        what `apply_change` converts, so the log and the warp are taken once per frame."""
        basis, frames = canonical_basis(), len(warped)
        power, energy = np.zeros(frames), np.zeros(frames)
        mcep = np.zeros((frames, basis.order + 1))
        for start, stop in blocks:
            sp = envelope(start, stop)
            power[start:stop] = sp.sum(axis=1)
            log_sp = np.log(np.maximum(sp, POWER_FLOOR, out=sp), out=sp)
            energy[start:stop] = _log_sum_exp(log_sp)
            block = warp_log_envelope(log_sp, *warp, out=warped[start:stop])
            # Column-major, as the warp's own arrays used to be: the same BLAS path, so the
            # output stays bit-identical (a copy only at 16 kHz, where nothing is resampled).
            canonical = np.asfortranarray(to_canonical(block, sample_rate))
            mcep[start:stop] = from_log_power(canonical, basis)
        return cls(power=power, energy=energy, mcep=mcep)

    def speech(self) -> NDArray[np.bool_]:
        """The speech frames (`features.speech_frames` of the frame power)."""
        return speech_frames(self.power)


def cepstral_change(
    mc: Array,
    voiced: NDArray[np.bool_],
    speech: NDArray[np.bool_],
    profile: VoiceProfile,
    global_weight: float,
    exemplar_weight: float,
    frame_period_ms: float,
) -> Array:
    """The change ``(frames, 40)`` to add to the input's canonical mel-cepstra `mc`."""
    src_mean, src_std = class_stats(mc, voiced, speech)
    cls = np.where(voiced, 0, 1)
    scale = np.clip((profile.mcep_std[cls] / src_std[cls]) ** VARIANCE_EXPONENT, *SCALE_LIMITS)
    change = profile.mcep_mean[cls] + (mc - src_mean[cls]) * scale - mc
    change *= global_weight
    change[:, 0] = 0.0
    if exemplar_weight > 0.0:
        query = ((mc - src_mean[cls]) / src_std[cls])[:, MATCH_DIMS]
        book = profile.codebook.astype(np.float64)
        book_cls = np.where(profile.codebook_voiced, 0, 1)
        book_query = ((book - profile.mcep_mean[book_cls]) / profile.mcep_std[book_cls])[
            :, MATCH_DIMS
        ]
        delta = knn.exemplar_correction(
            query, voiced, mc + change, book_query, book, profile.codebook_voiced,
            k=knn.K_NEIGHBOURS,
        )  # fmt: skip
        delta[:, 0] = 0.0
        change += exemplar_weight * knn.smooth(
            delta, max(1, int(round(SMOOTHING_MS / frame_period_ms)) | 1)
        )
    return change


def apply_change(warped: Array, energy: Array, change: Array, sample_rate: int) -> Array:
    """Warped log envelopes `warped` (from `EnvelopeStats.collect`) changed by `change`
    (cepstral) and given back each frame's source `energy`: power envelopes, in place."""
    out = warped
    out += from_canonical(canonical_basis().log_power(change), sample_rate, out.shape[1])
    out += (energy - _log_sum_exp(out, bin_by_bin=True))[:, None]
    return np.exp(out, out=out)


def _log_sum_exp(log_sp: Array, *, bin_by_bin: bool = False) -> Array:
    """Log of each frame's total power, from log power envelopes ``(frames, bins)``.

    `bin_by_bin` adds the bins one after the other (a column-major temporary) instead of
    numpy's pairwise sum: the order the converted envelope's energy has always been summed in,
    so the output stays bit-identical, and the faster of the two on these arrays.
    """
    peak = log_sp.max(axis=1)
    powers = np.subtract(log_sp, peak[:, None], order="F" if bin_by_bin else "K")
    total = np.exp(powers, out=powers).sum(axis=1)
    return np.asarray(peak + np.log(total), dtype=np.float64)
