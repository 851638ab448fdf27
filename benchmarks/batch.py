"""Batch benchmark: `voxcli batch` against the ideal, the official SDK, shards and the engine.

Prints figures; it is not a test. Every voxcli run is a fresh `python -m voxcli batch` process
(imports included), each with an empty cache, against an identity `TransformBackend` behind
`voxcli.server.ApiServer` in another process (`benchmarks/long_audio.py`'s server), answering
after `--latency` seconds and allowing `--limit` conversions at once (reported in its
``maximum-concurrent-requests`` header; beyond it: 429 ``concurrent_limit_exceeded``). Its
subscription says tier ``creator`` (`--tier`; documented limit 5), so `--jobs auto` starts at 5
and follows the headers down to 4, as it would on a real account whose limit differs from the
documentation; with an undocumented tier it would start at 2 and climb.

1. 32 files of 20 s, default `--jobs`: wall against the ideal, ``ceil(32 / limit) x latency``
   plus one start-up (the wall of a rerun with everything done: discovery, manifest, voice;
   goal: efficiency >= 0.9); next to a plain sequential loop over the official `elevenlabs`
   SDK converting the same files (what users write instead), with the speedup.
2. The same files with `--jobs 8` against the limit of 4: succeeds, the 429s absorbed.
3. Three shards started at once against the same server: the slowest shard's wall against the
   same ideal (goal: efficiency >= 0.8), and the 429s.
4. The local engine: 40 clips of 4 s, files per minute with 1 worker and with the default
   (one per core; goal >= 1.7x on 2 cores).
5. 5,000 tiny files: `--dry-run` wall, the first run, and a rerun with everything done
   (goal: under 5 s).

Outputs are 16 kHz PCM in WAV (``--ext wav -f pcm_16000``), so the server's own encoding does
not stand in for voxcli's scheduling. Usage:

    python benchmarks/batch.py [--only remote|jobs8|shards|local|many] [--latency 1] [--limit 4]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from long_audio import ROOT, VOICE, server

WORK = ROOT / "bench-out" / "batch"
KEY = "bench-key"
FORMAT = ["--ext", "wav", "-f", "pcm_16000"]

_SDK_LOOP = """
import sys, pathlib
from elevenlabs.client import ElevenLabs
client = ElevenLabs(api_key=sys.argv[1], base_url=sys.argv[2])
out = pathlib.Path(sys.argv[4]); out.mkdir(parents=True, exist_ok=True)
for path in sorted(pathlib.Path(sys.argv[3]).glob("*.wav")):
    with path.open("rb") as audio:
        chunks = client.speech_to_speech.convert(
            sys.argv[5], audio=audio, model_id="eleven_multilingual_sts_v2",
            output_format="pcm_16000")
        (out / (path.stem + ".pcm")).write_bytes(b"".join(chunks))
"""


def make_files(folder: Path, count: int, seconds: float) -> Path:
    """`count` distinct speech-like 16 kHz WAV files of `seconds` each, made once."""
    import soundfile as sf

    from tests.support.audio import speechlike

    marker = folder / f".made-{count}x{seconds:g}"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    base = speechlike(seconds, 16000, pause_every=4.0)
    for n in range(count):
        # A different gain per file: distinct uploads (no cache hits between files).
        sf.write(str(folder / f"{n:05d}.wav"), base * (0.5 + 0.4 * n / count), 16000,
                 subtype="PCM_16")  # fmt: skip
    marker.touch()
    return folder


def env_for(work: Path, url: str | None) -> dict[str, str]:
    """A clean environment: own config and cache dirs; the server's URL and a key if any."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith("VOXCLI_")}  # fmt: skip
    env.pop("ELEVENLABS_API_KEY", None)
    env.update(VOXCLI_CACHE_DIR=str(work / "cache"), VOXCLI_CONFIG_DIR=str(work / "config"),
               VOXCLI_DATA_DIR=str(work / "data"))  # fmt: skip
    if url is not None:
        env.update(ELEVENLABS_API_KEY=KEY, VOXCLI_BASE_URL=url)
    return env


def run(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one command (which must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:6])} ... exit {done.returncode}: {done.stderr[-2000:]}")
    return wall


def batch(inputs: Path, out: Path, env: dict[str, str], *extra: str, voice: str = VOICE
          ) -> list[str]:  # fmt: skip
    return [sys.executable, "-m", "voxcli", "batch", str(inputs), "-o", str(out), "-v", voice,
            *FORMAT, "-q", *extra]  # fmt: skip


def fresh(work: Path) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def rejected(stats: dict[str, float]) -> int:
    return int(stats.get("429", 0))


def remote(a: argparse.Namespace) -> None:
    inputs = make_files(WORK / "in-32x20", 32, 20.0)
    ideal_rounds = math.ceil(32 / a.limit) * a.latency
    print(f"1. 32 files of 20 s, server latency {a.latency:g} s, limit {a.limit}, default --jobs")
    work = fresh(WORK / "remote")
    with server(a.latency, a.limit, a.tier) as (url, stats):
        env = env_for(work, url)
        launched = time.monotonic()
        wall = run(batch(inputs, work / "out", env), env)
        startup = run(batch(inputs, work / "out", env), env)  # everything done: fixed cost
    with server(a.latency, a.limit, a.tier) as (url, _):
        sdk = run([sys.executable, "-c", _SDK_LOOP, KEY, url, str(inputs), str(work / "sdk"),
                   VOICE], env_for(work, url))  # fmt: skip
    ideal = ideal_rounds + startup
    print(f"   voxcli batch: wall {wall:.2f} s; ideal {ideal_rounds:g} s + start-up "
          f"{startup:.2f} s (a rerun with all done) = {ideal:.2f} s: efficiency "
          f"{ideal / wall:.2f} (goal >= 0.9); 429s absorbed: {rejected(stats)}")  # fmt: skip
    served = math.ceil(32 / a.limit) * stats["mean_service"]
    print(f"   where it went: first request {stats['first_start'] - launched:.2f} s after launch, "
          f"mean time per request on the server {stats['mean_service']:.3f} s (so 8 rounds take "
          f"{served:.2f} s there), exit {launched + wall - stats['last_end']:.2f} s after the "
          f"last answer; against the measured time per request: efficiency "
          f"{(served + startup) / wall:.2f}")  # fmt: skip
    print(f"   official SDK, sequential loop: wall {sdk:.2f} s; speedup {sdk / wall:.1f}x")


def jobs8(a: argparse.Namespace) -> None:
    inputs = make_files(WORK / "in-32x20", 32, 20.0)
    print(f"2. the same 32 files with --jobs 8 against the limit of {a.limit}")
    work = fresh(WORK / "jobs8")
    with server(a.latency, a.limit, a.tier) as (url, stats):
        env = env_for(work, url)
        wall = run(batch(inputs, work / "out", env, "--jobs", "8"), env)
    done = len(list((work / "out").glob("*.wav")))
    print(f"   succeeded: {done}/32 files in {wall:.2f} s; 429s absorbed: {rejected(stats)} "
          f"of {int(stats.get('requests', 0))} requests")  # fmt: skip


def shards(a: argparse.Namespace) -> None:
    inputs = make_files(WORK / "in-32x20", 32, 20.0)
    print(f"3. three shards started at once, one key, limit {a.limit}, default --jobs")
    work = fresh(WORK / "shards")
    with server(a.latency, a.limit, a.tier) as (url, stats):
        env = env_for(work, url)
        start = time.perf_counter()
        procs = [subprocess.Popen(batch(inputs, work / "out", env, "--shard", f"{k}/3"),
                                  env=env, cwd=ROOT) for k in (1, 2, 3)]  # fmt: skip
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - start
        startup = run(batch(inputs, work / "out", env, "--shard", "1/3"), env)
    if any(codes):
        raise SystemExit(f"a shard failed: exit codes {codes}")
    ideal = math.ceil(32 / a.limit) * a.latency + startup
    print(f"   all shards done in {wall:.2f} s; ideal {ideal:.2f} s: efficiency "
          f"{ideal / wall:.2f} (goal >= 0.8); 429s: {rejected(stats)} of "
          f"{int(stats.get('requests', 0))} requests")  # fmt: skip


def local(a: argparse.Namespace) -> None:
    inputs = make_files(WORK / "in-40x4", 40, 4.0)
    print("4. the local engine: 40 clips of 4 s")
    walls = {}
    for label, extra in (("1 worker", ["--jobs", "1"]), ("default", [])):
        work = fresh(WORK / f"local-{label.replace(' ', '-')}")
        env = env_for(work, None)
        command = batch(inputs, work / "out", env, "--backend", "local", *extra, voice="sally")
        walls[label] = run(command, env)
    per_minute = {k: 40 / v * 60 for k, v in walls.items()}
    for label, rate in per_minute.items():
        print(f"   {label}: {walls[label]:.1f} s, {rate:.1f} files per minute")
    print(f"   default / 1 worker: {per_minute['default'] / per_minute['1 worker']:.2f}x "
          f"on {os.cpu_count()} cores (goal >= 1.7x)")  # fmt: skip


def many(a: argparse.Namespace) -> None:
    inputs = make_files(WORK / "in-5000", 5000, 0.1)
    print("5. 5,000 tiny files")
    work = fresh(WORK / "many")
    with server(0.0, None) as (url, _):
        env = env_for(work, url)
        dry = run(batch(inputs, work / "out", env, "--dry-run"), env)
        first = run(batch(inputs, work / "out", env, "--jobs", "16"), env)
        again = run(batch(inputs, work / "out", env), env)
    print(f"   --dry-run: {dry:.2f} s; first run (no latency): {first:.1f} s; "
          f"rerun with everything done: {again:.2f} s (goal < 5 s)")  # fmt: skip


SCENARIOS = {"remote": remote, "jobs8": jobs8, "shards": shards, "local": local, "many": many}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--tier", default="creator", help="the subscription tier it reports")
    parser.add_argument("--only", choices=list(SCENARIOS))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for name, scenario in SCENARIOS.items():
        if args.only in (None, name):
            scenario(args)


if __name__ == "__main__":
    main()
