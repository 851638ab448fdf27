"""Quality and speed of voxcli's local engine, against plain baselines. Not part of CI.

Prints, per source->target pair and per method, the speaker similarity to the target, the word
error rate, the F0-contour correlation with the source, and then a summary with the criteria of
the local-engine issue (identity gap closed, WER cost, F0 correlation, length, clipping, speed,
peak memory (a 5-minute input at 16 kHz, 60 s at 44.1 kHz), profile build time, determinism).

Methods: ``none`` (the source itself), ``pitch`` (WORLD with the F0 mapping only: a pitch shift),
``s=0`` (WORLD analysis/resynthesis), ``s=0.5`` (F0 + tract + timbre normalisation), ``s=0.65``,
``s=0.8`` (the default), ``s=1``, and ``fast`` (quality="fast" at the default strength).
Only when named in ``--methods``: ``44k`` / ``fast44k`` (the default / fast conversion of the
input resampled to 44.1 kHz, judged back at 16 kHz: the engine's 44.1 kHz path on the same
speech), and ``METHOD/VARIANT`` for any method with an experimental variant of the analysis
rates (`local_variants.py`; e.g. ``44k/c24``, ``fast/dio4``, ``fast44k/a24+dio4``).
``--wideband`` adds what each variant does above 11 kHz on real 48 kHz speech
(`local_variants.wideband_report`).

Install the judges in a separate venv (torch stays out of the project's environment):

    python3 -m venv /tmp/venv-bench && . /tmp/venv-bench/bin/activate
    pip install torch==2.13.0                 # CPU wheel
    pip install --no-deps resemblyzer          # ships its encoder weights
    pip install librosa webrtcvad "setuptools<81" typing_extensions pocketsphinx
    pip install -e .                           # voxcli itself (from the repository root)

It also needs festival (+ festvox-us-slt-hts, -kallpc16k, -kdlpc16k), espeak-ng with
mbrola-us1/us2/us3/en1, and sox, to speak the test sentences (cached under --cache).

    python benchmarks/local_quality.py [--jobs 2] [--cache /tmp/voxcli-bench] [--methods ...]
        [--wideband]

Takes about 10-15 minutes on 2 cores. Deterministic: the same machine prints the same numbers.
"""

from __future__ import annotations

import one_core  # noqa: F401  (before numpy: one thread per process)

# isort: split
import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_corpus import HELD_OUT, LONG, RATE, ROOT, Corpus, Utterance  # noqa: E402
from local_speed import speed_report  # noqa: E402

from voxcli.engine import ConversionOptions, VoiceProfile, build_profile  # noqa: E402

#: (source, target). Built-in targets use the shipped profiles; others are built here.
PAIRS = [
    ("us2", "sally"),  # M -> F
    ("en1", "sally"),  # M -> F
    ("us1", "karl"),  # F -> M
    ("us1", "ken"),  # F -> M
    ("us3", "us1"),  # M -> F
    ("us2", "karl"),  # M -> M
    ("karl", "us3"),  # M -> M
    ("sally", "us1"),  # F -> F
]
BUILTIN = {"sally", "karl", "ken"}
METHODS = ["none", "pitch", "s=0", "s=0.5", "s=0.65", "s=0.8", "s=1", "fast"]
#: Run only when named (see the module docstring): the 44.1 kHz path, and variants.
HIGH_RATE = 44100
EXTRA_METHODS = ["44k", "fast44k"]
DEFAULT_METHOD = "s=0.8"


@dataclass
class Row:
    """Scores of one method on one utterance of one pair."""

    pair: str
    method: str
    utt: str
    long: bool
    sim_target: float
    sim_source: float
    sim_ceiling: float
    errors: int
    words: int
    f0_corr: float
    len_diff_ms: float
    peak: float
    nan: bool


def select_pairs(spec: str | None) -> list[tuple[str, str]]:
    """`PAIRS`, or those named in `spec` (comma-separated ``source-target``)."""
    if not spec:
        return PAIRS
    wanted = {tuple(p.split("-", 1)) for p in spec.split(",")}
    return [p for p in PAIRS if p in wanted]


def prepare(pairs: list[tuple[str, str]], corpus: Corpus, utts: list[Utterance]) -> None:
    """Speak everything and build every profile once, before worker processes share the cache."""
    for speaker in sorted({s for pair in pairs for s in pair}):  # synthesisers are fast
        corpus.reference(speaker)
        for utt in utts:
            corpus.utterance(speaker, utt)
    for _, target in pairs:
        load_profile(target, corpus)


def load_profile(target: str, corpus: Corpus) -> VoiceProfile:
    if target in BUILTIN:
        return VoiceProfile.from_bytes((ROOT / "voxcli/data/voices" / f"{target}.npz").read_bytes())
    path = corpus.cache_dir / f"{target}-profile.npz"
    if not path.exists():
        path.write_bytes(build_profile([(corpus.reference(target), RATE)]).to_bytes())
    return VoiceProfile.from_bytes(path.read_bytes())


def run_method(method: str, x: np.ndarray, profile: VoiceProfile) -> np.ndarray:
    """The output of `method` for input `x`."""
    if method == "none":
        return x
    if method == "pitch":
        from voxcli.engine import level, world
        from voxcli.engine.conversion import map_f0
        from voxcli.engine.params import AnalysisParams

        analysis = world.analyse(x, AnalysisParams(RATE))
        y = world.synthesize(
            map_f0(analysis.f0, profile), analysis.sp, analysis.ap, analysis.params
        )
        y = world.fit_length(y, len(x))
        return level.limit(level.match_loudness(y, x), RATE).astype(np.float32)
    if "/" in method:
        from local_variants import patched

        method, _, variant = method.partition("/")
        with patched(variant):
            return run_method(method, x, profile)
    from voxcli.engine import conversion  # looked up now: a variant may have patched it

    if method == "fast":
        return conversion.convert(x, RATE, profile, ConversionOptions(quality="fast"))
    if method in EXTRA_METHODS:
        return _at_high_rate(x, profile, method)
    return conversion.convert(x, RATE, profile, ConversionOptions(strength=float(method[2:])))


def _at_high_rate(x: np.ndarray, profile: VoiceProfile, method: str) -> np.ndarray:
    """`x` resampled to `HIGH_RATE`, converted there, and the result resampled back to be
    judged like the others."""
    import soxr

    from voxcli.engine import conversion

    quality = "fast" if method.startswith("fast") else "default"
    high = np.asarray(soxr.resample(x, RATE, HIGH_RATE, "HQ"), dtype=np.float32)
    y = conversion.convert(high, HIGH_RATE, profile, ConversionOptions(quality=quality))
    y = np.asarray(soxr.resample(y, HIGH_RATE, RATE, "HQ"), dtype=np.float32)[: len(x)]
    return np.pad(y, (0, len(x) - len(y)))


def pair_setup(pair: tuple[str, str], cache_dir: Path) -> tuple[Corpus, Any, VoiceProfile, Any]:
    """``(corpus, judges, target profile, target embedding)`` for scoring one pair in a worker."""
    from local_metrics import Judges

    corpus, judges = Corpus(cache_dir), Judges()
    target = pair[1]
    return corpus, judges, load_profile(target, corpus), judges.embed(corpus.reference(target))


def score_outputs(
    pair: str, utt: Utterance, long: bool, outputs: dict[str, np.ndarray], judges: Any,
    target_emb: Any, ceiling: float,
) -> list[Row]:  # fmt: skip
    """Rows for several outputs (method -> samples) of one input: similarity and WER only
    (the fields not measured here are NaN)."""
    from local_metrics import word_errors

    return [
        Row(pair=pair, method=method, utt=utt.key, long=long,
            sim_target=float(judges.embed(y) @ target_emb), sim_source=float("nan"),
            sim_ceiling=ceiling, errors=word_errors(utt.words, judges.transcribe(y)),
            words=len(utt.words), f0_corr=float("nan"), len_diff_ms=float("nan"),
            peak=float(np.max(np.abs(y))), nan=bool(not np.all(np.isfinite(y))))
        for method, y in outputs.items()
    ]  # fmt: skip


def score_pair(pair: tuple[str, str], cache_dir: Path) -> list[Row]:
    """All methods on all held-out utterances of one pair (runs in a worker process)."""
    from local_metrics import f0_correlation, log_f0, word_errors

    source, target = pair
    corpus, judges, profile, target_emb = pair_setup(pair, cache_dir)
    rows = []
    for utt in HELD_OUT:
        x = corpus.utterance(source, utt)
        ceiling = float(judges.embed(corpus.utterance(target, utt)) @ target_emb)
        source_emb = judges.embed(x)
        source_f0 = log_f0(x)
        for method in METHODS:
            y = run_method(method, x, profile)
            emb = judges.embed(y)
            rows.append(Row(
                pair=f"{source}->{target}", method=method, utt=utt.key, long=utt in LONG,
                sim_target=float(emb @ target_emb), sim_source=float(emb @ source_emb),
                sim_ceiling=ceiling, errors=word_errors(utt.words, judges.transcribe(y)),
                words=len(utt.words), f0_corr=f0_correlation(source_f0, log_f0(y)),
                len_diff_ms=abs(len(y) - len(x)) / RATE * 1000.0,
                peak=float(np.max(np.abs(y))), nan=bool(not np.all(np.isfinite(y))),
            ))  # fmt: skip
    return rows


def gap_closed(rows: list[Row], method: str, pair: str) -> float:
    """(sim(conv, tgt) - sim(src, tgt)) / (sim(tgt other utt, tgt) - sim(src, tgt))."""
    mine = [r for r in rows if r.pair == pair and r.method == method]
    base = [r for r in rows if r.pair == pair and r.method == "none"]
    conv = np.mean([r.sim_target for r in mine])
    src = np.mean([r.sim_target for r in base])
    ceil = np.mean([r.sim_ceiling for r in base])
    return float((conv - src) / (ceil - src))


def wer(rows: list[Row]) -> float:
    return 100.0 * sum(r.errors for r in rows) / max(1, sum(r.words for r in rows))


def report(rows: list[Row]) -> dict[str, dict[str, float]]:
    pairs = list(dict.fromkeys(r.pair for r in rows))
    print("\n## Per pair (mean over 4 short + 2 long held-out utterances)\n")
    print(f"{'pair':14s} {'method':11s} {'SECS tgt':>8s} {'SECS src':>8s} {'gap':>6s} "
          f"{'WER %':>6s} {'F0 corr':>7s}")  # fmt: skip
    for pair in pairs:
        for method in METHODS:
            mine = [r for r in rows if r.pair == pair and r.method == method]
            print(f"{pair:14s} {method:11s} {np.mean([r.sim_target for r in mine]):8.3f} "
                  f"{np.mean([r.sim_source for r in mine]):8.3f} "
                  f"{gap_closed(rows, method, pair):6.2f} {wer(mine):6.1f} "
                  f"{np.nanmean([r.f0_corr for r in mine]):7.3f}")  # fmt: skip
        ceiling = np.mean([r.sim_ceiling for r in rows if r.pair == pair and r.method == "none"])
        print(f"{pair:14s} {'(target held-out ceiling)':25s} {ceiling:.3f}\n")
    print("## Summary over pairs\n")
    print(
        f"{'method':11s} {'gap':>5s} {'gap long':>8s} {'gap x-gen':>9s} {'WER %':>6s} "
        f"{'WER long':>8s} {'F0 corr':>7s} {'max dlen ms':>11s} {'peak>0.99':>9s} {'NaN':>4s}"
    )
    summary: dict[str, dict[str, float]] = {}
    cross = [p for p in pairs if _gender(p.split("->")[0]) != _gender(p.split("->")[1])]
    for method in METHODS:
        mine = [r for r in rows if r.method == method]
        longs = [r for r in rows if r.method == method and r.long]
        long_gap = np.mean([gap_closed([r for r in rows if r.long], method, p) for p in pairs])
        s = summary[method] = {
            "gap": float(np.mean([gap_closed(rows, method, p) for p in pairs])),
            "gap_long": float(long_gap),
            "gap_cross": float(np.mean([gap_closed(rows, method, p) for p in cross])),
            "wer": wer(mine), "wer_long": wer(longs),
            "f0": float(np.nanmean([r.f0_corr for r in mine])),
            "dlen": max(r.len_diff_ms for r in mine),
            "peaks": sum(r.peak > 0.99 for r in mine), "nan": sum(r.nan for r in mine),
        }  # fmt: skip
        print(f"{method:11s} {s['gap']:5.2f} {s['gap_long']:8.2f} {s['gap_cross']:9.2f} "
              f"{s['wer']:6.1f} {s['wer_long']:8.1f} {s['f0']:7.3f} {s['dlen']:11.1f} "
              f"{int(s['peaks']):9d} {int(s['nan']):4d}")  # fmt: skip
    return summary


def _gender(speaker: str) -> str:
    import build_voices

    return build_voices.SPEAKERS[speaker].gender


def criteria(summary: dict[str, dict[str, float]], speed: dict[str, float]) -> None:
    d, none, resynth = summary[DEFAULT_METHOD], summary["none"], summary["s=0"]
    checks = [
        ("identity gap closed at the default >= 0.50", d["gap"], d["gap"] >= 0.50),
        ("WER cost at the default <= 10 points", d["wer"] - none["wer"],
         d["wer"] - none["wer"] <= 10.0),
        ("WER cost on >= 10 s inputs <= 6 points", d["wer_long"] - none["wer_long"],
         d["wer_long"] - none["wer_long"] <= 6.0),
        ("F0 corr >= 0.95 x WORLD resynthesis", d["f0"] / resynth["f0"],
         d["f0"] >= 0.95 * resynth["f0"]),
        ("length error <= 10 ms", d["dlen"], d["dlen"] <= 10.0),
        ("no clipping, no NaN (all methods)", 0.0,
         all(s["peaks"] == 0 and s["nan"] == 0 for s in summary.values())),
        ("RTF default <= 0.25", speed["rtf_default"], speed["rtf_default"] <= 0.25),
        ("RTF fast <= 0.08", speed["rtf_fast"], speed["rtf_fast"] <= 0.08),
        ("profile from 60 s builds in < 30 s", speed["profile_seconds"],
         speed["profile_seconds"] < 30.0),
        ("deterministic", 0.0, bool(speed["deterministic"])),
    ]  # fmt: skip
    print("\n## Criteria\n")
    for name, value, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name:45s} {value:8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voxcli-bench"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true", help="quality tables only")
    parser.add_argument("--methods", help="comma-separated subset of METHODS (with none and s=0)"
                        " and of EXTRA_METHODS")  # fmt: skip
    parser.add_argument("--wideband", action="store_true",
                        help="also print what the rate variants do above 11 kHz")  # fmt: skip
    args = parser.parse_args()
    if args.methods:  # e.g. none,s=0,s=0.8,fast: the criteria's methods at half the cost
        global METHODS
        wanted = args.methods.split(",")
        METHODS = [m for m in METHODS + EXTRA_METHODS if m in wanted]
        METHODS += [m for m in wanted if "/" in m]
    corpus = Corpus(args.cache)
    prepare(PAIRS, corpus, HELD_OUT)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = pool.map(score_pair, PAIRS, [args.cache] * len(PAIRS))
        rows = [row for part in results for row in part]
    summary = report(rows)
    if args.wideband:
        from local_variants import wideband_report

        wideband_report(load_profile("sally", corpus), HIGH_RATE)
    if args.skip_speed:
        return 0
    speed = speed_report(corpus)
    criteria(summary, speed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
