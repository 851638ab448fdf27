"""Pause-aware section planning for input longer than one request.

The service takes at most 300 s and under 50 MB per request, so long input is split into
sections. `energy_profile` measures short-time energy (20 ms hops, in dB) while streaming the
file from disk in blocks; `plan_sections` then cuts near each length limit at the best pause:

* The threshold for "quiet" is relative to the file itself: between its noise floor (5th
  percentile of frame energy) and its speech level (95th percentile), so the same code works on
  a studio recording with digital silence and on a podcast with a -40 dB room hum.
* A pause is a run of quiet frames at least `min_pause` long (150 ms: longer than stop
  closures inside words). The search looks at the last `search` seconds before the limit and
  takes the quietest pause, favouring long ones (sentence ends); the cut goes in its middle.
* Without a pause in the window, the cut goes to the lowest-energy stretch and is flagged
  `cut_forced`.

Every section carries its own span ``[start, end)`` (the spans tile the input exactly once) and
its upload span, which adds half the crossfade on each inner side, so the stitcher can fade
across the cut. The limit applies to the upload span. All indices are frames at the input rate.
Cuts lie on the hop grid, and 20 ms is whole frames at every output rate the API offers
(8000 ... 48000 are all multiples of 50; 10 ms is not whole at 22050 Hz), so `Plan.at_rate` maps
cuts exactly: a converted section lines up with its neighbours to the sample, with no fractional
offset to smear the crossfade.

Pure and deterministic: no backend, no randomness; the only I/O is `energy_profile` reading.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from voxcli.audio import io
from voxcli.backends.base import MAX_UPLOAD_BYTES, MAX_UPLOAD_SECONDS
from voxcli.errors import InputError

_FLOOR_DB = -100.0
#: Header, padding and encoder overhead left free below the upload size limit.
_UPLOAD_MARGIN_BYTES = 1_000_000


@dataclass(frozen=True, eq=False)
class EnergyProfile:
    """Short-time energy of one file: `db[k]` covers frames ``[k * hop, (k + 1) * hop)``."""

    db: NDArray[np.float32]
    hop: int
    """Frames per energy value (20 ms at `sample_rate`, see `hop_frames`)."""
    sample_rate: int
    frames: int
    """Length of the input in frames."""


def hop_frames(sample_rate: int) -> int:
    """Frames per energy hop (the cut grid): 20 ms, or 40 ms when 20 ms is not whole frames.

    Every API rate (8000 ... 48000) is a multiple of 50, so a 1/50 or 1/25 s step at the input
    rate is also a whole number of frames at the output rate. Other input rates (rare) get the
    nearest whole number of frames to 20 ms, and `Plan.at_rate` rounds.
    """
    for per_second in (50, 25):
        if sample_rate % per_second == 0:
            return sample_rate // per_second
    return max(1, round(sample_rate / 50))


def _frame_db(samples: NDArray[np.float32], hop: int) -> NDArray[np.float32]:
    full = len(samples) // hop * hop
    hops = samples[:full].reshape(-1, hop)
    power = np.einsum("ij,ij->i", hops, hops).astype(np.float64) / hop
    if full < len(samples):  # a partial last hop: average over the frames it really has
        rest = samples[full:].astype(np.float64)
        power = np.append(power, np.dot(rest, rest) / len(rest))
    return np.maximum(10.0 * np.log10(power + 1e-30), _FLOOR_DB).astype(np.float32)


def profile_from_samples(samples: NDArray[np.float32], sample_rate: int) -> EnergyProfile:
    """The energy profile of samples already in memory (tests, short input)."""
    hop = hop_frames(sample_rate)
    return EnergyProfile(_frame_db(samples, hop), hop, sample_rate, len(samples))


def energy_profile(path: Path) -> EnergyProfile:
    """Stream `path` from disk in blocks and return its energy profile (~200 KB per hour)."""
    info = io.probe(path)
    hop = hop_frames(info.sample_rate)
    parts: list[NDArray[np.float32]] = []
    frames = 0
    # Blocks are 1000 whole hops, so only the file's last block can end in a partial hop.
    for block in io.blocks(path, hop * 1000):
        parts.append(_frame_db(block, hop))
        frames += len(block)
    db = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return EnergyProfile(db, hop, info.sample_rate, frames)


@dataclass(frozen=True)
class Section:
    """One request's worth of input. Indices are frames at the plan's sample rate."""

    index: int
    start: int
    """First frame this section owns in the output."""
    end: int
    """One past its last owned frame; the next section starts here."""
    upload_start: int
    """First frame sent: `start` minus half the crossfade (0 for the first section)."""
    upload_end: int
    """One past the last frame sent: `end` plus half the crossfade (the end for the last)."""
    cut_forced: bool = False
    """True when the cut at `end` found no pause and went to the quietest stretch instead."""
    pause_seconds: float = 0.0
    """Length of the pause the cut at `end` lies in (0 for forced cuts and the last section)."""

    @property
    def upload_frames(self) -> int:
        return self.upload_end - self.upload_start


@dataclass(frozen=True)
class Plan:
    """Sections covering one input, plus the levels the pause detection used."""

    sample_rate: int
    frames: int
    crossfade: int
    """Crossfade length in frames, centred on each cut."""
    limit: int
    """Most frames one upload may hold (the section limit or the 50 MB guard)."""
    sections: tuple[Section, ...]
    threshold_db: float = 0.0
    noise_db: float = 0.0
    speech_db: float = 0.0

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate

    def seconds(self, frame: int) -> float:
        return frame / self.sample_rate

    def at_rate(self, sample_rate: int) -> Plan:
        """The same plan with every index mapped to `sample_rate` (rounded to whole frames)."""

        def scale(frame: int) -> int:
            return (2 * frame * sample_rate + self.sample_rate) // (2 * self.sample_rate)

        sections = tuple(
            replace(s, start=scale(s.start), end=scale(s.end),
                    upload_start=scale(s.upload_start), upload_end=scale(s.upload_end))
            for s in self.sections
        )  # fmt: skip
        return replace(self, sample_rate=sample_rate, frames=scale(self.frames),
                       crossfade=scale(self.crossfade), limit=scale(self.limit),
                       sections=sections)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description (the `sections` part of `--json` and `--dry-run`)."""
        sr = self.sample_rate
        return {
            "sample_rate": sr,
            "frames": self.frames,
            "duration_seconds": round(self.frames / sr, 3),
            "crossfade_seconds": round(self.crossfade / sr, 4),
            "limit_seconds": round(self.limit / sr, 3),
            "threshold_db": round(self.threshold_db, 1),
            "noise_db": round(self.noise_db, 1),
            "speech_db": round(self.speech_db, 1),
            "sections": [
                {"number": s.index + 1, "start": s.start, "end": s.end,
                 "upload_start": s.upload_start, "upload_end": s.upload_end,
                 "start_seconds": round(s.start / sr, 3), "end_seconds": round(s.end / sr, 3),
                 "cut_forced": s.cut_forced, "pause_seconds": round(s.pause_seconds, 3)}
                for s in self.sections
            ],
        }  # fmt: skip


def levels(db: NDArray[np.float32]) -> tuple[float, float, float]:
    """Return ``(noise_db, speech_db, threshold_db)`` for an energy profile.

    The threshold sits 35% of the way from the noise floor up to the speech level: above the
    floor's fluctuations, well below voiced speech.
    """
    if len(db) == 0:
        return _FLOOR_DB, _FLOOR_DB, _FLOOR_DB
    noise = float(np.percentile(db, 5.0))
    # The speech level is taken over frames clearly above the floor, so a file that is mostly
    # silence still gets a threshold between its silence and its speech.
    active = db[db > noise + 10.0]
    speech = float(np.percentile(active if len(active) else db, 95.0))
    return noise, speech, noise + 0.35 * (speech - noise)


def _pauses(quiet: NDArray[np.bool_], min_hops: int) -> NDArray[np.int64]:
    """``(start, end)`` hop indices of every run of quiet hops at least `min_hops` long."""
    edges = np.diff(np.concatenate(([0], quiet.astype(np.int8), [0])))
    runs = np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)
    return runs[runs[:, 1] - runs[:, 0] >= min_hops]


def _moving_mean(values: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    """``m[k]`` = mean of ``values[k - width//2 : k + width - width//2]`` for k in 0..len.

    One more value than `values`: entry k belongs to the boundary before hop k. Edges repeat
    the outermost value.
    """
    padded = np.pad(values, (width // 2, width - width // 2), mode="edge")
    sums = np.concatenate(([0.0], np.cumsum(padded)))
    return (sums[width:] - sums[:-width]) / width


def plan_sections(
    profile: EnergyProfile,
    *,
    max_section: float = 290.0,
    crossfade: float = 0.04,
    min_pause: float = 0.15,
    search: float = 60.0,
    bytes_per_second: float | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
) -> Plan:
    """Split the input described by `profile` into sections no longer than `max_section`.

    `max_section` (at most 300 s) bounds every upload span, crossfade included. When
    `bytes_per_second` (the encoded upload's rate) is given, sections are shortened so that each
    upload stays under `max_upload_bytes`. `search` is how far before each limit to look for a
    pause (at most half the limit, so sections never get shorter than half of it).
    """
    if not 1.0 <= max_section <= MAX_UPLOAD_SECONDS:
        raise InputError(
            f"--max-section must be from 1 to {MAX_UPLOAD_SECONDS:.0f} s, not {max_section:g}",
            hint="the service takes at most 300 s per request; the default is 290",
        )
    hop, rate, n = profile.hop, profile.sample_rate, profile.frames
    limit_seconds = max_section
    if bytes_per_second:
        limit_seconds = min(
            limit_seconds, (max_upload_bytes - _UPLOAD_MARGIN_BYTES) / bytes_per_second
        )
    limit = int(limit_seconds * rate) // hop * hop
    half = max(1, round(crossfade / 2 * rate / hop)) * hop  # on the hop grid
    if limit < 8 * half:
        raise InputError(f"sections of {limit_seconds:.2f} s are too short to plan",
                         hint="raise --max-section")  # fmt: skip
    noise, speech, threshold = levels(profile.db)
    if n <= limit:
        return Plan(rate, n, 2 * half, limit, (Section(0, 0, n, 0, n),), threshold, noise, speech)
    db = profile.db.astype(np.float64)
    power = 10.0 ** (db / 10.0)
    hop_seconds = hop / rate
    # Smooth over ~50 ms so one noisy hop does not split a pause.
    smoothed = _moving_mean(power, max(1, round(0.05 / hop_seconds)))[: len(db)]
    smooth_db = 10.0 * np.log10(smoothed + 1e-30)
    min_hops = max(1, round(min_pause / hop_seconds))
    pauses = _pauses(smooth_db < threshold, min_hops)
    # Energy across a whole crossfade centred on each hop boundary (for forced cuts).
    fade_db = 10.0 * np.log10(_moving_mean(power, 2 * half // hop) + 1e-30)
    window = max(1, int(min(search, limit_seconds / 2) * rate) // hop)
    min_tail = window // 2

    sections: list[Section] = []
    start = 0
    while True:
        upload_start = max(0, start - half)
        if n - upload_start <= limit:
            sections.append(Section(len(sections), start, n, upload_start, n))
            break
        hi = (upload_start + limit - half) // hop  # latest cut, in hops
        hi = max(min(hi, (n - half) // hop - min_tail), start // hop + 1)
        lo = max(hi - window, (start + 2 * half) // hop + 1)
        lo = min(lo, hi)
        cut, pause_hops = _choose_cut(lo, hi, pauses, smooth_db, min_hops)
        forced = cut is None
        if cut is None:
            cut = lo + int(np.argmin(fade_db[lo : hi + 1]))
        end = cut * hop
        sections.append(Section(len(sections), start, end, upload_start, end + half,
                                forced, pause_hops * hop_seconds))  # fmt: skip
        start = end
    return Plan(rate, n, 2 * half, limit, tuple(sections), threshold, noise, speech)


def _choose_cut(
    lo: int, hi: int, pauses: NDArray[np.int64], db: NDArray[np.float64], min_hops: int
) -> tuple[int | None, int]:
    """The cut (a hop boundary in ``[lo, hi]``) in the best pause there, and that pause's length.

    A pause scores its mean energy in dB, minus 10 dB per tenfold length over the minimum (a
    sentence end beats a slightly quieter short gap), plus up to 3 dB for lying early in the
    window (later cuts mean fewer, longer sections). The lowest score wins.
    """
    best: tuple[float, int, int] | None = None
    span = max(1, hi - lo)
    for a, b in pauses[(pauses[:, 1] > lo) & (pauses[:, 0] < hi)]:
        ca, cb = max(int(a), lo), min(int(b), hi)
        if cb - ca < min_hops:
            continue
        cut = (ca + cb) // 2
        score = (
            float(db[ca:cb].mean()) - 10.0 * np.log10((b - a) / min_hops) + 3.0 * (hi - cut) / span
        )
        if best is None or (score, -cut) < (best[0], -best[1]):
            best = (score, cut, int(b - a))
    return (None, 0) if best is None else (best[1], best[2])
