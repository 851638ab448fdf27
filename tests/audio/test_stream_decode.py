"""MP3 decoded while it arrives: audio comes out long before the last byte is in."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from tests.support.audio import sine
from voxcli.audio.stream_decode import Mp3StreamDecoder


def test_mp3_fed_in_small_pieces_decodes_as_it_goes_and_matches_the_whole() -> None:
    tone = np.array(sine(440.0, 2.0, 44100))
    body = io.BytesIO()
    sf.write(body, tone, 44100, format="MP3")
    data = body.getvalue()
    decoder = Mp3StreamDecoder()
    blocks, first_at = [], None
    for start in range(0, len(data), 512):
        for samples, rate in decoder.feed(data[start : start + 512]):
            assert rate == 44100 and samples.dtype == np.float32
            first_at = start if first_at is None else first_at
            blocks.append(samples)
    blocks += [samples for samples, _ in decoder.flush()]
    assert first_at is not None and first_at < len(data) // 10
    decoded = np.concatenate(blocks)
    whole, _ = sf.read(io.BytesIO(data), dtype="float32")
    # Without the gapless tag libsndfile reads, the stream keeps the encoder delay and padding.
    assert 0 <= len(decoded) - len(whole) < 3 * 1152
    spectrum = np.abs(np.fft.rfft(decoded))
    assert abs(np.fft.rfftfreq(len(decoded), 1 / 44100)[spectrum.argmax()] - 440.0) < 2.0
    assert abs(np.sqrt(np.mean(decoded**2)) - np.sqrt(np.mean(tone**2))) < 0.02
