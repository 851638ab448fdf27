"""Bounded-memory analysis: WORLD envelopes and aperiodicities a few seconds at a time.

Whole-input analysis holds several ``frames x bins`` arrays at once (1.6 MB per second each at
44.1 kHz), so the engine computes envelopes and aperiodicities
block by block, twice: once for the input's statistics and once to fill the converted envelope
that is synthesised in one pass. Between passes it keeps per-frame numbers for the whole input
(F0, energies, 40 cepstral coefficients, a handful of coded aperiodicity bands).

Analysis of a block reads the signal with `MARGIN_SECONDS` of context on each side, more than
CheapTrick's and D4C's windows reach, so a frame's envelope and aperiodicity do not depend on
where the blocks fall. Synthesis is never cut: WORLD places glottal pulses by phase accumulated
from the first frame, and joins between separately synthesised blocks cost words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np
from numpy.typing import NDArray

from voxcli.engine import world
from voxcli.engine.libworld import pyworld
from voxcli.engine.params import AnalysisParams

Array = NDArray[np.float64]

#: Length of one analysis block.
BLOCK_SECONDS = 4.0
#: Signal read on each side of an analysis block (CheapTrick and D4C reach under 0.1 s).
MARGIN_SECONDS = 0.15


@dataclass(frozen=True)
class Grid:
    """Frame/sample arithmetic for one signal: frame ``i`` sits at ``i * hop`` samples."""

    params: AnalysisParams
    samples: int

    @property
    def frames(self) -> int:
        return world.frame_count(self.samples, self.params)

    @property
    def align(self) -> int:
        """Frames between positions that are whole samples (and even, for D4C's 10 ms grid)."""
        hop = Fraction(self.params.sample_rate * int(self.params.frame_period_ms), 1000)
        return lcm(hop.denominator, 2)

    def sample(self, frame: int) -> int:
        """First sample of `frame` (exact when `frame` is a multiple of `align`)."""
        return frame * self.params.sample_rate * int(self.params.frame_period_ms) // 1000

    def seconds_to_frames(self, seconds: float) -> int:
        """`seconds` as a whole number of `align` steps of frames (at least one step)."""
        step = self.align
        frames = int(round(seconds * 1000.0 / self.params.frame_period_ms))
        return max(step, frames // step * step)

    def blocks(self, seconds: float = BLOCK_SECONDS) -> Iterator[tuple[int, int]]:
        """Consecutive ``(start, stop)`` frame ranges of about `seconds`, starts aligned."""
        size = self.seconds_to_frames(seconds)
        for start in range(0, self.frames, size):
            yield start, min(self.frames, start + size)


def analyse_block(x: Array, f0: Array, grid: Grid, start: int, stop: int, what: str) -> Array:
    """CheapTrick envelope (``what="sp"``) or D4C aperiodicity (``"ap"``) of frames start..stop.

    `f0` is the tracker's F0 for the whole input; `start` must be a multiple of ``grid.align``.
    The aperiodicity has the bins of `world.aperiodicity_params` (fewer above 24 kHz).
    """
    margin = grid.seconds_to_frames(MARGIN_SECONDS)
    # D4C at 5 ms runs on every other frame and interpolates the rest: one more frame lets the
    # block's last frame be interpolated exactly as in a whole-input analysis.
    end = min(grid.frames, stop + 1) if what == "ap" else stop
    first = max(0, start - margin)
    last = min(grid.frames, end + margin)
    piece = x[grid.sample(first) : min(len(x), grid.sample(last) + 1)]
    period = grid.params.frame_period_ms / 1000.0
    times = (np.arange(start, end) - first) * period
    block_f0 = np.ascontiguousarray(f0[start:end])
    if what == "sp":
        p = grid.params
        sp = pyworld().cheaptrick(piece, block_f0, times, p.sample_rate, fft_size=p.fft_size)
        return np.asarray(sp)
    low = world.aperiodicity_params(grid.params)
    if low.sample_rate != grid.params.sample_rate:  # the margins cover soxr's filter, too
        piece = world.resampled(piece, grid.params.sample_rate, low.sample_rate)
    return world.aperiodicity(piece, block_f0, times, low)[: stop - start]


class CodedAperiodicity:
    """Aperiodicity of the whole input, kept as WORLD's band code (a few numbers per frame).

    D4C measures aperiodicity in 3 kHz bands and interpolates between them, so the code is
    exact. Above 24 kHz, D4C reads the signal at 24 kHz (`world.aperiodicity_params`) and the
    bands it cannot measure there (12 and 15 kHz) repeat its highest one. Below about 12 kHz
    there are no bands at all and the (small) arrays are kept as float32 instead. At 5 ms
    frames only the even frames, where D4C ran, are kept; the odd ones are interpolated on the
    way out, as `world.aperiodicity` does.
    """

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.step = 1 if grid.params.frame_period_ms >= 10.0 else 2
        self.bands = int(pyworld().get_num_aperiodicities(grid.params.sample_rate))
        self.measured_rate = world.aperiodicity_params(grid.params).sample_rate
        rows = -(-grid.frames // self.step)
        if self.bands:
            self._rows = np.empty((rows, self.bands))
        else:
            self._rows = np.empty((rows, grid.params.bins), dtype=np.float32)

    def store(self, start: int, ap: Array) -> None:
        """Keep the aperiodicity `ap` (from `analyse_block`) of frames from `start` (a multiple
        of ``grid.align``)."""
        coarse = np.ascontiguousarray(ap[:: self.step])
        if self.bands:
            coarse = pyworld().code_aperiodicity(coarse, self.measured_rate)
            missing = self.bands - coarse.shape[1]
            coarse = np.concatenate([coarse, np.repeat(coarse[:, -1:], missing, axis=1)], axis=1)
        first = start // self.step
        self._rows[first : first + len(coarse)] = coarse

    def whole(self) -> Array:
        """Aperiodicity ``(frames, bins)`` of the whole input, decoded a block at a time into
        the one array synthesis needs (no second full-size array on the way)."""
        out = np.empty((self.grid.frames, self.grid.params.bins))
        for start, stop in self.grid.blocks():
            out[start:stop] = self.block(start, stop)
        return out

    def block(self, start: int, stop: int) -> Array:
        """Aperiodicity ``(stop - start, bins)`` of frames start..stop (start aligned)."""
        first, last = start // self.step, min(len(self._rows), (stop - 1) // self.step + 2)
        coarse = np.ascontiguousarray(self._rows[first:last], dtype=np.float64)
        if self.bands:
            p = self.grid.params
            coarse = pyworld().decode_aperiodicity(coarse, p.sample_rate, p.fft_size)
        if self.step == 1:
            return coarse[: stop - start]
        return world.fill_odd_frames(coarse, stop - start)
