"""The long-audio runner over real HTTP: `ElevenLabsBackend` -> `ApiServer` -> identity backend."""

from __future__ import annotations

import io as stdio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.support.audio import speechlike, write_wav
from tests.support.fake_backends import FailingBackend
from tests.support.transform_backend import RACHEL, TransformBackend
from voxcli.audio import io
from voxcli.audio.formats import plan_output
from voxcli.backends.base import Backend, ConvertRequest, Upload
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.backends.voice_settings import VoiceSettings
from voxcli.convert import sections
from voxcli.convert.cache import SectionCache
from voxcli.convert.section_worker import read_upload
from voxcli.errors import ExitStatus, ServiceError, TierError, UnavailableError
from voxcli.server import ApiServer, RecordedRequest

REQUEST = ConvertRequest(RACHEL.voice_id, seed=42, voice_settings=VoiceSettings(stability=0.4))
MAX_SECTION = 30.0


class RecordingReporter:
    """A `Reporter` that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def notice(self, message: str) -> None:
        self.calls.append(("notice", message))

    def start(self, seconds: float, what: str) -> None:
        self.calls.append(("start", (seconds, what)))

    def advance(self, seconds: float) -> None:
        self.calls.append(("advance", seconds))

    def activity(self, part: int, what: str | None, fraction: float | None = None) -> None:
        self.calls.append(("activity", (part, what, fraction)))

    def finish(self) -> None:
        self.calls.append(("finish", None))

    def notices(self) -> list[str]:
        return [value for kind, value in self.calls if kind == "notice"]


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 s of speech-like audio at 16 kHz with pauses: five or six 30 s sections."""
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    return write_wav(path, speechlike(150.0, 16000, pause_every=3.3, pause=0.45, seed=11))


@contextmanager
def served(backend: Backend) -> Iterator[tuple[ApiServer, ElevenLabsBackend]]:
    with ApiServer(backend) as server:
        client = ElevenLabsBackend(api_key="test-key", base_url=server.url, retries=2)
        try:
            yield server, client
        finally:
            client.close()


def run(
    source: Path,
    client: Backend,
    out: Path,
    *,
    name: str = "out.wav",
    requested: str | None = None,
    request: ConvertRequest = REQUEST,
    cache: SectionCache | None = None,
    reporter: RecordingReporter | None = None,
    **kwargs: Any,
) -> sections.LongResult:
    info = io.probe(source)
    input_pcm = kwargs.get("input_pcm", False)
    plan = sections.make_plan(source, info, max_section=MAX_SECTION, input_pcm=input_pcm)
    with out.open("wb") as target:
        return sections.convert_long(
            source, info, plan, client, request, plan_output(name, requested), target,
            cache=cache, reporter=reporter or RecordingReporter(), **kwargs,
        )  # fmt: skip


def conversions(server: ApiServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.method == "POST"]


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    error = np.sum((reference.astype(np.float64) - test) ** 2)
    if error == 0:
        return float("inf")  # bit-exact
    return float(10 * np.log10(np.sum(reference.astype(np.float64) ** 2) / error))


def reference(source: Path, rate: int) -> np.ndarray:
    samples, source_rate = io.read(source)
    return io.resample(samples, source_rate, rate)


@pytest.mark.parametrize(
    ("name", "requested", "rate"),
    [("out.wav", None, 44100), ("out.flac", "pcm_24000", 24000), ("out.pcm", "pcm_16000", 16000)],
)
def test_identity_round_trip_sends_each_section_once(
    speech: Path, tmp_path: Path, name: str, requested: str | None, rate: int
) -> None:
    out = tmp_path / name
    with served(TransformBackend()) as (server, client):
        result = run(speech, client, out, name=name, requested=requested, jobs=3)
    plan = result.plan
    assert len(plan.sections) >= 5
    posts = conversions(server)
    assert len(posts) == len(plan.sections)
    # Each section exactly once: the uploads are exactly the plan's upload spans, losslessly.
    expected = {
        read_upload(speech, s, plan.sample_rate, input_pcm=False).data: s for s in plan.sections
    }
    assert {r.audio for r in posts} == set(expected)
    source, _ = io.read(speech)
    for r in posts:
        assert r.audio is not None
        uploaded, upload_rate = sf.read(stdio.BytesIO(r.audio), dtype="float32")
        section = expected[r.audio]
        assert len(uploaded) / upload_rate <= MAX_SECTION
        np.testing.assert_array_equal(uploaded, source[section.upload_start : section.upload_end])
        # Same settings everywhere; PCM at the output's rate, whatever the output format.
        assert r.query["output_format"] == f"pcm_{rate}"
        assert r.form["seed"] == "42" and r.form["voice_settings"] == '{"stability": 0.4}'
        assert r.path == f"/v1/voice-changer/{RACHEL.voice_id}"
    got = read_output(out, name, requested)
    want = reference(speech, rate)
    assert abs(len(got) - len(want)) <= 0.01 * rate  # within 10 ms ...
    assert len(got) == len(want)  # ... and in fact exact
    assert snr_db(want, got) >= 30.0
    assert result.output_seconds == pytest.approx(150.0, abs=0.01)
    assert result.converted == len(plan.sections) and result.cached == 0
    assert result.drift_ms == [0.0] * len(plan.sections)
    assert len(result.request_ids) == len(plan.sections)
    assert result.character_cost == server.characters_used > 0


def read_output(out: Path, name: str, requested: str | None) -> np.ndarray:
    plan = plan_output(name, requested)
    if plan.container == "asis" and plan.request.is_raw:
        return io.decode(out.read_bytes(), plan.request)[0]
    return sf.read(out, dtype="float32")[0]


def test_sections_are_converted_concurrently_up_to_jobs(speech: Path, tmp_path: Path) -> None:
    with served(TransformBackend()) as (server, client):
        server.latency_seconds = 0.15
        run(speech, client, tmp_path / "out.wav", jobs=2)
    posts = conversions(server)
    events = sorted([(r.started, 1) for r in posts] + [(r.ended or 0.0, -1) for r in posts])
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak == 2


def upload_of(source: Path, index: int) -> bytes:
    plan = sections.make_plan(source, io.probe(source), max_section=MAX_SECTION)
    section = plan.sections[index]
    return read_upload(source, section, plan.sample_rate, input_pcm=False).data


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (UnavailableError("the engine is overloaded"), UnavailableError, ExitStatus.UNAVAILABLE),
        (ServiceError("the audio was rejected", code="invalid_content"), ServiceError,
         ExitStatus.REFUSED),
    ],
)  # fmt: skip
def test_a_failing_section_names_its_time_range_and_keeps_its_type(
    speech: Path, tmp_path: Path, error: Exception, kind: type, status: ExitStatus
) -> None:
    third = upload_of(speech, 2)
    backend = FailingBackend(lambda upload, _: error if upload.data == third else None)
    cache = SectionCache(tmp_path / "cache")
    plan = sections.make_plan(speech, io.probe(speech), max_section=MAX_SECTION)
    s = plan.sections[2]
    span = f"{sections.clock(s.start / 16000)}-{sections.clock(s.end / 16000)}"
    with served(backend) as (server, client):
        with pytest.raises(kind) as raised:
            run(speech, client, tmp_path / "out.wav", jobs=1, cache=cache)
        assert str(raised.value).startswith(f"section 3 ({span}): ")
        assert raised.value.exit_status == status
        # 5xx is retried (retries=2), a refusal is not.
        assert backend.attempts[third] == (2 if kind is UnavailableError else 1)
        # Sections 1 and 2 were finished before 3 failed, and stay cached: a rerun against a
        # healthy service converts only what is missing.
        cached = sum(1 for _ in cache.path().rglob("*.section"))
        assert cached >= 2
        backend.rule = lambda upload, _: None  # the service recovers
        before = len(conversions(server))
        result = run(speech, client, tmp_path / "out.wav", jobs=1, cache=cache)
        rerun = conversions(server)[before:]
    assert len(rerun) == len(plan.sections) - cached
    assert third in {r.audio for r in rerun}
    assert result.cached == cached and result.converted == len(plan.sections) - cached


def test_clock_formats_minutes_and_hours() -> None:
    assert sections.clock(580.0) == "9:40.0"
    assert sections.clock(870.04) == "14:30.0"
    assert sections.clock(3725.25) == "1:02:05.2"
    assert sections.clock(59.96) == "1:00.0"


def test_the_cache_makes_a_rerun_free_and_a_partial_cache_sends_only_the_gaps(
    speech: Path, tmp_path: Path
) -> None:
    cache = SectionCache(tmp_path / "cache")
    with served(TransformBackend()) as (server, client):
        first = run(speech, client, tmp_path / "a.wav", cache=cache)
        n = len(first.plan.sections)
        assert len(conversions(server)) == n
        second = run(speech, client, tmp_path / "b.wav", cache=cache)
        assert len(conversions(server)) == n  # nothing new was sent
        assert second.cached == n and second.converted == 0 and second.character_cost == 0
        assert second.request_ids == first.request_ids
        assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
        entries = sorted(cache.path().rglob("*.section"))
        for entry in entries[:2]:
            entry.unlink()
        third = run(speech, client, tmp_path / "c.wav", cache=cache)
        assert len(conversions(server)) == n + 2
        assert third.cached == n - 2 and third.converted == 2
        # Another seed is another result: everything is converted again.
        run(speech, client, tmp_path / "d.wav", cache=cache, request=ConvertRequest(
            RACHEL.voice_id, seed=43, voice_settings=VoiceSettings(stability=0.4)))  # fmt: skip
        assert len(conversions(server)) == 2 * n + 2
    assert (tmp_path / "c.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()


@pytest.mark.parametrize("jobs", [1, 3])
def test_a_tier_refusal_falls_back_once_and_is_remembered(
    speech: Path, tmp_path: Path, jobs: int
) -> None:
    reporter = RecordingReporter()
    with served(TransformBackend()) as (server, client):
        server.allowed_formats = {"pcm_24000", "pcm_16000", "mp3_44100_128"}
        result = run(speech, client, tmp_path / "out.mp3", name="out.mp3", jobs=jobs,
                     reporter=reporter)  # fmt: skip
    posts = conversions(server)
    refused = [r for r in posts if r.status == 403]
    assert all(r.query["output_format"] == "pcm_44100" for r in refused)
    # Only requests already in flight when the first refusal came back can be refused.
    assert 1 <= len(refused) <= jobs
    accepted = [r for r in posts if r.status == 200]
    assert len(accepted) == len(result.plan.sections)
    assert {r.query["output_format"] for r in accepted} == {"pcm_24000"}
    assert reporter.notices() == [
        "pcm_44100 needs a higher subscription tier; converting sections as pcm_24000 instead"
    ]
    assert result.output_format == "pcm_24000"
    # Still one MP3 at 44.1 kHz, as long as the input, carrying the input's signal.
    got, rate = sf.read(tmp_path / "out.mp3", dtype="float32")
    assert rate == 44100 and len(got) == round(150.0 * 44100)
    want = reference(speech, 44100)
    assert np.corrcoef(want, got)[0, 1] > 0.95


def test_a_pinned_pcm_format_is_not_replaced(speech: Path, tmp_path: Path) -> None:
    with served(TransformBackend()) as (server, client), pytest.raises(TierError) as raised:
        server.allowed_formats = {"pcm_24000"}
        run(speech, client, tmp_path / "out.pcm", name="out.pcm", requested="pcm_44100", jobs=1)
    assert str(raised.value).startswith("section 1 (0:00.0-")
    assert raised.value.exit_status == ExitStatus.REFUSED


def test_stream_mode_gives_the_same_audio_and_plays_it(speech: Path, tmp_path: Path) -> None:
    played: list[np.ndarray] = []
    with served(TransformBackend()) as (server, client):
        server.stream_chunk_bytes = 3001  # odd: samples straddle chunk boundaries
        whole = run(speech, client, tmp_path / "whole.wav")
        streamed = run(speech, client, tmp_path / "streamed.wav", stream=True,
                       on_audio=lambda block, rate: played.append(block.copy()))  # fmt: skip
    posts = conversions(server)
    n = len(whole.plan.sections)
    assert all(not r.path.endswith("/stream") for r in posts[:n])
    assert all(r.path.endswith("/stream") for r in posts[n:]) and len(posts) == 2 * n
    assert (tmp_path / "whole.wav").read_bytes() == (tmp_path / "streamed.wav").read_bytes()
    assert streamed.drift_ms == whole.drift_ms
    out, _ = sf.read(tmp_path / "streamed.wav", dtype="int16")
    np.testing.assert_array_equal(np.frombuffer(io.to_pcm16(np.concatenate(played)), "<i2"), out)
    assert len(played) > n  # blocks came out as the stream arrived, not once per section


def test_pcm_input_uploads_raw_16k(tmp_path: Path) -> None:
    source = write_wav(tmp_path / "in.wav", speechlike(70.0, 24000, seed=4), 24000)
    with served(TransformBackend()) as (server, client):
        result = run(source, client, tmp_path / "out.wav", input_pcm=True)
    for r in conversions(server):
        assert r.form["file_format"] == "pcm_s16le_16"
        assert r.audio is not None and len(r.audio) <= MAX_SECTION * 32000
    got, _ = sf.read(tmp_path / "out.wav", dtype="float32")
    samples, _ = io.read(source)
    want = io.resample(io.resample(samples, 24000, 16000), 16000, 44100)
    assert len(got) == len(want) == round(70.0 * 44100)
    assert snr_db(want, got) >= 30.0
    assert len(result.plan.sections) == 3


def test_progress_and_json(speech: Path, tmp_path: Path) -> None:
    reporter = RecordingReporter()
    with served(TransformBackend()) as (_, client):
        result = run(speech, client, tmp_path / "out.wav", reporter=reporter)
    n = len(result.plan.sections)
    kinds = [kind for kind, _ in reporter.calls]
    assert kinds[0] == "start" and kinds[-1] == "finish" and kinds.count("advance") == n
    assert reporter.calls[0][1] == (150.0, f"converting {n} sections")
    # Audio done, section by section, adds up to the whole input.
    advanced = [value for kind, value in reporter.calls if kind == "advance"]
    assert abs(sum(advanced) - 150.0) < 1e-6
    # Each section's request says what it is doing while it runs: its upload goes from 0 to
    # all sent, then the service converts, and the section is over once stitched.
    for index in range(n):
        seen = [v[1:] for k, v in reporter.calls if k == "activity" and v[0] == index]
        fractions = [f for what, f in seen if what == "uploading"]
        assert fractions and fractions == sorted(fractions) and fractions[-1] == 1.0
        assert ("converting", None) in seen and seen[-1] == (None, None)
    data = result.to_json()
    assert data["output_format"] == "pcm_44100" and data["converted"] == n
    assert [s["request_id"] for s in data["sections"]] == result.request_ids
    assert all(s["drift_ms"] == 0.0 and s["cached"] is False for s in data["sections"])


def test_sections_in_memory_stay_bounded_while_one_is_slow(speech: Path, tmp_path: Path) -> None:
    first = upload_of(speech, 0)

    def slow_first(upload: Upload, _: ConvertRequest) -> None:
        if upload.data == first:
            time.sleep(0.5)  # the head of the queue takes long; the others are quick
        return None

    with served(FailingBackend(slow_first)) as (server, client):
        result = run(speech, client, tmp_path / "out.wav", jobs=2)
    posts = conversions(server)
    head = next(r for r in posts if r.audio == first)
    assert head.ended is not None
    started_meanwhile = [r for r in posts if r.started < head.ended]
    # 2 x jobs sections may be under way; the rest wait until the head is stitched.
    assert len(started_meanwhile) <= 4 < len(result.plan.sections)


@pytest.mark.parametrize(("name", "rate"), [("out.flac", 44100), ("out.ogg", 48000)])
def test_stereo_input_at_another_rate(tmp_path: Path, name: str, rate: int) -> None:
    left = speechlike(70.0, 22050, seed=6)
    stereo = np.stack([left, 0.5 * left], axis=1)
    source = tmp_path / "stereo.wav"
    sf.write(source, stereo, 22050, subtype="PCM_16")
    with served(TransformBackend()) as (server, client):
        result = run(source, client, tmp_path / name, name=name)
    assert {r.query["output_format"] for r in conversions(server)} == {f"pcm_{rate}"}
    got, got_rate = sf.read(tmp_path / name, dtype="float32")
    assert got_rate == rate and got.ndim == 1
    assert abs(len(got) - 70.0 * rate) <= 0.01 * rate
    assert len(result.plan.sections) == 3
    if name.endswith(".flac"):
        assert snr_db(reference(source, rate), got) >= 30.0  # the mono downmix, resampled


def test_an_interrupt_does_not_wait_for_requests_in_flight(speech: Path, tmp_path: Path) -> None:
    first = upload_of(speech, 0)
    release = threading.Event()
    server_box: list[ApiServer] = []

    def hold(upload: Upload, _: ConvertRequest) -> None:
        if upload.data == first:  # answer section 1 once others are in flight
            for _ in range(500):
                if len(server_box[0].requests) >= 2:
                    break
                time.sleep(0.01)
        else:
            release.wait(30)  # everything else hangs until the test lets go

    def interrupt(block: np.ndarray, rate: int) -> None:
        raise KeyboardInterrupt

    with served(FailingBackend(hold)) as (server, client):
        server_box.append(server)
        try:
            with pytest.raises(KeyboardInterrupt):
                run(speech, client, tmp_path / "out.wav", jobs=2, on_audio=interrupt)
            # convert_long gave up at once: other sections are still being converted.
            assert [r for r in conversions(server) if r.status is None]
        finally:
            release.set()
