"""Headroom of the local engine: how far could a better envelope mapping take the identity gap?

Every pair's speakers read the same dev sentences, so the target's own frames can be aligned to
the source's (DTW on speaker-normalised mel-cepstra) and put in place of the conversion's: an
oracle no real conversion can have. Methods, on the long dev inputs (`local_corpus.DEV_LONG`):

- ``none``, ``s=0.8`` (the default), ``s=1``: as in `local_quality.py`;
- ``pitch``: the F0 mapping alone (WORLD resynthesis);
- ``env``: the target's aligned envelopes, mapped F0, the source's aperiodicity;
- ``env+ap``: and the target's aligned aperiodicity;
- ``env+ap+f0``: and the target's aligned F0 where both voice (the source's timing only);
- ``key``, ``frames``: the engine at the default strength with a perfect frame correspondence
  in its exemplar step: the target's neighbours are searched with the target's aligned frame
  instead of the input's own (``key``), or replaced by the aligned frames themselves
  (``frames``). They bound what a better matching key (phonetic features, say) could bring the
  engine's kNN-residual method, where ``env`` bounds envelope replacement.

Prints the identity gap and the long-input WER cost per method, per pair and over pairs. Runs in
the benchmark venv (see `local_quality.py`; DTW comes from librosa, which resemblyzer needs),
about 5 minutes on 2 cores:

    python benchmarks/local_oracle.py [--jobs 2] [--pairs us2-sally,sally-us1]
"""

from __future__ import annotations

import one_core  # noqa: F401  (before numpy: one thread per process)

# isort: split
import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_corpus import DEV_LONG, RATE, Corpus  # noqa: E402
from local_quality import (  # noqa: E402
    Row,
    gap_closed,
    pair_setup,
    prepare,
    score_outputs,
    select_pairs,
    wer,
)

from voxcli.engine import VoiceProfile  # noqa: E402
from voxcli.engine.world import Analysis  # noqa: E402

METHODS = ["none", "pitch", "s=0.8", "s=1", "env", "env+ap", "env+ap+f0", "key", "frames"]


def _features(sp: np.ndarray) -> np.ndarray:
    """Per-speaker z-scored c1..c24 of the canonical mel-cepstrum: what DTW aligns on."""
    from voxcli.engine.features import MATCH_DIMS, canonical_mcep

    _, mc = canonical_mcep(sp, RATE)
    mc = mc[:, MATCH_DIMS]
    return (mc - mc.mean(axis=0)) / np.maximum(mc.std(axis=0), 1e-6)


def _alignment(source_sp: np.ndarray, target_sp: np.ndarray) -> np.ndarray:
    """For each source frame, the index of the target frame DTW pairs it with."""
    import librosa

    _, path = librosa.sequence.dtw(X=_features(source_sp).T, Y=_features(target_sp).T)
    index = np.zeros(len(source_sp), dtype=np.intp)
    index[path[::-1, 0]] = path[::-1, 1]  # the last pairing of each source frame wins
    return index


def oracle_outputs(x: np.ndarray, t: np.ndarray, profile: VoiceProfile) -> dict[str, np.ndarray]:
    """The oracle methods for source `x` and the target's reading `t` of the same text."""
    from voxcli.engine import level, world
    from voxcli.engine.conversion import map_f0
    from voxcli.engine.params import AnalysisParams

    params = AnalysisParams(RATE)
    src, tgt = world.analyse(x, params), world.analyse(t, params)
    at = _alignment(src.sp, tgt.sp)
    residual = {mode: _residual_oracle(x, profile, tgt, at, mode) for mode in ("key", "frames")}
    energy = src.sp.sum(axis=1, keepdims=True)
    env = tgt.sp[at] / np.maximum(tgt.sp[at].sum(axis=1, keepdims=True), 1e-30) * energy
    f0 = map_f0(src.f0, profile)
    f0_target = np.where((src.f0 > 0) & (tgt.f0[at] > 0), tgt.f0[at], f0)

    def synth(f0: np.ndarray, sp: np.ndarray, ap: np.ndarray) -> np.ndarray:
        y = world.fit_length(world.synthesize(f0, sp, ap, params), len(x))
        return level.limit(level.match_loudness(y, x), RATE).astype(np.float32)

    return {
        "pitch": synth(f0, src.sp, src.ap),
        "env": synth(f0, env, src.ap),
        "env+ap": synth(f0, env, tgt.ap[at]),
        "env+ap+f0": synth(f0_target, env, tgt.ap[at]),
        **residual,
    }


def _residual_oracle(
    x: np.ndarray, profile: VoiceProfile, tgt: Analysis, at: np.ndarray, mode: str
) -> np.ndarray:
    """The engine at the default strength, its exemplar step given the target's aligned frames.

    The engine's `knn.exemplar_correction` is swapped for one whose target side comes from the
    aligned frames (`mode` ``key`` or ``frames``, see the module docstring); the input's own
    neighbours, the global mapping and everything else are the engine's.
    """
    from voxcli.engine import ConversionOptions, convert, knn
    from voxcli.engine.features import MATCH_DIMS, canonical_mcep

    _, mc = canonical_mcep(tgt.sp, RATE)
    cls = np.where(tgt.f0 > 0, 0, 1)
    aligned_mc = mc[at]
    aligned_key = ((mc - profile.mcep_mean[cls]) / profile.mcep_std[cls])[at][:, MATCH_DIMS]

    def oracle_correction(query: np.ndarray, query_voiced: np.ndarray, mapped: np.ndarray,
                          db_features: np.ndarray, db_frames: np.ndarray,
                          db_voiced: np.ndarray, *, k: int) -> np.ndarray:  # fmt: skip
        delta = np.zeros_like(mapped)
        for voiced in (True, False):
            rows, db_rows = np.flatnonzero(query_voiced == voiced), db_voiced == voiced
            if len(rows) == 0:
                continue
            if not db_rows.any():  # as the engine does: a class the codebook lacks uses all
                db_rows = np.ones_like(db_voiced)
            # The whole input is the own window here: dev inputs are far shorter than 50 s.
            points = query[rows].astype(np.float32)
            own = knn._neighbour_mean(points, knn._Candidates(points, mapped[rows]), k)
            if mode == "frames":
                target = aligned_mc[rows]
            else:
                book = knn._Candidates(db_features[db_rows].astype(np.float32), db_frames[db_rows])
                target = knn._neighbour_mean(aligned_key[rows].astype(np.float32), book, k)
            delta[rows] = target - own
        return delta

    engine_correction = knn.exemplar_correction
    knn.exemplar_correction = oracle_correction  # type: ignore[assignment]
    try:
        return convert(x, RATE, profile, ConversionOptions())
    finally:
        knn.exemplar_correction = engine_correction


def score_pair(args: tuple[tuple[str, str], Path]) -> list[Row]:
    """All methods on the long dev inputs of one pair (runs in a worker process)."""
    pair, cache_dir = args
    from local_dev import memoise_f0

    from voxcli.engine import ConversionOptions, convert

    memoise_f0()  # the oracle's analysis and both conversions track the same input's F0
    corpus, judges, profile, target_emb = pair_setup(pair, cache_dir)
    rows = []
    for utt in DEV_LONG:
        x, t = corpus.utterance(pair[0], utt), corpus.utterance(pair[1], utt)
        outputs = {"none": x, **oracle_outputs(x, t, profile)}
        for strength in (0.8, 1.0):
            outputs[f"s={strength:g}"] = convert(x, RATE, profile, ConversionOptions(strength))
        outputs = {method: outputs[method] for method in METHODS}
        ceiling = float(judges.embed(t) @ target_emb)
        rows += score_outputs("->".join(pair), utt, True, outputs, judges, target_emb, ceiling)
    return rows


def report(rows: list[Row]) -> None:
    """Gap and long-input WER cost per method: over pairs, then per pair."""
    pairs = list(dict.fromkeys(r.pair for r in rows))
    base = wer([r for r in rows if r.method == "none"])
    print(f"{'method':10s} {'gap':>6s} {'dWER long':>9s}   gap per pair ({', '.join(pairs)})")
    for method in METHODS:
        gaps = [gap_closed(rows, method, p) for p in pairs]
        cost = wer([r for r in rows if r.method == method]) - base
        print(f"{method:10s} {np.mean(gaps):6.3f} {cost:+9.1f}   "
              + " ".join(f"{g:5.2f}" for g in gaps))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voxcli-bench"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pairs", help="comma-separated source-target, e.g. us2-sally,us1-karl")
    args = parser.parse_args()
    pairs = select_pairs(args.pairs)
    prepare(pairs, Corpus(args.cache), DEV_LONG)
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [r for part in pool.map(score_pair, [(p, args.cache) for p in pairs]) for r in part]
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
