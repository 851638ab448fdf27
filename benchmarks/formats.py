"""Formats benchmark: a 3-hour voice memo (.m4a) against the same audio as WAV, and PyAV's cost.

Prints figures; it is not a test. Everything is measured side by side in one run, in fresh
processes (imports included), so ratios hold whatever the machine's speed:

1. Decoding: soundfile reading the WAV block by block (what the long-audio path does with a WAV)
   next to PyAV decoding the M4A (AAC) block by block, and next to what a conversion really does
   with an M4A: decode it once into the temporary FLAC spool (`voxcli.audio.media_spool.decoded`).
2. The long-audio path end to end: `voxcli convert` of each input to MP3 against an identity
   `TransformBackend` behind `voxcli.server.ApiServer` (as `benchmarks/long_audio.py` does):
   peak RSS of the M4A run against the WAV run (goal: at most 1.2x), CPU and wall time.
3. The dependency: PyAV's installed size, and `import av` against `import soundfile` and an
   empty interpreter (best of several fresh processes).

Inputs are generated once (the WAV is `benchmarks/long_audio.py`'s, the M4A is encoded from it
with PyAV at 64 kbps mono, a phone memo's bitrate) under ``bench-out/`` and reused. Usage:

    python benchmarks/formats.py [--hours 3] [--only decode|convert|dependency]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from long_audio import RATE, make_input, measure, server, voxcli  # noqa: E402


def make_memo(wav: Path, memo: Path) -> Path:
    """`wav` encoded as AAC (64 kbps mono) in an M4A, once."""
    import av
    import soundfile as sf

    if memo.exists() and memo.stat().st_mtime > wav.stat().st_mtime:
        return memo
    print(f"encoding {wav.name} as {memo.name} (AAC, once) ...", file=sys.stderr)
    tmp = memo.with_suffix(".part.m4a")
    with av.open(str(tmp), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=RATE, layout="mono")
        stream.bit_rate = 64_000
        pos = 0
        for block in sf.blocks(str(wav), 65536, dtype="float32"):
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = RATE, pos, Fraction(1, RATE)
            pos += len(block)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    tmp.replace(memo)
    return memo


def decode_child(how: str, path: str) -> None:
    """`--decode HOW PATH`: read `path` the way `how` says, in this (measured) process."""
    from voxcli.audio import io, media, media_spool

    frames = 0
    if how == "soundfile":
        for block in io.blocks(Path(path), 65536):
            frames += len(block)
    elif how == "pyav":
        for block in media.blocks(Path(path)):
            frames += len(block)
    else:  # "spool": what a conversion does with a media input
        with media_spool.decoded(Path(path)) as track:
            frames = track.info.frames
    print(frames)


def decode_run(wav: Path, memo: Path) -> None:
    print("1. decoding (fresh processes, imports included)")
    runs = {}
    for how, path in (("soundfile", wav), ("pyav", memo), ("spool", memo)):
        runs[how] = measure([sys.executable, __file__, "--decode", how, str(path)])
    base = runs["soundfile"]
    labels = {
        "soundfile": "WAV, soundfile blocks",
        "pyav": "M4A, PyAV blocks",
        "spool": "M4A, PyAV into the FLAC spool",
    }
    for how, run in runs.items():
        print(f"   {labels[how]:32s} wall {run.wall:6.1f} s  CPU {run.cpu:6.1f} s  "
              f"peak RSS {run.peak_mb:4.0f} MB  ({run.wall / base.wall:.1f}x the WAV's wall)"
              f"  frames {run.stdout.strip()}")  # fmt: skip


def convert_run(wav: Path, memo: Path, work: Path) -> None:
    print("2. voxcli convert INPUT -o out.mp3 (identity server, no latency, default --jobs)")
    results = {}
    for label, source in (("WAV", wav), ("M4A", memo)):
        with server(0.0, None) as (url, _):
            results[label] = voxcli(source, work / f"out-{label.lower()}.mp3", url, work)
        run = results[label]
        sections = json.loads(run.stdout)["sections"]["sections"]
        print(f"   {label}: peak RSS {run.peak_mb:.0f} MB, CPU {run.cpu:.1f} s, wall "
              f"{run.wall:.1f} s, {len(sections)} sections")  # fmt: skip
    ratio = results["M4A"].peak_mb / results["WAV"].peak_mb
    print(f"   peak RSS M4A / WAV: {ratio:.2f} (goal <= 1.2)")
    print(f"   wall M4A / WAV: {results['M4A'].wall / results['WAV'].wall:.2f}; extra CPU for the "
          f"M4A: {results['M4A'].cpu - results['WAV'].cpu:.1f} s")  # fmt: skip


def best_of(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def dependency_run(runs: int) -> None:
    import av

    print("3. the dependency")
    size = 0
    package = Path(av.__file__).parent
    for folder in (package, package.parent / "av.libs"):
        for dirpath, _, files in os.walk(folder):
            size += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f"   PyAV {av.__version__} installed: {size / 1e6:.0f} MB (av/ + av.libs/, the "
          f"bundled FFmpeg {av.ffmpeg_version_info} libraries)")  # fmt: skip
    empty = best_of("pass", runs)
    for module in ("soundfile", "av", "numpy"):
        cost = best_of(f"import {module}", runs) - empty
        print(f"   import {module}: +{cost * 1000:.0f} ms over an empty interpreter "
              f"(best of {runs})")  # fmt: skip
    both = best_of("import av; import voxcli.audio.media", runs) - empty
    print(f"   import av + voxcli.audio.media: +{both * 1000:.0f} ms (paid only by commands that "
          "read or write media; `voxcli --help` does not import av)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per import figure")
    parser.add_argument("--only", choices=["decode", "convert", "dependency"])
    parser.add_argument("--decode", nargs=2, metavar=("HOW", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.decode:
        return decode_child(*args.decode)
    work = ROOT / "bench-out" / "long_audio"
    work.mkdir(parents=True, exist_ok=True)
    wav = work / f"speech-{args.hours:g}h.wav"
    memo = ROOT / "bench-out" / "formats" / f"speech-{args.hours:g}h.m4a"
    if args.prepare:
        memo.parent.mkdir(parents=True, exist_ok=True)
        make_memo(make_input(wav, args.hours), memo)
        return None
    if args.only in (None, "decode", "convert"):
        # NOTE: in a child process: Linux carries a parent's peak RSS into the children it
        # starts (ru_maxrss survives exec), so this process stays small while it measures.
        subprocess.run([sys.executable, __file__, "--prepare", "--hours", str(args.hours)],
                       check=True)  # fmt: skip
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(this process's peak RSS, a floor for the figures below: {own:.0f} MB)")
        sizes = f"{wav.stat().st_size / 1e6:.0f} MB and {memo.stat().st_size / 1e6:.0f} MB"
        print(f"input: {args.hours:g} h of speech-like audio at {RATE} Hz: {wav.name} and "
              f"{memo.name}, {sizes}")  # fmt: skip
        if args.only in (None, "decode"):
            decode_run(wav, memo)
        if args.only in (None, "convert"):
            convert_run(wav, memo, work)
    if args.only in (None, "dependency"):
        dependency_run(args.runs)


if __name__ == "__main__":
    main()
