"""Error answers in the API's body shapes, and how backend `VoxError`s become them.

The service answers errors in three shapes (reference §5.1), all of which clients must parse:

- ``current``: ``{"detail": {"type", "code", "message", "status", "request_id", "param"}}``
- ``legacy``: ``{"detail": {"status", "message"}}``
- ``validation``: FastAPI's 422 ``{"detail": [{"type", "loc", "msg", "input", ...}]}``

plus a ``bare`` ``{"status", "message"}`` seen on 500s, FastAPI's own ``detail`` string
(``{"detail": "Not Found"}``), and (for fault injection) ``text``, a non-JSON body such as a
proxy's error page. Routes raise `ApiError`; the handler renders it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from voxcli.audio.formats import TIER_GATED
from voxcli.errors import (
    AuthError,
    InputError,
    QuotaError,
    ServiceError,
    TierError,
    UnavailableError,
    VoxError,
)

Shape = Literal["current", "legacy", "validation", "bare", "detail", "text"]

_TYPES = {
    400: "validation_error",
    401: "authentication_error",
    402: "payment_required",
    403: "authorization_error",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout_error",
    413: "validation_error",
    422: "validation_error",
    429: "rate_limit_error",
}

#: What the service says for well-known codes (reference §5.2), used when a fault gives none.
MESSAGES = {
    "internal_server_error": "Internal Server error. All such crashes are reported to us "
    "automatically.",
    "something_went_wrong": "We are sorry, something went wrong. You are not charged for this "
    "request.",
    "service_unavailable": "The service is temporarily unavailable.",
    "system_busy": "The system is experiencing heavy traffic, please try again later.",
    "rate_limit_exceeded": "You have exceeded the rate limit. Please slow down.",
    "concurrent_limit_exceeded": "Too many concurrent requests for your subscription.",
    "too_many_concurrent_requests": "Too many concurrent requests for your subscription.",
    "invalid_api_key": "Invalid API key",
    "needs_authorization": "Neither authorization header nor xi-api-key received, please provide "
    "one.",
    "quota_exceeded": "This request exceeds your quota of 10000. You have 0 credits remaining.",
    "subscription_required": "This feature is only available on a higher tier.",
    "voice_not_found": "A voice with the given voice_id was not found.",
    "request_timeout": "The request timed out.",
}

_DEFAULT_CODES = {
    400: "invalid_parameters",
    401: "invalid_api_key",
    402: "insufficient_credits",
    403: "subscription_required",
    404: "voice_not_found",
    408: "request_timeout",
    429: "system_busy",
    500: "internal_server_error",
    503: "service_unavailable",
}


def default_code(status: int) -> str:
    """The code a fault of `status` carries when the test names none."""
    return _DEFAULT_CODES.get(status, "internal_server_error" if status >= 500 else "error")


class ApiError(Exception):
    """An error answer. Raised inside a route; the handler renders it with `render`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        *,
        param: str | None = None,
        legacy_status: str | None = None,
        shape: Shape = "current",
        headers: Mapping[str, str] | None = None,
        items: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, code.replace("_", " "))
        super().__init__(self.message)
        self.param = param
        self.legacy_status = legacy_status or code
        self.shape = shape
        self.headers = dict(headers or {})
        self.items = list(items or [])

    def render(self, trace_id: str) -> tuple[str, bytes]:
        """The content type and body of this error for a response with `trace_id`."""
        if self.shape == "text":
            return "text/html; charset=utf-8", f"<h1>{self.status} {self.message}</h1>".encode()
        body: Any
        if self.shape == "validation":
            body = {"detail": self.items or [missing(("body", "audio"))]}
        elif self.shape == "legacy":
            body = {"detail": {"status": self.legacy_status, "message": self.message}}
        elif self.shape == "detail":
            body = {"detail": self.message}
        elif self.shape == "bare":
            body = {"status": self.legacy_status, "message": self.message}
        else:
            detail = {
                "type": _TYPES.get(self.status, "internal_error"),
                "code": self.code,
                "message": self.message,
                "status": self.legacy_status,
                "request_id": trace_id,
            }
            if self.param:
                detail["param"] = self.param
            body = {"detail": detail}
        return "application/json", json.dumps(body).encode()


class ValidationFailed(ApiError):
    """A FastAPI-style 422 listing every invalid field."""

    def __init__(self, items: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(
            422, "validation_error", "Validation error", shape="validation", items=items
        )


def missing(loc: Sequence[str | int]) -> dict[str, Any]:
    """A pydantic v2 "Field required" item."""
    return {"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}


def invalid(
    loc: Sequence[str | int],
    kind: str,
    msg: str,
    value: object,
    ctx: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A pydantic v2 error item of type `kind`."""
    item: dict[str, Any] = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
    if ctx:
        item["ctx"] = dict(ctx)
    return item


def tier_message(output_format: str) -> str:
    """The service's wording for a format the subscription does not include (reference §9)."""
    tier = TIER_GATED.get(output_format)
    if tier:
        return f"Output format '{output_format}' is only available on the {tier} tier and above."
    return f"Output format '{output_format}' is not available on your subscription tier."


def tier_error(output_format: str) -> ApiError:
    """403 `subscription_required`, shaped like the live answer (reference §9)."""
    return ApiError(
        403,
        "subscription_required",
        tier_message(output_format),
        legacy_status="output_format_not_allowed",
    )


def from_vox_error(exc: VoxError) -> ApiError:
    """Map a backend's `VoxError` to the status and envelope the service would answer."""
    if isinstance(exc, TierError):
        return tier_error(exc.output_format)
    if isinstance(exc, QuotaError):
        return ApiError(401, "quota_exceeded", exc.message)
    if isinstance(exc, AuthError):
        return ApiError(401, "invalid_api_key", exc.message)
    if isinstance(exc, ServiceError):
        code = exc.code or "invalid_parameters"
        if code == "voice_not_found":
            return ApiError(404, code, exc.message)
        if "model" in code:  # model_not_found, unsupported_model, ...
            return ApiError(400, code, exc.message, param="model_id")
        status = exc.status_code if exc.status_code and 400 <= exc.status_code < 500 else 400
        return ApiError(status, code, exc.message)
    if isinstance(exc, InputError):
        return ApiError(400, "invalid_parameters", exc.message)
    if isinstance(exc, UnavailableError):
        return ApiError(503, "service_unavailable", exc.message)
    return ApiError(500, "internal_server_error", exc.message)
