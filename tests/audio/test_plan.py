"""Section planning: tiling, limits, pauses, forced cuts, the upload-size guard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.audio import speechlike, write_wav
from voxcli.audio import io
from voxcli.audio.plan import (
    EnergyProfile,
    Plan,
    energy_profile,
    hop_frames,
    plan_sections,
    profile_from_samples,
)
from voxcli.errors import InputError

RATES = (8000, 11025, 16000, 22050, 44100, 48000, 12347)


def check_invariants(plan: Plan, max_section: float) -> None:
    """Spans tile the input exactly once; uploads respect the limit, crossfade included."""
    sections = plan.sections
    half = plan.crossfade // 2
    assert sections[0].start == 0 and sections[-1].end == plan.frames
    assert plan.limit <= max_section * plan.sample_rate
    for k, s in enumerate(sections):
        assert s.index == k
        assert s.start < s.end
        assert s.upload_start == max(0, s.start - half)
        last = k == len(sections) - 1
        assert s.upload_end == (plan.frames if last else s.end + half)
        assert s.upload_frames <= plan.limit
        if not last:
            assert sections[k + 1].start == s.end
            assert s.end - s.start > plan.crossfade  # crossfades never overlap each other
    assert sum(s.end - s.start for s in sections) == plan.frames


@st.composite
def profiles(draw: st.DrawFn) -> EnergyProfile:
    """Random energy profiles: stretches of speech-like levels, pauses, or flat noise."""
    rate = draw(st.sampled_from(RATES))
    seconds = draw(st.floats(0.5, 1500.0))
    frames = int(seconds * rate)
    hop = hop_frames(rate)
    hops = -(-frames // hop)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["speech", "flat", "silent", "random"]))
    if kind == "speech":
        db = rng.normal(-20, 4, hops)
        pauses = rng.random(hops) < draw(st.floats(0.001, 0.05))
        for start in np.flatnonzero(pauses):
            db[start : start + rng.integers(5, 80)] = rng.normal(-60, 3)
    elif kind == "flat":
        db = rng.normal(-30, 2, hops)
    elif kind == "silent":
        db = np.full(hops, -100.0)
    else:
        db = rng.uniform(-100, 0, hops)
    return EnergyProfile(db.astype(np.float32), hop, rate, frames)


@settings(max_examples=200, deadline=None)
@given(
    profiles(),
    st.floats(1.0, 300.0),
    st.sampled_from([0.01, 0.04, 0.1]),
    st.floats(0.1, 120.0),
)
def test_sections_tile_the_input_and_respect_the_limit(
    profile: EnergyProfile, max_section: float, crossfade: float, search: float
) -> None:
    try:
        plan = plan_sections(profile, max_section=max_section, crossfade=crossfade, search=search)
    except InputError:
        # Only when the limit cannot hold a few crossfades.
        assert max_section < 8 * crossfade + 0.1
        return
    check_invariants(plan, max_section)
    again = plan_sections(profile, max_section=max_section, crossfade=crossfade, search=search)
    assert again == plan
    json.dumps(plan.to_json())


@settings(max_examples=50, deadline=None)
@given(profiles(), st.sampled_from(RATES), st.floats(5.0, 300.0))
def test_a_plan_maps_to_any_output_rate_exactly(
    profile: EnergyProfile, rate: int, max_section: float
) -> None:
    plan = plan_sections(profile, max_section=max_section)
    scaled = plan.at_rate(rate)
    assert scaled.sample_rate == rate
    # Rounded half up, like soxr's output lengths.
    assert scaled.frames == (2 * plan.frames * rate + plan.sample_rate) // (2 * plan.sample_rate)
    assert scaled.sections[0].start == 0 and scaled.sections[-1].end == scaled.frames
    exact = plan.sample_rate % 25 == 0 and rate % 50 == 0
    for a, b in zip(scaled.sections, scaled.sections[1:], strict=False):
        assert a.end == b.start
        assert abs(a.upload_end - b.upload_start - scaled.crossfade) <= (0 if exact else 1)
    if exact:
        # Cuts on the hop grid land on whole frames at every API rate: no rounding at all.
        for s in plan.sections[:-1]:
            assert s.end * rate % plan.sample_rate == 0


def pause_intervals(seconds: float, pause_every: float, pause: float) -> list[tuple[float, float]]:
    """Where `speechlike` puts its deliberate pauses (seconds)."""
    period = pause_every + pause
    return [(k * period + pause_every, (k + 1) * period) for k in range(int(seconds / period) + 1)]


@pytest.mark.parametrize("noise_db", [None, -45.0])
def test_cuts_land_inside_pauses_with_the_crossfade_inside_too(noise_db: float | None) -> None:
    rate = 16000
    samples = speechlike(150.0, rate, pause_every=3.7, pause=0.5, seed=3).copy()
    if noise_db is not None:  # a noisy room: the threshold must follow the floor up
        rng = np.random.default_rng(1)
        samples += (rng.standard_normal(len(samples)) * 10 ** (noise_db / 20)).astype(np.float32)
    plan = plan_sections(profile_from_samples(samples, rate), max_section=25.0)
    check_invariants(plan, 25.0)
    assert len(plan.sections) >= 6
    gaps = pause_intervals(150.0, 3.7, 0.5)
    half = plan.crossfade / 2 / rate
    for s in plan.sections[:-1]:
        cut = s.end / rate
        assert not s.cut_forced
        assert s.pause_seconds >= 0.15
        # Inside a deliberate pause or a silent gap between "syllables": the signal is quiet
        # across the whole crossfade.
        window = samples[s.end - plan.crossfade // 2 : s.end + plan.crossfade // 2]
        floor = 10 ** ((noise_db or -70.0) / 20) * 3
        assert np.sqrt(np.mean(window**2)) < floor, f"cut at {cut:.2f} s is not in a pause"
        if any(a <= cut - half and cut + half <= b for a, b in gaps):
            continue
    # Most cuts prefer the long deliberate pauses over the shorter gaps inside phrases.
    in_long = sum(any(a <= s.end / rate <= b for a, b in gaps) for s in plan.sections[:-1])
    assert in_long >= len(plan.sections[:-1]) - 1


def test_no_pause_forces_a_cut_at_the_quietest_stretch() -> None:
    rate = 16000
    seconds = 70.0
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    # Continuous noise, with a 100 ms dip to -12 dB at 17.3 s: too short and too loud for a pause.
    envelope = np.where(np.abs(t - 17.3) < 0.05, 0.25, 1.0)
    samples = (0.1 * rng.standard_normal(len(t)) * envelope).astype(np.float32)
    plan = plan_sections(profile_from_samples(samples, rate), max_section=20.0)
    check_invariants(plan, 20.0)
    first = plan.sections[0]
    assert first.cut_forced and first.pause_seconds == 0.0
    assert abs(first.end / rate - 17.3) <= 0.03
    assert all(s.cut_forced for s in plan.sections[:-1])
    assert not plan.sections[-1].cut_forced


def test_the_upload_size_guard_shortens_sections() -> None:
    rate = 16000
    samples = speechlike(120.0, rate, pause_every=2.0, pause=0.4)
    profile = profile_from_samples(samples, rate)
    plain = plan_sections(profile, max_section=60.0)
    assert max(s.upload_frames for s in plain.sections) > 40 * rate
    # 100 kB/s against a 5 MB budget (1 MB margin kept free) leaves 40 s per upload.
    guarded = plan_sections(
        profile, max_section=60.0, bytes_per_second=100_000, max_upload_bytes=5_000_000
    )
    check_invariants(guarded, 40.0)
    assert guarded.limit == 40 * rate
    assert len(guarded.sections) > len(plain.sections)
    # The real 50 MB limit only bites for fat uploads: 192 kHz 16-bit is 384 kB/s.
    fat = plan_sections(profile, max_section=290.0, bytes_per_second=384_000)
    assert fat.limit / rate <= (50_000_000 - 1_000_000) / 384_000


def test_short_input_is_one_section() -> None:
    samples = speechlike(12.0, 16000)
    plan = plan_sections(profile_from_samples(samples, 16000), max_section=20.0)
    assert len(plan.sections) == 1
    only = plan.sections[0]
    assert (only.start, only.end, only.upload_start, only.upload_end) == (0, 192000, 0, 192000)


@pytest.mark.parametrize("max_section", [0.5, 300.5, 1000.0])
def test_max_section_out_of_range_is_an_input_error(max_section: float) -> None:
    profile = profile_from_samples(speechlike(5.0), 16000)
    with pytest.raises(InputError, match="--max-section"):
        plan_sections(profile, max_section=max_section)


def test_streaming_profile_matches_the_in_memory_one(tmp_path: Path) -> None:
    rate = 22050
    # Not a whole number of hops or blocks, so the partial last hop is exercised.
    samples = speechlike(23.456, rate, seed=5)
    path = write_wav(tmp_path / "in.wav", samples, rate)
    streamed = energy_profile(path)
    stored, _ = io.read(path)
    direct = profile_from_samples(stored, rate)
    assert (streamed.hop, streamed.sample_rate, streamed.frames) == (441, rate, len(samples))
    assert len(streamed.db) == len(direct.db) == -(-len(samples) // 441)
    np.testing.assert_allclose(streamed.db, direct.db, atol=1e-4)


def test_plan_json_describes_every_section() -> None:
    samples = speechlike(60.0, 16000)
    plan = plan_sections(profile_from_samples(samples, 16000), max_section=20.0)
    data = json.loads(json.dumps(plan.to_json()))
    assert data["sample_rate"] == 16000 and data["duration_seconds"] == 60.0
    assert data["crossfade_seconds"] == 0.04
    assert len(data["sections"]) == len(plan.sections)
    first = data["sections"][0]
    assert first["start"] == 0 and first["end_seconds"] == round(plan.sections[0].end / 16000, 3)
    assert set(first) >= {"upload_start", "upload_end", "cut_forced", "pause_seconds"}
    assert data["threshold_db"] < data["speech_db"]
