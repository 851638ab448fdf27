"""`ApiServer`: any `Backend` behind the ElevenLabs HTTP API, for tests and `voxcli serve`.

    server = ApiServer(backend, host="127.0.0.1", port=0, api_key=None)
    with server:                     # serves on a daemon thread; leaving shuts down and joins
        server.url                   # "http://127.0.0.1:<port>"
        server.requests              # RecordedRequest list, in arrival order
        server.fail_next(503, times=2)

The knobs (`fail_next`, `cut_next_stream`, `chaos`, `latency_seconds`, `max_concurrent`,
`allowed_formats`, and the subscription's `tier` and `character_limit`) let tests play the
service's failure modes over a real socket; `voxcli serve` leaves them off and passes
``record=False`` so memory stays flat however long it runs.

Like the service, every conversion answer (success or 429) carries
``current-concurrent-requests`` -- the conversions in flight server-wide when it was answered,
so account-wide when several clients share the server -- and, when `max_concurrent` is set,
``maximum-concurrent-requests``.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from voxcli.backends.base import Backend
from voxcli.errors import ConfigError
from voxcli.server.errors import Shape
from voxcli.server.exchange import Call, Headers
from voxcli.server.faults import Chaos, ConcurrencyGate, FaultQueue
from voxcli.server.handler import ApiHTTPServer
from voxcli.server.multipart import FilePart


@dataclass
class RecordedRequest:
    """One request as the server received it (a test server may keep the key it was sent)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    form: dict[str, str]
    """Text parts of a multipart body."""
    files: list[FilePart]
    """File parts of a multipart body, in order."""
    audio: bytes | None
    """The ``audio`` part's bytes (`None` when there was none)."""
    audio_filename: str | None
    audio_content_type: str | None
    started: float
    """`time.monotonic()` when the body had arrived."""
    status: int | None = None
    """The status answered (set before the body is sent)."""
    ended: float | None = None
    """`time.monotonic()` when the answer's last byte was about to be sent (or, for a whole
    answer chaos cut short, when its connection was dropped)."""
    completed: float | None = None
    """`time.monotonic()` once the whole answer had been written to the socket; `None` while it
    is being sent and when it never was whole (a dropped connection, a client gone)."""
    form_error: str | None = field(default=None, repr=False)

    @property
    def whole_answer_sent(self) -> bool:
        """True when every byte of the answer went out (a finished conversion was delivered)."""
        return self.completed is not None


class ApiServer:
    """An ElevenLabs-compatible API server in front of `backend`."""

    def __init__(
        self,
        backend: Backend,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        *,
        record: bool = True,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.backend = backend
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.latency_seconds = 0.0
        """Added before answering each conversion (while it counts as in flight)."""
        self.max_concurrent: int | None = None
        """Conversions in flight beyond this get 429 ``concurrent_limit_exceeded``."""
        self.allowed_formats: set[str] | None = None
        """When set, other output formats get 403 ``subscription_required``."""
        self.tier = "local"
        """The subscription tier ``GET /v1/user/subscription`` reports."""
        self.character_limit: int | None = None
        """Credits the subscription includes; a conversion costing more than what is left gets
        401 ``quota_exceeded`` and is not billed. `None`: unmetered."""
        self.stream_chunk_bytes = 4096
        self.faults = FaultQueue()
        self.gate = ConcurrencyGate()
        self.chaos_mode: Chaos | None = None
        """Set by `chaos`: fails a random share of conversion requests."""
        self._record = record
        self._log = log
        self._lock = threading.Lock()
        self._characters = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self._serving = False
        family = socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET
        try:
            self._httpd = ApiHTTPServer((host, port), self, family)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="choose another --port or --host, or stop the program using that port",
            ) from exc

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8000``."""
        host, port = str(self._httpd.server_address[0]), self._httpd.server_address[1]
        shown = f"[{host}]" if _is_ipv6(host) else host
        return f"http://{shown}:{port}"

    @property
    def characters_used(self) -> int:
        """Characters billed so far (1,000 per minute of converted input)."""
        with self._lock:
            return self._characters

    def count_characters(self, cost: int) -> None:
        """Add one conversion's cost to `characters_used` (a negative cost refunds)."""
        with self._lock:
            self._characters += cost

    def charge(self, cost: int) -> int | None:
        """Bill `cost` if the subscription has it left: `None` when billed, else the credits
        left (nothing billed). Check and bill are one step, so concurrent conversions never
        overspend."""
        with self._lock:
            if self.character_limit is not None:
                left = max(0, self.character_limit - self._characters)
                if cost > left:
                    return left
            self._characters += cost
            return None

    def chaos(self, rate: float = 0.3, seed: int | None = 0) -> Chaos | None:
        """Answer a random `rate` of conversion requests (reproducibly, for `seed`) with one
        of: 500, 429 ``system_busy``, 503, or the real answer with its connection dropped
        mid-body (streams: after some chunks). `rate` 0 turns chaos off. Returns the `Chaos`,
        whose `counts` say what it did."""
        self.chaos_mode = Chaos(rate, seed) if rate > 0 else None
        return self.chaos_mode

    def fail_next(
        self,
        status: int,
        code: str | None = None,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        shape: Shape = "current",
        message: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` requests (to paths containing `path`, if given) with an error.

        `code` defaults to the usual one for `status` (500 ``internal_server_error``, 429
        ``system_busy``, ...); `shape` picks the body shape (`voxcli.server.errors`).
        """
        self.faults.add(
            status, code, times=times, shape=shape, headers=headers, message=message, path=path
        )

    def cut_next_stream(self, after_chunks: int = 1, *, times: int = 1) -> None:
        """Drop the connection of the next streamed answer(s) after `after_chunks` chunks."""
        self.faults.add_cut(after_chunks, times)

    def record(self, call: Call, started: float) -> RecordedRequest | None:
        """Keep `call` in `requests` (unless recording is off) and return the record."""
        if not self._record:
            return None
        form = call.form
        audio = form.file("audio") if form else None
        entry = RecordedRequest(
            method=call.method,
            path=call.path,
            query=dict(call.query),
            headers=call.headers,
            form=dict(form.fields) if form else {},
            files=list(form.files) if form else [],
            audio=audio.data if audio else None,
            audio_filename=audio.filename if audio else None,
            audio_content_type=audio.content_type if audio else None,
            started=started,
            form_error=call.form_error,
        )
        with self._lock:
            self.requests.append(entry)
        return entry

    def log(self, line: str) -> None:
        """Pass one access or error line to the `log` callback, if any (the core never prints)."""
        if self._log is not None:
            self._log(line)

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"ApiServer {self.url}",
            daemon=True,
        )
        self._serving = True
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def serve_forever(self) -> None:
        """Serve on this thread until `close()` is called from another thread or the process is
        interrupted (KeyboardInterrupt propagates, after the server has shut down cleanly)."""
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._serving = False
            self.close()

    def close(self) -> None:
        """Stop serving, end open connections and release the port. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._serving or self._thread is not None:
            self._httpd.shutdown()  # returns once serve_forever has stopped
        if self._thread is not None:
            self._thread.join()
        self._httpd.close_connections()
        self._httpd.server_close()


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).version == 6
    except ValueError:
        return False
