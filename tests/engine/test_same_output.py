"""The speed work of issue 12 changes no output: each faster step against the one it replaced.

Each reference below is the engine's earlier formulation, written out plainly; the engine's
steps must give bit-identical arrays (not merely close ones), so a conversion's output does
not move when the work is reorganised.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from voxcli.engine import knn
from voxcli.engine.features import from_canonical, to_canonical
from voxcli.engine.mapping import EnvelopeStats, apply_change
from voxcli.engine.mcep import POWER_FLOOR, canonical_basis, from_log_power
from voxcli.engine.params import fft_size
from voxcli.engine.vtl import warp_log_envelope, warp_map

Array = NDArray[np.float64]


def _envelopes(frames: int, bins: int, seed: int) -> Array:
    """Positive, speech-like power envelopes: a smooth tilt, formant bumps, some silence."""
    rng = np.random.default_rng(seed)
    f = np.linspace(0.0, 1.0, bins)
    log_sp = -8.0 * f[None, :] + rng.normal(size=(frames, 1)) * 3.0
    for _ in range(4):
        centre, width = rng.random(frames)[:, None], 0.02 + 0.05 * rng.random((frames, 1))
        log_sp += 2.0 * np.exp(-(((f[None, :] - centre) / width) ** 2))
    sp = np.exp(log_sp + rng.normal(size=log_sp.shape) * 0.1)
    sp[:5] = 1e-16  # digital silence, below the floor
    return sp


def _earlier(sp: Array, change: Array, warp: tuple[NDArray[np.intp], Array], rate: int) -> tuple[
    Array, Array
]:  # fmt: skip
    """The earlier pass 2 + pass 3 on one block: (canonical mel-cepstra, converted envelope)."""
    index, frac = warp

    def lse(log_sp: Array) -> Array:
        peak = log_sp.max(axis=1)
        return peak + np.log(np.exp(log_sp - peak[:, None]).sum(axis=1))

    log_sp = np.log(np.maximum(sp, POWER_FLOOR))
    warped = log_sp[:, index] * (1.0 - frac) + log_sp[:, index + 1] * frac
    mcep = from_log_power(to_canonical(warped, rate), canonical_basis())
    energy = lse(log_sp)
    out = log_sp[:, index] * (1.0 - frac) + log_sp[:, index + 1] * frac
    out += from_canonical(canonical_basis().log_power(change), rate, out.shape[1])
    out += (energy - lse(out))[:, None]
    return mcep, np.exp(out)


@pytest.mark.parametrize(("rate", "ratio"), [(16000, 1.12), (44100, 0.9), (8000, 1.0)])
def test_envelope_statistics_and_conversion_are_bit_identical(rate: int, ratio: float) -> None:
    bins = fft_size(rate) // 2 + 1
    sp = _envelopes(700, bins, seed=rate)
    change = np.random.default_rng(2).normal(size=(700, 40)) * 0.05
    warp = warp_map(bins, rate, ratio)
    blocks = [(0, 320), (320, 640), (640, 687), (687, 700)]  # short last blocks, too
    # Block by block, as the engine works (BLAS may sum a row differently in another shape).
    earlier = [_earlier(sp[a:b], change[a:b], warp, rate) for a, b in blocks]
    expected_mcep = np.concatenate([mcep for mcep, _ in earlier])
    expected = np.concatenate([converted for _, converted in earlier])

    warped = np.empty_like(sp)
    stats = EnvelopeStats.collect(blocks, lambda a, b: sp[a:b].copy(), warp, rate, warped)
    for start, stop in blocks:
        apply_change(warped[start:stop], stats.energy[start:stop], change[start:stop], rate)

    np.testing.assert_array_equal(stats.mcep, expected_mcep)
    np.testing.assert_array_equal(stats.power, sp.sum(axis=1))
    np.testing.assert_array_equal(warped, expected)


def test_warping_into_a_given_array_matches_a_new_one() -> None:
    log_sp = np.log(_envelopes(300, 1025, seed=5))
    index, frac = warp_map(1025, 44100, 1.17)
    out = np.empty_like(log_sp)
    assert warp_log_envelope(log_sp, index, frac, out=out) is out
    np.testing.assert_array_equal(out, warp_log_envelope(log_sp, index, frac))


def _earlier_neighbour_mean(points: Array, candidates: Array, values: Array, k: int) -> Array:
    k = min(k, len(candidates))
    points, candidates = points.astype(np.float32), candidates.astype(np.float32)
    dist = (
        (points**2).sum(axis=1)[:, None]
        + (candidates**2).sum(axis=1)[None, :]
        - 2.0 * points @ candidates.T
    )
    if k == len(candidates):
        return np.broadcast_to(values.mean(axis=0), (len(points), values.shape[1])).copy()
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    return np.asarray(values[nearest].mean(axis=1), dtype=np.float64)


def _earlier_correction(query: Array, voiced: NDArray[np.bool_], mapped: Array, db: Array,
                        db_frames: Array, db_voiced: NDArray[np.bool_], *, k: int, window: int,
                        block: int) -> Array:  # fmt: skip
    delta = np.zeros_like(mapped)
    for cls in (True, False):
        rows = np.flatnonzero(voiced == cls)
        db_rows = np.flatnonzero(db_voiced == cls)
        if len(db_rows) == 0:
            db_rows = np.arange(len(db_frames))
        for start in range(0, len(rows), block):
            part = rows[start : start + block]
            lo = np.searchsorted(rows, part[0] - window)
            hi = np.searchsorted(rows, part[-1] + window, side="right")
            own = rows[lo:hi]
            target = _earlier_neighbour_mean(query[part], db[db_rows], db_frames[db_rows], k)
            mine = _earlier_neighbour_mean(query[part], query[own], mapped[own], k)
            delta[part] = target - mine
    return delta


@pytest.mark.parametrize(("window", "block", "db_size"), [(10_000, 128, 400), (90, 50, 400),
                                                          (90, 50, 20)])  # fmt: skip
def test_exemplar_correction_is_bit_identical(window: int, block: int, db_size: int) -> None:
    rng = np.random.default_rng(window + db_size)
    query, db = rng.normal(size=(900, 24)), rng.normal(size=(db_size, 24))
    voiced = rng.random(900) < 0.6
    db_voiced = np.ones(db_size, dtype=bool)  # no unvoiced codebook frames: all are used
    mapped, db_frames = rng.normal(size=(900, 40)), rng.normal(size=(db_size, 40))
    args = (query, voiced, mapped, db, db_frames, db_voiced)
    found = knn.exemplar_correction(*args, k=32, window=window, block=block)
    expected = _earlier_correction(*args, k=32, window=window, block=block)
    np.testing.assert_array_equal(found, expected)
