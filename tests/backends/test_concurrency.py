"""The concurrency limiter's rules, one at a time (narrow unit tests: no HTTP here).

`observe` is called the way the sender calls it: while the answered request still holds its
slot, with the answer's ``maximum-`` and ``current-concurrent-requests`` headers.
"""

from __future__ import annotations

import threading

import pytest

from voxcli.backends.concurrency import (
    ENTERPRISE_START,
    TIER_CONCURRENCY,
    Limiter,
    tier_concurrency,
)
from voxcli.errors import NotSentError, QuotaError


def holding(limiter: Limiter, count: int) -> Limiter:
    for _ in range(count):
        limiter.acquire()
    return limiter


def test_the_documented_tiers() -> None:
    assert dict(TIER_CONCURRENCY) == {
        "free": 2,
        "starter": 3,
        "creator": 5,
        "pro": 10,
        "scale": 15,
        "business": 15,
    }
    assert tier_concurrency("Creator") == 5
    assert tier_concurrency("growing_business") == 15
    assert tier_concurrency("enterprise") == ENTERPRISE_START == 15
    for unknown in (None, "", "local", "platinum"):
        assert tier_concurrency(unknown) is None


def test_a_ceiling_caps_the_start_and_every_report() -> None:
    limiter = Limiter(limit=10, ceiling=4)
    assert limiter.limit == 4
    holding(limiter, 1).observe(maximum=15, current=1)
    assert limiter.limit == 4  # the service allows 15; --jobs 4 is a ceiling


def test_a_lower_maximum_lowers_at_once() -> None:
    limiter = holding(Limiter(limit=10), 1)
    limiter.observe(maximum=4, current=1)
    assert limiter.limit == 4
    assert limiter.stats().lowered == 1


def test_a_higher_target_is_reached_one_step_per_success() -> None:
    limiter = holding(Limiter(limit=2), 2)
    for expected in (3, 4, 5, 5):
        limiter.observe(maximum=5, current=2)  # nobody else: the target is 5
        assert limiter.limit == expected
    assert limiter.stats().raised == 3


def test_other_clients_requests_are_left_to_them() -> None:
    limiter = holding(Limiter(limit=4), 2)
    # 4 in flight account-wide, 2 of them ours: others hold 2, so 4 - 2 = 2 are ours to use.
    limiter.observe(maximum=4, current=4)
    assert limiter.limit == 2
    # They finish: the same two of ours are all the service counts; probe back up, one a time.
    limiter.observe(maximum=4, current=2)
    assert limiter.limit == 3
    limiter.observe(maximum=4, current=2)
    assert limiter.limit == 4


def test_while_others_are_active_room_must_show_twice_in_a_row() -> None:
    limiter = holding(Limiter(limit=2), 2)
    limiter.observe(maximum=4, current=3)  # one other request: room for a third of ours ...
    assert limiter.limit == 2  # ... or just the moment another client takes to send its next
    limiter.observe(maximum=4, current=4)  # it did: full again
    limiter.observe(maximum=4, current=3)
    assert limiter.limit == 2
    limiter.observe(maximum=4, current=3)  # twice in a row: the room is real
    assert limiter.limit == 3


def test_alone_every_success_steps_up() -> None:
    limiter = holding(Limiter(limit=1), 1)
    limiter.observe(maximum=4, current=1)
    assert limiter.limit == 2


def test_the_target_is_never_below_one() -> None:
    limiter = holding(Limiter(limit=3), 1)
    limiter.observe(maximum=4, current=9)  # others hold more than the maximum
    assert limiter.limit == 1


def test_own_is_counted_when_the_answer_arrived() -> None:
    limiter = holding(Limiter(limit=4), 1)
    # When the answer arrived, 3 of ours were in flight (2 have finished since).
    limiter.observe(maximum=4, current=3, own=3)
    assert limiter.limit == 4  # nobody else was there: no reason to go lower


def test_a_concurrency_429_with_headers_goes_below_what_was_in_flight() -> None:
    limiter = holding(Limiter(limit=8, ceiling=8), 8)
    # 8 of ours were sent, the service holds 4 (all ours) and refused this one.
    limiter.observe(maximum=4, current=4, refused=True)
    assert limiter.limit == 4
    stats = limiter.stats()
    assert (stats.concurrency_429s, stats.reported_maximum) == (1, 4)


def test_a_concurrency_429_without_headers_drops_one_below_in_flight() -> None:
    limiter = holding(Limiter(limit=6), 5)
    limiter.observe(maximum=None, refused=True)
    assert limiter.limit == 4
    limiter.observe(maximum=None, refused=True)
    assert limiter.limit == 4  # still 5 in flight: one fewer is 4 again, never a raise


def test_after_a_headerless_429_successes_probe_back_up_to_the_start() -> None:
    limiter = holding(Limiter(limit=5), 3)
    limiter.observe(maximum=None, refused=True)
    assert limiter.limit == 2
    for expected in (3, 4, 5, 5):
        limiter.observe(maximum=None)
        assert limiter.limit == expected


def test_without_a_limit_and_without_headers_nothing_changes() -> None:
    limiter = holding(Limiter(), 3)
    limiter.observe(maximum=None, current=3)
    assert limiter.limit is None
    assert limiter.stats().concurrency_429s == 0


def test_configure_starts_over() -> None:
    limiter = holding(Limiter(limit=3), 1)
    limiter.observe(maximum=2, current=1)
    limiter.configure(start=7, ceiling=None)
    assert (limiter.limit, limiter.ceiling) == (7, None)
    limiter.configure(start=7, ceiling=3)
    assert (limiter.limit, limiter.ceiling) == (3, 3)


def test_stats_count_the_peak_in_flight() -> None:
    limiter = Limiter(limit=3)
    with limiter.slot(), limiter.slot():
        pass
    with limiter.slot():
        pass
    stats = limiter.stats()
    assert (stats.peak_in_flight, stats.in_flight, stats.limit) == (2, 0, 3)
    assert stats.to_json()["peak_in_flight"] == 2


def test_a_raised_limit_wakes_a_waiter() -> None:
    limiter = holding(Limiter(limit=1), 1)
    got_in = threading.Event()

    def second() -> None:
        with limiter.slot():
            got_in.set()

    waiter = threading.Thread(target=second)
    waiter.start()
    assert not got_in.wait(0.2)
    limiter.observe(maximum=4, current=1)  # room for more: one step up, which wakes it
    assert got_in.wait(10)
    waiter.join()


def test_many_threads_never_exceed_a_falling_limit() -> None:
    threads = 8
    limiter = Limiter(limit=4)
    peak = [0]
    lock = threading.Lock()
    started = threading.Barrier(threads)

    def work(index: int) -> None:
        started.wait()
        for _ in range(20):
            with limiter.slot():
                with lock:
                    peak[0] = max(peak[0], limiter.in_flight)
                if index == 0:
                    limiter.observe(maximum=2, current=limiter.in_flight)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert limiter.limit == 2
    assert peak[0] <= 4
    assert limiter.in_flight == 0


def test_closing_turns_away_waiting_requests_but_not_those_in_flight() -> None:

    limiter = Limiter(1)
    limiter.acquire()  # in flight
    outcome: list[BaseException | None] = []

    def wait() -> None:
        try:
            limiter.acquire()
            outcome.append(None)
        except NotSentError as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    cause = QuotaError("quota exceeded", hint="top up")
    limiter.close(cause)
    waiter.join(timeout=5)
    [error] = outcome
    assert isinstance(error, NotSentError) and error.cause is cause and error.hint == "top up"
    assert limiter.in_flight == 1  # the request in flight keeps its slot until it ends
    limiter.release()
    with pytest.raises(NotSentError):
        limiter.acquire()  # and nothing later is sent either
