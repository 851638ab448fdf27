"""Take statistics and advice, fed block by block as the writer thread feeds them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.audio import sine, speechlike
from voxcli.audio.levels import Meter, TakeStats

RATE = 16000


def pcm(samples: np.ndarray) -> np.ndarray:
    """Float samples as the (frames, 1) int16 blocks PortAudio delivers."""
    return np.clip(np.rint(samples * 32768), -32768, 32767).astype(np.int16).reshape(-1, 1)


def summarise(samples: np.ndarray, block: int = 1000) -> TakeStats:
    stats = TakeStats(RATE, 1)
    data = pcm(samples)
    for start in range(0, len(data), block):
        stats.update(data[start : start + block])
    return stats


def codes(samples: np.ndarray) -> list[str]:
    return [a.code for a in summarise(samples).summary().advice]


def test_speech_at_a_good_level_gets_a_good_verdict() -> None:
    summary = summarise(speechlike(6.0, RATE) * 2.0).summary()
    assert [a.code for a in summary.advice] == ["good"]
    assert summary.duration_seconds == 6.0
    assert -12 < summary.peak_dbfs < -3
    assert summary.noise_floor_dbfs < -60  # the pauses hold -70 dBFS noise


def test_silence_quiet_clipped_and_noisy_takes_get_their_advice() -> None:
    speech = speechlike(6.0, RATE)
    assert codes(np.zeros(RATE)) == ["silence"]
    assert codes(speech * 0.05) == ["quiet"]
    assert codes(speech * 8.0) == ["clipped"]
    noise = np.random.default_rng(1).standard_normal(len(speech)) * 0.01  # -40 dBFS
    assert codes(speech * 2.0 + noise) == ["noisy"]


def test_clipping_is_counted_and_located_whatever_the_block_size() -> None:
    samples = np.array(sine(200.0, 3.0, RATE, amplitude=0.3))
    samples[RATE : RATE + 40] = 1.0  # a clipped stretch at 1.0 s
    samples[2 * RATE + 8000 : 2 * RATE + 8010] = -1.0  # and one at 2.5 s
    for block in (1, 333, 4096, 3 * RATE):
        stats = summarise(samples, block)
        assert stats.clipped_samples == 50
        assert stats.clipped_at == pytest.approx([1.0, 2.5])
    advice = summarise(samples).summary().advice[0]
    assert advice.code == "clipped" and "0:01.0, 0:02.5" in advice.message


def test_the_meter_holds_the_peak_and_flags_recent_clipping() -> None:
    meter = Meter(RATE)
    loud = pcm(np.full(1600, 0.5))
    meter.update(loud, 1600, 0)
    meter.update(pcm(np.full(1600, 0.05)), 3200, 0)
    level = meter.level()
    assert level.peak_dbfs == pytest.approx(-26.0, abs=0.1)
    assert level.hold_dbfs == pytest.approx(-6.0, abs=0.1)
    assert level.elapsed_seconds == pytest.approx(0.2)
    assert not level.clipping
    meter.update(pcm(np.full(160, 1.0)), 3360, 160)
    assert meter.level().clipping and meter.level().clipped_samples == 160
