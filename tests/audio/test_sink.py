"""Output sinks: every output plan is written incrementally and decodes back to the input."""

from __future__ import annotations

import io as stdio
import tempfile
from typing import BinaryIO

import numpy as np
import pytest
import soundfile as sf

from tests.support.audio import sine
from voxcli.audio import io
from voxcli.audio.formats import OutputPlan, parse_format, plan_output
from voxcli.audio.sink import open_sink

#: (output path, -f, expected sink rate, how to read the result back)
CASES = [
    ("out.pcm", None, 44100, "pcm_44100"),
    ("out.raw", "pcm_16000", 16000, "pcm_16000"),
    ("out.ulaw", None, 8000, "ulaw_8000"),
    ("out.alaw", None, 8000, "alaw_8000"),
    ("out.wav", None, 44100, "file"),
    ("out.wav", "wav_24000", 24000, "file"),
    ("out.flac", "pcm_22050", 22050, "file"),
    ("out.aiff", None, 44100, "file"),
    ("out.mp3", None, 44100, "file"),
    ("out.mp3", "mp3_22050_32", 22050, "file"),
    ("out.ogg", None, 48000, "file"),
]

LOW_BITRATE_MP3 = ("mp3_22050_32",)


def write_blocks(target: BinaryIO, plan: OutputPlan, samples: np.ndarray, block: int) -> int:
    sink = open_sink(target, plan)
    for pos in range(0, len(samples), block):
        sink.write(samples[pos : pos + block])
    sink.close()
    return sink.sample_rate


def read_back(data: bytes, how: str) -> tuple[np.ndarray, int]:
    if how == "file":
        samples, rate = sf.read(stdio.BytesIO(data), dtype="float32")
        return samples, int(rate)
    return io.decode(data, parse_format(how))


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize(("name", "requested", "rate", "how"), CASES)
def test_each_output_plan_round_trips(
    name: str, requested: str | None, rate: int, how: str
) -> None:
    plan = plan_output(name, requested)
    samples = sine(440.0, 2.0, rate, amplitude=0.5)
    with tempfile.TemporaryFile() as target:
        sink_rate = write_blocks(target, plan, samples, block=1234)
        assert sink_rate == rate
        assert target.tell() == target.seek(0, 2)  # left at the end, still open
        target.seek(0)
        data = target.read()
    decoded, decoded_rate = read_back(data, how)
    assert decoded_rate == rate
    if plan.request.name in LOW_BITRATE_MP3:
        # NOTE: libsndfile writes no gapless (LAME/Info) tag when MP3 frames are this small, so
        # decoders keep LAME's 1105-frame encoder delay and the last frame's padding.
        assert 0 <= len(decoded) - len(samples) <= 1105 + 1152
        decoded = decoded[1105 : 1105 + len(samples)]
    assert len(decoded) == len(samples)
    if plan.request.codec in ("mp3", "opus"):
        assert abs(peak_hz(decoded, rate) - 440.0) < 2.0
        level = 20 * np.log10(np.std(decoded) / np.std(samples))
        assert abs(level) < 1.0
    elif plan.request.codec in ("ulaw", "alaw"):
        error = decoded - samples
        assert 10 * np.log10(np.sum(samples**2) / np.sum(error**2)) > 30.0
    else:  # 16-bit PCM in some container: exactly the quantised input
        np.testing.assert_array_equal(decoded, io.from_pcm16(io.to_pcm16(samples)))


def test_block_size_does_not_change_lossless_output() -> None:
    plan = plan_output("out.flac", None)
    samples = sine(300.0, 1.0, 44100)
    outputs = []
    for block in (1, 777, 44100):
        with tempfile.TemporaryFile() as target:
            write_blocks(target, plan, samples, block)
            target.seek(0)
            outputs.append(sf.read(target, dtype="int16")[0])
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[1], outputs[2])


@pytest.mark.parametrize("name", ["out.wav", "out.mp3", "out.pcm", "out.ulaw"])
def test_out_of_range_samples_clip_instead_of_wrapping(name: str) -> None:
    plan = plan_output(name, None)
    loud = 1.6 * sine(200.0, 0.5, plan.request.sample_rate, amplitude=1.0)
    with tempfile.TemporaryFile() as target:
        write_blocks(target, plan, loud, block=4000)
        target.seek(0)
        data = target.read()
    decoded, _ = read_back(data, "file" if name.endswith((".wav", ".mp3")) else plan.request.name)
    positive = loud > 0.2
    # A wrapped sample would flip sign where the input is strongly positive.
    assert np.all(decoded[positive][100:-100] > 0.0)
    assert np.max(np.abs(decoded)) <= 1.1
