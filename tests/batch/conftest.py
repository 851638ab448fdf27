"""Fixtures for batch tests: folders of short speech files and the contract server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.audio import speechlike, write_wav


def make_tree(root: Path, names: list[str], seconds: float = 1.0) -> list[Path]:
    """Write a short speech-like WAV at each relative name under `root` (seeded by index)."""
    paths = []
    for index, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        paths.append(write_wav(path, speechlike(seconds, 16000, seed=index)))
    return paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """in/ with three files at two depths, plus a non-audio file and a hidden one."""
    root = tmp_path / "in"
    make_tree(root, ["a.wav", "b.wav", "talks/c.wav"])
    (root / "notes.txt").write_text("not audio")
    write_wav(root / ".hidden.wav", speechlike(0.5, 16000))
    return root
