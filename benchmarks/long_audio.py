"""Long-audio benchmark: memory, CPU overhead and concurrency efficiency of `voxcli convert`.

Prints figures; it is not a test. Two scenarios, each running `python -m voxcli convert` as a
subprocess against an identity `TransformBackend` behind `voxcli.server.ApiServer` in another
subprocess (so the server's work is not counted as voxcli's):

1. A long input (default 3 hours of speech-like audio with pauses, 44.1 kHz WAV) against a
   server with no latency: voxcli's peak RSS (goal <= 300 MB) and CPU time per hour of audio,
   next to the CPU time of a plain decode + encode of the same file into the same format with
   the same libraries (soundfile/libsndfile), measured in the same run (goal: ratio <= 2.0).
2. A shorter input (default 1 hour) against a server that takes `--latency` seconds per request
   and allows `--jobs` requests at once: wall time against the ideal
   ``ceil(sections / jobs) x latency`` (goal: efficiency >= 0.9). The output is WAV by default
   (`--latency-output`), so the figure shows scheduling, not encoder speed: with MP3 the
   encoding of the last round of sections (a few seconds each) necessarily follows the last
   answer.

Inputs are generated once under ``bench-out/long_audio/`` and reused. Usage:

    python benchmarks/long_audio.py [--hours 3] [--latency-hours 1] [--latency 20] [--jobs 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATE = 44100
VOICE = "21m00Tcm4TlvDq8ikWAM"  # "Rachel" in TransformBackend's voice list


@dataclass(frozen=True)
class Measured:
    """One finished subprocess: wall seconds, CPU seconds (user + system), peak RSS in MB."""

    wall: float
    cpu: float
    peak_mb: float
    stdout: str
    started: float
    """`time.monotonic()` at launch (the same clock as the server's request times)."""
    ended: float


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `cmd` to completion and read its own resource usage with wait4 (not its children's)."""
    out_path = ROOT / "bench-out" / "long_audio" / "stdout.txt"
    with out_path.open("w+") as out:
        start, started = time.perf_counter(), time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall, ended = time.perf_counter() - start, time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed with exit code {proc.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(wall, cpu, usage.ru_maxrss / 1024, text, started, ended)


def make_input(path: Path, hours: float) -> Path:
    """Write `hours` of unique speech-like audio (60 s chunks, one seed each), once."""
    import soundfile as sf

    from tests.support.audio import speechlike

    frames = round(hours * 3600 * RATE)
    if path.exists() and sf.info(str(path)).frames == frames:
        return path
    print(f"generating {hours:g} h of input in {path} ...", file=sys.stderr)
    tmp = path.with_suffix(".part.wav")
    with sf.SoundFile(str(tmp), "w", RATE, 1, subtype="PCM_16") as f:
        for seed in range(math.ceil(hours * 60)):
            chunk = speechlike(60.0, RATE, pause_every=4.0, pause=0.5, seed=seed)
            f.write(chunk[: frames - seed * 60 * RATE])
    tmp.replace(path)
    return path


@contextmanager
def server(
    latency: float, max_concurrent: int | None, tier: str | None = None
) -> Iterator[tuple[str, dict[str, float]]]:
    """An identity ApiServer in a subprocess; yields its URL and, afterwards, its statistics.

    `tier` is the subscription tier it reports (default: the server's own, undocumented
    ``local``)."""
    cmd = [sys.executable, __file__, "--serve", "--latency", str(latency)]
    if max_concurrent:
        cmd += ["--max-concurrent", str(max_concurrent)]
    if tier:
        cmd += ["--tier", tier]
    with served(cmd) as answer:
        yield answer


@contextmanager
def served(cmd: list[str]) -> Iterator[tuple[str, dict[str, float]]]:
    """Run `cmd`, a server that prints its URL, then on SIGINT one JSON line of statistics;
    yields the URL and, once the block ends, those statistics (also `benchmarks/concurrency.py`)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    stats: dict[str, float] = {}
    try:
        yield proc.stdout.readline().strip(), stats
    finally:
        proc.send_signal(signal.SIGINT)
        line = proc.stdout.readline()
        stats.update(json.loads(line) if line.strip() else {})
        proc.wait(timeout=30)


def serve_identity(latency: float, max_concurrent: int | None, tier: str | None) -> Any:
    """Run an identity ApiServer (its URL printed first) until SIGINT; return it, to be read.

    `tier` is the subscription tier it reports (default: the server's own)."""
    from tests.support.transform_backend import TransformBackend
    from voxcli.server import ApiServer

    # NOTE: a shell starts background jobs with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler: without this the server never stops and the benchmark hangs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    api = ApiServer(TransformBackend("identity"))
    api.latency_seconds = latency
    api.max_concurrent = max_concurrent
    if tier:
        api.tier = tier
    print(api.url, flush=True)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass
    return api


def serve(latency: float, max_concurrent: int | None, tier: str | None = None) -> None:
    """`--serve`: run the server until SIGINT, then print how it answered as JSON."""
    from collections import Counter

    api = serve_identity(latency, max_concurrent, tier)
    posts = [r for r in api.requests if r.method == "POST"]
    statuses = Counter(str(r.status) for r in posts)
    times = {
        "first_start": min((r.started for r in posts), default=0.0),
        "last_end": max((r.ended or 0.0 for r in posts), default=0.0),
        "mean_service": sum((r.ended or r.started) - r.started for r in posts) / max(len(posts), 1),
    }
    print(json.dumps({"requests": len(posts), **statuses, **times}), flush=True)


def baseline(source: str, target: str) -> None:
    """`--baseline`: decode `source` and encode it as 128 kbps MP3, in blocks, with soundfile."""
    from voxcli.audio import io

    info = io.probe(Path(source))
    with io.open_writer(target, info.sample_rate, "mp3", 128) as writer:
        for block in io.blocks(Path(source), 65536):
            writer.write(block)


def voxcli(source: Path, output: Path, url: str, work: Path, *extra: str) -> Measured:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    shutil.rmtree(work / "cache", ignore_errors=True)
    env.update(VOXCLI_CACHE_DIR=str(work / "cache"), VOXCLI_CONFIG_DIR=str(work / "config"),
               ELEVENLABS_API_KEY="bench-key")  # fmt: skip
    cmd = [sys.executable, "-m", "voxcli", "convert", str(source), "-o", str(output), "-y",
           "--voice", VOICE, "--backend", "elevenlabs", "--base-url", url, "--json", "-q",
           *extra]  # fmt: skip
    return measure(cmd, env)


def long_run(args: argparse.Namespace, work: Path) -> None:
    """Scenario 1: peak RSS and CPU against a plain decode + encode."""
    import soundfile as sf

    source = make_input(work / f"speech-{args.hours:g}h.wav", args.hours)
    print(f"1. {args.hours:g} h input, 44.1 kHz WAV -> MP3 (mp3_44100_128), identity server, "
          "no latency, default --jobs")  # fmt: skip
    with server(0.0, None) as (url, stats):
        run = voxcli(source, work / "out.mp3", url, work)
    cuts = json.loads(run.stdout)["sections"]["sections"]
    drift_ms = (sf.info(str(work / "out.mp3")).duration - args.hours * 3600) * 1000
    base = measure([sys.executable, __file__, "--baseline", str(source),
                    str(work / "baseline.mp3")])  # fmt: skip
    print(f"   sections: {len(cuts)}, forced cuts: {sum(c['cut_forced'] for c in cuts)}; "
          f"server answers: {answers(stats)}")  # fmt: skip
    print(f"   output duration - input duration: {drift_ms:+.1f} ms")
    print(f"   voxcli peak RSS: {run.peak_mb:.0f} MB (goal <= 300)")
    print(f"   voxcli CPU: {run.cpu:.1f} s = {run.cpu / args.hours:.1f} s per hour of audio; "
          f"wall {run.wall:.1f} s")  # fmt: skip
    print(f"   plain decode + MP3 encode: CPU {base.cpu:.1f} s, peak RSS {base.peak_mb:.0f} MB")
    print(f"   CPU ratio voxcli / plain: {run.cpu / base.cpu:.2f} (goal <= 2.0)")


def latency_run(args: argparse.Namespace, work: Path) -> None:
    """Scenario 2: wall time against ceil(sections / jobs) x latency."""
    source = make_input(work / f"speech-{args.latency_hours:g}h.wav", args.latency_hours)
    print(f"2. {args.latency_hours:g} h input -> {args.latency_output.upper()}, server latency "
          f"{args.latency:g} s per request, max {args.jobs} concurrent, "
          f"--jobs {args.jobs}")  # fmt: skip
    output = work / f"out-latency.{args.latency_output}"
    with server(args.latency, args.jobs) as (url, stats):
        run = voxcli(source, output, url, work, "--jobs", str(args.jobs))
    count = len(json.loads(run.stdout)["sections"]["sections"])
    ideal = math.ceil(count / args.jobs) * args.latency
    print(f"   sections: {count}; server answers: {answers(stats)}")
    print(f"   wall {run.wall:.1f} s vs ideal ceil({count}/{args.jobs}) x {args.latency:g} s = "
          f"{ideal:.0f} s: efficiency {ideal / run.wall:.2f} (goal >= 0.9)")  # fmt: skip
    print(f"   where the rest went: {stats['first_start'] - run.started:.1f} s before the first "
          f"request had arrived (start-up, plan, first upload), mean time per request on the "
          f"server {stats['mean_service']:.2f} s, {run.ended - stats['last_end']:.1f} s after "
          f"the last answer")  # fmt: skip
    # The test server's own work (decoding the upload, encoding the answer) adds to the
    # configured latency; against the time requests really took, this is voxcli's scheduling.
    served = math.ceil(count / args.jobs) * stats["mean_service"]
    print(f"   against the measured time per request: ideal {served:.0f} s, "
          f"efficiency {served / run.wall:.2f}")  # fmt: skip


def answers(stats: dict[str, float]) -> str:
    return ", ".join(f"{k}: {int(v)}" for k, v in stats.items() if k == "requests" or k.isdigit())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--latency-hours", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--latency-output", choices=["wav", "mp3"], default="wav")
    parser.add_argument("--only", choices=["long", "latency"], help="run one scenario")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-concurrent", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tier", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.latency, args.max_concurrent, args.tier)
    if args.baseline:
        return baseline(*args.baseline)
    work = ROOT / "bench-out" / "long_audio"
    work.mkdir(parents=True, exist_ok=True)
    if args.only != "latency":
        long_run(args, work)
    if args.only != "long":
        latency_run(args, work)


if __name__ == "__main__":
    main()
