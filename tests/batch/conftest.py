"""Fixtures for batch tests: folders of short speech files and the contract server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.audio import speechlike, write_wav
from tests.support.server import TEST_KEY
from tests.support.transform_backend import TransformBackend
from voxcli.server import ApiServer


def make_tree(root: Path, names: list[str], seconds: float = 1.0) -> list[Path]:
    """Write a short speech-like WAV at each relative name under `root` (seeded by index)."""
    paths = []
    for index, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        paths.append(write_wav(path, speechlike(seconds, 16000, seed=index)))
    return paths


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The contract server converting by identity; voxcli points at it through the env."""
    with ApiServer(TransformBackend("identity"), api_key=TEST_KEY) as server:
        monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
        monkeypatch.setenv("VOXCLI_BASE_URL", server.url)
        yield server


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """in/ with three files at two depths, plus a non-audio file and a hidden one."""
    root = tmp_path / "in"
    make_tree(root, ["a.wav", "b.wav", "talks/c.wav"])
    (root / "notes.txt").write_text("not audio")
    write_wav(root / ".hidden.wav", speechlike(0.5, 16000))
    return root
