"""The values passed between the HTTP handler and the routes: a parsed call and its reply.

Routes never touch sockets: they take a `Call` and return a `Reply` (a whole body, sent with
``Content-Length``) or a `StreamReply` (chunks, sent with ``Transfer-Encoding: chunked``).
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from voxcli.server.multipart import Form

_ALPHANUMERIC = string.ascii_letters + string.digits


def new_id(length: int = 20) -> str:
    """A random id shaped like the service's (20 alphanumerics, e.g. ``request-id``)."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive view of request headers (the last of repeats wins)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = {name.lower(): value for name, value in items}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass
class Call:
    """One parsed request, as the routes see it."""

    method: str
    path: str
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    headers: Headers
    form: Form | None
    form_error: str | None
    trace_id: str = field(default_factory=lambda: secrets.token_hex(16))
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters, filled in by the router."""


@dataclass
class Reply:
    """A whole response."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    cut_after_bytes: int | None = None
    """Test knob: send the full ``Content-Length`` but only this many bytes, then drop the
    connection."""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer."""
        return cls(status, json.dumps(data).encode(), "application/json", dict(headers or {}))


@dataclass
class StreamReply:
    """A 200 whose body is sent as chunks; `close` runs once the body is done or abandoned."""

    chunks: Iterator[bytes]
    content_type: str
    headers: dict[str, str]
    close: Callable[[], None]
    cut_after: int | None = None
    """Test knob: drop the connection after this many chunks (no terminating chunk)."""
