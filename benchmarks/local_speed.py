"""Speed, memory and determinism figures for the local-engine benchmark.

Real-time factor = CPU seconds / audio seconds of a single-threaded conversion, the best of
`REPEATS` runs after a warm-up call (imports and cached tables are not counted; single runs of
the same code varied by up to 40 % on the 2-core benchmark machine). Peak memory is the
maximum resident set size (imports included) of a fresh process converting a 5-minute input
at 16 kHz, and one converting 60 s at 44.1 kHz (the local backend's longest section at a
common input rate).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from local_corpus import HELD_OUT, RATE, ROOT, Corpus

import voxcli
from voxcli.engine import ConversionOptions, VoiceProfile, build_profile, convert

#: Timed conversions per quality level; the fastest counts (as `timeit` does).
REPEATS = 3

# NOTE: the peak is read from /proc (VmHWM, kB), not from getrusage: Linux carries ru_maxrss
# across exec, so a probe started by this (large) process would report the parent's peak.
_MEMORY_PROBE = """
import os, sys
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import numpy as np, soundfile as sf
from voxcli.engine import VoiceProfile, convert, ConversionOptions
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) // 1024
x, rate = sf.read(sys.argv[1], dtype="float32")
profile = VoiceProfile.from_bytes(open(sys.argv[2], "rb").read())
before = peak_mb()
y = convert(x, rate, profile, ConversionOptions(quality=sys.argv[3]))
print(before, peak_mb(), len(y) == len(x))
"""


def _rtf(x: np.ndarray, profile: VoiceProfile, quality: str) -> float:
    opts = ConversionOptions(quality=quality)  # type: ignore[arg-type]
    convert(x[: 2 * RATE], RATE, profile, opts)  # warm-up
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        convert(x, RATE, profile, opts)
        best = min(best, time.process_time() - start)
    return best / (len(x) / RATE)


def speed_report(corpus: Corpus) -> dict[str, float]:
    """Measure and print the speed figures; return them for the criteria table."""
    profile_path = ROOT / "voxcli/data/voices/sally.npz"
    profile = VoiceProfile.from_bytes(profile_path.read_bytes())
    x = np.concatenate([corpus.utterance("us2", u) for u in HELD_OUT])
    x = np.tile(x, int(np.ceil(30 * RATE / len(x))))[: 30 * RATE]
    out: dict[str, float] = {}
    print("\n## Speed (one core, 30 s input, 16 kHz)\n")
    for quality in ("default", "fast"):
        out[f"rtf_{quality}"] = _rtf(x, profile, quality)
        print(f"real-time factor, {quality:7s}: {out[f'rtf_{quality}']:.3f}")
    ten = x[: 10 * RATE]
    out["deterministic"] = float(np.array_equal(convert(ten, RATE, profile),
                                                convert(ten, RATE, profile)))  # fmt: skip
    print(f"deterministic (two runs bit-identical): {bool(out['deterministic'])}")
    reference = corpus.reference("us1")[: 60 * RATE]
    start = time.process_time()
    build_profile([(reference, RATE)])
    out["profile_seconds"] = time.process_time() - start
    print(f"profile from {len(reference) / RATE:.0f} s of reference: "
          f"{out['profile_seconds']:.1f} CPU-s")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        long_input = Path(tmp) / "five-minutes.wav"
        sf.write(str(long_input), np.tile(x, 10), RATE, subtype="PCM_16")
        high_rate = Path(tmp) / "sixty-seconds-44k.wav"
        high = soxr.resample(np.tile(x, 2), RATE, 44100)
        sf.write(str(high_rate), high, 44100, subtype="PCM_16")
        for name, path in (("5-minute input, 16 kHz", long_input),
                           ("60 s input, 44.1 kHz", high_rate)):  # fmt: skip
            for quality in ("default", "fast"):
                key = f"peak_mb_{quality}" + ("_44k" if path == high_rate else "")
                out[key] = _peak_mb(path, profile_path, quality, name)
    return out


def _peak_mb(path: Path, profile_path: Path, quality: str, name: str) -> float:
    """Peak RSS (MB) of a fresh process converting `path`; printed with the imports' share."""
    # NOTE: `python -c` puts its working directory first on sys.path, so a probe started in a
    # checkout would measure that checkout's engine, not the one this process imported (which
    # PYTHONPATH may point elsewhere). It runs beside its input, with this voxcli first.
    here = str(Path(voxcli.__file__).resolve().parents[1])
    paths = os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH"))))
    args = [str(path.resolve()), str(profile_path.resolve()), quality]
    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, *args], check=True, capture_output=True, text=True,
        cwd=path.parent, env={**os.environ, "PYTHONPATH": paths},
    )  # fmt: skip
    before, after, same_length = probe.stdout.split()
    print(f"{name}, {quality:7s}: peak RSS {after} MB (after imports and "
          f"loading: {before} MB), length kept: {same_length}")  # fmt: skip
    return float(after)
