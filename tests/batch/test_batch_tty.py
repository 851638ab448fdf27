"""`voxcli batch` as a person sees it in a real terminal (tmux): the live line, then the end."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from tests.batch.conftest import make_tree
from tests.support.server import VOICE_ID
from tests.support.terminal import Terminal
from voxcli.server import ApiServer

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_the_live_display_then_the_failures_and_the_counts(
    identity: ApiServer, tmp_path: Path
) -> None:
    make_tree(tmp_path / "in", [f"{n:02d}.wav" for n in range(8)], seconds=1.0)
    (tmp_path / "in" / "zz-broken.wav").write_bytes(b"RIFF not audio")
    identity.latency_seconds = 0.6
    identity.max_concurrent = 2
    names = ("ELEVENLABS_API_KEY", "VOXCLI_BASE_URL", "VOXCLI_CONFIG_DIR", "VOXCLI_CACHE_DIR",
             "VOXCLI_DATA_DIR", "VOXCLI_RETRY_BACKOFF")  # fmt: skip
    env = " ".join(f"{n}={shlex.quote(os.environ[n])}" for n in names)
    script = tmp_path / "run.sh"
    script.write_text(
        f"cd {shlex.quote(str(tmp_path))}\n"
        f"env {env} {shlex.quote(sys.executable)} -m voxcli batch in -o out -v {VOICE_ID}\n"
        "echo EXIT=$?\nsleep 60\n"
    )
    terminal = Terminal(tmp_path / "tmux.sock")
    terminal.start(script)
    try:
        live = terminal.wait_for(lambda s: "files " in s and "in flight" in s, "the live line")
        assert "audio " in live and "credits " in live and "ETA" in live
        assert "/9" in live  # files done of the total
        screen = terminal.wait_for(lambda s: "EXIT=" in s, "the end")
    finally:
        terminal.close()
    assert "EXIT=9" in screen
    assert "failed   zz-broken.mp3" in screen  # printed above the live line as it happened
    assert "8 done, 0 skipped, 1 failed of 9 file(s)" in screen
    assert "error: 1 of 9 file(s) failed" in screen and "hint: " in screen
    assert "in flight" not in screen.split("8 done")[1]  # the live line is gone at the end
