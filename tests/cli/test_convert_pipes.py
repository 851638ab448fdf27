"""`voxcli convert` with stdout a real OS pipe, in a subprocess, as a user's shell runs it.

A pipe cannot seek: output that an encoder must seek in (the long path's MP3 or Ogg sink, a
WAV/FLAC header) has to be spooled and copied at the end, while raw bytes and a single answer
written as received may go straight through.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from tests.cli.helpers import conversions
from tests.support.audio import speechlike, write_wav
from tests.support.server import TEST_KEY
from voxcli.server import ApiServer


def run_piped(api: ApiServer, stdin: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``voxcli convert - ARGS < stdin | (captured pipe)`` in a subprocess."""
    env = dict(os.environ, ELEVENLABS_API_KEY=TEST_KEY, VOXCLI_BASE_URL=api.url)
    with stdin.open("rb") as feed:
        return subprocess.run(
            [sys.executable, "-m", "voxcli", "convert", "-", "-v", "Rachel", *args],
            stdin=feed,
            capture_output=True,  # stdout is an OS pipe: it cannot seek
            env=env,
            timeout=180,
        )


def test_long_input_through_a_pipe_as_mp3(api: ApiServer, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "talk.wav", speechlike(50.0, 16000, pause_every=6.0))
    done = run_piped(api, wav, "--max-section", "20", "--no-cache")
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    assert len(conversions(api)) >= 3
    info = sf.info(io.BytesIO(done.stdout))
    assert info.format == "MP3"
    assert abs(info.duration - 50.0) < 0.1


def test_long_input_through_a_pipe_as_opus(api: ApiServer, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "talk.wav", speechlike(30.0, 16000, pause_every=6.0))
    done = run_piped(api, wav, "--max-section", "12", "-f", "opus_48000_64", "--no-cache")
    assert done.returncode == 0, done.stderr.decode()
    info = sf.info(io.BytesIO(done.stdout))
    assert (info.format, info.subtype) == ("OGG", "OPUS")
    assert abs(info.duration - 30.0) < 0.1


def test_long_raw_pcm_through_a_pipe(api: ApiServer, tmp_path: Path) -> None:
    source = speechlike(30.0, 16000, pause_every=6.0)
    wav = write_wav(tmp_path / "talk.wav", source)
    done = run_piped(api, wav, "--max-section", "12", "-f", "pcm_16000", "--no-cache")
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout) == 2 * len(source)


def test_one_request_through_a_pipe_as_mp3(api: ApiServer, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "short.wav", speechlike(3.0, 16000))
    done = run_piped(api, wav)
    assert done.returncode == 0, done.stderr.decode()
    assert len(conversions(api)) == 1
    assert abs(sf.info(io.BytesIO(done.stdout)).duration - 3.0) < 0.1
