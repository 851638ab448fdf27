"""Stitching: identity reproduces the input, drift is locked, crossfades keep the level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.audio import speechlike
from voxcli.audio import io
from voxcli.audio.plan import Plan, plan_sections, profile_from_samples
from voxcli.audio.stitch import Stitcher, crossfade, crossfade_gains, lock, stitch


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    error = np.sum((reference.astype(np.float64) - test) ** 2)
    return float(10 * np.log10(np.sum(reference.astype(np.float64) ** 2) / max(error, 1e-30)))


def sections_of(samples: np.ndarray, plan: Plan) -> list[np.ndarray]:
    return [samples[s.upload_start : s.upload_end] for s in plan.sections]


@st.composite
def signals(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    rate = draw(st.sampled_from([8000, 16000, 22050]))
    seconds = draw(st.floats(1.0, 90.0))
    seed = draw(st.integers(0, 1000))
    if draw(st.booleans()):
        samples = speechlike(seconds, rate, pause_every=draw(st.floats(0.5, 6.0)), seed=seed)
    else:  # no pauses at all: every cut is forced
        rng = np.random.default_rng(seed)
        samples = (0.1 * rng.standard_normal(int(seconds * rate))).astype(np.float32)
    return samples, rate


@settings(max_examples=60, deadline=None)
@given(signals(), st.floats(2.0, 30.0))
def test_stitching_identity_sections_reproduces_the_input(
    signal: tuple[np.ndarray, int], max_section: float
) -> None:
    samples, rate = signal
    plan = plan_sections(profile_from_samples(samples, rate), max_section=max_section)
    out = stitch(plan, sections_of(samples, plan))
    assert len(out) == len(samples)
    np.testing.assert_allclose(out, samples, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(signals(), st.lists(st.integers(1, 5000), min_size=1, max_size=20))
def test_feeding_in_pieces_gives_the_same_output(
    signal: tuple[np.ndarray, int], pieces: list[int]
) -> None:
    samples, rate = signal
    plan = plan_sections(profile_from_samples(samples, rate), max_section=8.0)
    stitcher = Stitcher(plan)
    blocks: list[np.ndarray] = []
    for section in sections_of(samples, plan):
        pos, k = 0, 0
        while pos < len(section):
            step = pieces[k % len(pieces)]
            blocks += stitcher.feed(section[pos : pos + step])
            pos, k = pos + step, k + 1
        blocks += stitcher.end_section()
    assert stitcher.done
    np.testing.assert_array_equal(np.concatenate(blocks), stitch(plan, sections_of(samples, plan)))


@pytest.mark.parametrize(("in_rate", "out_rate"), [(16000, 44100), (44100, 24000), (22050, 48000)])
def test_identity_through_resampling_keeps_snr_at_every_seam(in_rate: int, out_rate: int) -> None:
    samples = speechlike(100.0, in_rate, pause_every=2.5, seed=2)
    plan = plan_sections(profile_from_samples(samples, in_rate), max_section=20.0)
    out_plan = plan.at_rate(out_rate)
    converted = [io.resample(part, in_rate, out_rate) for part in sections_of(samples, plan)]
    out = stitch(out_plan, converted)
    reference = io.resample(samples, in_rate, out_rate)
    assert len(out) == len(reference) == out_plan.frames
    assert snr_db(reference, out) >= 30.0
    radius = int(0.05 * out_rate)
    for section in out_plan.sections[1:]:
        seam = slice(section.start - radius, section.start + radius)
        assert snr_db(reference[seam], out[seam]) >= 30.0


def test_drift_is_locked_and_reported_per_section() -> None:
    rate = 16000
    samples = speechlike(60.0, rate)
    plan = plan_sections(profile_from_samples(samples, rate), max_section=20.0)
    assert len(plan.sections) >= 3
    parts = sections_of(samples, plan)
    # The service gave back 80 ms too much for the first section and 25 ms too little for the
    # second; the others are exact.
    parts[0] = np.concatenate([parts[0], np.full(1280, 0.5, dtype=np.float32)])
    parts[1] = parts[1][:-400]
    stitcher = Stitcher(plan)
    out = np.concatenate([b for part in parts for b in stitcher.add(part)])
    assert len(out) == len(samples)
    assert stitcher.drift_ms[:2] == [80.0, -25.0]
    assert all(d == 0.0 for d in stitcher.drift_ms[2:])
    # Nothing after section 1's shortened end leaks: timing of section 2 onwards is untouched.
    start2 = plan.sections[2].start + plan.crossfade // 2
    np.testing.assert_allclose(out[start2:], samples[start2:], atol=1e-6)
    assert np.max(np.abs(out)) < 0.5  # the extra 0.5-valued frames were trimmed


def test_lock_trims_and_pads_at_the_end() -> None:
    x = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(lock(x, 4), x[:4])
    padded = lock(x, 13)
    assert len(padded) == 13 and padded[-3:].tolist() == [0, 0, 0]
    np.testing.assert_array_equal(padded[:10], x)


def test_gains_are_power_complementary_for_their_correlation() -> None:
    for rho in (0.0, 0.3, 0.7, 1.0):
        a, b = crossfade_gains(rho, 640)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        np.testing.assert_allclose(a64**2 + b64**2 + 2 * rho * a64 * b64, 1.0, atol=1e-6)
        assert a[0] > 0.99 and b[-1] > 0.99 and a[-1] < 0.01 and b[0] < 0.01
    a, b = crossfade_gains(1.0, 640)
    np.testing.assert_allclose(a + b, 1.0, atol=1e-6)


def test_crossfade_keeps_the_level_of_correlated_and_unrelated_signals() -> None:
    rng = np.random.default_rng(0)
    p = rng.standard_normal(4000).astype(np.float32)
    q = rng.standard_normal(4000).astype(np.float32)
    # Identical signals: no +3 dB bump (an equal-power fade would give one).
    np.testing.assert_allclose(crossfade(p, p), p, atol=1e-5)
    # Unrelated signals: no -3 dB dip in the middle (a linear fade would give one).
    middle = crossfade(p, q)[1500:2500]
    level = 10 * np.log10(np.mean(middle.astype(np.float64) ** 2))
    assert abs(level) < 0.5


def test_stitcher_refuses_more_sections_than_planned() -> None:
    samples = speechlike(5.0)
    plan = plan_sections(profile_from_samples(samples, 16000), max_section=20.0)
    stitcher = Stitcher(plan)
    stitcher.add(samples)
    with pytest.raises(ValueError, match="already stitched"):
        stitcher.feed(samples)
    with pytest.raises(ValueError, match="fewer converted sections"):
        stitch(plan_sections(profile_from_samples(speechlike(50.0), 16000), max_section=20.0), [])
