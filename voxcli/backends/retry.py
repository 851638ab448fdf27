"""How the ElevenLabs backend sends: what is retried and how long it waits.

- Retried: 408, 429, every 5xx, and network errors or timeouts (DESIGN §6). Never 400, 401,
  402, 403, 404 or 422: asking again gets the same answer. Nor a connection that cannot
  succeed soon (`NetworkError.retryable`: a refused loopback port, a host name that does not
  exist).
- Delay before retry *n* (1-based): `Retry-After` when the answer carries one (seconds or an
  HTTP date), capped at 60 s; otherwise ``backoff * 2**(n-1)`` capped at 60 s, with +-20%
  jitter so parallel sections that failed together do not retry together. At most `attempts`
  tries in all.
- A 429 for concurrency (the account's slots are all taken) is not a failure but a wait
  (reference §5.2: retry once requests in flight finish): the limiter
  (`voxcli.backends.concurrency`) lowers this process's parallelism, and the request is tried
  again every ``backoff``-``2 x backoff`` seconds without using up `attempts`, up to
  `CONCURRENCY_WAITS` times (about 10 minutes at the default backoff of 1 s). A process whose
  shards' siblings hold every slot thus waits its turn instead of failing.
- `Sender`: the one loop that sends a request with all of the above; conversions hold a
  limiter slot per attempt and report every answer's concurrency headers to it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
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
from voxcli.backends.concurrency import Limiter
from voxcli.errors import AuthError, QuotaError, UnavailableError
from voxcli.progress import Reporter

CAP_SECONDS = 60.0
#: Concurrency 429s one request waits through before giving up (they use up no attempts).
CONCURRENCY_WAITS = 300


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
    own: int = 0
    """This process's conversions in flight when the answer's headers arrived."""

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

    def _learn(self, answer: Answer, *, refused: bool) -> None:
        """Let the limiter follow a conversion answer's concurrency headers."""
        self.limiter.observe(
            maximum=answer.header_int("maximum-concurrent-requests"),
            current=answer.header_int("current-concurrent-requests"),
            refused=refused,
            own=answer.own,
        )

    def _attempt(self, action: str, build: Callable[[], httpx.Request], stream: bool) -> Answer:
        stack = ExitStack()
        try:
            with http_errors(action, secret=self._secret):
                response = self.client.send(build(), stream=True)
                # Counted as the headers arrive, as close as the client gets to the moment the
                # service counted `current-concurrent-requests`: reading the body takes time,
                # and other requests may finish meanwhile.
                own = self.limiter.in_flight
                stack.callback(response.close)
                if response.is_success and stream:
                    rest = response.iter_bytes()
                    return Answer(response, stack, next(rest, b""), rest, own)
                response.read()
                return Answer(response, stack, own=own)
        except BaseException:
            stack.close()
            raise

    def _try(
        self,
        action: str,
        build: Callable[[], httpx.Request],
        *,
        limited: bool,
        stream: bool,
        idempotent: bool,
        output_format: str | None,
    ) -> Answer | _Retry:
        """One attempt: the answer, what to retry, or (raised) the error that ends it."""
        with ExitStack() as slot:
            if limited:
                slot.enter_context(self.limiter.slot())
            try:
                answer = self._attempt(action, build, stream)
            except NetworkError as exc:
                if not exc.retryable or not (idempotent or isinstance(exc.__cause__, _NOT_SENT)):
                    raise
                return _Retry(exc.message.removeprefix(f"{action}: "), network_hint=exc.hint)
            except UnavailableError as exc:
                if not idempotent and not isinstance(exc.__cause__, _NOT_SENT):
                    raise
                return _Retry(exc.message.removeprefix(f"{action}: "))
            response = answer.response
            if response.is_success:
                if limited:
                    self._learn(answer, refused=False)
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
                error = failure_error(
                    failure,
                    action,
                    has_key=self._secret is not None,
                    output_format=output_format,
                    streaming=stream,
                )
                if (
                    limited
                    and self.limiter.stop_on_refusal
                    and isinstance(error, QuotaError | AuthError)
                ):
                    # Nothing sent after this can succeed: requests waiting for a slot are not
                    # sent (closed before this slot is released, so none can take it).
                    self.limiter.close(error)
                raise error
            if failure.is_concurrency and limited:
                self._learn(answer, refused=True)
            return _Retry(
                failure.describe(),
                concurrency=failure.is_concurrency,
                request_id=failure.request_id,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )

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
        requests (conversions) hold a limiter slot until answered (streams: until
        `Answer.stack` closes). A stream counts as answered once its first chunk arrived: later
        failures are not retried, the caller may already have played or written audio.
        Requests that are not `idempotent` are retried only when the service cannot have acted
        on them. Concurrency 429s are waited through (see the module docstring).
        """
        failures = refusals = 0
        while True:
            outcome = self._try(
                action,
                build,
                limited=limited,
                stream=stream,
                idempotent=idempotent,
                output_format=output_format,
            )
            if isinstance(outcome, Answer):
                return outcome
            if outcome.concurrency:
                refusals += 1
                if refusals > CONCURRENCY_WAITS:
                    break
                delay = self.backoff.delay(min(refusals, 2), outcome.retry_after)
                if refusals == 1:  # once per request: a wait may take many refusals
                    limit = self.limiter.limit if limited else None
                    now = f" (voxcli now sends at most {limit} at once)" if limit else ""
                    self.reporter.notice(f"{action}: {outcome.last}; waiting for a free slot{now}")
            else:
                failures += 1
                if failures >= self.attempts:
                    break
                delay = self.backoff.delay(failures, outcome.retry_after)
                self.reporter.notice(
                    f"{action}: {outcome.last}; retrying in {delay:.1f} s "
                    f"(attempt {failures + 1} of {self.attempts})"
                )
            self.sleep(delay)
        # Out of --retries: say so in its terms; out of patience: count every request.
        tries = failures + refusals if outcome.concurrency else failures
        raise exhausted_error(
            action,
            tries,
            outcome.last,
            concurrency=outcome.concurrency,
            request_id=outcome.request_id,
            network_hint=outcome.network_hint,
        )


@dataclass(frozen=True)
class _Retry:
    """A failed attempt worth repeating."""

    last: str
    """What went wrong, for notices and the final error."""
    concurrency: bool = False
    """A 429 for concurrency: a wait, not a failure."""
    request_id: str | None = None
    retry_after: float | None = None
    network_hint: str | None = None
    """What to check about the network, when no answer came at all."""
