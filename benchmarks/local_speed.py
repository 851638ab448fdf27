"""Speed, memory and determinism figures of the local engine, and what a user waits for.

`speed_report` (called by `local_quality.py`, which needs the benchmark's synthetic speakers):
real-time factor = CPU seconds / audio seconds of a single-threaded conversion, the best of
`REPEATS` runs after a warm-up call (imports and cached tables are not counted; single runs of
the same code varied by up to 40 % on the 2-core benchmark machine). Peak memory is the
maximum resident set size (imports included) of a fresh process converting a 5-minute input
at 16 kHz, and one converting 60 s at 44.1 kHz (the local backend's longest section at a
common input rate).

Run on its own, it measures what a person waits for, before and after, side by side in one run:

    python benchmarks/local_speed.py [--base main] [--runs 5] [--variant a24 ...]

It checks `--base` out into a temporary `git worktree` and runs that code (PYTHONPATH) with the
same interpreter as this checkout, alternating old, new and `voxcli --help` in each round; every
figure is the median wall time of fresh processes, imports included: `voxcli --help`, importing
the engine, `voxcli voices`, `voxcli convert` of the 4 s example and of a 60 s input at 44.1 kHz
(espeak-ng speech) at both qualities. Then, per version, the engine alone on the 60 s input
(one thread, best of 3 after a warm-up: the engine's own real-time factor) and its peak memory
per second of input. Needs espeak-ng (as the tests do) and git.

`--variant NAME` (repeatable) adds a column: this checkout with an experimental variant of the
engine's analysis rates (`local_variants.py`), timed on the 60 s inputs it changes (44.1 kHz,
and 16 kHz for the DIO variants) in the same rounds, and in the engine figures.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
# <variant>
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


# -- what a user waits for: fresh processes, old and new side by side -------------------------

_ENGINE_IMPORT = (
    "import time; start = time.perf_counter()\n"
    "import voxcli.engine.conversion, voxcli.engine.profile\n"
    "print(time.perf_counter() - start)\n"
)
_ENGINE_RTF = """
import os, sys, time
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
# <variant>
import soundfile as sf
from voxcli.engine import VoiceProfile, convert, ConversionOptions
x, rate = sf.read(sys.argv[1], dtype="float32")
profile = VoiceProfile.from_bytes(open(sys.argv[2], "rb").read())
opts = ConversionOptions(quality=sys.argv[3])
convert(x[: 2 * rate], rate, profile, opts)
best = float("inf")
for _ in range(3):
    start = time.process_time()
    convert(x, rate, profile, opts)
    best = min(best, time.process_time() - start)
print(best / (len(x) / rate))
"""


BENCH = Path(__file__).resolve().parent
_PATCH = (
    "import sys; sys.path.insert(0, {bench!r}); import local_variants\n"
    "local_variants.apply({variant!r})\n"
)
_CLI = "# <variant>\nimport sys\nfrom voxcli.cli import main\nsys.argv[0] = 'voxcli'\nmain()\n"


@dataclass(frozen=True)
class Version:
    """One voxcli to time: its source tree (first on PYTHONPATH) and its environment."""

    name: str
    tree: Path
    env: dict[str, str]
    variant: str | None = None
    """An experimental variant (`local_variants.VARIANTS`) patched in before voxcli runs."""

    def runs(self, label: str) -> bool:
        """Whether this version times `label` (a variant: the 60 s conversions it changes)."""
        if self.variant is None:
            return True
        from local_variants import changes_16k

        return label.startswith("convert 60 s at 44.1") or (
            label.startswith("convert 60 s") and changes_16k(self.variant)
        )

    def python(self, code: str) -> list[str]:
        """argv running `code` with `python -c`, the variant patched in at its ``# <variant>``
        line (after the thread settings, before voxcli is used)."""
        if self.variant is not None:
            code = code.replace("# <variant>\n", _PATCH.format(bench=str(BENCH),
                                                               variant=self.variant))  # fmt: skip
        return [sys.executable, "-c", code]


@contextmanager
def _versions(base: str, tmp: Path, variants: list[str]) -> Iterator[list[Version]]:
    """`base` checked out in a temporary worktree (removed afterwards), this checkout, and this
    checkout with each of `variants`."""
    old_tree = tmp / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), base],
                   check=True, capture_output=True)  # fmt: skip
    try:
        argv = ["git", "-C", str(old_tree), "rev-parse", "--short", "HEAD"]
        commit = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()
        found = []
        for name, tree in ((f"old ({base} {commit})", old_tree), ("new (this checkout)", ROOT)):
            # Bytecode is written and reused, as on a user's machine (see benchmarks/startup.py).
            dropped = ("ELEVENLABS_API_KEY", "PYTHONDONTWRITEBYTECODE")
            env = {k: v for k, v in os.environ.items()
                   if k not in dropped and not k.startswith("VOXCLI_")}  # fmt: skip
            home = tmp / name.split()[0]
            env.update(PYTHONPATH=str(tree), VOXCLI_CONFIG_DIR=str(home / "config"),
                       VOXCLI_CACHE_DIR=str(home / "cache"), VOXCLI_DATA_DIR=str(home / "data"),
                       VOXCLI_BACKEND="local")  # fmt: skip
            found.append(Version(name, tree, env))
        found += [replace(found[-1], name=f"new + {v}", variant=v) for v in variants]
        yield found
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)],
                       capture_output=True)  # fmt: skip


def _speak_minute(folder: Path) -> dict[int, Path]:
    """60.0 s of espeak-ng speech (Harvard lists 1-4), 16-bit WAV at 44.1 and at 16 kHz."""
    import build_voices as bv

    raw = folder / "speech.wav"
    text = " ".join(s for n in (1, 2, 3, 4) for s in bv.HARVARD[n])
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text], check=True,
                   capture_output=True)  # fmt: skip
    samples, rate = sf.read(str(raw), dtype="float32")
    paths = {}
    for target in (44100, 16000):
        minute = np.tile(soxr.resample(samples, rate, target), 2)[: 60 * target]
        paths[target] = folder / f"sixty-seconds-{target}.wav"
        sf.write(str(paths[target]), minute, target, subtype="PCM_16")
    return paths


def _timed(argv: list[str], version: Version) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process running `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # NOTE: in its own tree: `python -c` puts the working directory first on sys.path.
    subprocess.run(argv, check=True, env=version.env, cwd=version.tree,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _stdout(argv: list[str], version: Version) -> str:
    return subprocess.run(argv, check=True, env=version.env, cwd=version.tree, capture_output=True,
                          text=True).stdout  # fmt: skip


def end_to_end(base: str, runs: int, variants: list[str]) -> None:
    """Print the before/after tables of the module docstring (`base` is a git revision)."""
    voxcli_bin = shutil.which("voxcli", path=str(Path(sys.executable).parent)) or "voxcli"
    with (tempfile.TemporaryDirectory() as tmp_name,
          _versions(base, Path(tmp_name), variants) as versions):  # fmt: skip
        tmp = Path(tmp_name)
        minute = _speak_minute(tmp)

        def convert(source: Path, quality: str) -> list[str]:
            return [voxcli_bin, "convert", str(source), "-o", str(tmp / "out.wav"), "-y", "-q",
                    "--no-cache", "--quality", quality]  # fmt: skip

        example, long_runs = ROOT / "examples" / "speech.wav", max(1, runs // 2)
        commands: dict[str, tuple[list[str], int]] = {
            "voxcli --help": ([voxcli_bin, "--help"], runs),
            "engine import (python -c)": ([sys.executable, "-c", _ENGINE_IMPORT], runs),
            "voxcli voices": ([voxcli_bin, "voices", "-q"], runs),
            "convert 4 s example, default": (convert(example, "default"), runs),
            "convert 4 s example, fast": (convert(example, "fast"), runs),
        }
        for rate in (44100, 16000):
            for quality in ("default", "fast"):
                label = f"convert 60 s at {rate / 1000:g} kHz, {quality}"
                commands[label] = (convert(minute[rate], quality), long_runs)
        for version in versions:  # warm the file cache and .pyc files
            _timed(_argv(convert(example, "fast"), version), version)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for round_ in range(runs):
            for label, (argv, count) in commands.items():
                for version in versions if round_ < count else []:
                    if version.runs(label):
                        sample = _timed(_argv(argv, version), version)
                        times.setdefault((label, version.name), []).append(sample)
        _print_table(times, commands, versions, runs)
        _engine_figures(versions, minute[44100])


def _argv(argv: list[str], version: Version) -> list[str]:
    """`argv` as `version` runs it: a variant runs voxcli through `python -c` to patch first."""
    if version.variant is None or argv[0] == sys.executable:
        return argv
    return [*version.python(_CLI), *argv[1:]]


def _print_table(
    times: dict[tuple[str, str], list[tuple[float, float]]],
    commands: dict[str, tuple[list[str], int]],
    versions: list[Version],
    runs: int,
) -> None:
    median = {key: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
              for key, v in times.items()}  # fmt: skip
    load = os.getloadavg()[0]
    print(f"\n## What a user waits for: wall (CPU) seconds, median of {runs} fresh processes "
          f"(60 s inputs: {max(1, runs // 2)}); load average now {load:.1f}\n")  # fmt: skip
    print(f"{'':32s}" + "".join(f"{v.name:>40s}" for v in versions))
    for label in commands:
        cells = []
        for version in versions:
            if (label, version.name) not in median:
                cells.append("=")
                continue
            wall, cpu = median[(label, version.name)]
            # A variant runs this checkout's code: its --help is this checkout's.
            checkout = versions[1].name if version.variant else version.name
            help_ = median[("voxcli --help", checkout)][0]
            if label == "voxcli voices":
                extra = f"{wall / help_:.2f} x --help"
            elif label.startswith("convert 60 s"):
                extra = f"{wall / 60:.3f} x real time"
            elif label.startswith("convert"):
                extra = f"--help + {wall - help_:.2f} s"
            else:
                extra = ""
            cells.append(f"{wall:.3f} ({cpu:.3f})" + (f" {extra}" if extra else ""))
        print(f"{label:32s}" + "".join(f"{c:>40s}" for c in cells))


def _engine_figures(versions: list[Version], minute: Path) -> None:
    """The engine alone on the 60 s input, per version: real-time factor and peak memory."""
    profile = str(ROOT / "voxcli" / "data" / "voices" / "sally.npz")
    print("\n## The engine alone, 60 s at 44.1 kHz (one thread; imports not counted)\n")
    print(f"{'':32s}" + "".join(f"{v.name:>40s}" for v in versions))
    for quality in ("default", "fast"):
        rtf = [float(_stdout([*v.python(_ENGINE_RTF), str(minute), profile, quality], v))
               for v in versions]  # fmt: skip
        print(f"{'real-time factor, ' + quality:32s}" + "".join(f"{r:40.3f}" for r in rtf))
    for quality in ("default", "fast"):
        cells = []
        for version in versions:
            argv = [*version.python(_MEMORY_PROBE), str(minute), profile, quality]
            before, after = (float(f) for f in _stdout(argv, version).split()[:2])
            cells.append(f"{after:.0f} MB peak, {(after - before) / 60:.1f} MB per s")
        print(f"{'memory, ' + quality:32s}" + "".join(f"{c:>40s}" for c in cells))


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=5, help="rounds of fresh processes")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="also time this experimental variant (local_variants.VARIANTS)",
    )
    args = parser.parse_args()
    # SIGTERM ends the run through `finally` too, so the temporary worktree is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    end_to_end(args.base, args.runs, args.variant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
