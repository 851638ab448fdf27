"""Retries, backoff, Retry-After, streaming retries and the concurrency limiter.

Counted on the server side (`ApiServer.requests`); the backend's `sleep` records the delays it
asks for instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from tests.support.server import (
    TEST_KEY,
    VOICE_ID,
    RecordingReporter,
    RecordingSleep,
    flac_upload,
    pcm16,
    tone,
)
from tests.support.transform_backend import TransformBackend
from voxcli.backends import retry
from voxcli.backends.base import ConvertRequest, ConvertResult
from voxcli.backends.concurrency import Limiter
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.backends.retry import Backoff, parse_retry_after
from voxcli.errors import ServiceError, UnavailableError, VoxError
from voxcli.server import ApiServer

REQUEST = ConvertRequest(VOICE_ID, output_format="pcm_16000")


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend("invert"), api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def backend(server: ApiServer, sleep: RecordingSleep) -> Iterator[ElevenLabsBackend]:
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, retries=5, backoff=1.0, sleep=sleep
    ) as backend:
        yield backend


def test_two_500s_then_success_is_three_requests(
    server: ApiServer, backend: ElevenLabsBackend, sleep: RecordingSleep
) -> None:
    server.fail_next(500, times=2)
    result = backend.convert(flac_upload(1.0), REQUEST)
    assert [r.status for r in server.requests] == [500, 500, 200]
    # the upload is re-sent whole every time
    assert len({r.audio for r in server.requests}) == 1 and server.requests[0].audio
    assert pcm16(result.audio).shape == tone(1.0).shape
    assert len(sleep.delays) == 2
    assert 0.8 <= sleep.delays[0] <= 1.2 and 1.6 <= sleep.delays[1] <= 2.4  # doubling, +-20%


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(
    server: ApiServer, backend: ElevenLabsBackend, sleep: RecordingSleep, status: int
) -> None:
    server.fail_next(status, times=5, shape="validation" if status == 422 else "current")
    with pytest.raises(VoxError) as info:
        backend.convert(flac_upload(0.2), REQUEST)
    assert not isinstance(info.value, UnavailableError)
    assert len(server.requests) == 1
    assert sleep.delays == []


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (408, "request_timeout"),
        (429, "system_busy"),
        (429, "rate_limit_exceeded"),
        (500, "something_went_wrong"),
        (502, "bad_gateway"),
        (503, None),
        (504, None),
    ],
)
def test_transient_answers_are_retried(
    server: ApiServer, backend: ElevenLabsBackend, status: int, code: str | None
) -> None:
    server.fail_next(status, code)
    backend.convert(flac_upload(0.2), REQUEST)
    assert [r.status for r in server.requests] == [status, 200]


def test_exhausted_retries_make_exactly_retries_requests(
    server: ApiServer, sleep: RecordingSleep
) -> None:
    server.fail_next(503, times=10)
    reporter = RecordingReporter()
    with ElevenLabsBackend(
        api_key=TEST_KEY,
        base_url=server.url,
        retries=4,
        backoff=1.0,
        sleep=sleep,
        reporter=reporter,
    ) as backend:
        with pytest.raises(UnavailableError, match="after 4 attempts; last error: 503") as info:
            backend.convert(flac_upload(0.2), REQUEST)
    assert len(server.requests) == 4
    assert len(sleep.delays) == 3
    assert info.value.request_id is not None and len(info.value.request_id) == 32
    assert [n.split("(")[-1] for n in reporter.notices] == [
        "attempt 2 of 4)",
        "attempt 3 of 4)",
        "attempt 4 of 4)",
    ]


def test_backoff_is_capped_at_60_seconds(server: ApiServer, sleep: RecordingSleep) -> None:
    server.fail_next(500, times=9)
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, retries=9, backoff=10.0, sleep=sleep
    ) as backend:
        with pytest.raises(UnavailableError):
            backend.convert(flac_upload(0.2), REQUEST)
    assert max(sleep.delays) <= 60.0
    assert sleep.delays[-1] >= 48.0  # 10 * 2**7 capped at 60, minus at most 20% jitter


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), ("0.25", 0.25), ("120", 60.0), ("0", None), ("soon", None)],
)
def test_retry_after_seconds_are_honoured(
    server: ApiServer,
    backend: ElevenLabsBackend,
    sleep: RecordingSleep,
    retry_after: str,
    expected: float | None,
) -> None:
    server.fail_next(429, "rate_limit_exceeded", headers={"retry-after": retry_after})
    backend.convert(flac_upload(0.2), REQUEST)
    if expected is None:  # no usable header: exponential backoff from 1 s
        assert 0.8 <= sleep.delays[0] <= 1.2
    else:
        assert sleep.delays == [expected]


def test_retry_after_http_date_is_honoured(
    server: ApiServer, backend: ElevenLabsBackend, sleep: RecordingSleep
) -> None:
    server.fail_next(503, headers={"retry-after": formatdate(time.time() + 30, usegmt=True)})
    backend.convert(flac_upload(0.2), REQUEST)
    assert 27.0 <= sleep.delays[0] <= 30.0


def test_timeouts_are_retried(server: ApiServer, sleep: RecordingSleep) -> None:
    server.latency_seconds = 1.5
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, retries=2, sleep=sleep
    ) as backend:
        backend.base_timeout = 0.2  # read timeout 0.2 s + 2 x 0.2 s of audio = 0.6 s
        with pytest.raises(UnavailableError, match="timed out waiting for an answer from http"):
            backend.convert(flac_upload(0.2), REQUEST)
    assert len(server.requests) == 2


# -- streaming -------------------------------------------------------------------------------


def test_stream_is_retried_before_any_audio(server: ApiServer, backend: ElevenLabsBackend) -> None:
    server.fail_next(500, path="/stream")
    server.cut_next_stream(after_chunks=0)  # the second attempt: headers, then nothing
    with backend.convert_stream(flac_upload(1.0), REQUEST) as stream:
        audio = b"".join(stream)
    assert [r.status for r in server.requests] == [500, 200, 200]
    assert pcm16(audio).shape == tone(1.0).shape


def test_stream_is_not_retried_once_audio_arrived(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.cut_next_stream(after_chunks=2)
    received: list[bytes] = []
    with pytest.raises(UnavailableError, match="receiving streamed audio"):
        with backend.convert_stream(flac_upload(1.0), REQUEST) as stream:
            received.extend(stream)
    assert len(received) >= 1
    assert len(server.requests) == 1
    assert backend.limiter.in_flight == 0  # the slot was given back


# -- concurrency -----------------------------------------------------------------------------


def test_a_concurrency_429_lowers_the_limiter_then_a_success_probes_up_toward_the_maximum(
    server: ApiServer, backend: ElevenLabsBackend, sleep: RecordingSleep
) -> None:
    server.fail_next(
        429,
        "too_many_concurrent_requests",
        shape="legacy",
        headers={"maximum-concurrent-requests": "3", "current-concurrent-requests": "3"},
    )
    assert backend.limiter.limit is None
    backend.convert(flac_upload(0.2), REQUEST)
    # Refused with one in flight: down to one (never zero); the success, whose answer has no
    # maximum header here, then probes one step toward the last reported maximum.
    assert backend.limiter.limit == 2
    assert len(server.requests) == 2
    stats = backend.limiter.stats()
    assert (stats.concurrency_429s, stats.reported_maximum, stats.lowered, stats.raised) == (
        1,
        3,
        1,
        1,
    )
    assert len(sleep.delays) == 1 and 0.8 <= sleep.delays[0] <= 1.2


def test_a_concurrency_429_without_the_header_drops_one_slot(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.fail_next(429, "concurrent_limit_exceeded")
    backend.convert(flac_upload(0.2), REQUEST)
    assert backend.limiter.limit == 1  # one in flight, minus one, at least one


def test_concurrency_429s_are_waited_through_without_using_up_retries(
    server: ApiServer, sleep: RecordingSleep
) -> None:
    reporter = RecordingReporter()
    server.fail_next(429, "concurrent_limit_exceeded", times=8)
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, retries=3, sleep=sleep, reporter=reporter
    ) as backend:
        backend.convert(flac_upload(0.2), REQUEST)
    assert [r.status for r in server.requests] == [429] * 8 + [200]
    # Short waits (the account frees slots as requests finish), not a doubling backoff.
    assert len(sleep.delays) == 8 and all(0.8 <= d <= 2.4 for d in sleep.delays)
    assert len(reporter.notices) == 1 and "waiting for a free slot" in reporter.notices[0]


def test_a_wait_for_a_slot_ends_after_concurrency_waits(
    server: ApiServer, sleep: RecordingSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "CONCURRENCY_WAITS", 3)
    server.fail_next(429, "concurrent_limit_exceeded", times=10)
    with ElevenLabsBackend(api_key=TEST_KEY, base_url=server.url, sleep=sleep) as backend:
        with pytest.raises(UnavailableError, match="after 4 attempts") as info:
            backend.convert(flac_upload(0.2), REQUEST)
    assert "concurrency is used up" in (info.value.hint or "")
    assert len(server.requests) == 4


def test_a_busy_429_does_not_touch_the_limiter(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.fail_next(429, "system_busy")
    backend.convert(flac_upload(0.2), REQUEST)
    assert backend.limiter.limit is None
    assert backend.limiter.stats().concurrency_429s == 0


def test_the_success_header_teaches_the_limit(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.max_concurrent = 4
    backend.convert(flac_upload(0.2), REQUEST)
    assert backend.limiter.limit == 4


def test_extra_workers_wait_instead_of_failing(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.max_concurrent = 2
    server.latency_seconds = 0.2
    results: list[ConvertResult | BaseException] = []

    def work() -> None:
        try:
            results.append(backend.convert(flac_upload(0.2), REQUEST))
        except BaseException as exc:
            results.append(exc)

    workers = [threading.Thread(target=work) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(isinstance(r, ConvertResult) for r in results), results
    # Learned from the first wave's answers. (The last answers may leave it one lower: the
    # server counts in flight when it answers, the client when the answer arrives.)
    assert backend.limiter.limit in (1, 2)
    assert server.gate.peak == 2
    statuses = [r.status for r in server.requests]
    assert statuses.count(200) == 6
    assert statuses.count(429) <= 4  # only the first wave, before the limit was known


# -- voices are not idempotent ----------------------------------------------------------------


def test_adding_a_voice_is_not_retried_after_a_500(
    server: ApiServer, backend: ElevenLabsBackend, tmp_path: Path
) -> None:
    sample = tmp_path / "s.flac"
    sample.write_bytes(flac_upload(0.3).data)
    server.fail_next(500)
    with pytest.raises(UnavailableError, match="not retried") as info:
        backend.add_voice("Mine", [sample])
    assert "voxcli voices" in (info.value.hint or "")
    assert len(server.requests) == 1
    server.fail_next(503)  # "not done": safe to send again
    backend.add_voice("Mine", [sample])
    assert [r.status for r in server.requests] == [500, 503, 200]


def test_listing_is_retried_too(server: ApiServer, backend: ElevenLabsBackend) -> None:
    server.fail_next(502, path="/v2/voices")
    assert len(backend.voices()) == 4
    assert [r.status for r in server.requests] == [502, 200]
    server.fail_next(404, "not_found", path="/v1/models")
    with pytest.raises(ServiceError, match="refused"):
        backend.models()


# -- the policy itself -----------------------------------------------------------------------


def test_backoff_delays() -> None:
    backoff = Backoff(base=1.0)
    assert [backoff.delay(n, rand=lambda: 0.5) for n in range(1, 9)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
    ]
    assert backoff.delay(1, rand=lambda: 0.0) == pytest.approx(0.8)
    assert backoff.delay(1, rand=lambda: 1.0) == pytest.approx(1.2)
    assert backoff.delay(3, retry_after=5.0) == 5.0
    assert Backoff(base=0.0).delay(4) == 0.0


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("12", now=now) == 12.0
    assert parse_retry_after(formatdate(now + 45, usegmt=True), now=now) == 45.0
    assert parse_retry_after(formatdate(now - 45, usegmt=True), now=now) is None
    assert parse_retry_after(formatdate(now + 3600, usegmt=True), now=now) == 60.0
    for useless in (None, "", "  ", "-3", "nan", "tomorrow"):
        assert parse_retry_after(useless, now=now) is None


def test_limiter_lowers_but_never_raises() -> None:
    limiter = Limiter()
    assert limiter.limit is None
    assert limiter.lower_to(3) and limiter.limit == 3
    assert not limiter.lower_to(5) and limiter.limit == 3
    assert limiter.lower_to(0) and limiter.limit == 1


def test_limiter_blocks_beyond_the_limit() -> None:
    limiter = Limiter(limit=1)
    limiter.acquire()
    got_in = threading.Event()

    def second() -> None:
        with limiter.slot():
            got_in.set()

    worker = threading.Thread(target=second)
    worker.start()
    assert not got_in.wait(timeout=0.2)  # waiting for the slot
    limiter.release()
    assert got_in.wait(timeout=10)
    worker.join()
    assert limiter.in_flight == 0
