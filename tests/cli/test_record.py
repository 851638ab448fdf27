"""`voxcli record` end to end on a real PulseAudio null sink (stdin not a terminal).

A tone is played into the sink with `paplay` and recorded back from the sink's monitor by
`voxcli record --device monitor`, as a user records a microphone.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.support import pulse
from tests.support.audio import sine, write_wav
from tests.support.interrupt import voxcli_command

pytestmark = pytest.mark.skipif(not pulse.available(), reason="pulseaudio is not installed")

RATE = 44100


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pulse.PulseServer]:
    with pulse.pulse_server(tmp_path_factory.mktemp("pulse")) as server, server.live_monitor():
        yield server


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight seconds of 440 Hz at amplitude 0.3 (-10.5 dBFS peak, -13.5 dBFS RMS)."""
    path = tmp_path_factory.mktemp("tone") / "tone.wav"
    return write_wav(path, np.array(sine(440.0, 8.0, RATE)), RATE)


def record(
    sound: pulse.PulseServer, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `voxcli record ARGS` with stdin not a terminal."""
    return subprocess.Popen(
        voxcli_command("record", *args),
        env={**sound.env, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def wait_for(path: Path) -> None:
    """Wait until voxcli has created `path` (the take has started)."""
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def test_a_tone_from_the_monitor_is_recorded_with_its_frequency_level_and_length(
    sound: pulse.PulseServer, tone: Path, tmp_path: Path
) -> None:
    take = tmp_path / "take.wav"
    with sound.playing(tone):
        time.sleep(0.5)  # the tone is already playing when the take starts
        code, stdout, stderr = finish(
            record(sound, "--device", "monitor", "--duration", "2", "-o", str(take), "--json")
        )
    assert code == 0, stderr
    samples, rate = sf.read(str(take))
    assert rate == RATE  # the device's native rate
    assert samples.ndim == 1  # mixed down to mono
    assert len(samples) == 2 * RATE
    assert abs(dominant_hz(samples, rate) - 440.0) < 2.0
    rms_db = 20 * np.log10(np.sqrt(np.mean(samples**2)))
    assert abs(rms_db - (-13.5)) < 1.0
    summary = json.loads(stdout)
    assert summary["output"] == str(take)
    assert summary["duration_seconds"] == 2.0 and summary["sample_rate"] == RATE
    assert abs(summary["peak_dbfs"] - (-10.5)) < 1.0 and summary["clipped_samples"] == 0
    assert summary["stopped_by"] == "duration"
    assert summary["device"]["name"] == pulse.MONITOR
    # A steady tone has no quiet moments: the advice flags it like background noise.
    assert [a["code"] for a in summary["advice"]] == ["noisy"]


def test_a_killed_take_is_a_valid_wav_holding_all_but_the_last_second(
    sound: pulse.PulseServer, tone: Path, tmp_path: Path
) -> None:
    take = tmp_path / "killed.wav"
    with sound.playing(tone):
        process = record(sound, "--device", "monitor", "--duration", "60", "-o", str(take))
        wait_for(take)
        time.sleep(3.0)
        process.send_signal(signal.SIGKILL)
        finish(process)
    with wave.open(str(take)) as w:  # the header's sizes agree with the data on disk
        frames, rate = w.getnframes(), w.getframerate()
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
    assert take.stat().st_size == 44 + 2 * frames
    assert frames / rate >= 2.0
    samples, _ = sf.read(str(take))
    assert abs(dominant_hz(samples[-RATE:], rate) - 440.0) < 2.0


@pytest.mark.parametrize(
    ("sig", "code", "said"), [(signal.SIGINT, 0, None), (signal.SIGTERM, 143, "on disk")]
)
def test_ctrl_c_and_sigterm_stop_the_take_and_keep_it(
    sound: pulse.PulseServer,
    tone: Path,
    tmp_path: Path,
    sig: signal.Signals,
    code: int,
    said: str | None,
) -> None:
    take = tmp_path / "stopped.wav"
    with sound.playing(tone):
        process = record(sound, "--device", "monitor", "--duration", "60", "-o", str(take))
        wait_for(take)
        time.sleep(1.5)
        process.send_signal(sig)
        returncode, stdout, stderr = finish(process)
    assert returncode == code, stderr
    assert "Traceback" not in stderr
    samples, rate = sf.read(str(take))
    assert 1.0 <= len(samples) / rate < 10.0
    if said is None:
        assert stdout.strip() == str(take)  # stopped like Enter: kept, summary shown
        assert "peak" in stderr
    else:
        assert said in stderr and str(take) in stderr


def test_stdin_not_a_terminal_needs_a_duration(sound: pulse.PulseServer, tmp_path: Path) -> None:
    code, _, stderr = finish(record(sound, "--device", "monitor", "-o", str(tmp_path / "t.wav")))
    assert code == 4
    assert "--duration" in stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_take_is_never_replaced_without_y(
    sound: pulse.PulseServer, tone: Path, tmp_path: Path
) -> None:
    take = tmp_path / "take.wav"
    take.write_bytes(b"precious")
    args = ("--device", "monitor", "--duration", "0.5", "-o", str(take))
    code, _, stderr = finish(record(sound, *args))
    assert code == 4 and "exists" in stderr and "-y" in stderr
    assert take.read_bytes() == b"precious"
    code, stdout, stderr = finish(record(sound, *args, "-y"))
    assert code == 0, stderr
    assert sf.info(str(take)).duration == pytest.approx(0.5, abs=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--device", "no such mic"], {}, "no audio input device matches 'no such mic'"),
        (["--device", "voxcli_test"], {}, "matches 2 audio input devices"),
        (["--device", "97"], {}, "no audio input device number 97"),
        (["--device", pulse.BROKEN], {}, "busy or unavailable"),
        ([], {"VOXCLI_INPUT_DEVICE": "gone"}, "$VOXCLI_INPUT_DEVICE"),
        (["--play", "--output-device", "gone"], {}, "no audio output device matches 'gone'"),
        ([], {"PULSE_SERVER": "unix:/nonexistent"}, "no audio input device found"),
    ],
    ids=["missing", "ambiguous", "index", "busy", "env", "output", "none"],
)
def test_device_errors_are_one_line_and_exit_8(
    sound: pulse.PulseServer, tmp_path: Path, args: list[str], env: dict[str, str], said: str
) -> None:
    take = tmp_path / "take.wav"
    code, stdout, stderr = finish(record(sound, *args, "--duration", "1", "-o", str(take), env=env))
    assert code == 8
    assert stdout == ""
    assert said in stderr
    lines = stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["error", "hint"], stderr
    assert not take.exists()
    if "matches" in said:  # the candidates are listed, never a silent fallback
        assert pulse.MONITOR in stderr and pulse.BROKEN in stderr


def test_record_play_plays_the_take_back(
    sound: pulse.PulseServer, tone: Path, tmp_path: Path
) -> None:
    short = write_wav(tmp_path / "short.wav", np.array(sine(660.0, 1.0, RATE)), RATE)
    take = tmp_path / "take.wav"
    with sound.record(tmp_path / "heard.wav", rate=RATE) as heard:
        process = record(
            sound, "--device", "monitor", "--duration", "1.5", "--play", "-o", str(take)
        )
        # The tone starts once the take is being written: a slow start (a loaded machine)
        # must not let it end before recording began.
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("*take*.wav")):
            assert process.poll() is None and time.monotonic() < deadline, finish(process)
            time.sleep(0.01)
        with sound.playing(short):
            code, _, stderr = finish(process)
    assert code == 0, stderr
    samples, rate = sf.read(str(heard))
    # The take (1 s of tone, then silence) comes back after the tone itself has ended.
    level = np.sqrt(np.convolve(samples**2, np.ones(rate // 10) / (rate // 10), "valid"))
    loud = np.flatnonzero(level > 0.05)
    assert loud.size and (loud[-1] - loud[0]) / rate > 1.8
    assert abs(dominant_hz(samples[loud[-1] - rate // 2 : loud[-1]], rate) - 660.0) < 3.0


def test_devices_lists_host_api_and_marks_the_defaults(sound: pulse.PulseServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voxcli", "devices", "--json"],
        env=sound.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    devices = json.loads(done.stdout)
    names = [d["name"] for d in devices]
    assert pulse.MONITOR in names
    assert {d["hostapi"] for d in devices} == {"ALSA"}
    assert sum(d["default_input"] for d in devices) == 1
    assert sum(d["default_output"] for d in devices) == 1
    table = subprocess.run(
        [sys.executable, "-m", "voxcli", "devices"],
        env=sound.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "host API" in table.stdout and "input, output" in table.stdout
