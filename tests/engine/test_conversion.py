"""Conversion properties: finite, same length and rate, limited, deterministic, and moved toward
the target's pitch and timbre (measured independently of the engine)."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from numpy.typing import NDArray

from tests.engine.speech import f0_median
from voxcli.engine import ConversionOptions, VoiceProfile, convert
from voxcli.engine.features import canonical_mcep, speech_mask
from voxcli.engine.level import PEAK_LIMIT
from voxcli.errors import InputError

Speech = tuple[NDArray[np.float32], int]


@pytest.fixture(scope="module")
def source16(male_speech: Speech) -> NDArray[np.float32]:
    samples, rate = male_speech
    return np.asarray(soxr.resample(samples, rate, 16000), dtype=np.float32)


@pytest.fixture(scope="module")
def converted16(source16: NDArray[np.float32], sally: VoiceProfile) -> NDArray[np.float32]:
    return convert(source16, 16000, sally)


@pytest.mark.parametrize(
    ("rate", "quality"), [(8000, "default"), (22050, "fast"), (44100, "fast"), (48000, "default")]
)
def test_output_is_finite_same_length_and_limited(
    male_speech: Speech, sally: VoiceProfile, rate: int, quality: str
) -> None:
    samples, native = male_speech
    x = np.asarray(soxr.resample(samples, native, rate), dtype=np.float32)[: 2 * rate + 7]
    y = convert(x, rate, sally, ConversionOptions(quality=quality))  # type: ignore[arg-type]
    assert y.dtype == np.float32
    assert len(y) == len(x)
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= PEAK_LIMIT
    assert f0_median(y, rate) > 1.5 * f0_median(x, rate)  # the male voice went up toward sally


def test_f0_moves_to_the_target_mean(
    source16: NDArray[np.float32], converted16: NDArray[np.float32], sally: VoiceProfile
) -> None:
    before, after = f0_median(source16, 16000), f0_median(converted16, 16000)
    assert before < 110
    assert after == pytest.approx(sally.f0_mean_hz, rel=0.12)


def test_envelope_moves_toward_the_target(
    source16: NDArray[np.float32], converted16: NDArray[np.float32], sally: VoiceProfile
) -> None:
    def distance(x: NDArray[np.float32]) -> float:
        import pyworld

        signal = x.astype(np.float64)
        f0, t = pyworld.dio(signal, 16000, frame_period=5.0)
        sp = pyworld.cheaptrick(signal, f0, t, 16000, fft_size=1024)
        _, mc = canonical_mcep(sp, 16000)
        rows = speech_mask(sp) & (f0 > 0)
        return float(np.sqrt(np.sum((mc[rows, 1:].mean(axis=0) - sally.mcep_mean[0, 1:]) ** 2)))

    assert distance(converted16) < 0.6 * distance(source16)


def test_conversion_keeps_loudness(
    source16: NDArray[np.float32], converted16: NDArray[np.float32]
) -> None:
    rms = lambda x: float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))  # noqa: E731
    assert rms(converted16) == pytest.approx(rms(source16), rel=0.1)


def test_conversion_is_deterministic(
    source16: NDArray[np.float32], converted16: NDArray[np.float32], sally: VoiceProfile
) -> None:
    np.testing.assert_array_equal(convert(source16, 16000, sally), converted16)


def test_strength_zero_keeps_the_pitch(source16: NDArray[np.float32], sally: VoiceProfile) -> None:
    y = convert(source16, 16000, sally, ConversionOptions(strength=0.0, quality="fast"))
    assert f0_median(y, 16000) == pytest.approx(f0_median(source16, 16000), rel=0.05)


def test_loud_input_is_limited_not_clipped(
    source16: NDArray[np.float32], sally: VoiceProfile
) -> None:
    loud = source16 / np.max(np.abs(source16))
    y = convert(loud, 16000, sally, ConversionOptions(quality="fast"))
    assert np.max(np.abs(y)) <= PEAK_LIMIT


def test_silence_and_tiny_inputs_come_back_unchanged(sally: VoiceProfile) -> None:
    silence = np.zeros(16000, dtype=np.float32)
    np.testing.assert_array_equal(convert(silence, 16000, sally), silence)
    blip = np.full(800, 0.1, dtype=np.float32)  # 50 ms
    np.testing.assert_array_equal(convert(blip, 16000, sally), blip)


def test_nan_samples_do_not_leak_into_the_output(
    source16: NDArray[np.float32], sally: VoiceProfile
) -> None:
    x = source16[:16000].copy()
    x[100:110] = np.nan
    y = convert(x, 16000, sally, ConversionOptions(quality="fast"))
    assert np.all(np.isfinite(y)) and len(y) == len(x)


def test_bad_parameters_are_input_errors(sally: VoiceProfile) -> None:
    with pytest.raises(InputError, match="8000-48000 Hz"):
        convert(np.zeros(6000, dtype=np.float32), 6000, sally)
    with pytest.raises(InputError, match="strength"):
        ConversionOptions(strength=1.5)
    with pytest.raises(InputError, match="quality"):
        ConversionOptions(quality="best")  # type: ignore[arg-type]
