"""What a request that got no answer means: refused, name not resolved, unreachable, timed out.

`network_error` turns an httpx transport exception into a `NetworkError` that says what
happened, where (the service's origin, never a key), what to check, and whether asking again
can help. Nothing listening on this machine cannot change within a retry's backoff, so a
refused loopback connection (a `voxcli serve` that is not running, a wrong port) fails at
once instead of after a minute of retries; so does a host name that does not exist. A
temporary DNS failure, an unreachable network and timeouts are retried, as before.
"""

from __future__ import annotations

import errno
import socket
import ssl

import httpx

from voxcli.errors import UnavailableError

_URL_HINT = "--base-url (VOXCLI_BASE_URL)"
_ONLINE_HINT = "check that this machine is online (and any proxy settings)"
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
_PERMANENT_DNS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class NetworkError(UnavailableError):
    """No answer from the service: the connection failed or the answer did not come in time."""

    def __init__(self, message: str, *, hint: str, retryable: bool) -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable
        """Whether asking again (after a backoff) may succeed."""


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` in `exc`'s chain of causes (httpx -> httpcore -> OS)."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        if isinstance(node, kind):
            return node
        seen.add(id(node))
        node = node.__cause__ or node.__context__
    return None


def _where(exc: httpx.HTTPError) -> tuple[str, str, bool]:
    """``(origin, host, is_loopback)`` of the failed request's URL."""
    from voxcli.backends._http import is_loopback

    try:
        url = exc.request.url
    except RuntimeError:  # no request attached (not raised by a client)
        return "the service", "", False
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}", url.host, is_loopback(url.host)


def network_error(action: str, exc: httpx.TransportError, detail: str) -> NetworkError:
    """The `NetworkError` for `exc`, raised while `action`; `detail` is its redacted text."""
    origin, host, loopback = _where(exc)
    if isinstance(exc, httpx.TimeoutException):
        what = {
            httpx.ConnectTimeout: f"timed out connecting to {origin}",
            httpx.WriteTimeout: f"timed out sending to {origin}",
            httpx.PoolTimeout: "timed out waiting for a free connection",
        }.get(type(exc), f"timed out waiting for an answer from {origin}")
        return NetworkError(
            f"{action}: {what}",
            hint=f"{_ONLINE_HINT}; the service may be slow or down: try again later",
            retryable=True,
        )
    if _cause(exc, ConnectionRefusedError) is not None:
        hint = (
            f"nothing listens there: start the service (voxcli serve) or fix {_URL_HINT}"
            if loopback
            else f"nothing listens on that port: check {_URL_HINT}"
        )
        return NetworkError(
            f"{action}: connection refused at {origin}", hint=hint, retryable=not loopback
        )
    dns = _cause(exc, socket.gaierror)
    if isinstance(dns, socket.gaierror):
        permanent = dns.errno in _PERMANENT_DNS
        reason = "no such host" if permanent else "temporary failure in name resolution"
        return NetworkError(
            f"{action}: cannot resolve {host or origin} ({reason})",
            hint=f"check the host name in {_URL_HINT}, and that this machine is online",
            retryable=not permanent,
        )
    oserror = _cause(exc, OSError)
    if isinstance(oserror, OSError) and oserror.errno in _UNREACHABLE:
        return NetworkError(
            f"{action}: {origin} is unreachable ({oserror.strerror or detail})",
            hint=_ONLINE_HINT,
            retryable=True,
        )
    if _cause(exc, ssl.SSLError) is not None:
        return NetworkError(
            f"{action}: secure connection to {origin} failed ({detail})",
            hint="check the system's CA certificates and any proxy that intercepts HTTPS",
            retryable=False,
        )
    return NetworkError(
        f"{action}: cannot reach {origin} ({detail})",
        hint=f"{_ONLINE_HINT}, then try again",
        retryable=True,
    )
