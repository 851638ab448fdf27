"""Levels of a take: the live meter while recording, and the summary and advice afterwards.

Both work block by block on 16-bit samples, so a take is never held in memory: `TakeStats`
keeps running totals and one RMS value per 50 ms frame (6,000 numbers for 5 minutes). A
sample at full scale (-32768 or 32767) counts as clipped.

The advice follows the service's guidance on input: a quiet take is hard to pick up, a hot one
clips, and the model "voices" any background noise it hears.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from voxcli.timefmt import clock

FULL_SCALE = 32768.0
FRAME_SECONDS = 0.05
HOLD_SECONDS = 2.0
FLOOR_DBFS = -120.0

#: Advice thresholds (dBFS).
SILENCE_PEAK = -50.0
QUIET_PEAK = -18.0
NOISY_FLOOR = -50.0


def dbfs(amplitude: float) -> float:
    """Amplitude (1.0 = full scale) in dBFS, floored at -120 so silence stays a number."""
    return max(FLOOR_DBFS, 20.0 * math.log10(amplitude)) if amplitude > 0 else FLOOR_DBFS


def _clipped(block: NDArray[np.int16]) -> NDArray[np.bool_]:
    return (block >= 32767) | (block <= -32768)


@dataclass(frozen=True)
class Level:
    """What the meter shows: the latest block's peak and RMS, the held peak, recent clipping."""

    elapsed_seconds: float
    peak_dbfs: float
    rms_dbfs: float
    hold_dbfs: float
    clipping: bool
    """A sample clipped within the last `HOLD_SECONDS`."""
    clipped_samples: int


class Meter:
    """Live levels, updated by the writer thread and read by the display (thread-safe)."""

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._lock = threading.Lock()
        self._level = Level(0.0, FLOOR_DBFS, FLOOR_DBFS, FLOOR_DBFS, False, 0)
        self._held: list[tuple[float, float]] = []  # (time, peak) over the hold window
        self._last_clip = -math.inf

    def update(self, block: NDArray[np.int16], frames_so_far: int, clipped_total: int) -> None:
        """Account for one written block (frames x channels) ending at `frames_so_far`."""
        if not len(block):
            return
        now = time.monotonic()
        wide = block.astype(np.float64) / FULL_SCALE
        peak = dbfs(float(np.max(np.abs(wide))))
        rms = dbfs(float(np.sqrt(np.mean(wide**2))))
        with self._lock:
            if _clipped(block).any():
                self._last_clip = now
            self._held = [(t, p) for t, p in self._held if now - t < HOLD_SECONDS]
            self._held.append((now, peak))
            self._level = Level(
                frames_so_far / self._rate,
                peak,
                rms,
                max(p for _, p in self._held),
                now - self._last_clip < HOLD_SECONDS,
                clipped_total,
            )

    def level(self) -> Level:
        with self._lock:
            return self._level


@dataclass(frozen=True)
class Advice:
    """One piece of advice: a stable `code` for scripts and a sentence for people."""

    code: str
    message: str


@dataclass
class Summary:
    """The facts about one take (`record --json` prints these)."""

    duration_seconds: float
    sample_rate: int
    channels: int
    peak_dbfs: float
    rms_dbfs: float
    clipped_samples: int
    clipped_at: list[float]
    """Start of each clipped stretch, in seconds (the first 20)."""
    noise_floor_dbfs: float
    """RMS of the quietest 10% of 50 ms frames."""
    loud_dbfs: float
    """RMS of the loudest 10% of 50 ms frames (the speech level)."""
    advice: list[Advice] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = round(value, 3 if key == "duration_seconds" else 1)
        data["clipped_at"] = [round(t, 2) for t in self.clipped_at]
        return data


class TakeStats:
    """Running totals of a take, fed block by block."""

    MAX_CLIP_TIMES = 20

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.frames = 0
        self.clipped_samples = 0
        self.clipped_at: list[float] = []
        self._in_clip = False
        self._peak = 0
        self._sum_squares = 0.0
        self._frame_len = max(1, int(rate * FRAME_SECONDS))
        self._pending = np.zeros(0, dtype=np.float64)
        self._frame_power: list[float] = []

    def update(self, block: NDArray[np.int16]) -> None:
        """Add one block (frames x channels) of the take."""
        if not len(block):
            return
        clipped = _clipped(block).any(axis=1)
        self.clipped_samples += int(_clipped(block).sum())
        self._note_clips(clipped)
        self._peak = max(self._peak, int(np.max(np.abs(block.astype(np.int32)))))
        power = np.mean((block.astype(np.float64) / FULL_SCALE) ** 2, axis=1)
        self._sum_squares += float(power.sum())
        self.frames += len(block)
        pending = np.concatenate([self._pending, power])
        whole = len(pending) // self._frame_len * self._frame_len
        if whole:
            self._frame_power.extend(pending[:whole].reshape(-1, self._frame_len).mean(axis=1))
        self._pending = pending[whole:]

    def _note_clips(self, clipped: NDArray[np.bool_]) -> None:
        # The start of each clipped stretch, so the advice can say where to look.
        starts = np.flatnonzero(clipped & ~np.concatenate([[self._in_clip], clipped[:-1]]))
        for index in starts[: self.MAX_CLIP_TIMES - len(self.clipped_at)]:
            self.clipped_at.append((self.frames + int(index)) / self.rate)
        self._in_clip = bool(clipped[-1])

    def summary(self) -> Summary:
        """The take's summary, with advice."""
        frames = np.array(self._frame_power or [self._sum_squares / max(self.frames, 1)])
        quiet, loud = np.percentile(frames, [10, 90])
        summary = Summary(
            duration_seconds=self.frames / self.rate,
            sample_rate=self.rate,
            channels=self.channels,
            peak_dbfs=dbfs(self._peak / FULL_SCALE),
            rms_dbfs=dbfs(math.sqrt(self._sum_squares / max(self.frames, 1))),
            clipped_samples=self.clipped_samples,
            clipped_at=list(self.clipped_at),
            noise_floor_dbfs=dbfs(math.sqrt(float(quiet))),
            loud_dbfs=dbfs(math.sqrt(float(loud))),
        )
        summary.advice = advise(summary)
        return summary


def advise(s: Summary) -> list[Advice]:
    """Concrete advice for a take: silence, clipping, too quiet, noise; or that it looks good."""
    if s.peak_dbfs < SILENCE_PEAK:
        return [
            Advice(
                "silence",
                f"only silence was recorded (peak {s.peak_dbfs:.0f} dBFS): check that the "
                "microphone is connected and not muted, and that --device is the right input "
                "(voxcli devices lists them)",
            )
        ]
    advice = []
    if s.clipped_samples:
        where = ", ".join(clock(t) for t in s.clipped_at[:5])
        more = " and later" if len(s.clipped_at) > 5 else ""
        advice.append(
            Advice(
                "clipped",
                f"clipped {s.clipped_samples} samples (at {where}{more}): lower the input gain "
                "or move back from the microphone, and record again",
            )
        )
    elif s.peak_dbfs < QUIET_PEAK:
        advice.append(
            Advice(
                "quiet",
                f"too quiet (peak {s.peak_dbfs:.0f} dBFS): raise the input gain or move closer; "
                "aim for peaks between -12 and -3 dBFS",
            )
        )
    if s.noise_floor_dbfs > NOISY_FLOOR:
        advice.append(
            Advice(
                "noisy",
                f"background noise at {s.noise_floor_dbfs:.0f} dBFS in the quietest moments "
                "(the model voices everything it hears): record somewhere quieter, or convert "
                "with --remove-background-noise",
            )
        )
    if not advice:
        advice.append(
            Advice(
                "good",
                f"the level looks good: peak {s.peak_dbfs:.0f} dBFS, "
                f"noise floor {s.noise_floor_dbfs:.0f} dBFS",
            )
        )
    return advice
