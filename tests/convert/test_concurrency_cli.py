"""`--jobs auto|N` through `voxcli convert`, against the contract server on 127.0.0.1.

A two-minute input in 10 s sections (about a dozen requests), identity transform, so every
output can be checked against its input. The server's `max_concurrent` stands for the
account's limit and `tier` for its plan; `gate.peak` is the most conversions it saw at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from tests.cli.helpers import conversions, leftovers
from tests.support.audio import speechlike, write_wav
from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

runner = CliRunner()


@pytest.fixture
def server(identity: ApiServer) -> ApiServer:
    """The identity contract server (tests/conftest.py), by the name these tests use."""
    return identity


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("talk") / "talk.wav"
    return write_wav(path, speechlike(120.0, 16000, pause_every=3.3, pause=0.45, seed=5))


def convert_args(source: Path, out: Path, *extra: str) -> list[str]:
    return [str(source), "-v", "Rachel", "-o", str(out), "-f", "pcm_16000",
            "--max-section", "10", *extra]  # fmt: skip


def convert(source: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["convert", *convert_args(source, out, *extra)])
    return result.exit_code, result.stderr


def assert_identity(source: Path, out: Path) -> None:
    want, _ = sf.read(str(source), dtype="float32")
    got, rate = sf.read(str(out), dtype="float32")
    assert rate == 16000 and len(got) == len(want)
    noise = float(np.sum((got - want) ** 2))
    assert noise <= float(np.sum(want**2)) * 10 ** (-30 / 10)  # SNR >= 30 dB


def statuses(server: ApiServer) -> Counter[int | None]:
    return Counter(r.status for r in conversions(server))


@pytest.mark.parametrize(
    ("tier", "refused"),
    [("pro", True), ("local", False)],
    ids=["starts-above-the-limit", "unknown-tier-starts-at-2"],
)
def test_the_default_jobs_follows_the_account_up_to_its_limit(
    server: ApiServer, talk: Path, tmp_path: Path, tier: str, refused: bool
) -> None:
    """Pro's documented 10 is more than this account's 4: the 429s are absorbed and voxcli
    settles at 4. An unknown tier starts at 2 and probes up to the reported 4."""
    server.tier, server.max_concurrent, server.latency_seconds = tier, 4, 0.3
    out = tmp_path / "out.wav"
    code, stderr = convert(talk, out)
    assert code == 0, stderr
    assert_identity(talk, out)
    assert server.gate.peak == 4
    seen = statuses(server)
    assert seen[200] >= 10
    assert (seen[429] > 0) is refused
    if refused:
        assert "waiting for a free slot" in stderr


def test_jobs_above_the_accounts_limit_succeeds(
    server: ApiServer, talk: Path, tmp_path: Path
) -> None:
    server.max_concurrent, server.latency_seconds = 4, 0.3
    out = tmp_path / "out.wav"
    code, stderr = convert(talk, out, "--jobs", "8")
    assert code == 0, stderr
    assert_identity(talk, out)
    assert statuses(server)[429] > 0
    assert server.gate.peak == 4


def test_a_ceiling_below_the_account_is_kept(server: ApiServer, talk: Path, tmp_path: Path) -> None:
    server.tier, server.max_concurrent, server.latency_seconds = "pro", 10, 0.2
    code, stderr = convert(talk, tmp_path / "out.wav", "--jobs", "3")
    assert code == 0, stderr
    assert server.gate.peak == 3
    assert statuses(server)[429] == 0


def test_three_processes_sharing_an_account_settle_near_its_limit(
    server: ApiServer, talk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three CI shards started at once with one key: every one finishes, the account is
    used up to its limit, and the 429s stay few (each shard leaves the others' slots alone)."""
    server.tier, server.max_concurrent, server.latency_seconds = "creator", 4, 0.3
    # Waits for a slot every 0.2-0.5 s, as a shard would (1-2 s at the default backoff).
    monkeypatch.setenv("VOXCLI_RETRY_BACKOFF", "0.25")
    outs = [tmp_path / f"shard{n}.wav" for n in range(3)]
    shards = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voxcli",
                "convert",
                *convert_args(talk, out, "--no-cache", "-q"),
            ],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for out in outs
    ]
    for shard in shards:
        _, stderr = shard.communicate(timeout=300)
        assert shard.returncode == 0, stderr
    for out in outs:
        assert_identity(talk, out)
    seen = statuses(server)
    sections = seen[200] // 3
    assert seen[200] == 3 * sections >= 30
    assert server.gate.peak == 4
    print(f"\n3 shards, limit 4: {seen[200]} conversions, {seen[429]} concurrency 429s")
    # Each shard starts at creator's 5 (15 asked for, 4 slots), then shares: a few 429s per
    # section at most, not one per attempt of a retry loop.
    assert seen[429] <= seen[200]


def test_quota_exhausted_mid_conversion_exits_7_and_writes_nothing(
    server: ApiServer, talk: Path, tmp_path: Path
) -> None:
    server.character_limit = 500  # 10 s sections cost 167: three fit
    out = tmp_path / "out.wav"
    code, stderr = convert(talk, out)
    assert code == ExitStatus.QUOTA, stderr
    assert "not enough credits" in stderr and "quota of 500" in stderr
    assert not out.exists() and leftovers(tmp_path) == []
    assert server.characters_used <= 500
    assert statuses(server)[401] >= 1


def test_thirty_percent_chaos_still_converts_every_section_once(
    server: ApiServer, talk: Path, tmp_path: Path
) -> None:
    """500s, busy 429s, 503s and dropped connections on 30% of requests. --retries 10: at
    30%, a section failing 10 times in a row has a chance of 6e-6 (5 attempts: 2e-3)."""
    server.max_concurrent = 4
    chaos = server.chaos(0.3, seed=1)  # its first 12 draws hold all four faults
    assert chaos is not None
    out = tmp_path / "out.wav"
    code, stderr = convert(talk, out, "--retries", "10")
    assert code == 0, stderr
    assert_identity(talk, out)
    assert set(chaos.counts) == {"ok", "500", "429", "503", "drop"}
    posts = conversions(server)
    delivered = Counter(r.audio for r in posts if r.whole_answer_sent and r.status == 200)
    uploads = {r.audio for r in posts}
    assert set(delivered) == uploads  # every section came back whole ...
    assert set(delivered.values()) == {1}  # ... exactly once


@pytest.mark.parametrize("value", ["auto", "AUTO", "5"])
def test_jobs_setting_takes_auto_or_a_number(value: str) -> None:
    assert runner.invoke(app, ["config", "set", "jobs", value]).exit_code == 0
    shown = runner.invoke(app, ["config", "get", "jobs"]).stdout.strip()
    assert shown == ("auto" if value.lower() == "auto" else value)


def test_jobs_defaults_to_auto() -> None:
    shown = runner.invoke(app, ["config", "get", "jobs"]).stdout.strip()
    assert shown == "auto"


@pytest.mark.parametrize("value", ["0", "65", "many", "2.5"])
def test_a_bad_jobs_is_refused_before_anything_is_sent(
    server: ApiServer, talk: Path, tmp_path: Path, value: str
) -> None:
    code, stderr = convert(talk, tmp_path / "out.wav", "--jobs", value)
    assert code == ExitStatus.INPUT
    assert "expected auto or a whole number from 1 to 64" in stderr
    assert conversions(server) == []
