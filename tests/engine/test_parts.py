"""The engine's building blocks: mel-cepstrum basis, kNN chunking, F0 clean-up, warping, limiter."""

from __future__ import annotations

import numpy as np
import pytest

from voxcli.engine import knn, level, vtl, world
from voxcli.engine.features import from_canonical, to_canonical
from voxcli.engine.mcep import canonical_basis, mel_basis
from voxcli.engine.params import AnalysisParams, fft_size, mel_alpha


def test_mel_cepstrum_round_trips_a_cepstral_envelope() -> None:
    basis = canonical_basis()
    rng = np.random.default_rng(1)
    mc = rng.normal(size=(50, 40)) / (1 + np.arange(40)) ** 1.5
    recovered = basis.from_power(np.exp(basis.log_power(mc)))
    np.testing.assert_allclose(recovered, mc, atol=1e-6)


def test_mel_basis_adapts_to_the_rate() -> None:
    assert mel_alpha(16000) == pytest.approx(0.42)
    assert mel_alpha(8000) < mel_alpha(22050) < mel_alpha(48000)
    assert fft_size(8000) == 512 and fft_size(16000) == 1024 and fft_size(48000) == 2048
    assert mel_basis(1025, mel_alpha(48000)).synthesis.shape == (1025, 40)


def test_canonical_projection_round_trips_at_16k_and_holds_the_top_band() -> None:
    values = np.linspace(0.0, 1.0, 513)[None, :].repeat(3, axis=0)
    assert from_canonical(values, 16000, 513) is values
    native = from_canonical(values, 48000, 1025)
    assert native.shape == (3, 1025)
    assert np.all(native[:, -1] == native[:, -1][0])  # constant above 8 kHz
    back = to_canonical(np.log(np.ones((2, 257))), 8000)
    assert back.shape == (2, 513)


def _clustered(frames: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, 24)) * 3
    return centres[rng.integers(0, 8, frames)] + rng.normal(size=(frames, 24))


def test_chunked_knn_matches_the_exhaustive_search_on_a_short_input() -> None:
    rng = np.random.default_rng(0)
    query, db = _clustered(700, 1), _clustered(400, 2)
    voiced, db_voiced = rng.random(700) < 0.6, rng.random(400) < 0.6
    mapped, db_frames = rng.normal(size=(700, 40)), rng.normal(size=(400, 40))
    args = (query, voiced, mapped, db, db_frames, db_voiced)
    exhaustive = knn.exemplar_correction(*args, block=10_000, window=10_000)
    chunked = knn.exemplar_correction(*args, block=64, window=10_000)
    np.testing.assert_allclose(chunked, exhaustive, atol=1e-9)
    windowed = knn.exemplar_correction(*args, block=64, window=100)
    assert windowed.shape == exhaustive.shape and np.all(np.isfinite(windowed))


def test_knn_correction_is_zero_when_target_and_source_are_the_same() -> None:
    frames = _clustered(300, 3)
    voiced = np.ones(300, dtype=bool)
    values = np.random.default_rng(4).normal(size=(300, 40))
    delta = knn.exemplar_correction(frames, voiced, values, frames, values, voiced, block=50)
    np.testing.assert_allclose(delta, 0.0, atol=1e-9)


def test_smooth_is_a_centred_moving_average() -> None:
    values = np.zeros((9, 1))
    values[4] = 5.0
    out = knn.smooth(values, 5)
    np.testing.assert_allclose(out[:, 0], [0, 0, 1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_allclose(knn.smooth(np.ones((4, 2)), 5), np.ones((4, 2)))


def test_clean_f0_folds_octave_jumps_and_keeps_unvoiced_frames() -> None:
    f0 = np.full(60, 120.0)
    f0[:5] = 0.0
    f0[30] = 240.0  # octave error
    f0[40] = 60.0
    cleaned = world.clean_f0(f0)
    assert np.all(cleaned[:5] == 0.0)
    np.testing.assert_allclose(cleaned[5:], 120.0, rtol=1e-9)


def test_warp_map_is_the_identity_at_ratio_one_and_raises_formants_above() -> None:
    index, frac = vtl.warp_map(513, 16000, 1.0)
    env = np.log(np.linspace(1.0, 2.0, 513))[None, :]
    np.testing.assert_allclose(vtl.warp_log_envelope(env, index, frac), env, atol=1e-12)
    peak = np.zeros((1, 513))
    peak[0, 100] = 1.0
    raised = vtl.warp_log_envelope(peak, *vtl.warp_map(513, 16000, 1.2))
    assert 115 <= int(np.argmax(raised)) <= 125


def test_warp_ratio_trusts_evidence_and_falls_back_to_the_prior() -> None:
    source = np.array([500.0, 1500.0, 2500.0, 3500.0])
    assert vtl.warp_ratio(source, source * 1.1, 10_000, 1.0) == pytest.approx(1.1, rel=0.01)
    assert vtl.warp_ratio(source, source * 1.1, 0, 1.5) == pytest.approx(1.5**0.3, rel=1e-6)
    assert vtl.warp_ratio(source, source * 2.0, 10_000, 1.0) == vtl.RATIO_LIMITS[1]


def test_formants_of_a_synthetic_vowel() -> None:
    from scipy.signal import lfilter

    rate, true = 16000, [700.0, 1200.0, 2600.0, 3500.0]
    poles = [np.exp(-np.pi * 80 / rate) * np.exp(2j * np.pi * f / rate) for f in true]
    a = np.real(np.poly(poles + [p.conjugate() for p in poles]))
    pulses = np.zeros(rate)
    pulses[:: rate // 120] = 1.0
    vowel = lfilter([1.0], a, pulses)
    found, frames = vtl.formants(vowel, rate, np.full(200, 120.0), 5.0)
    assert frames > 10
    np.testing.assert_allclose(found, true, rtol=0.08)


def test_limiter_keeps_peaks_under_the_threshold_and_leaves_quiet_audio_alone() -> None:
    t = np.arange(16000) / 16000
    quiet = 0.5 * np.sin(2 * np.pi * 220 * t)
    assert level.limit(quiet, 16000) is quiet
    loud = quiet.copy()
    loud[8000:8100] *= 3.0
    limited = level.limit(loud.copy(), 16000)
    assert np.max(np.abs(limited)) <= level.PEAK_LIMIT
    np.testing.assert_array_equal(limited[:7000], loud[:7000])  # untouched away from the peak


def test_harvest_in_pieces_matches_one_pass(
    male_speech: tuple[np.ndarray, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyworld

    samples, rate = male_speech
    x = np.tile(samples.astype(np.float64), 2)  # ~10 s
    whole, _ = pyworld.harvest(x, rate, f0_floor=50.0, f0_ceil=250.0, frame_period=5.0)
    monkeypatch.setattr(world, "TRACKER_CHUNK_SECONDS", 3)
    harvest = lambda piece: pyworld.harvest(piece, rate, 50.0, 250.0, frame_period=5.0)[0]  # noqa: E731
    pieces = world._in_pieces(harvest, x, AnalysisParams(rate))
    assert len(pieces) == len(whole)
    # 3 s pieces are far shorter than the real 20 s, so the voicing differs a little at the
    # joins; a misaligned join would disagree on about half the frames.
    assert np.mean((pieces > 0) == (whole > 0)) > 0.95
    both = (pieces > 0) & (whole > 0)
    assert np.mean(np.abs(np.log(pieces[both] / whole[both])) < 0.05) > 0.98


@pytest.mark.parametrize("rate", [16000, 44100])
def test_default_tracker_agrees_with_harvest_at_the_inputs_rate(
    male_speech: tuple[np.ndarray, int], rate: int
) -> None:
    """Harvest at `world.HARVEST_RATE` on the (at most 16 kHz) tracking copy of the signal finds
    the F0 that Harvest finds on the input itself (issue 12: a quarter of the cost)."""
    import pyworld
    import soxr

    samples, native = male_speech
    x = np.asarray(soxr.resample(samples, native, rate), dtype=np.float64)
    params = AnalysisParams(rate)
    frames = world.frame_count(len(x), params)
    low, low_params = world.tracking_signal(x, params)
    assert low_params.sample_rate == min(rate, 16000)
    lo, hi = world.speaker_range(low, low_params.sample_rate)
    full, _ = pyworld.harvest(x, rate, f0_floor=lo, f0_ceil=hi, frame_period=5.0)
    full = world.fit_length(np.asarray(full), frames)
    ours = world.track_f0(low, low_params, None, frames)
    assert world.HARVEST_RATE <= 2000 and len(ours) == frames
    assert np.mean((ours > 0) != (full > 0)) < 0.08  # voicing decisions
    both = (ours > 0) & (full > 0)
    assert np.mean(np.abs(ours[both] / full[both] - 1.0) > 0.2) < 0.04  # gross pitch errors
