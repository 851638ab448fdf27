"""Long-audio progress as a person sees it in a real terminal (tmux): audio done against the
total, speed and time left, and what each request is doing while it runs."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.audio import speechlike, write_wav
from tests.support.server import VOICE_ID
from tests.support.terminal import Terminal
from voxcli.server import ApiServer

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_progress_moves_during_a_section(api: ApiServer, tmp_path: Path) -> None:
    write_wav(tmp_path / "talk.wav", speechlike(90.0, 16000, pause_every=4.0))
    api.latency_seconds = 1.5
    names = ("ELEVENLABS_API_KEY", "VOXCLI_BASE_URL", "VOXCLI_CONFIG_DIR", "VOXCLI_CACHE_DIR",
             "VOXCLI_DATA_DIR")  # fmt: skip
    env = " ".join(f"{n}={shlex.quote(os.environ[n])}" for n in names)
    script = tmp_path / "run.sh"
    script.write_text(
        f"cd {shlex.quote(str(tmp_path))}\n"
        f"env {env} {shlex.quote(sys.executable)} -m voxcli convert talk.wav -o out.wav "
        f"-v {VOICE_ID} --max-section 30 --jobs 1\n"
        "echo EXIT=$?\nsleep 60\n"
    )
    terminal = Terminal(tmp_path / "tmux.sock")
    terminal.start(script)
    try:
        # While the first section is with the service, before any audio is done.
        first = terminal.wait_for(lambda s: "sections: converting" in s, "a request at work")
        assert "0:00.0 / 1:30.0" in first
        # Later: audio done, the speed, and the next section's request at work.
        later = terminal.wait_for(lambda s: "x real time" in s and "/ 1:30.0" in s, "the speed")
        assert "0:00.0 / 1:30.0" not in later
        screen = terminal.wait_for(lambda s: "EXIT=" in s, "the end")
    finally:
        terminal.close()
    assert "EXIT=0" in screen and "out.wav" in screen
    assert "x real time" not in screen.split("out.wav")[-1]  # the line is gone at the end
