"""The section cache knows what decides the local engine's result besides the request.

Its strength and quality, and the content of the voice profile: a user who re-adds a voice
under the same name with other samples must not get the old voice's sections.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.audio import speechlike, write_wav
from voxcli.cli import app

runner = CliRunner()
VOICES = Path(__file__).parents[2] / "voxcli" / "data" / "voices"


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    """12 s of speech: three or four local sections at --max-section 4."""
    return write_wav(tmp_path / "talk.wav", speechlike(12.0, 16000, pause_every=3.0))


def convert(talk: Path, voice: str, *extra: str) -> tuple[int, int]:
    """Convert `talk` with the local engine; return (cached, converted) sections."""
    args = ["convert", str(talk), "--backend", "local", "-v", voice, "--max-section", "4"]
    out = talk.with_name("out.wav")
    result = runner.invoke(app, [*args, "-o", str(out), "-y", "--json", "--quiet", *extra])
    assert result.exit_code == 0, result.output
    sections = json.loads(result.stdout)["sections"]
    return sections["cached"], sections["converted"]


def test_the_same_command_twice_reuses_every_section(talk: Path) -> None:
    cached, converted = convert(talk, "sally")
    assert cached == 0 and converted >= 3
    assert convert(talk, "sally") == (converted, 0)


def test_another_strength_or_quality_converts_every_section_again(talk: Path) -> None:
    _, total = convert(talk, "sally", "--strength", "0.8")
    assert convert(talk, "sally", "--strength", "0.5") == (0, total)
    assert convert(talk, "sally", "--strength", "0.5", "--quality", "fast") == (0, total)
    assert convert(talk, "sally", "--strength", "0.8") == (total, 0)


def test_a_replaced_voice_profile_converts_every_section_again(talk: Path) -> None:
    user_voices = Path(os.environ["VOXCLI_DATA_DIR"]) / "voices"
    user_voices.mkdir(parents=True)
    shutil.copyfile(VOICES / "sally.npz", user_voices / "mine.npz")
    _, total = convert(talk, "mine")
    assert convert(talk, "mine") == (total, 0)
    # The user removes the voice and adds another under the same name.
    shutil.copyfile(VOICES / "karl.npz", user_voices / "mine.npz")
    assert convert(talk, "mine") == (0, total)


def test_another_engine_version_converts_every_section_again(
    talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, total = convert(talk, "sally")
    monkeypatch.setattr("voxcli.backends.local.__version__", "999.0.0")
    assert convert(talk, "sally") == (0, total)
