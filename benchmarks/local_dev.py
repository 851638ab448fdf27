"""Engine ablations on the development sentences: identity gap and WER cost per variant.

Tuning the engine on the held-out sentences of `local_quality.py` would make its table a
measure of the tuning. This script scores variants on the dev lists instead (Harvard 6-8:
2 short and 3 long inputs per pair, `local_corpus.DEV`), with the same pairs, judges and gap
formula. A variant is a strength plus module constants to override, named in a JSON file:

    {"default": [{}, 0.8],
     "full MVN": [{"voxcli.engine.mapping.VARIANCE_EXPONENT": 1.0}, 0.8],
     "cap 1.1":  [{"voxcli.engine.vtl.RATIO_LIMITS": [0.82, 1.1]}, 0.8]}

    python benchmarks/local_dev.py variants.json [--jobs 2] [--pairs us2-sally,sally-us1]

Prints the gap (mean over pairs, and per pair) and the WER cost overall and on the long inputs,
then the long-input WER cost per pair. Raw rows go to ``variants.json.rows.json``. Runs in the
benchmark venv (see `local_quality.py`); about 2 minutes per variant on 2 cores. Transcription
noise is about one error per utterance, so differences under 3 WER points mean nothing here.

F0 tracking is memoised across variants (it depends on the input and the analysis settings
only); pass ``--no-memo`` when a variant overrides the trackers themselves.
"""

from __future__ import annotations

import one_core  # noqa: F401  (before numpy: one thread per process)

# isort: split
import argparse
import dataclasses
import hashlib
import importlib
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_corpus import DEV, DEV_LONG, RATE, Corpus  # noqa: E402
from local_quality import (  # noqa: E402
    Row,
    gap_closed,
    pair_setup,
    prepare,
    score_outputs,
    select_pairs,
    wer,
)

Variant = tuple[dict[str, Any], float]
_ORIGINALS: dict[str, Any] = {}


def apply_overrides(overrides: dict[str, Any]) -> None:
    """Set ``module.attr`` constants, restoring whatever an earlier variant changed."""
    for path, value in _ORIGINALS.items():
        module, attr = path.rsplit(".", 1)
        setattr(importlib.import_module(module), attr, value)
    for path, value in overrides.items():
        module, attr = path.rsplit(".", 1)
        mod = importlib.import_module(module)
        _ORIGINALS.setdefault(path, getattr(mod, attr))  # AttributeError names a typo
        setattr(mod, attr, tuple(value) if isinstance(value, list) else value)


def memoise_f0() -> None:
    """Track each input's F0 once per process, whatever the variant."""
    from voxcli.engine import world

    track = world.track_f0
    memo: dict[tuple[Any, ...], np.ndarray] = {}

    def track_f0(x: np.ndarray, params: Any, f0_range: Any, frames: int) -> np.ndarray:
        digest = hashlib.sha1(np.ascontiguousarray(x, dtype=np.float64).tobytes()).hexdigest()
        key = (digest, params, str(f0_range), frames)
        if key not in memo:
            memo[key] = track(x, params, f0_range, frames)
        return memo[key].copy()

    world.track_f0 = track_f0


def score_pair(args: tuple[tuple[str, str], dict[str, Variant], Path, bool]) -> list[Row]:
    """Every variant on every dev utterance of one pair (runs in a worker process)."""
    pair, variants, cache_dir, memo = args
    from voxcli.engine import ConversionOptions, convert

    if memo:
        memoise_f0()
    corpus, judges, profile, target_emb = pair_setup(pair, cache_dir)
    rows = []
    for utt in DEV:
        x = corpus.utterance(pair[0], utt)
        ceiling = float(judges.embed(corpus.utterance(pair[1], utt)) @ target_emb)
        outputs = {"none": x}
        for name, (overrides, strength) in variants.items():
            apply_overrides(overrides)
            outputs[name] = convert(x, RATE, profile, ConversionOptions(strength=strength))
        apply_overrides({})
        rows += score_outputs("->".join(pair), utt, utt in DEV_LONG, outputs, judges, target_emb,
                              ceiling)  # fmt: skip
    return rows


def report(rows: list[Row], names: list[str]) -> None:
    """The summary per variant, then the long-input WER cost per pair."""
    pairs = list(dict.fromkeys(r.pair for r in rows))
    base = [r for r in rows if r.method == "none"]
    base_long = [r for r in base if r.long]
    print(f"source WER {wer(base):.1f} % (long {wer(base_long):.1f} %)\n")
    print(f"{'variant':28s} {'gap':>5s} {'dWER':>6s} {'dWER long':>9s}  gap per pair")
    for name in names:
        mine = [r for r in rows if r.method == name]
        gaps = [gap_closed(rows, name, p) for p in pairs]
        cost, cost_long = wer(mine) - wer(base), wer([r for r in mine if r.long]) - wer(base_long)
        print(f"{name:28s} {np.mean(gaps):5.3f} {cost:+6.1f} {cost_long:+9.1f}  "
              + " ".join(f"{g:5.2f}" for g in gaps))  # fmt: skip
    print("\nWER cost on the long inputs, per pair:\n")
    print(f"{'pair':14s}" + "".join(f"{name[:12]:>13s}" for name in names))
    for pair in pairs:
        src = wer([r for r in base_long if r.pair == pair])
        costs = [wer([r for r in rows if r.method == n and r.pair == pair and r.long]) - src
                 for n in names]  # fmt: skip
        print(f"{pair:14s}" + "".join(f"{c:+13.1f}" for c in costs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", type=Path, help="JSON: name -> [overrides, strength]")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voxcli-bench"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pairs", help="comma-separated source-target, e.g. us2-sally,us1-karl")
    parser.add_argument("--no-memo", action="store_true", help="track F0 for every variant")
    args = parser.parse_args()
    variants = {k: (v[0], float(v[1])) for k, v in json.loads(args.variants.read_text()).items()}
    pairs = select_pairs(args.pairs)
    prepare(pairs, Corpus(args.cache), DEV)
    work = [(p, variants, args.cache, not args.no_memo) for p in pairs]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [row for part in pool.map(score_pair, work) for row in part]
    out = args.variants.with_name(args.variants.name + ".rows.json")
    out.write_text(json.dumps([dataclasses.asdict(r) for r in rows]))
    report(rows, list(variants))
    return 0


if __name__ == "__main__":
    sys.exit(main())
