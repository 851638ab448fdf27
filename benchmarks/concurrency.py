"""Concurrency benchmark: how `--jobs auto` uses an account's concurrency, alone and shared.

Prints figures; it is not a test. `python -m voxcli convert` runs as a subprocess (imports
included) against an identity `TransformBackend` behind `voxcli.server.ApiServer` in another
subprocess, which takes `--latency` seconds per conversion, allows `--limit` at once (and says
so in ``maximum-concurrent-requests``) and reports the subscription tier `--tier`. Every input is
`--minutes` of speech-like audio cut into 30 s sections.

1. Start-up: one conversion against a server without latency (what the ideal adds once).
2. One process, default `--jobs` (auto): wall time against the ideal
   ``start-up + ceil(sections / limit) x latency``.
3. Three processes started at once with one key (CI shards), default `--jobs`: wall time
   (first launch to last exit) against ``start-up + ceil(3 x sections / limit) x latency``,
   the concurrency 429s, and the account's use: busy slot-seconds over ``limit x`` the span
   from the first request to the last answer.
4. The same three with `--jobs N` (N = `--fixed`, default the limit) for comparison.
   (The default `--jobs` is auto here; a baseline before it had 2.)

With ``--baseline PATH`` scenarios 3 and 4 also run the voxcli checked out at PATH (e.g. the
main branch before this change), side by side. Inputs are generated under
``bench-out/concurrency/``. Usage:

    python benchmarks/concurrency.py [--minutes 8] [--latency 1] [--limit 4] [--tier creator]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from long_audio import serve_identity, served

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench-out" / "concurrency"
RATE = 16000
SECTION = 30.0


def make_input(minutes: float) -> Path:
    """`minutes` of speech-like audio with pauses, written once."""
    import soundfile as sf

    from tests.support.audio import speechlike

    path = OUT / f"talk-{minutes:g}min.wav"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), speechlike(minutes * 60, RATE, pause_every=3.3, seed=3), RATE)
    return path


@contextmanager
def server(args: argparse.Namespace, latency: float) -> Iterator[tuple[str, dict[str, float]]]:
    """The identity server in a subprocess: its URL, and afterwards what it saw."""
    cmd = [sys.executable, __file__, "--serve", "--latency", str(latency),
           "--limit", str(args.limit), "--tier", args.tier]  # fmt: skip
    with served(cmd) as answer:
        yield answer


def serve(args: argparse.Namespace) -> None:
    """`--serve`: answer until SIGINT, then print what happened as one JSON line."""
    from collections import Counter

    api = serve_identity(args.latency, args.limit, args.tier)
    posts = [r for r in api.requests if r.method == "POST"]
    done = [r for r in posts if r.status == 200 and r.ended is not None]
    span = max((r.ended or 0.0 for r in done), default=0.0) - min(
        (r.started for r in done), default=0.0
    )
    busy = sum((r.ended or r.started) - r.started for r in done)
    statuses = Counter(str(r.status) for r in posts)
    use = busy / (args.limit * span) if span > 0 else 0.0
    print(json.dumps({**statuses, "peak": api.gate.peak, "use": use}), flush=True)


def run(url: str, source: Path, count: int, jobs: str | None, checkout: Path) -> float:
    """`count` conversions of `source` started at once; seconds from launch to the last exit."""
    env = {**os.environ, "ELEVENLABS_API_KEY": "bench", "VOXCLI_BASE_URL": url,
           "VOXCLI_CACHE_DIR": str(OUT / "cache")}  # fmt: skip
    extra = ["--jobs", jobs] if jobs else []
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voxcli",
                "convert",
                str(source),
                "-v",
                "Rachel",
                "-o",
                str(OUT / f"out{n}.wav"),
                "-y",
                "-q",
                "--no-cache",
                "--max-section",
                str(SECTION),
                *extra,
            ],
            env=env,
            cwd=checkout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(count)
    ]
    failed = [p.communicate()[1].strip().splitlines()[-2:] for p in procs if p.wait() != 0]
    wall = time.perf_counter() - start
    if failed:
        print(f"   {len(failed)} of {count} failed: {failed[0]}")
    return wall


def report(name: str, wall: float, ideal: float, stats: dict[str, float]) -> None:
    refused, done = int(stats.get("429", 0)), int(stats.get("200", 0))
    print(f"   {name}: wall {wall:.1f} s, ideal {ideal:.1f} s, efficiency {ideal / wall:.2f}; "
          f"{done} conversions, {refused} concurrency 429s, peak {stats.get('peak', 0):.0f} "
          f"in flight, account use {stats.get('use', 0.0):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--tier", default="creator")
    parser.add_argument("--fixed", type=int, default=None, help="--jobs for scenario 4")
    parser.add_argument("--baseline", type=Path, default=None)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args)
    source = make_input(args.minutes)
    sections = math.ceil(args.minutes * 60 / SECTION)
    print(f"{args.minutes:g} min input, {sections} sections of <= {SECTION:g} s; account: "
          f"limit {args.limit}, tier {args.tier}, {args.latency:g} s per request; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    with server(args, 0.0) as (url, _):
        startup = run(url, source, 1, None, ROOT)
    print(f"1. start-up (no latency): {startup:.1f} s")
    with server(args, args.latency) as (url, stats):
        wall = run(url, source, 1, None, ROOT)
    print("2. one process, --jobs auto")
    report("auto", wall, startup + math.ceil(sections / args.limit) * args.latency, stats)
    ideal = startup + math.ceil(3 * sections / args.limit) * args.latency
    fixed = str(args.fixed or args.limit)
    checkouts = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    for label, checkout in checkouts:
        print(f"3./4. three processes at once ({label}: {checkout})")
        for jobs in (None, fixed):
            with server(args, args.latency) as (url, stats):
                wall = run(url, source, 3, jobs, checkout)
            report(f"--jobs {jobs}" if jobs else "default --jobs", wall, ideal, stats)


if __name__ == "__main__":
    main()
