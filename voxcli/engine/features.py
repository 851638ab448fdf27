"""Frame features shared by profile building and conversion.

Voice profiles live in one spectral space whatever the audio's rate: mel-cepstra of the 0-8 kHz
band on CheapTrick's 16 kHz grid (`voxcli.engine.mcep.canonical_basis`). Audio at other rates
is projected onto that grid for the statistics, and the corrections computed there are mapped
back onto the native grid (held constant above 8 kHz, so the top band moves with the rest).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from voxcli.engine.filters import percentile
from voxcli.engine.mcep import POWER_FLOOR, canonical_basis, from_log_power
from voxcli.engine.params import CANONICAL_RATE

Array = NDArray[np.float64]

#: Frames quieter than this many dB below the loud frames are pauses, not speech.
SPEECH_RANGE_DB = 50.0
#: Cepstral coefficients used to compare frames (c1..c24: the envelope's shape, not its level).
MATCH_DIMS = slice(1, 25)


def _grid_map(
    src_bins: int, src_nyquist: float, dst_bins: int, dst_nyquist: float
) -> tuple[NDArray[np.intp], Array]:
    """Index/fraction pairs reading a `src` grid at each `dst` frequency (held at the edges)."""
    f = np.linspace(0.0, dst_nyquist, dst_bins)
    pos = np.clip(f / src_nyquist * (src_bins - 1), 0.0, src_bins - 1.0)
    index = np.minimum(pos.astype(np.intp), src_bins - 2)
    return index, pos - index


def to_canonical(log_sp: Array, sample_rate: int) -> Array:
    """Log power envelopes on the native grid -> the canonical 0-8 kHz grid.

    Below 16 kHz the missing top of the band repeats the highest native bin; it carries no
    information, and the same padding on source frames keeps their statistics consistent.
    """
    bins = canonical_basis().bins
    if sample_rate == CANONICAL_RATE and log_sp.shape[1] == bins:
        return log_sp
    index, frac = _grid_map(log_sp.shape[1], sample_rate / 2.0, bins, CANONICAL_RATE / 2.0)
    return log_sp[:, index] * (1.0 - frac) + log_sp[:, index + 1] * frac


def from_canonical(values: Array, sample_rate: int, bins: int) -> Array:
    """A per-bin correction on the canonical grid -> the native grid of `bins` bins.

    Above 8 kHz the correction is the mean of its top 0.5 kHz, so the spectrum stays continuous.
    """
    canon_bins = values.shape[1]
    if sample_rate == CANONICAL_RATE and bins == canon_bins:
        return values
    nyquist = sample_rate / 2.0
    f = np.linspace(0.0, nyquist, bins)
    inside = f <= CANONICAL_RATE / 2.0
    out = np.empty((len(values), bins))
    index, frac = _grid_map(canon_bins, CANONICAL_RATE / 2.0, int(inside.sum()), f[inside][-1])
    out[:, inside] = values[:, index] * (1.0 - frac) + values[:, index + 1] * frac
    if not inside.all():
        edge = values[:, -max(2, canon_bins // 16) :].mean(axis=1)
        out[:, ~inside] = edge[:, None]
    return out


def canonical_mcep(sp: Array, sample_rate: int) -> tuple[Array, Array]:
    """``(log power on the native grid, canonical mel-cepstra)`` of power envelopes `sp`."""
    log_sp = np.log(np.maximum(sp, POWER_FLOOR))
    return log_sp, from_log_power(to_canonical(log_sp, sample_rate), canonical_basis())


def speech_mask(sp: Array) -> NDArray[np.bool_]:
    """Speech frames of power envelopes `sp` (see `speech_frames`)."""
    return speech_frames(sp.sum(axis=1))


def speech_frames(power: Array) -> NDArray[np.bool_]:
    """Frames whose envelope `power` is within `SPEECH_RANGE_DB` of the 95th percentile."""
    power_db = 10.0 * np.log10(np.maximum(power, POWER_FLOOR))
    return np.asarray(power_db >= percentile(power_db, 95) - SPEECH_RANGE_DB, dtype=np.bool_)


def class_stats(
    mc: Array, voiced: NDArray[np.bool_], speech: NDArray[np.bool_]
) -> tuple[Array, Array]:
    """Mean and std of each coefficient for voiced and unvoiced speech: shapes ``(2, dims)``.

    Row 0 is voiced, row 1 unvoiced. A class with under 20 frames borrows the pooled statistics,
    so a short or whispered clip still gets usable numbers.
    """
    pooled = mc[speech] if speech.any() else mc
    means, stds = [], []
    for cls in (voiced, ~voiced):
        rows = mc[cls & speech]
        if len(rows) < 20:
            rows = pooled
        means.append(rows.mean(axis=0))
        stds.append(np.maximum(rows.std(axis=0), 1e-4))
    return np.array(means), np.array(stds)
