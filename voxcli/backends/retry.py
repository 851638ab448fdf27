"""How the ElevenLabs backend sends: retries, how long to wait, and how many at once.

- Retried: 408, 429, every 5xx, and network errors or timeouts (DESIGN §6). Never 400, 401,
  402, 403, 404 or 422: asking again gets the same answer. Nor a connection that cannot
  succeed soon (`NetworkError.retryable`: a refused loopback port, a host name that does not
  exist).
- Delay before retry *n* (1-based): `Retry-After` when the answer carries one (seconds or an
  HTTP date), capped at 60 s; otherwise ``backoff * 2**(n-1)`` capped at 60 s, with +-20%
  jitter so parallel sections that failed together do not retry together.
- `Limiter`: a semaphore whose limit can drop while it is in use. Every conversion holds a slot;
  when the service says the plan's concurrency is full, the limit drops to what it allows, so
  extra workers wait for a slot instead of failing.
- `Sender`: the one loop that sends a request with all of the above.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from voxcli.backends._http import (
    exhausted_error,
    failure_error,
    http_errors,
    parse_failure,
    unsafe_to_retry_error,
)
from voxcli.backends._network import NetworkError
from voxcli.errors import UnavailableError
from voxcli.progress import Reporter

CAP_SECONDS = 60.0


def is_retryable(status: int) -> bool:
    """True for answers that may succeed when asked again (408, 429, 5xx)."""
    return status in (408, 429) or 500 <= status <= 599


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), capped at 60.

    `None` when the header is absent, unparsable, or not in the future.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(seconds, CAP_SECONDS)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, capped."""

    base: float = 1.0
    """The first delay in seconds (``retry_backoff``; tests use 0.01)."""
    cap: float = CAP_SECONDS
    jitter: float = 0.2
    """Each delay is scaled by a random factor in ``[1 - jitter, 1 + jitter]``."""

    def delay(
        self,
        failures: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after the `failures`-th failed attempt."""
        if retry_after is not None:
            return min(retry_after, self.cap)
        raw = min(self.cap, self.base * 2.0 ** min(failures - 1, 32))
        return min(self.cap, raw * (1.0 - self.jitter + 2.0 * self.jitter * rand()))


class Limiter:
    """A counting semaphore whose limit can be lowered while slots are held (thread-safe)."""

    def __init__(self, limit: int | None = None) -> None:
        self._cond = threading.Condition()
        self._limit = limit
        self._in_flight = 0

    @property
    def limit(self) -> int | None:
        """Slots allowed at once; `None` = unlimited (nothing learned yet)."""
        with self._cond:
            return self._limit

    @property
    def in_flight(self) -> int:
        """Slots held now."""
        with self._cond:
            return self._in_flight

    def acquire(self) -> None:
        """Wait for a free slot and take it."""
        with self._cond:
            while self._limit is not None and self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1

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
            new = max(1, limit)
            if self._limit is not None and new >= self._limit:
                return False
            self._limit = new
            return True


#: Network failures that prove the request never reached the service (safe to send again).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


@dataclass
class Answer:
    """A successful answer. For a stream the body is still open: `stack` closes it (and frees
    the limiter slot); `first` is the first chunk, already received, `rest` the others."""

    response: httpx.Response
    stack: ExitStack
    first: bytes = b""
    rest: Iterator[bytes] | None = None

    def header_int(self, name: str) -> int | None:
        """An integer response header (`None` if absent or not a number)."""
        return _int_header(self.response, name)


class Sender:
    """Sends requests through one `httpx.Client` with retries, backoff and the limiter."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        attempts: int,
        backoff: Backoff,
        limiter: Limiter,
        reporter: Reporter,
        sleep: Callable[[float], None],
        secret: str | None,
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.backoff = backoff
        self.limiter = limiter
        self.reporter = reporter
        self.sleep = sleep
        self._secret = secret

    def _learn(self, response: httpx.Response, *, failed: bool) -> None:
        """Lower the limiter to the plan's concurrency when an answer reveals it."""
        limit = _int_header(response, "maximum-concurrent-requests")
        if limit is not None:
            self.limiter.lower_to(limit)
        elif failed:
            # A concurrency 429 without the header: one fewer than were in flight (this request
            # still holds its slot).
            self.limiter.lower_to(self.limiter.in_flight - 1)

    def _attempt(self, action: str, build: Callable[[], httpx.Request], stream: bool) -> Answer:
        stack = ExitStack()
        try:
            with http_errors(action, secret=self._secret):
                response = self.client.send(build(), stream=True)
                stack.callback(response.close)
                if response.is_success and stream:
                    rest = response.iter_bytes()
                    return Answer(response, stack, next(rest, b""), rest)
                response.read()
                return Answer(response, stack)
        except BaseException:
            stack.close()
            raise

    def send(
        self,
        action: str,
        build: Callable[[], httpx.Request],
        *,
        limited: bool = False,
        stream: bool = False,
        idempotent: bool = True,
        output_format: str | None = None,
    ) -> Answer:
        """Send until a 2xx answer arrives and return it, or raise the right `VoxError`.

        `build` makes a fresh request for each attempt (the upload is re-sent whole). `limited`
        requests hold a limiter slot until answered (streams: until `Answer.stack` closes). A
        stream counts as answered once its first chunk arrived: later failures are not retried,
        the caller may already have played or written audio. Requests that are not
        `idempotent` are retried only when the service cannot have acted on them.
        """
        last, concurrency, request_id, network_hint = "", False, None, None
        for attempt in range(1, self.attempts + 1):
            retry_after = None
            with ExitStack() as slot:
                if limited:
                    slot.enter_context(self.limiter.slot())
                try:
                    answer = self._attempt(action, build, stream)
                except NetworkError as exc:
                    if not exc.retryable or not (
                        idempotent or isinstance(exc.__cause__, _NOT_SENT)
                    ):
                        raise
                    last, concurrency = exc.message.removeprefix(f"{action}: "), False
                    network_hint = exc.hint
                except UnavailableError as exc:
                    if not idempotent and not isinstance(exc.__cause__, _NOT_SENT):
                        raise
                    last, concurrency = exc.message.removeprefix(f"{action}: "), False
                    network_hint = None
                else:
                    response = answer.response
                    if response.is_success:
                        self._learn(response, failed=False)
                        if stream:  # the slot lives until the stream is closed, after it
                            owned = ExitStack()
                            owned.push(slot.pop_all())
                            owned.push(answer.stack)
                            answer.stack = owned
                        else:
                            answer.stack.close()
                        return answer
                    answer.stack.close()
                    failure = parse_failure(response, secret=self._secret)
                    status = response.status_code
                    if is_retryable(status) and not (idempotent or status in (429, 503)):
                        raise unsafe_to_retry_error(action, failure)
                    if not is_retryable(status):
                        raise failure_error(
                            failure,
                            action,
                            has_key=self._secret is not None,
                            output_format=output_format,
                            streaming=stream,
                        )
                    concurrency = failure.is_concurrency
                    if concurrency and limited:
                        self._learn(response, failed=True)
                    last, request_id = failure.describe(), failure.request_id
                    network_hint = None
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            if attempt < self.attempts:
                delay = self.backoff.delay(attempt, retry_after)
                self.reporter.notice(
                    f"{action}: {last}; retrying in {delay:.1f} s "
                    f"(attempt {attempt + 1} of {self.attempts})"
                )
                self.sleep(delay)
        raise exhausted_error(
            action,
            self.attempts,
            last,
            concurrency=concurrency,
            request_id=request_id,
            network_hint=network_hint,
        )
