"""`voxcli record` as a person sees it: a real terminal (tmux), the meter, the summary, the prompt.

The test types into the pane with `send-keys` and reads the screen with `capture-pane`.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.support import pulse
from tests.support.audio import sine, write_wav
from tests.support.terminal import Terminal

pytestmark = pytest.mark.skipif(
    not pulse.available() or shutil.which("tmux") is None, reason="needs pulseaudio and tmux"
)


@pytest.fixture
def sound(tmp_path: Path) -> Iterator[pulse.PulseServer]:
    with pulse.pulse_server(tmp_path / "pulse") as server, server.live_monitor():
        yield server


def test_meter_summary_and_redo_in_a_terminal(sound: pulse.PulseServer, tmp_path: Path) -> None:
    tone = write_wav(tmp_path / "tone.wav", np.array(sine(440.0, 30.0, 44100)), 44100)
    take = tmp_path / "take.wav"
    env = " ".join(
        f"{name}={shlex.quote(value)}"
        for name, value in sound.env.items()
        if name in ("PULSE_SERVER", "XDG_RUNTIME_DIR", "ALSA_CONFIG_PATH", "VOXCLI_CONFIG_DIR")
    )
    script = tmp_path / "run.sh"
    script.write_text(
        f"cd {shlex.quote(str(tmp_path))}\n"
        f"env {env} {shlex.quote(sys.executable)} -m voxcli record --device monitor -o take.wav\n"
        "echo EXIT=$?\nsleep 60\n"
    )
    terminal = Terminal(tmp_path / "tmux.sock")
    with sound.playing(tone):
        terminal.start(script)
        try:
            screen = terminal.wait_for(lambda s: "dBFS" in s and "REC 0:01" in s, "the meter")
            assert "/ 5:00.0" in screen and "peak" in screen and "hold" in screen
            assert "press Enter or Ctrl-C to stop" in screen
            terminal.keys("Enter")
            screen = terminal.wait_for(lambda s: "[k]eep" in s, "the prompt")
            assert "take: " in screen and "44100 Hz mono" in screen
            assert "noise floor" in screen and "noisy:" in screen  # a steady tone never pauses
            first = take.read_bytes()
            time.sleep(0.5)
            terminal.keys("r", "Enter")
            terminal.wait_for(lambda s: s.count("press Enter or Ctrl-C") == 2, "the second take")
            time.sleep(2.5)
            # The first take is still there while the second one is recorded beside it.
            assert take.read_bytes() == first
            assert len(list(tmp_path.glob("take.take-*.wav"))) == 1
            terminal.keys("Enter")
            terminal.wait_for(lambda s: s.count("[k]eep") == 2, "the second prompt")
            terminal.keys("k", "Enter")
            screen = terminal.wait_for(lambda s: "EXIT=" in s, "the end")
        finally:
            terminal.close()
    assert "EXIT=0" in screen
    assert sorted(p.name for p in tmp_path.glob("take*.wav")) == ["take.wav"]
    kept, rate = sf.read(str(take))
    assert take.read_bytes() != first and len(kept) / rate > 2.0
