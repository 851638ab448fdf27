"""`voxcli record --convert`: the kept take goes through the same conversion as `convert`."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.cli.helpers import conversions
from tests.support import pulse
from tests.support.audio import sine, write_wav
from tests.support.interrupt import voxcli_command
from voxcli.audio import io
from voxcli.server import ApiServer

pytestmark = pytest.mark.skipif(not pulse.available(), reason="pulseaudio is not installed")


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pulse.PulseServer]:
    with pulse.pulse_server(tmp_path_factory.mktemp("pulse")) as server, server.live_monitor():
        yield server


def record(sound: pulse.PulseServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        voxcli_command("record", "--device", "monitor", *args),
        env=sound.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_take_is_converted_with_credits_estimated_first_and_the_result_played(
    sound: pulse.PulseServer, api: ApiServer, tmp_path: Path
) -> None:
    tone = write_wav(tmp_path / "tone.wav", np.array(sine(440.0, 1.0, 44100)), 44100)
    take = tmp_path / "take.wav"
    with sound.record(tmp_path / "heard.wav") as heard:
        process = subprocess.Popen(
            voxcli_command(
                "record", "--device", "monitor", "--duration", "1.5", "-o", str(take),
                "--convert", "-v", "Rachel", "-f", "pcm_24000", "--play-result", "--json",
            ),
            env=sound.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not take.exists():  # the take has started: now the "speaker" talks
            assert time.monotonic() < deadline
            time.sleep(0.02)
        with sound.playing(tone):
            stdout, stderr = process.communicate(timeout=60)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert done.returncode == 0, done.stderr
    assert "estimated 25 credits" in done.stderr  # ceil(1.5 s / 60 * 1000)
    result = json.loads(done.stdout)
    converted = tmp_path / "take.rachel.pcm"
    assert result["output"] == str(take) and result["conversion"]["output"] == str(converted)
    [request] = conversions(api)
    assert request.audio == take.read_bytes()  # the take itself was uploaded
    recorded, rate = sf.read(str(take), dtype="float32")
    answer = np.frombuffer(converted.read_bytes(), "<i2") / 32768.0
    assert len(answer) == round(1.5 * 24000) and np.max(np.abs(recorded)) > 0.2
    # The test server inverts polarity: the answer is the take, inverted, at 24 kHz.
    expected = io.resample(recorded, rate, 24000)
    assert np.corrcoef(answer[100:-100], expected[100:-100])[0, 1] < -0.99
    # --play-result: the converted take (1 s of tone) is heard after the tone itself ended.
    heard_samples, heard_rate = sf.read(str(heard))
    window = heard_rate // 10
    level = np.sqrt(np.convolve(heard_samples**2, np.ones(window) / window, "valid"))
    loud = np.flatnonzero(level > 0.05)
    assert loud.size and (loud[-1] - loud[0]) / heard_rate > 1.8


def test_conversion_problems_fail_before_recording(
    sound: pulse.PulseServer, api: ApiServer, tmp_path: Path
) -> None:
    take = tmp_path / "take.wav"
    done = record(sound, "--duration", "1", "-o", str(take), "--convert", "-v", "Nobody")
    assert done.returncode == 4 and "Nobody" in done.stderr
    (tmp_path / "take.rachel.mp3").write_bytes(b"earlier")
    done = record(sound, "--duration", "1", "-o", str(take), "--convert", "-v", "Rachel")
    assert done.returncode == 4 and "converted take" in done.stderr
    done = record(sound, "--duration", "1", "-o", str(take), "-v", "Rachel")
    assert done.returncode == 4 and "--voice only apply with --convert" in done.stderr
    done = record(sound, "--duration", "400", "-o", str(take))
    assert done.returncode == 4 and "--convert" in done.stderr
    assert not take.exists() and not conversions(api)
