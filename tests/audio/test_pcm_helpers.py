"""The PCM helpers shared by the single-request and the long-audio paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.audio import speechlike, write_wav
from voxcli.audio import io


def test_pcm16_chunks_carry_a_sample_split_between_chunks() -> None:
    samples = np.arange(-500, 500, dtype="<i2") * 37
    data = samples.tobytes()
    cuts = [0, 1, 2, 7, 8, 301, 1000, 1001, len(data)]  # odd and even boundaries, one empty
    chunks = [data[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    got = list(io.pcm16_chunks(chunks))
    assert all(len(part) for part in got)
    assert np.array_equal(np.concatenate(got), samples)


def test_pcm16_chunks_drop_a_trailing_odd_byte() -> None:
    got = list(io.pcm16_chunks([b"\x01\x00\x02", b"\x00\x03"]))
    assert np.array_equal(np.concatenate(got), np.array([1, 2], dtype="<i2"))


def test_int16_to_float_inverts_to_pcm16() -> None:
    samples = np.array([-32768, -1, 0, 1, 32767], dtype="<i2")
    assert io.to_pcm16(io.int16_to_float(samples)) == samples.tobytes()


def test_read_pcm16k_is_the_raw_upload_of_a_span(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "in.wav", speechlike(2.0, 22050), 22050)
    whole = io.read_pcm16k(wav)
    assert len(whole) == 2 * 32000
    part = io.read_pcm16k(wav, 22050, 44100)  # the second second
    samples, rate = io.read(wav, 22050, 44100)
    assert part == io.to_pcm16(io.resample(samples, rate, 16000))
