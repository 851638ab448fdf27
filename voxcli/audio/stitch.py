"""Joining converted sections back into one signal, without audible seams or timing drift.

Each converted section is first locked to the length of what was uploaded (`lock`: trim or pad
at the end), so timing errors never accumulate: section k always starts exactly where the plan
put it. Neighbours overlap by the plan's crossfade, centred in the pause the cut was placed in,
and are joined with a correlation-compensated equal-power crossfade (`crossfade`).

`Stitcher` does this incrementally: sections are fed in order, possibly in pieces as they
stream in, and finished output comes out as soon as no later section can change it. Memory
holds one crossfade's worth of audio, never a whole section.

Pure: numpy only, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from voxcli.audio.io import Samples
from voxcli.audio.plan import Plan, Section


def lock(samples: Samples, frames: int) -> Samples:
    """Return `samples` trimmed or zero-padded at the end to exactly `frames` frames."""
    if len(samples) >= frames:
        return samples[:frames]
    return np.concatenate([samples, np.zeros(frames - len(samples), dtype=np.float32)])


def crossfade_gains(rho: float, frames: int) -> tuple[Samples, Samples]:
    """Fade-out and fade-in gains ``(a, b)`` for signals with correlation `rho`.

    A raised-cosine shape ``s`` is scaled so that ``a**2 + b**2 + 2*rho*a*b == 1``: the power of
    ``a*p + b*q`` stays constant when `p` and `q` have equal power and correlation `rho`. With
    ``rho == 1`` (identical signals) this is a plain ``a + b == 1`` fade, which reproduces the
    signal exactly; with ``rho == 0`` it is the classic equal-power fade (no -3 dB dip for
    unrelated signals). A fixed equal-power fade would give identical signals a +3 dB bump.
    """
    rho = float(np.clip(rho, 0.0, 1.0))
    t = (np.arange(frames, dtype=np.float64) + 0.5) / max(frames, 1)
    s = 0.5 - 0.5 * np.cos(np.pi * t)
    norm = 1.0 / np.sqrt((1.0 - s) ** 2 + s**2 + 2.0 * rho * s * (1.0 - s))
    return (norm * (1.0 - s)).astype(np.float32), (norm * s).astype(np.float32)


def correlation(p: Samples, q: Samples) -> float:
    """Normalised correlation of two equal-length signals, clamped to [0, 1].

    1.0 when either is silent: then the gains hardly matter, and a plain fade adds no boost.
    """
    pp = float(np.dot(p, p))
    qq = float(np.dot(q, q))
    if pp <= 1e-12 or qq <= 1e-12:
        return 1.0
    return float(np.clip(np.dot(p, q) / np.sqrt(pp * qq), 0.0, 1.0))


def crossfade(p: Samples, q: Samples) -> Samples:
    """Fade from `p` (the end of one section) into `q` (the start of the next), same length."""
    a, b = crossfade_gains(correlation(p, q), len(p))
    return (a * p + b * q).astype(np.float32)


class Stitcher:
    """Joins a plan's converted sections, in order, into one continuous output.

    `plan` must be at the output's sample rate (`Plan.at_rate`). Feed each section with `feed`
    (any number of pieces) and close it with `end_section`; both return the output blocks that
    became final. After the last section the output is exactly ``plan.frames`` long.
    `drift_ms[k]` is how much longer (positive) or shorter section k came back than sent.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.drift_ms: list[float] = []
        self._index = 0
        self._received = 0  # frames of the current section received so far (uncapped)
        self._lead: list[Samples] = []  # current section's start, waiting for the crossfade
        self._tail: list[Samples] = []  # current section's end, held for the next crossfade
        self._held: Samples = np.zeros(0, dtype=np.float32)  # previous section's tail

    @property
    def done(self) -> bool:
        """True once every section has ended."""
        return self._index >= len(self.plan.sections)

    def _section(self) -> Section:
        if self.done:
            raise ValueError("all sections of the plan were already stitched")
        return self.plan.sections[self._index]

    def _overlaps(self) -> tuple[int, int]:
        """Frames the current section shares with the previous and with the next section."""
        sections, k = self.plan.sections, self._index
        before = sections[k - 1].upload_end - sections[k].upload_start if k else 0
        last = k + 1 == len(sections)
        after = 0 if last else sections[k].upload_end - sections[k + 1].upload_start
        return before, after

    def feed(self, samples: Samples) -> list[Samples]:
        """Accept the next `samples` of the current section; return finished output blocks."""
        section = self._section()
        length = section.upload_frames
        pos = min(self._received, length)
        self._received += len(samples)
        samples = samples[: max(0, length - pos)]  # anything past the upload's length is drift
        before, after = self._overlaps()
        out: list[Samples] = []
        lead_end, body_end = before, length - after
        if pos < lead_end and len(samples):
            take = samples[: lead_end - pos]
            self._lead.append(take)
            if pos + len(take) == lead_end:
                out.append(crossfade(self._held, np.concatenate(self._lead)))
                self._lead, self._held = [], self._held[:0]
            samples, pos = samples[len(take) :], pos + len(take)
        if pos < body_end and len(samples):
            take = samples[: body_end - pos]
            out.append(take)
            samples, pos = samples[len(take) :], pos + len(take)
        if len(samples):
            self._tail.append(samples)
        return out

    def end_section(self) -> list[Samples]:
        """Close the current section, padding it if it came back short; return finished blocks."""
        section = self._section()
        received = self._received
        out = []
        if received < section.upload_frames:
            out = self.feed(np.zeros(section.upload_frames - received, dtype=np.float32))
        self.drift_ms.append((received - section.upload_frames) * 1000.0 / self.plan.sample_rate)
        self._held = np.concatenate(self._tail) if self._tail else np.zeros(0, dtype=np.float32)
        self._tail, self._lead, self._received = [], [], 0
        self._index += 1
        return out

    def add(self, samples: Samples) -> list[Samples]:
        """Feed a whole section and close it."""
        return self.feed(samples) + self.end_section()


def stitch(plan: Plan, sections: Iterable[Samples]) -> Samples:
    """Join whole converted sections (in plan order, at ``plan.sample_rate``) into one signal."""
    stitcher = Stitcher(plan)
    blocks = [block for samples in sections for block in stitcher.add(samples)]
    if not stitcher.done:
        raise ValueError("fewer converted sections than the plan has")
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
