"""A batch stopped by SIGTERM, SIGINT or SIGKILL leaves nothing partial, and a rerun finishes
the job without paying again for anything that had finished.

voxcli runs in a subprocess, as in a CI job; the contract server (identity transform) runs in
this process, so its request log and the kill times share one clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.batch.conftest import make_tree
from tests.cli.helpers import conversions
from tests.support.audio import speechlike, write_wav
from tests.support.interrupt import voxcli_command
from tests.support.server import VOICE_ID
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer, RecordedRequest

#: A request whose answer was sent this long before a kill counts as finished: the client had
#: time to receive and keep it.
MARGIN = 0.5


def start(tree: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    args = ["batch", str(tree), "-r", "-o", str(out), "-v", VOICE_ID, "--ext", "wav",
            "-f", "pcm_16000", "--max-section", "20", *extra]  # fmt: skip
    return subprocess.Popen(voxcli_command(*args), env=dict(os.environ), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def temporaries(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for _root, _, files in os.walk(folder):
            found += [f for f in files if f.endswith((".part", ".tmp"))]
    return found


def assert_all_converted(tree: Path, out: Path) -> None:
    sources = sorted(p for p in tree.rglob("*.wav"))
    for source in sources:
        output = out / source.relative_to(tree)
        got, rate = sf.read(str(output), dtype="int16")
        want, _ = sf.read(str(source), dtype="int16")
        assert rate == 16000 and len(got) == len(want), output
        if len(want) < 20 * 16000:  # one request: identity, bit for bit
            assert np.array_equal(got, want), output


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """Ten 2 s files and one 100 s file (five or six sections of at most 20 s)."""
    tree = tmp_path / "in"
    make_tree(tree, [f"part{n // 5}/{n:02d}.wav" for n in range(10)], seconds=2.0)
    write_wav(tree / "long.wav", speechlike(100.0, 16000, pause_every=4.0, seed=99))
    return tree


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGTERM, ExitStatus.TERMINATED), (signal.SIGINT, ExitStatus.INTERRUPTED)],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_stops_at_once_leaves_no_temporary_file_and_flushes_the_manifest(
    identity: ApiServer, work: Path, tmp_path: Path, signum: int, status: int
) -> None:
    out = tmp_path / "out"
    identity.latency_seconds = 0.4
    run = start(work, out, "--jobs", "2")
    deadline = time.monotonic() + 60
    while len([r for r in conversions(identity) if r.status == 200]) < 3:
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    identity.latency_seconds = 30.0  # what is in flight now would hold a slow stop
    time.sleep(0.2)
    stopped = time.monotonic()
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == status, stderr
    assert time.monotonic() - stopped < 5.0
    assert "Traceback" not in stderr
    assert temporaries(out, Path(os.environ["VOXCLI_CACHE_DIR"])) == []
    lines = (out / ".voxcli-manifest.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line complete
    assert {r["status"] for r in records} == {"started", "done"}

    identity.latency_seconds = 0.0
    rerun = start(work, out)
    _, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert_all_converted(work, out)


def test_killed_at_random_moments_then_rerun_pays_once_for_each_finished_request(
    identity: ApiServer, work: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    rng = random.Random(1234)
    identity.latency_seconds = 0.3
    runs: list[tuple[float, float]] = []  # (started, killed)
    for attempt in range(3):
        began = time.monotonic()
        run = start(work, out, "--jobs", "2")
        if attempt == 0:
            # The first kill lands inside the long file: some of its sections are answered.
            deadline = time.monotonic() + 60
            while len([r for r in conversions(identity) if r.status == 200 and
                       r.audio_filename == "section.flac"]) < 2:  # fmt: skip
                assert run.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)
            time.sleep(MARGIN + 0.1)
        else:
            time.sleep(rng.uniform(0.5, 2.5))
        runs.append((began, time.monotonic()))
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    identity.latency_seconds = 0.0
    final = start(work, out)
    _, stderr = final.communicate(timeout=180)
    assert final.returncode == 0, stderr
    assert_all_converted(work, out)
    assert temporaries(out, Path(os.environ["VOXCLI_CACHE_DIR"])) == []

    sent = conversions(identity)

    def digest(request: RecordedRequest) -> str:
        return hashlib.sha256(request.audio or b"").hexdigest()

    for began, killed in runs:
        # Answered to a live client, with time to keep it: this run had that section.
        finished = {
            digest(r)
            for r in sent
            if r.status == 200 and r.started > began and r.ended and r.ended < killed - MARGIN
        }
        again = [r for r in sent if r.started > killed and digest(r) in finished]
        assert again == [], f"{len(again)} finished request(s) sent again after a kill"
    assert len(runs) == 3 and len(sent) >= 13  # 10 short files + 3 sections, at least
