"""The contract server as an account: concurrency headers, the subscription and its quota.

Raw httpx against `ApiServer` on 127.0.0.1 (the client side is tested in tests/backends and
through `voxcli convert` in tests/convert/test_concurrency_cli.py).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.fake_backends import FailingBackend
from tests.support.server import VOICE_ID, flac_bytes, tone
from tests.support.transform_backend import TransformBackend
from voxcli.backends.base import ConvertRequest, ConvertResult, Upload
from voxcli.errors import UnavailableError
from voxcli.server import ApiServer

CONVERT = f"/v1/voice-changer/{VOICE_ID}"


def audio(seconds: float = 1.0) -> dict[str, tuple[str, bytes, str]]:
    return {"audio": ("a.flac", flac_bytes(tone(seconds)), "audio/flac")}


def post(server: ApiServer, seconds: float = 1.0) -> httpx.Response:
    return httpx.post(server.url + CONVERT, files=audio(seconds), timeout=30)


class InTurns(TransformBackend):
    """Each conversion waits for its own go-ahead, so a test decides who answers when."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Semaphore(0)
        self.go = [threading.Event(), threading.Event()]
        self._calls = itertools.count()

    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        turn = next(self._calls)
        self.entered.release()
        self.go[turn].wait(30)
        return super().convert(upload, request)


def test_current_concurrent_requests_is_counted_when_answering() -> None:
    backend = InTurns()
    answers: list[httpx.Response] = []
    with ApiServer(backend) as server:
        server.max_concurrent = 4
        first = threading.Thread(target=lambda: answers.append(post(server)))
        first.start()
        assert backend.entered.acquire(timeout=30)
        second = threading.Thread(target=lambda: answers.append(post(server)))
        second.start()
        assert backend.entered.acquire(timeout=30)  # both in flight
        backend.go[0].set()
        first.join(30)
        backend.go[1].set()
        second.join(30)
        assert server.gate.peak == 2
    # The first was answered while the second was in flight; the second alone.
    assert [a.headers["current-concurrent-requests"] for a in answers] == ["2", "1"]
    assert {a.headers["maximum-concurrent-requests"] for a in answers} == {"4"}


def test_without_a_limit_there_is_no_maximum_header() -> None:
    with ApiServer(TransformBackend()) as server:
        answer = post(server)
    assert answer.headers["current-concurrent-requests"] == "1"
    assert "maximum-concurrent-requests" not in answer.headers


@pytest.fixture
def metered() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend()) as server:
        server.tier, server.character_limit = "starter", 20
        yield server


def test_the_subscription_reports_tier_limit_and_use(metered: ApiServer) -> None:
    assert post(metered).status_code == 200  # 1 s costs 17
    data = httpx.get(metered.url + "/v1/user/subscription").json()
    assert (data["tier"], data["character_limit"], data["character_count"]) == ("starter", 20, 17)


def test_a_conversion_beyond_the_quota_is_401_and_not_billed(metered: ApiServer) -> None:
    assert post(metered).status_code == 200
    refused = post(metered)
    assert refused.status_code == 401
    # The live service's shape (home-assistant/core#160414): the legacy envelope.
    assert refused.json() == {
        "detail": {
            "status": "quota_exceeded",
            "message": "This request exceeds your quota of 20. You have 3 credits remaining, "
            "while 17 credits are required for this request.",
        }
    }
    assert metered.characters_used == 17
    assert post(metered, 0.1).status_code == 200  # 2 credits still fit
    assert metered.characters_used == 19
    assert [r.status for r in metered.requests] == [200, 401, 200]
    assert metered.gate.in_flight == 0


def test_a_failed_conversion_is_not_billed() -> None:
    def refuse(upload: Upload, request: ConvertRequest) -> UnavailableError:
        return UnavailableError("engine down")

    with ApiServer(FailingBackend(refuse)) as server:
        server.character_limit = 1000
        assert post(server).status_code == 503
        assert server.characters_used == 0
        assert server.gate.in_flight == 0


def test_concurrent_conversions_never_overspend() -> None:
    with ApiServer(TransformBackend()) as server:
        server.character_limit = 17 * 3
        server.latency_seconds = 0.2
        answers: list[int] = []
        workers = [
            threading.Thread(target=lambda: answers.append(post(server).status_code))
            for _ in range(6)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        assert sorted(answers) == [200] * 3 + [401] * 3
        assert server.characters_used == 51
