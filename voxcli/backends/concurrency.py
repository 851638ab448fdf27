"""How many conversions run at once: a limiter that follows what the service reports.

Every conversion holds a slot of a `Limiter`. The limit starts from the account's documented
concurrency (`tier_concurrency`, from the subscription's tier), or from ``--jobs N``, which is
also a ceiling, and then follows the service:

- Every conversion answer (success or 429) carries ``maximum-concurrent-requests`` (M) and
  ``current-concurrent-requests`` (C). C is account-wide: it counts other processes using the
  same key. The requests of *other* clients are ``C - own``, own being this process's requests
  in flight at that moment, and the target is ``max(1, M - others)``, capped by the ceiling.
- A target below the limit lowers it at once. A target above raises it by one per successful
  answer, so processes sharing an account (CI shards started together) probe into free slots
  one at a time instead of all jumping into the same ones. While other clients are active, two
  answers in a row must show the room: a slot another process frees for the moment it takes to
  send its next request is not taken from it.
- A 429 ``too_many_concurrent_requests`` / ``concurrent_limit_exceeded`` lowers the limit to
  one fewer than were in flight (or to the target, if lower). Later successes probe upward
  again; without headers, up to the ceiling, else the last reported maximum, else the start.

`Limiter.stats` says what happened (429s, the limit, the peak in flight) for reports.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType

from voxcli.backends.limits import MAX_JOBS
from voxcli.errors import NotSentError, VoxError

__all__ = [
    "ENTERPRISE_START",
    "MAX_JOBS",
    "TIER_CONCURRENCY",
    "UNKNOWN_TIER_START",
    "Limiter",
    "LimiterStats",
    "tier_concurrency",
]

#: Concurrent requests per plan, the Multilingual v2 column of the documented table (reference
#: §7; the help centre gives the same numbers). Which column STS counts against is undocumented.
TIER_CONCURRENCY: Mapping[str, int] = MappingProxyType(
    {"free": 2, "starter": 3, "creator": 5, "pro": 10, "scale": 15, "business": 15}
)
#: Enterprise limits are "elevated" but not published: start here and follow the headers.
ENTERPRISE_START = 15
#: Where `--jobs auto` starts when the tier is unknown (or the key may not read it).
UNKNOWN_TIER_START = 2


def tier_concurrency(tier: str | None) -> int | None:
    """The documented concurrency of a subscription `tier`; `None` when it is unknown.

    Tier strings other than the documented example (``starter``) are not documented, so a
    known plan name anywhere in it counts (``growing_business`` -> business, 15).
    """
    words = re.split(r"[^a-z]+", (tier or "").lower())
    if "enterprise" in words:
        return ENTERPRISE_START
    return next((TIER_CONCURRENCY[w] for w in words if w in TIER_CONCURRENCY), None)


@dataclass(frozen=True)
class LimiterStats:
    """A snapshot of what the limiter did (for batch reports and `--json`)."""

    limit: int | None
    """The limit now (`None`: never configured and nothing learned: unlimited)."""
    ceiling: int | None
    """``--jobs N``; `None` with ``--jobs auto``."""
    in_flight: int
    peak_in_flight: int
    """The most requests this process had in flight at once."""
    concurrency_429s: int
    """Answers 429 ``too_many_concurrent_requests`` / ``concurrent_limit_exceeded``."""
    reported_maximum: int | None
    """The last ``maximum-concurrent-requests`` the service sent."""
    lowered: int
    """Times the limit went down."""
    raised: int
    """Times it went up (one step each)."""

    def to_json(self) -> dict[str, int | None]:
        """The snapshot as a JSON object."""
        return dict(self.__dict__)


class Limiter:
    """A counting semaphore whose limit follows the service (thread-safe).

    `Limiter()` is unlimited until `configure` or the service sets a limit.
    """

    def __init__(self, limit: int | None = None, *, ceiling: int | None = None) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self._peak = 0
        self._refusals = 0
        self._lowered = 0
        self._raised = 0
        self._reported: int | None = None
        self._roomy = 0  # successful answers in a row that showed room above the limit
        self._ceiling: int | None = None
        self._start: int | None = None
        self._limit: int | None = None
        self._closed = False
        self._cause: VoxError | None = None
        self.stop_on_refusal = False
        """When set (a batch), an exhausted quota or a refused key closes the limiter at once
        (`close`): no request waiting for a slot is sent after it."""
        if limit is not None or ceiling is not None:
            self.configure(start=limit if limit is not None else ceiling, ceiling=ceiling)

    def configure(self, *, start: int | None, ceiling: int | None = None) -> None:
        """Start over from `start` slots (at least 1) under `ceiling` (`None`: none)."""
        with self._cond:
            self._ceiling = None if ceiling is None else max(1, ceiling)
            self._start = None if start is None else self._capped(max(1, start))
            self._limit = self._start
            self._cond.notify_all()

    @property
    def limit(self) -> int | None:
        """Slots allowed at once; `None` = unlimited (not configured, nothing learned yet)."""
        with self._cond:
            return self._limit

    @property
    def ceiling(self) -> int | None:
        """The most slots ever allowed (``--jobs N``); `None` with ``--jobs auto``."""
        with self._cond:
            return self._ceiling

    @property
    def in_flight(self) -> int:
        """Slots held now."""
        with self._cond:
            return self._in_flight

    def acquire(self) -> None:
        """Wait for a free slot and take it (`NotSentError` once the limiter is closed)."""
        with self._cond:
            while not self._closed and self._limit is not None and self._in_flight >= self._limit:
                self._cond.wait()
            if self._closed:
                cause = self._cause
                reason = f": {cause.message}" if cause is not None else ""
                raise NotSentError(f"not sent, the run stopped{reason}", cause=cause)
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)

    def close(self, cause: VoxError | None = None) -> None:
        """Send nothing more: requests waiting for a slot, and any later one, get
        `NotSentError` (carrying `cause`); requests in flight go on."""
        with self._cond:
            if not self._closed:
                self._closed, self._cause = True, cause
            self._cond.notify_all()

    def release(self) -> None:
        """Give a slot back and wake the waiters."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def lower_to(self, limit: int) -> bool:
        """Lower the limit to `limit` (at least 1); never raises it. True if it changed."""
        with self._cond:
            return self._lower(limit)

    def observe(
        self,
        *,
        maximum: int | None,
        current: int | None = None,
        refused: bool = False,
        own: int | None = None,
    ) -> None:
        """Follow one conversion answer, called while its request still holds its slot.

        `maximum` and `current` are the answer's ``maximum-`` and ``current-concurrent-requests``
        headers (`None` when absent); `refused` is true for a concurrency 429. `own` is
        `in_flight` when the answer arrived (default: now), this request included.
        """
        with self._cond:
            if refused:
                self._refusals += 1
            held = self._in_flight if own is None else own
            target, others = None, 0
            if maximum is not None:
                self._reported = maximum
                # The service counts a refused request nowhere; an answered one is in `current`.
                counted = held - 1 if refused else held
                others = max(0, current - counted) if current is not None else 0
                target = self._capped(max(1, maximum - others))
            if refused:
                # The account was full with this many in flight: use at least one fewer.
                fewer = held - 1
                self._lower(fewer if target is None else min(fewer, target))
                self._roomy = 0
                return
            if target is None:
                target = self._top()
            if target is None:
                return
            if self._limit is None or target <= self._limit:
                self._roomy = 0
                if self._limit is None or target < self._limit:
                    self._lower(target)
                return
            self._roomy += 1
            if self._roomy >= 2 or not others:
                self._limit += 1
                self._raised += 1
                self._cond.notify_all()

    def stats(self) -> LimiterStats:
        """What happened so far."""
        with self._cond:
            return LimiterStats(
                limit=self._limit,
                ceiling=self._ceiling,
                in_flight=self._in_flight,
                peak_in_flight=self._peak,
                concurrency_429s=self._refusals,
                reported_maximum=self._reported,
                lowered=self._lowered,
                raised=self._raised,
            )

    # -- under the lock ------------------------------------------------------------------------

    def _capped(self, value: int) -> int:
        return value if self._ceiling is None else min(value, self._ceiling)

    def _top(self) -> int | None:
        """How far to probe upward when the service says nothing."""
        if self._ceiling is not None:
            return self._ceiling
        return self._reported if self._reported is not None else self._start

    def _lower(self, limit: int) -> bool:
        new = max(1, limit)
        if self._limit is not None and new >= self._limit:
            return False
        self._limit = new
        self._lowered += 1
        return True
