"""Voice profiles: statistics that describe the voice, a stable byte format, clear refusals."""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.typing import NDArray

from voxcli.engine import MIN_REFERENCE_SECONDS, VoiceProfile, build_profile
from voxcli.engine.profile import CODEBOOK_SIZE, FORMAT_VERSION
from voxcli.errors import InputError


def test_profile_describes_the_reference_voice(female_profile: VoiceProfile) -> None:
    assert 180 < female_profile.f0_mean_hz < 350  # espeak's f3 variant at pitch 70
    lo, hi = female_profile.f0_range_hz
    assert lo < female_profile.f0_mean_hz < hi
    assert np.all(np.isfinite(female_profile.formants_hz[:3]))
    assert 10.0 < female_profile.tract_length_cm < 22.0
    assert female_profile.mcep_mean.shape == female_profile.mcep_std.shape == (2, 40)
    assert 0 < len(female_profile.codebook) <= CODEBOOK_SIZE
    assert female_profile.codebook.dtype == np.float32
    assert female_profile.codebook_voiced.any() and not female_profile.codebook_voiced.all()
    assert female_profile.reference_seconds >= MIN_REFERENCE_SECONDS
    summary = female_profile.summary()
    assert summary["codebook_frames"] == len(female_profile.codebook)
    assert summary["f0_mean_hz"] == pytest.approx(female_profile.f0_mean_hz, abs=0.05)


def test_profile_round_trips_through_bytes(female_profile: VoiceProfile) -> None:
    loaded = VoiceProfile.from_bytes(female_profile.to_bytes())
    assert loaded.log_f0_mean == female_profile.log_f0_mean
    assert loaded.log_f0_std == female_profile.log_f0_std
    assert loaded.f0_range_hz == female_profile.f0_range_hz
    assert loaded.reference_seconds == female_profile.reference_seconds
    np.testing.assert_array_equal(loaded.formants_hz, female_profile.formants_hz)
    np.testing.assert_array_equal(loaded.codebook, female_profile.codebook)
    np.testing.assert_array_equal(loaded.codebook_voiced, female_profile.codebook_voiced)
    np.testing.assert_allclose(loaded.mcep_mean, female_profile.mcep_mean, rtol=1e-6)
    assert loaded.metadata == {"name": "test"}
    assert loaded.with_metadata(name="x").metadata == {"name": "x"}


def test_recordings_at_different_rates_make_one_profile(
    female_reference: tuple[NDArray[np.float32], int], female_profile: VoiceProfile
) -> None:
    samples, rate = female_reference  # the fixture's profile joins a 22.05 and a 44.1 kHz half
    assert female_profile.reference_seconds == pytest.approx(len(samples) / rate, abs=0.01)


def test_damaged_or_foreign_bytes_are_an_input_error(female_profile: VoiceProfile) -> None:
    with pytest.raises(InputError, match="damaged"):
        VoiceProfile.from_bytes(b"not a profile")
    buffer = io.BytesIO()
    with np.load(io.BytesIO(female_profile.to_bytes())) as npz:
        arrays = dict(npz)
    arrays["version"] = np.int64(FORMAT_VERSION + 1)
    np.savez(buffer, **arrays)
    with pytest.raises(InputError, match="format") as info:
        VoiceProfile.from_bytes(buffer.getvalue())
    assert info.value.hint and "voices add" in info.value.hint


def test_too_short_reference_is_refused(female_reference: tuple[NDArray[np.float32], int]) -> None:
    samples, rate = female_reference
    with pytest.raises(InputError, match="at least 10 s") as info:
        build_profile([(samples[: 9 * rate], rate)])
    assert info.value.hint and "30-60 s" in info.value.hint


def test_narrow_band_reference_is_refused() -> None:
    with pytest.raises(InputError, match="8000 Hz"):
        build_profile([(np.zeros(8000 * 12, dtype=np.float32), 8000)])


def test_reference_without_speech_is_refused() -> None:
    noise = np.random.default_rng(0).standard_normal(16000 * 11).astype(np.float32) * 0.05
    with pytest.raises(InputError, match="too little voiced speech"):
        build_profile([(noise, 16000)])


def test_no_recordings_is_refused() -> None:
    with pytest.raises(InputError, match="no reference audio"):
        build_profile([])
