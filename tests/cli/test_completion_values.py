"""Tab completion completes values, as a shell asks for them: a fresh ``voxcli`` process with
bash's completion variables (issue 14, item 4). Voices come from disk only, never the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxcli.cli import app
from voxcli.server import ApiServer

ROOT = Path(__file__).resolve().parents[2]


def complete(line: str) -> list[str]:
    """What bash completion offers for the last word of `line` (which may be empty)."""
    words = line.split(" ")
    env = {
        **os.environ,
        "_VOXCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    done = subprocess.run(
        [sys.executable, "-m", "voxcli"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout.split()


def test_voice_completes_the_local_voices_offline() -> None:
    user_voices = Path(os.environ["VOXCLI_DATA_DIR"]) / "voices"
    user_voices.mkdir(parents=True)
    sally = resources.files("voxcli").joinpath("data/voices/sally.npz")
    shutil.copyfile(str(sally), user_voices / "narrator.npz")
    assert complete("voxcli convert talk.wav --voice ") == ["karl", "ken", "sally", "narrator"]
    assert complete("voxcli convert talk.wav -v k") == ["karl", "ken"]
    assert complete("voxcli voices show n") == ["narrator"]
    assert complete("voxcli voices remove --backend local s") == ["sally"]


def test_voice_completes_the_cached_elevenlabs_list_without_asking(api: ApiServer) -> None:
    assert complete("voxcli convert talk.wav -v ") == []  # nothing cached: nothing offered
    assert CliRunner().invoke(app, ["voices"]).exit_code == 0  # fills the cache
    cached = next(Path(os.environ["VOXCLI_CACHE_DIR"]).glob("voices-*.json"))
    data = json.loads(cached.read_text())
    data["fetched_at"] -= 86400  # a day old: too old for convert, fine for completion
    cached.write_text(json.dumps(data))
    api.requests.clear()
    assert complete("voxcli convert talk.wav --voice ") == ["Adam", "Alex", "alex", "Rachel"]
    assert complete("voxcli convert talk.wav --voice Ra") == ["Rachel"]
    assert api.requests == []  # never the network while completing


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("voxcli convert a.wav -f pcm_2", ["pcm_22050", "pcm_24000"]),
        ("voxcli convert a.wav --model eleven_e", ["eleven_english_sts_v2"]),
        ("voxcli convert a.wav --backend ", ["elevenlabs", "local"]),
        ("voxcli voices add n a.wav -b l", ["local"]),
        ("voxcli config get retr", ["retries", "retry_backoff"]),
        ("voxcli convert a.wav --quality ", ["default", "fast"]),
    ],
)
def test_values_complete(line: str, offered: list[str]) -> None:
    assert complete(line) == offered
