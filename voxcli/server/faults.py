"""The server's test knobs: injected error answers, cut streams, chaos and the concurrency gate.

Everything here is thread-safe: the server answers each connection on its own thread.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from voxcli.server.errors import ApiError, Shape, default_code


@dataclass
class Fault:
    """An error answer to give instead of the real one, `times` times."""

    status: int
    code: str
    times: int
    shape: Shape
    headers: Mapping[str, str]
    message: str | None = None
    path: str | None = None
    """Only requests whose path contains this; any request when `None`."""

    def error(self) -> ApiError:
        """The answer this fault gives."""
        legacy = (
            "too_many_concurrent_requests" if self.code == "concurrent_limit_exceeded" else None
        )
        return ApiError(
            self.status,
            self.code,
            self.message,
            shape=self.shape,
            headers=self.headers,
            legacy_status=legacy,
        )


class FaultQueue:
    """Faults waiting for the next matching requests, in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._cuts: list[int] = []

    def add(
        self,
        status: int,
        code: str | None,
        *,
        times: int,
        shape: Shape,
        headers: Mapping[str, str] | None,
        message: str | None,
        path: str | None,
    ) -> None:
        """Queue a fault (see `ApiServer.fail_next`)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(
            status, code or default_code(status), times, shape, dict(headers or {}), message, path
        )
        with self._lock:
            self._faults.append(fault)

    def take(self, path: str) -> ApiError | None:
        """The error for a request to `path`, if a fault is waiting for it (uses one up)."""
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path in path:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault.error()
        return None

    def add_cut(self, after_chunks: int, times: int) -> None:
        """Queue `times` cut streams (see `ApiServer.cut_next_stream`)."""
        with self._lock:
            self._cuts.extend([after_chunks] * times)

    def take_cut(self) -> int | None:
        """How many chunks the next streamed answer may send before the connection drops."""
        with self._lock:
            return self._cuts.pop(0) if self._cuts else None


ChaosKind = Literal["500", "429", "503", "drop"]
#: What chaos answers with: 500 ``internal_server_error``, 429 ``system_busy``, 503
#: ``service_unavailable``, or the real answer with its connection dropped mid-body.
CHAOS_KINDS: tuple[ChaosKind, ...] = ("500", "429", "503", "drop")


@dataclass(frozen=True)
class ChaosFault:
    """One conversion request chaos picked, and how it fails."""

    kind: ChaosKind
    cut_fraction: float
    """For ``drop``: the share of the body sent before the connection closes (0 <= f < 1)."""


class Chaos:
    """Fails a random `rate` of conversion requests, reproducibly for a given `seed`.

    The n-th conversion request to arrive gets the n-th draw of ``random.Random(seed)``, so a
    sequential client sees the same faults on every run (concurrent ones in arrival order).
    """

    def __init__(self, rate: float, seed: int | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("the chaos rate is a fraction from 0 to 1")
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        """How many requests got each fault, and (``None`` key: ``"ok"``) none."""

    def draw(self) -> ChaosFault | None:
        """The fault for the next conversion request, or `None` to answer it normally."""
        with self._lock:
            hit = self._random.random() < self.rate
            kind = self._random.choice(CHAOS_KINDS)
            fraction = self._random.random()
            self.counts[kind if hit else "ok"] += 1
        return ChaosFault(kind, fraction) if hit else None


class ConcurrencyGate:
    """Counts conversions in flight and refuses those beyond a limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0

    @property
    def in_flight(self) -> int:
        """Conversions being answered now."""
        with self._lock:
            return self._in_flight

    @property
    def peak(self) -> int:
        """The most conversions that were in flight at once."""
        with self._lock:
            return self._peak

    def enter(self, limit: int | None) -> int | None:
        """Count one more conversion and return the new count; `None` (not counted) if full."""
        with self._lock:
            if limit is not None and self._in_flight >= limit:
                return None
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            return self._in_flight

    def leave(self) -> None:
        """One conversion is done (answered, failed or abandoned)."""
        with self._lock:
            self._in_flight -= 1
