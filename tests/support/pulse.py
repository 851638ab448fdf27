"""A real PulseAudio server with a null sink, started by the tests (no mocks for devices).

Audio played to the default device lands in the null sink; `record()` captures the sink's
monitor with `parecord`, so a test can hear what voxcli played, and `play()` sends a file into
the sink with `paplay`, so `voxcli record` can hear it from the monitor. Programs find this
server through `env` (XDG_RUNTIME_DIR and PULSE_SERVER), so run them as subprocesses with it.

PortAudio 19.6 (Debian's) reaches PulseAudio through ALSA's pulse plugin, where a PulseAudio
source is not a device of its own. `env` therefore points ALSA at an extra configuration file
that defines two more ALSA devices, which PortAudio lists like any other:

- `MONITOR` (``voxcli_test_monitor``): the null sink's monitor, a real input to record from;
- `BROKEN` (``voxcli_test_broken``): listed, but opening it fails (its PulseAudio source does
  not exist), as a busy or unplugged device does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SINK = "voxcli_test"
MONITOR = "voxcli_test_monitor"
BROKEN = "voxcli_test_broken"
_ALSA_DEVICES = f"""
pcm.{MONITOR} {{ type pulse; device "{SINK}.monitor" }}
pcm.{BROKEN} {{ type pulse; device "voxcli_test_no_such_source" }}
"""


@dataclass
class PulseServer:
    """A running PulseAudio daemon with one null sink as the default output."""

    runtime_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        env["PULSE_SERVER"] = f"unix:{self.runtime_dir / 'pulse' / 'native'}"
        env["ALSA_CONFIG_PATH"] = f"/usr/share/alsa/alsa.conf:{self.runtime_dir / 'asound.conf'}"
        return env

    @contextmanager
    def live_monitor(self) -> Iterator[None]:
        """Keep the monitor delivering audio every 20 ms, as a sound card's input does.

        Left alone, the null sink renders in blocks of its configured latency (2 s), so a
        program that starts recording its monitor waits up to 2 s for the first audio. A
        low-latency reader kept on the monitor makes the sink render in 20 ms blocks.
        """
        reader = subprocess.Popen(
            ["parec", f"--device={SINK}.monitor", "--raw", "--latency-msec=20"],
            env=self.env,
            stdout=subprocess.PIPE,
        )
        assert reader.stdout is not None
        reader.stdout.read(1024)  # the sink now renders in small blocks
        drain = threading.Thread(target=lambda: reader.stdout.read(), daemon=True)  # type: ignore[union-attr]
        drain.start()
        try:
            yield
        finally:
            reader.terminate()
            reader.wait(timeout=10)
            drain.join(timeout=10)
            reader.stdout.close()

    @contextmanager
    def playing(self, path: Path) -> Iterator[subprocess.Popen[bytes]]:
        """Play the audio file `path` into the null sink while the block runs (then stop)."""
        player = subprocess.Popen(["paplay", f"--device={SINK}", str(path)], env=self.env)
        try:
            yield player
        finally:
            player.kill()
            player.wait(timeout=10)

    @contextmanager
    def record(self, path: Path, *, rate: int = 16000) -> Iterator[Path]:
        """Record the null sink's monitor into the WAV file `path` while the block runs."""
        recorder = subprocess.Popen(
            [
                "parecord",
                f"--device={SINK}.monitor",
                "--file-format=wav",
                "--channels=1",
                f"--rate={rate}",
                str(path),
            ],
            env=self.env,
        )
        time.sleep(0.3)  # let the stream connect before anything plays
        try:
            yield path
        finally:
            time.sleep(0.3)
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=10)


def available() -> bool:
    """True when the pulseaudio and parecord programs are installed."""
    return shutil.which("pulseaudio") is not None and shutil.which("parecord") is not None


@contextmanager
def pulse_server(runtime_dir: Path) -> Iterator[PulseServer]:
    """Start PulseAudio (no config files, a null sink only) and stop it afterwards."""
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (runtime_dir / "asound.conf").write_text(_ALSA_DEVICES)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime_dir), HOME=str(runtime_dir))
    log = runtime_dir / "pulseaudio.log"
    with log.open("wb") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "-n",
                "--exit-idle-time=-1",
                "--log-level=error",
                f"--load=module-null-sink sink_name={SINK}",
                "--load=module-native-protocol-unix",
                "--disable-shm=yes",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    server = PulseServer(runtime_dir, process)
    socket = runtime_dir / "pulse" / "native"
    deadline = time.monotonic() + 10
    while not socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"pulseaudio did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    subprocess.run(["pactl", "set-default-sink", SINK], env=server.env, check=True)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
