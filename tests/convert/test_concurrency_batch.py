"""`voxcli batch` on one pool of request slots: `--jobs N` holds for the sections of long files
too, and `--jobs auto` follows the account. Against the contract server on 127.0.0.1."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.helpers import conversions
from tests.support.audio import speechlike, write_wav
from tests.support.server import VOICE_ID
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()


@pytest.fixture
def server(identity: ApiServer) -> ApiServer:
    """The identity contract server (tests/conftest.py), by the name these tests use."""
    return identity


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two long files (sections of at most 10 s) and four short ones."""
    root = tmp_path / "in"
    root.mkdir()
    for n in range(2):
        write_wav(root / f"long{n}.wav", speechlike(60.0, 16000, pause_every=3.3, seed=n))
    for n in range(4):
        write_wav(root / f"short{n}.wav", speechlike(2.0, 16000, seed=10 + n))
    return root


def batch(folder: Path, *extra: str) -> dict[str, object]:
    out = folder.parent / "out"
    result = runner.invoke(app, ["batch", str(folder), "-o", str(out), "-v", VOICE_ID,
                                 "--max-section", "10", "--json", *extra])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_jobs_n_is_a_ceiling_for_every_file_and_section(server: ApiServer, folder: Path) -> None:
    server.tier, server.max_concurrent, server.latency_seconds = "pro", 10, 0.2
    summary = batch(folder, "--jobs", "2")
    assert summary["done"] == 6
    assert server.gate.peak == 2  # pro allows 10, the account 10: --jobs 2 still holds


def test_auto_follows_the_account_and_absorbs_its_429s(server: ApiServer, folder: Path) -> None:
    server.tier, server.max_concurrent, server.latency_seconds = "pro", 4, 0.2
    summary = batch(folder)
    assert summary["done"] == 6
    posts = conversions(server)
    statuses = Counter(r.status for r in posts)
    assert statuses[200] == len({r.audio for r in posts}) > 2 * 5 + 4  # each upload once
    assert statuses[429] > 0  # it started at pro's 10
    assert server.gate.peak == 4
