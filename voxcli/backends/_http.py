"""HTTP plumbing for the ElevenLabs backend: where the key may go, and what failures mean.

- `check_key_transport`: the API key goes only over HTTPS, or over plain HTTP to a loopback
  host (127.0.0.0/8, ::1, ``localhost``: a local `voxcli serve`).
- `http_errors`: the one place httpx exceptions become voxcli errors (network problems become
  `UnavailableError`, which the retry loop retries; a failed connection or a timeout becomes a
  `voxcli.backends._network.NetworkError` saying what happened and whether to retry).
- `parse_failure` reads all three error body shapes (reference §5.1) plus the bare 500 body and
  non-JSON bodies; `failure_error` maps a failure to the `VoxError` the user sees.

No text built here ever contains the API key: service-provided text is passed through `redact`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from voxcli.audio.formats import TIER_GATED, tier_fallback
from voxcli.backends._network import network_error
from voxcli.errors import (
    AuthError,
    ConfigError,
    QuotaError,
    ServiceError,
    TierError,
    UnavailableError,
    VoxError,
)

KEY_HINT = "set ELEVENLABS_API_KEY, or save it with: voxcli config set api_key <KEY>"
_NETWORK_HINT = "check the network connection (and any proxy settings), then try again"

AUTH_CODES = frozenset(
    {
        "invalid_api_key",
        "needs_authorization",
        "missing_permissions",
        "invalid_authorization_header",
        "unauthorized",
        "workspace_not_found",
    }
)
QUOTA_CODES = frozenset({"quota_exceeded", "insufficient_credits", "payment_required"})
TIER_CODES = frozenset({"subscription_required", "output_format_not_allowed"})
VOICE_CODES = frozenset({"voice_not_found", "invalid_uid"})
MODEL_CODES = frozenset({"model_not_found", "unsupported_model", "invalid_model_id"})
CONCURRENCY_CODES = frozenset({"too_many_concurrent_requests", "concurrent_limit_exceeded"})


class PermissionMissing(AuthError):
    """The API key is valid but lacks a permission (a scoped key: 401 ``missing_permissions``)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_key_transport(url: httpx.URL) -> None:
    """Refuse (before sending) to put the key on an unencrypted connection to another host."""
    if url.scheme == "https" or (url.scheme == "http" and is_loopback(url.host)):
        return
    raise ConfigError(
        f"refusing to send the API key over plain {url.scheme.upper()} to {url.host}: anyone on "
        "the way could read it",
        hint="use an https:// base URL (--base-url / VOXCLI_BASE_URL); plain http is only "
        "allowed to this machine (127.0.0.1, ::1, localhost), e.g. for voxcli serve",
    )


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced (service text may echo what it got)."""
    return text.replace(secret, "[redacted]") if secret else text


@contextmanager
def http_errors(action: str, *, secret: str | None = None) -> Iterator[None]:
    """Translate httpx exceptions raised in the block into voxcli errors, keeping the cause."""
    try:
        yield
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise ConfigError(
            f"{action}: invalid base URL ({redact(str(exc), secret)})",
            hint="use a URL like https://api.elevenlabs.io",
        ) from exc
    except (httpx.TimeoutException, httpx.ConnectError) as exc:
        detail = redact(str(exc), secret) or type(exc).__name__
        raise network_error(action, exc, detail) from exc
    except httpx.HTTPError as exc:
        detail = redact(str(exc), secret) or type(exc).__name__
        raise UnavailableError(f"{action}: {detail}", hint=_NETWORK_HINT) from exc


@dataclass(frozen=True)
class Failure:
    """A non-2xx answer, read from any of the service's error shapes."""

    status_code: int
    code: str
    """``detail.code``, else the legacy ``detail.status``, else the bare body's ``status``."""
    codes: frozenset[str]
    """`code` and the legacy status (they can differ: ``unauthorized`` / ``invalid_api_key``)."""
    message: str
    param: str | None = None
    request_id: str | None = None
    fields: tuple[str, ...] = ()
    """422 items as ``loc: msg`` (e.g. ``body.seed: Input should be ...``)."""

    @property
    def is_concurrency(self) -> bool:
        """True for a 429 meaning "the plan's concurrency is full" (not "slow down")."""
        return self.status_code == 429 and bool(self.codes & CONCURRENCY_CODES)

    def describe(self) -> str:
        """``503 service_unavailable: The service ...`` (for retry notices and final errors)."""
        head = f"{self.status_code} {self.code}".strip()
        return f"{head}: {self.message}" if self.message else head


def _snippet(text: str) -> str:
    plain = re.sub(r"<[^>]+>", " ", text)
    return " ".join(plain.split())[:200]


def parse_failure(response: httpx.Response, *, secret: str | None = None) -> Failure:
    """Read a failed answer (its body must have been read)."""
    data: object = None
    try:
        data = json.loads(response.content)
    except ValueError:
        pass
    codes: list[str] = []
    fields: tuple[str, ...] = ()
    message, param = "", None
    request_id = response.headers.get("x-trace-id")
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, dict):
            codes = [str(detail[k]) for k in ("code", "status") if detail.get(k)]
            message = str(detail.get("message") or "")
            param = detail.get("param") if isinstance(detail.get("param"), str) else None
            request_id = str(detail.get("request_id") or "") or request_id
        elif isinstance(detail, list):
            fields = tuple(_field(item) for item in detail if isinstance(item, dict))
            codes, message = ["validation_error"], "; ".join(fields)
        elif isinstance(detail, str):
            message = detail
        if not codes and isinstance(data.get("status"), str):  # the bare 500 body
            codes, message = [data["status"]], str(data.get("message") or message)
    if not message:
        message = _snippet(response.text) or response.reason_phrase
    return Failure(
        response.status_code,
        codes[0] if codes else "",
        frozenset(codes),
        redact(message, secret),
        param,
        request_id,
        tuple(redact(f, secret) for f in fields),
    )


def _field(item: dict[str, object]) -> str:
    loc = item.get("loc")
    where = ".".join(str(part) for part in loc) if isinstance(loc, list) else "?"
    return f"{where}: {item.get('msg', 'invalid')}"


def _tier_of(message: str, output_format: str) -> str:
    match = re.search(r"on the (\w[\w+ ]*?) tier", message)
    return match[1] if match else TIER_GATED.get(output_format, "a higher")


def failure_error(
    failure: Failure,
    action: str,
    *,
    has_key: bool,
    output_format: str | None = None,
    streaming: bool = False,
) -> VoxError:
    """The error for a failure that retrying cannot fix."""
    codes, status, text = failure.codes, failure.status_code, failure.describe()
    error: VoxError
    if codes & QUOTA_CODES or status == 402:
        error = QuotaError(
            f"{action}: not enough credits ({text})",
            hint="top up credits or upgrade the plan at elevenlabs.io; "
            "voxcli convert --dry-run shows the credits a file needs",
        )
    elif codes & AUTH_CODES or status == 401:
        if not has_key:
            error = AuthError(
                f"{action}: the service needs an API key and none is set", hint=KEY_HINT
            )
        elif "missing_permissions" in codes:
            error = PermissionMissing(
                f"{action}: the API key lacks a permission ({text})",
                hint="allow it for this key in the ElevenLabs dashboard, or use "
                f"another key: {KEY_HINT}",
            )
        else:
            error = AuthError(f"{action}: the API key was refused ({text})", hint=KEY_HINT)
    elif codes & TIER_CODES and output_format:
        tier = _tier_of(failure.message, output_format)
        suggestion = tier_fallback(output_format, streaming=streaming)
        error = TierError(
            f"{action}: output format {output_format} needs the {tier} tier or above",
            output_format=output_format,
            suggestion=suggestion,
            status_code=status,
            request_id=failure.request_id,
            hint=f"use -f {suggestion} (every plan has it), or upgrade the plan to {tier}",
        )
    elif codes & VOICE_CODES:
        error = ServiceError(
            f"{action}: unknown voice ({text})",
            code="voice_not_found",
            hint="run voxcli voices to list the voices this account can use",
            status_code=status,
            request_id=failure.request_id,
        )
    elif codes & MODEL_CODES or failure.param == "model_id":
        error = ServiceError(
            f"{action}: the service refused the model ({text})",
            code=failure.code or "model_not_found",
            status_code=status,
            hint="run voxcli models; voice conversion needs "
            "eleven_multilingual_sts_v2 or eleven_english_sts_v2",
            request_id=failure.request_id,
        )
    elif status == 422:
        error = ServiceError(
            f"{action}: the service rejected {', '.join(failure.fields) or text}",
            code="validation_error",
            status_code=422,
            hint="check the values of the options named above",
            request_id=failure.request_id,
        )
    else:
        error = ServiceError(
            f"{action}: the service refused the request ({text})",
            code=failure.code or None,
            status_code=status,
            hint=_generic_hint(status, failure.request_id),
            request_id=failure.request_id,
        )
    error.request_id = failure.request_id
    return error


def _generic_hint(status: int, request_id: str | None) -> str:
    if 300 <= status < 400 or status in (404, 405):
        return "check that --base-url (VOXCLI_BASE_URL) points at the ElevenLabs API"
    tail = f" (request id {request_id})" if request_id else ""
    return f"check the options; if it keeps happening, report it to ElevenLabs{tail}"


def exhausted_error(
    action: str,
    attempts: int,
    last: str,
    *,
    concurrency: bool,
    request_id: str | None = None,
    network_hint: str | None = None,
) -> UnavailableError:
    """The error once every attempt failed with a retryable answer or network error.

    `network_hint` is the last failure's own hint when it got no answer at all (what to check
    about the network), which more retries would not fix.
    """
    # Worded for every command: only `convert` has --retries and --jobs flags.
    if concurrency:
        hint = (
            "the plan's concurrency is used up: wait for other requests to finish, or lower "
            "jobs (--jobs N on convert, or voxcli config set jobs N)"
        )
    elif network_hint:
        hint = network_hint
    else:
        hint = (
            "the service is busy: try again later, or raise retries "
            "(--retries N on convert, or voxcli config set retries N)"
        )
    noun = "attempt" if attempts == 1 else "attempts"
    error = UnavailableError(
        f"{action} failed after {attempts} {noun}; last error: {last}", hint=hint
    )
    error.request_id = request_id
    return error


def unsafe_to_retry_error(action: str, failure: Failure) -> UnavailableError:
    """A transient failure of a request that may have taken effect (e.g. creating a voice)."""
    error = UnavailableError(
        f"{action} failed ({failure.describe()}); not retried, as it may have been done",
        hint="run voxcli voices to see whether it was, then try again if not",
    )
    error.request_id = failure.request_id
    return error
