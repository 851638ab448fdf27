"""Mel-cepstrum by a matrix basis: whole utterances in one matrix product.

A mel-cepstrum ``c`` of order ``M`` with warping factor ``alpha`` describes a log amplitude
spectrum as ``log|H(w)| = sum_m c[m] cos(m * beta(w))``, where ``beta`` is the all-pass
(bilinear) frequency warping. Writing that sum as a matrix ``B`` (bins x M+1) turns analysis into
a weighted least-squares fit, ``c = P @ (0.5 * log S)`` with ``P`` precomputed once, and
synthesis into ``log S = 2 * B @ c``. The fit weights each bin by ``d beta / d w`` so the error
is spread evenly over the warped (mel) axis, which is what SPTK's ``sp2mc`` approximates one
frame at a time; here thousands of frames cost one BLAS call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from voxcli.engine.params import CANONICAL_RATE, MCEP_ORDER, fft_size, mel_alpha

Array = NDArray[np.float64]

#: Floor on spectral power before taking logs (WORLD returns ~1e-16 on digital silence).
POWER_FLOOR = 1e-12


def warped_frequency(omega: Array, alpha: float) -> Array:
    """The all-pass warped frequency ``beta(w)`` for normalised angular frequency `omega`."""
    return omega + 2.0 * np.arctan2(alpha * np.sin(omega), 1.0 - alpha * np.cos(omega))


@dataclass(frozen=True, eq=False)
class MelBasis:
    """The analysis and synthesis matrices for one (bins, alpha, order)."""

    bins: int
    alpha: float
    order: int
    synthesis: Array = field(repr=False)
    """``B``: shape ``(bins, order + 1)``; ``log|H| = B @ c``."""
    analysis: Array = field(repr=False)
    """``P``: shape ``(order + 1, bins)``; ``c = P @ log|H|``."""

    def from_power(self, sp: Array) -> Array:
        """Mel-cepstra ``(frames, order+1)`` of power envelopes ``(frames, bins)``."""
        return from_log_power(np.log(np.maximum(sp, POWER_FLOOR)), self)

    def log_power(self, mc: Array) -> Array:
        """Log power envelopes ``(frames, bins)`` of mel-cepstra ``(frames, order+1)``."""
        return 2.0 * (mc @ self.synthesis.T)


def from_log_power(log_sp: Array, basis: MelBasis) -> Array:
    """Mel-cepstra of log power envelopes."""
    return (0.5 * log_sp) @ basis.analysis.T


@lru_cache(maxsize=16)
def mel_basis(bins: int, alpha: float, order: int = MCEP_ORDER) -> MelBasis:
    """Build (and cache) the basis for `bins` bins spanning 0..Nyquist."""
    omega = np.linspace(0.0, np.pi, bins)
    beta = warped_frequency(omega, alpha)
    synthesis = np.cos(np.outer(beta, np.arange(order + 1)))
    # d beta / d omega for the first-order all-pass: (1 - a^2) / (1 - 2a cos w + a^2).
    weight = (1.0 - alpha**2) / (1.0 - 2.0 * alpha * np.cos(omega) + alpha**2)
    weight[[0, -1]] *= 0.5  # trapezoid rule at DC and Nyquist
    weighted = synthesis * weight[:, None]
    gram = synthesis.T @ weighted
    gram += 1e-8 * np.trace(gram) / len(gram) * np.eye(len(gram))  # keeps the solve stable
    analysis = np.linalg.solve(gram, weighted.T)
    synthesis.flags.writeable = False
    analysis.flags.writeable = False
    return MelBasis(bins=bins, alpha=alpha, order=order, synthesis=synthesis, analysis=analysis)


def canonical_basis() -> MelBasis:
    """The basis voice profiles are stored in: 16 kHz, CheapTrick bins, order 39."""
    return mel_basis(fft_size(CANONICAL_RATE) // 2 + 1, mel_alpha(CANONICAL_RATE))
