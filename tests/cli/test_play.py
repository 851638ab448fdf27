"""`--play` on a real PulseAudio null sink, recorded back from the sink's monitor."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.support import pulse
from tests.support.audio import sine, write_wav
from tests.support.interrupt import voxcli_command
from tests.support.server import TEST_KEY, VOICE_ID
from voxcli.server import ApiServer

pytestmark = pytest.mark.skipif(not pulse.available(), reason="pulseaudio is not installed")


@pytest.fixture
def sound(tmp_path: Path) -> Iterator[pulse.PulseServer]:
    with pulse.pulse_server(tmp_path / "pulse") as server:
        yield server


@pytest.fixture
def tone_file(tmp_path: Path) -> Path:
    """Two seconds of 440 Hz: easy to find again in a recording."""
    return write_wav(tmp_path / "tone.wav", np.array(sine(440.0, 2.0, 16000)), 16000)


def dominant_hz(path: Path) -> tuple[float, float]:
    """The strongest frequency in a recording and the recording's RMS."""
    samples, rate = sf.read(str(path))
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()]), float(
        np.sqrt(np.mean(samples**2))
    )


def run_voxcli(
    sound: pulse.PulseServer, api: ApiServer, *args: str
) -> subprocess.CompletedProcess[str]:
    env = dict(sound.env, ELEVENLABS_API_KEY=TEST_KEY, VOXCLI_BASE_URL=api.url)
    return subprocess.run(
        [sys.executable, "-m", "voxcli", "convert", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_play_only_is_heard_and_writes_nothing(
    sound: pulse.PulseServer, api: ApiServer, tone_file: Path, tmp_path: Path, stream: bool
) -> None:
    with sound.record(tmp_path / "heard.wav") as heard:
        done = run_voxcli(
            sound, api, str(tone_file), "-v", VOICE_ID, "--play", *(["--stream"] if stream else [])
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    hz, rms = dominant_hz(heard)
    assert abs(hz - 440.0) < 5.0 and rms > 0.05
    assert sorted(p.name for p in tone_file.parent.glob("tone.*")) == ["tone.wav"]
    # Play-only asks for PCM so playback can start with the first bytes.
    [request] = [r for r in api.requests if "/voice-changer/" in r.path]
    assert request.query["output_format"] == "pcm_24000"
    assert request.path.endswith("/stream") == stream


def test_play_and_write(
    sound: pulse.PulseServer, api: ApiServer, tone_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.mp3"
    with sound.record(tmp_path / "heard.wav") as heard:
        done = run_voxcli(sound, api, str(tone_file), "-v", VOICE_ID, "--play", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out) and sf.info(str(out)).format == "MP3"
    hz, rms = dominant_hz(heard)
    assert abs(hz - 440.0) < 5.0 and rms > 0.05


def test_stream_play_decodes_mp3_as_it_arrives(
    sound: pulse.PulseServer, api: ApiServer, tone_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.mp3"
    with sound.record(tmp_path / "heard.wav") as heard:
        done = run_voxcli(
            sound, api, str(tone_file), "-v", VOICE_ID, "--stream", "--play", "-o", str(out)
        )
    assert done.returncode == 0, done.stderr
    [request] = [r for r in api.requests if "/voice-changer/" in r.path]
    assert request.path.endswith("/stream") and request.query["output_format"] == "mp3_44100_128"
    hz, rms = dominant_hz(heard)
    assert abs(hz - 440.0) < 5.0 and rms > 0.05


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--output-device", "nothing"], {}, "no audio output device matches 'nothing'"),
        (["--output-device", pulse.BROKEN], {}, "busy or unavailable"),
        ([], {"VOXCLI_OUTPUT_DEVICE": "gone"}, "$VOXCLI_OUTPUT_DEVICE"),
        ([], {"PULSE_SERVER": "unix:/nonexistent"}, "no audio output device found"),
    ],
    ids=["missing", "busy", "env", "none"],
)
def test_output_device_errors_fail_before_uploading(
    sound: pulse.PulseServer,
    api: ApiServer,
    tone_file: Path,
    args: list[str],
    env: dict[str, str],
    said: str,
) -> None:
    sound_env = dict(sound.env, **env)
    done = subprocess.run(
        [sys.executable, "-m", "voxcli", "convert", str(tone_file), "-v", VOICE_ID, "--play"]
        + args,
        env=dict(sound_env, ELEVENLABS_API_KEY=TEST_KEY, VOXCLI_BASE_URL=api.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 8, done.stderr
    assert said in done.stderr and "Error querying device" not in done.stderr
    assert [line.split(":")[0] for line in done.stderr.strip().splitlines()] == ["error", "hint"]
    assert not [r for r in api.requests if "/voice-changer/" in r.path]


def test_output_device_chooses_where_it_plays(
    sound: pulse.PulseServer, api: ApiServer, tone_file: Path, tmp_path: Path
) -> None:
    with sound.record(tmp_path / "heard.wav") as heard:
        done = run_voxcli(
            sound, api, str(tone_file), "-v", VOICE_ID, "--play", "--output-device", "pulse"
        )
    assert done.returncode == 0, done.stderr
    hz, rms = dominant_hz(heard)
    assert abs(hz - 440.0) < 5.0 and rms > 0.05


def test_output_device_without_play_is_refused(api: ApiServer, tone_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voxcli", "convert", str(tone_file), "--output-device", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 4 and "--play" in done.stderr


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_stop_playback_at_once(
    sound: pulse.PulseServer, api: ApiServer, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    long_tone = write_wav(tmp_path / "long.wav", np.array(sine(440.0, 8.0, 16000)), 16000)
    env = dict(sound.env, ELEVENLABS_API_KEY=TEST_KEY, VOXCLI_BASE_URL=api.url)
    with sound.live_monitor(), sound.record(tmp_path / "heard.wav") as heard:
        process = subprocess.Popen(
            voxcli_command("convert", str(long_tone), "-v", VOICE_ID, "--play"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3.0)  # started, converted, playing
        process.send_signal(sig)
        sent = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
        time.sleep(1.0)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert stopped_after < 1.0
    samples, rate = sf.read(str(heard))
    # The tone stops with the signal: the last second recorded is silent, well before 8 s.
    assert np.sqrt(np.mean(samples[-rate:] ** 2)) < 0.01
    assert np.sqrt(np.mean(samples**2)) > 0.02
