"""`-o` paths the system refuses fail in one line; devices and FIFOs are written in place."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner, Result

from tests.cli.helpers import conversions, leftovers
from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

runner = CliRunner()


def convert(speech: Path, out: str, *extra: str) -> Result:
    return runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", out, *extra])


def assert_refused(result: Result, reason: str) -> None:
    assert result.exit_code == ExitStatus.INPUT, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[1].startswith("hint: "), result.stderr
    assert lines[0].startswith("error: cannot write ") and reason in lines[0]
    assert "Traceback" not in result.output


def test_a_file_used_as_a_folder(api: ApiServer, speech: Path) -> None:
    assert_refused(convert(speech, f"{speech}/out.mp3"), "not a directory")
    assert conversions(api) == []


def test_a_name_too_long(api: ApiServer, speech: Path) -> None:
    assert_refused(convert(speech, str(speech.with_name("a" * 300 + ".mp3"))), "too long")
    assert conversions(api) == []


def test_a_long_name_the_system_takes_is_written(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("b" * 251 + ".mp3")  # 255 bytes: the limit, temp name included
    result = convert(speech, str(out))
    assert result.exit_code == 0, result.output
    assert sf.info(str(out)).format == "MP3"
    assert leftovers(speech.parent) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_that_takes_no_files(api: ApiServer, speech: Path) -> None:
    result = convert(speech, "/proc/voxcli-out.mp3")
    assert_refused(result, "/proc/voxcli-out.mp3")
    assert "does not exist" not in result.stderr


@pytest.mark.parametrize("extra", [[], ["-f", "pcm_16000"]], ids=["mp3", "pcm"])
def test_dev_null_is_written_in_place(api: ApiServer, speech: Path, extra: list[str]) -> None:
    result = convert(speech, os.devnull, *extra)
    assert result.exit_code == 0, result.output
    assert len(conversions(api)) == 1
    assert Path(os.devnull).is_char_device()


@pytest.mark.parametrize("name", ["out.mp3", "out.wav"])
def test_a_fifo_is_written_in_place(
    api: ApiServer, tmp_path: Path, speech: Path, name: str
) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    received: list[bytes] = []
    # A daemon: if voxcli never opened the FIFO, the blocked reader must not hang pytest.
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = convert(speech, str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert received, "nothing was written into the FIFO"
    info = sf.info(io.BytesIO(received[0]))
    assert info.format == ("MP3" if name.endswith(".mp3") else "WAV")
    assert abs(info.duration - 3.0) < 0.1
    assert fifo.is_fifo() and leftovers(tmp_path) == []


def test_a_terminal_device_is_refused_before_any_upload(api: ApiServer, speech: Path) -> None:
    main, terminal = os.openpty()
    try:
        result = convert(speech, os.ttyname(terminal))
    finally:
        os.close(main)
        os.close(terminal)
    assert result.exit_code == ExitStatus.INPUT, result.output
    assert "refusing to write audio to a terminal" in result.stderr
    assert conversions(api) == []
