"""Faults of the machine end in a sentence, not a traceback: a full disk for the output, a
section cache that cannot be written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.audio import speechlike, write_wav
from tests.support.server import VOICE_ID
from tests.support.tmpfs import small_disk
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "speech.wav"


def voxcli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voxcli", *args], capture_output=True,
                          text=True, env=env or dict(os.environ))  # fmt: skip


def test_a_full_disk_is_one_error_line_and_leaves_nothing(api: ApiServer, tmp_path: Path) -> None:
    with small_disk(tmp_path / "small") as disk:
        for name in ("out.wav", "out.flac", "out.pcm"):
            done = voxcli("convert", str(EXAMPLE), "-v", VOICE_ID, "-o", str(disk / name), "-q")
            assert done.returncode == ExitStatus.INPUT, done.stderr
            assert f"error: no space left on device while writing {disk / name}" in done.stderr
            assert "hint: " in done.stderr and "Traceback" not in done.stderr
            assert "Exception ignored" not in done.stderr
            assert os.listdir(disk) == []


def long_input(tmp_path: Path) -> list[str]:
    """A 25 s input converted in 10 s sections (each one stored in the section cache)."""
    source = write_wav(tmp_path / "long.wav", speechlike(25.0, 16000, pause_every=3.0))
    return [str(source), "-v", VOICE_ID, "--max-section", "10"]


def test_a_cache_under_a_file_warns_once_and_converts_without_it(
    api: ApiServer, tmp_path: Path
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    env = dict(os.environ, VOXCLI_CACHE_DIR=str(tmp_path / "not-a-folder" / "cache"))
    out = tmp_path / "out.wav"
    done = voxcli("convert", *long_input(tmp_path), "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("cannot store finished sections") == 1, done.stderr
    assert "Traceback" not in done.stderr and out.exists()


def test_a_full_cache_disk_warns_once_and_converts_without_it(
    api: ApiServer, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "cache", size="300k") as disk:
        env = dict(os.environ, VOXCLI_CACHE_DIR=str(disk))
        out = tmp_path / "out.wav"
        done = voxcli("convert", *long_input(tmp_path), "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("cannot store finished sections") == 1, done.stderr
    assert "no space left on device" in done.stderr and out.exists()
