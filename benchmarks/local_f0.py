"""F0 trackers for the local engine on the development sentences: agreement with Harvest, cost.

For every dev utterance (`local_corpus.DEV`) of every source speaker of the benchmark's pairs,
each candidate tracker's finished F0 (the engine's: tracker, voicing decision, octave clean-up)
is compared with Harvest's at the input's rate, at 5 ms frames:

- GPE (gross pitch error): share of the frames both voice whose F0 differs by more than 20 %;
- VDE (voicing decision error): share of all frames voiced by one and not the other;
- CPU seconds of the tracker per second of audio (one thread; speaker-range pass included).

Harvest at 8 kHz shows the disagreement that resampling alone brings (Harvest decimates to
about 8 kHz itself).

    python benchmarks/local_f0.py [--cache /tmp/voxcli-bench]

A candidate is `AnalysisParams` field values (``tracker``) plus module constants to override
(as in `local_dev.py`); identity gap and WER of the chosen ones come from `local_dev.py`.
"""

from __future__ import annotations

import one_core  # noqa: F401  (before numpy: one thread per process)

# isort: split
import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_corpus import DEV, RATE, Corpus  # noqa: E402
from local_dev import apply_overrides  # noqa: E402
from local_quality import PAIRS  # noqa: E402

from voxcli.engine import world  # noqa: E402
from voxcli.engine.params import AnalysisParams  # noqa: E402

#: Harvest at the input's rate: the engine's default tracker before issue 12, the reference here.
FULL_RATE = {"voxcli.engine.world.HARVEST_RATE": 10**6}
#: name -> (tracker, module constants to override).
CANDIDATES: dict[str, tuple[str, dict[str, Any]]] = {
    "harvest (input's rate)": ("harvest", FULL_RATE),
    "harvest at 8 kHz": ("harvest", {"voxcli.engine.world.HARVEST_RATE": 8000}),
    "harvest at 4 kHz": ("harvest", {"voxcli.engine.world.HARVEST_RATE": 4000}),
    "harvest at 2 kHz (default)": ("harvest", {}),
    "dio + stonemask, revoiced": ("dio", {}),
}


def finished_f0(x: np.ndarray, tracker: str) -> tuple[np.ndarray, float]:
    """The engine's F0 of `x` with `tracker` at 5 ms frames, and the tracker's CPU seconds."""
    params = AnalysisParams(RATE, "default", tracker=tracker)  # type: ignore[arg-type]
    signal = np.asarray(x, dtype=np.float64)
    frames = world.frame_count(len(signal), params)
    start = time.process_time()
    raw = world.track_f0(signal, params, None, frames)
    cost = time.process_time() - start
    times = np.arange(frames) * (params.frame_period_ms / 1000.0)
    ap = world.aperiodicity(signal, raw, times, params)
    return world.finish_f0(raw, world.low_band_aperiodicity(ap, params), params), cost


def agreement(reference: np.ndarray, f0: np.ndarray) -> tuple[int, int, int, int]:
    """``(gross errors, frames voiced in both, voicing disagreements, frames)``."""
    both = (reference > 0) & (f0 > 0)
    gross = int((np.abs(f0[both] / reference[both] - 1.0) > 0.2).sum())
    return gross, int(both.sum()), int(((reference > 0) != (f0 > 0)).sum()), len(reference)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voxcli-bench"))
    args = parser.parse_args()
    corpus = Corpus(args.cache)
    sources = sorted({source for source, _ in PAIRS})
    totals = {name: np.zeros(5) for name in CANDIDATES}  # gross, both, vde, frames, cpu
    seconds = 0.0
    for speaker in sources:
        for utt in DEV:
            x = corpus.utterance(speaker, utt)
            seconds += len(x) / RATE
            apply_overrides(FULL_RATE)
            reference, _ = finished_f0(x, "harvest")
            for name, (tracker, overrides) in CANDIDATES.items():
                apply_overrides(overrides)
                f0, cost = finished_f0(x, tracker)
                totals[name] += (*agreement(reference, f0), cost)
    apply_overrides({})
    print(f"{len(sources)} speakers x {len(DEV)} dev utterances, {seconds:.0f} s of speech\n")
    print(f"{'tracker':28s} {'GPE %':>6s} {'VDE %':>6s} {'CPU s per s':>11s}")
    for name, (gross, both, vde, frames, cpu) in totals.items():
        print(f"{name:28s} {100 * gross / both:6.2f} {100 * vde / frames:6.2f} "
              f"{cpu / seconds:11.4f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
