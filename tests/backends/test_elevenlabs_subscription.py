"""`ElevenLabsBackend.subscription()` and where `configure_concurrency` starts the limiter.

Against the contract server on 127.0.0.1: its subscription knobs (`tier`, `character_limit`)
stand for the account.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.server import TEST_KEY, RecordingReporter, RecordingSleep
from tests.support.transform_backend import TransformBackend
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.errors import AuthError, ExitStatus
from voxcli.server import ApiServer

SUBSCRIPTION = "/v1/user/subscription"


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend(), api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()


@pytest.fixture
def backend(server: ApiServer, reporter: RecordingReporter) -> Iterator[ElevenLabsBackend]:
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, sleep=RecordingSleep(), reporter=reporter
    ) as backend:
        yield backend


def reads(server: ApiServer) -> int:
    return sum(r.path == SUBSCRIPTION for r in server.requests)


def test_the_subscription_is_read_into_a_small_value(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.tier, server.character_limit = "creator", 100_000
    server.count_characters(2_500)
    sub = backend.subscription()
    assert (sub.tier, sub.status) == ("creator", "active")
    assert (sub.character_count, sub.character_limit, sub.remaining) == (
        2_500,
        100_000,
        97_500,
    )
    assert sub.next_reset is not None and sub.next_reset > datetime.now(UTC)
    assert sub.concurrency == 5
    assert sub.overage_limit == 0  # the server's workspace may not extend its limit
    assert sub.to_json()["remaining"] == 97_500


@pytest.mark.parametrize(("tier", "start"), [("free", 2), ("pro", 10), ("enterprise", 15)])
def test_auto_starts_at_the_tiers_documented_limit_without_a_ceiling(
    server: ApiServer, backend: ElevenLabsBackend, tier: str, start: int
) -> None:
    server.tier = tier
    backend.configure_concurrency(None)
    assert backend.concurrency_limit == start
    assert backend.limiter.ceiling is None
    backend.configure_concurrency(None)  # every file of a batch may ask: read once
    assert reads(server) == 1


@pytest.mark.parametrize(("jobs", "start", "ceiling"), [(None, 3, None), (8, 2, 8), (2, 1, 2)])
def test_shards_sharing_the_account_start_at_their_share(
    server: ApiServer, backend: ElevenLabsBackend, jobs: int | None, start: int, ceiling: int | None
) -> None:
    server.tier = "pro"  # 10 at once
    backend.configure_concurrency(jobs, shares=3)
    assert (backend.concurrency_limit, backend.limiter.ceiling) == (start, ceiling)


def test_an_explicit_jobs_is_the_start_and_the_ceiling_and_reads_nothing(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.tier = "pro"
    backend.configure_concurrency(3)
    assert (backend.concurrency_limit, backend.limiter.ceiling) == (3, 3)
    assert reads(server) == 0


def test_an_unknown_tier_starts_at_two(server: ApiServer, backend: ElevenLabsBackend) -> None:
    assert backend.concurrency_limit == 2  # not configured yet: 2, never None
    backend.configure_concurrency(None)  # the server's own tier, "local", is no plan
    assert backend.concurrency_limit == 2


def test_a_key_without_user_read_starts_at_two_with_a_notice(
    server: ApiServer, backend: ElevenLabsBackend, reporter: RecordingReporter
) -> None:
    server.tier = "pro"
    server.fail_next(
        401,
        "missing_permissions",
        message="The API key you used is missing the permission user_read to execute this "
        "operation.",
        path=SUBSCRIPTION,
    )
    backend.configure_concurrency(None)
    assert backend.concurrency_limit == 2
    assert len(reporter.notices) == 1
    assert "lacks a permission" in reporter.notices[0]
    assert "starting with 2 requests at once" in reporter.notices[0]


def test_a_service_without_the_endpoint_starts_at_two(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.fail_next(404, "not_found", shape="detail", path=SUBSCRIPTION)
    backend.configure_concurrency(None)
    assert backend.concurrency_limit == 2


def test_a_refused_key_still_fails(server: ApiServer) -> None:
    with ElevenLabsBackend(api_key="sk_wrong", base_url=server.url) as backend:
        with pytest.raises(AuthError) as info:
            backend.configure_concurrency(None)
    assert info.value.exit_status == ExitStatus.CONFIG
