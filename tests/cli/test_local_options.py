"""On the local engine no option is silently ignored: what it can honour it honours (noise
removal), and it says once which of the given options it ignores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from voxcli.cli import app
from voxcli.errors import ExitStatus

EXAMPLE = Path(__file__).parents[2] / "examples" / "speech.wav"
IGNORED = ["--seed", "5", "--latency", "3", "--speed", "1.2", "--stability", "0.1",
           "--style", "0.9", "--model", "eleven_english_sts_v2"]  # fmt: skip
runner = CliRunner()


def test_ignored_options_are_named_once_and_listed_in_json(tmp_path: Path) -> None:
    plain = runner.invoke(app, ["convert", str(EXAMPLE), "-o", str(tmp_path / "plain.wav")])
    given = runner.invoke(app, ["convert", str(EXAMPLE), "-o", str(tmp_path / "given.wav"),
                                *IGNORED, "--no-logging", "--json"])  # fmt: skip
    assert plain.exit_code == 0 and given.exit_code == 0, given.output
    assert "ignores" not in plain.stderr
    notes = [line for line in given.stderr.splitlines() if "ignores" in line]
    assert len(notes) == 1
    for flag in ("--seed", "--latency", "--speed", "--stability", "--style", "--model"):
        assert flag in notes[0]
    ignored = json.loads(given.stdout)["ignored_options"]
    assert sorted(ignored) == ["--latency", "--model", "--seed", "--speed", "--stability",
                               "--style"]  # fmt: skip
    # Ignored, as said: the audio is the plain run's, byte for byte.
    assert (tmp_path / "given.wav").read_bytes() == (tmp_path / "plain.wav").read_bytes()


def _floor_db(path: Path) -> float:
    """The level of the quietest tenth of 25 ms frames (the noise between words)."""
    samples, rate = sf.read(str(path), dtype="float64")
    frame = rate // 40
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    return float(np.percentile(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12), 10))


def test_background_noise_is_removed_before_converting(tmp_path: Path) -> None:
    speech, rate = sf.read(str(EXAMPLE), dtype="float32")
    noise = np.random.default_rng(3).standard_normal(len(speech)).astype(np.float32)
    noisy = tmp_path / "noisy.wav"
    sf.write(str(noisy), speech + 0.02 * noise, rate, subtype="PCM_16")
    for name, extra in (("kept.wav", []), ("removed.wav", ["--remove-background-noise"])):
        done = runner.invoke(app, ["convert", str(noisy), "-o", str(tmp_path / name), *extra])
        assert done.exit_code == 0, done.output
        assert "ignores" not in done.stderr
    kept, removed = _floor_db(tmp_path / "kept.wav"), _floor_db(tmp_path / "removed.wav")
    assert removed < kept - 6.0, (kept, removed)


def test_without_noisereduce_noise_removal_is_refused_not_ignored(tmp_path: Path) -> None:
    launcher = ("import sys; sys.modules['noisereduce'] = None; sys.argv[0] = 'voxcli'; "
                "from voxcli.cli import main; main()")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", launcher, "convert", str(EXAMPLE), "-o", str(tmp_path / "o.wav"),
         "--remove-background-noise"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == ExitStatus.CONFIG, done.stderr
    assert "needs the noisereduce library" in done.stderr
    assert "pip install 'voxcli[denoise]'" in done.stderr
    assert not (tmp_path / "o.wav").exists()
