"""voxcli's error types and the exit codes they map to.

Every failure voxcli expects and can explain is a `VoxError`. Each subclass carries the exit
status it maps to (DESIGN §4), a one-line message saying what failed and a `hint` saying what to
do next. The CLI turns them into output in exactly one place (`voxcli.cli._console`); anything
that is not a `VoxError` is a bug and keeps its traceback.

    VoxError
    ├── ConfigError          3  configuration, unknown backend
    │   └── AuthError        3  missing / invalid / under-privileged API key
    ├── InputError           4  missing, undecodable or empty input, bad parameter value
    │   └── OutputExistsError 4 the output file exists and --overwrite was not given
    ├── ServiceError         5  the service refused (unknown voice or model, validation)
    │   └── TierError        5  output format needs a higher subscription tier
    ├── UnavailableError     6  network, timeouts, 429, 5xx after all retries
    ├── QuotaError           7  out of credits
    ├── DeviceError          8  audio device or PortAudio missing
    ├── PartialError         9  batch finished with some files failed
    └── NotSentError            a request not sent because its batch stopped (never shown)

    Terminated             143  SIGTERM (a cancelled CI job); like KeyboardInterrupt (130) it
                                is a BaseException, so no `except Exception` swallows it

This module imports nothing from voxcli, so every other module may import it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar, Self


class ExitStatus(IntEnum):
    """Process exit codes. They are part of the CLI's public contract; never renumber them."""

    SUCCESS = 0
    ERROR = 1  # unexpected failure (a bug): traceback shown
    USAGE = 2  # bad arguments; produced by Typer itself
    CONFIG = 3  # configuration or authentication
    INPUT = 4  # input missing, undecodable, empty; bad parameter value; output exists
    REFUSED = 5  # the service refused: unknown voice or model, tier-gated format, validation
    UNAVAILABLE = 6  # unavailable after retries: network, timeouts, 429, 5xx
    QUOTA = 7  # quota exhausted
    DEVICE = 8  # audio device
    PARTIAL = 9  # batch finished with some files failed
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 143  # 128 + SIGTERM: what CI runners send on cancel or timeout


class VoxError(Exception):
    """A failure we expect and explain to the user without a traceback."""

    exit_status: ClassVar[ExitStatus] = ExitStatus.ERROR
    request_id: str | None = None
    """The service's id for the failed request, when it gave one (for support and `--json`)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def with_context(self, prefix: str) -> Self:
        """Return a copy of this error (same type, same hint) whose message starts with `prefix`.

        Used to say *where* a failure happened (e.g. which section of a long file) without
        changing what kind of failure it is, so the exit code stays right.
        """
        # NOTE: not copy.copy, which re-runs __init__ with only the message and so fails for
        # subclasses with required keyword arguments (TierError).
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.message = f"{prefix}: {self.message}"
        clone.args = (clone.message,)
        return clone


class ConfigError(VoxError):
    """The configuration is unusable: bad config file, unknown backend, bad setting."""

    exit_status = ExitStatus.CONFIG


class AuthError(ConfigError):
    """The API key is missing, invalid, or lacks a permission."""


class InputError(VoxError):
    """The input cannot be used, or a parameter value is out of range."""

    exit_status = ExitStatus.INPUT


class OutputExistsError(InputError):
    """The output file exists and the user did not ask to replace it."""


class ServiceError(VoxError):
    """The service understood the request and refused it."""

    exit_status = ExitStatus.REFUSED

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status_code = status_code
        self.request_id = request_id


class TierError(ServiceError):
    """The requested output format needs a higher subscription tier."""

    def __init__(
        self,
        message: str,
        *,
        output_format: str,
        suggestion: str,
        hint: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            hint=hint,
            code="subscription_required",
            status_code=status_code,
            request_id=request_id,
        )
        self.output_format = output_format
        self.suggestion = suggestion


class UnavailableError(VoxError):
    """The service could not be reached or kept failing after all retries."""

    exit_status = ExitStatus.UNAVAILABLE


class QuotaError(VoxError):
    """The account has no credits left for this request."""

    exit_status = ExitStatus.QUOTA


class DeviceError(VoxError):
    """An audio device or the PortAudio library is unavailable."""

    exit_status = ExitStatus.DEVICE


class PartialError(VoxError):
    """A batch finished, but some files failed."""

    exit_status = ExitStatus.PARTIAL


class NotSentError(VoxError):
    """A request was waiting for a slot when its run stopped sending (an exhausted quota or a
    refused key, or a batch stopping on --fail-fast): nothing was sent, nothing was paid.

    `cause` is the error that stopped the run, when there was one.
    """

    def __init__(self, message: str, *, cause: VoxError | None = None) -> None:
        super().__init__(message, hint=cause.hint if cause is not None else None)
        self.cause = cause


class Terminated(BaseException):
    """SIGTERM arrived. Raised in the main thread by the CLI's signal handler.

    Code that cleans up on KeyboardInterrupt cleans up on this too: both are BaseExceptions
    that are not Exceptions (e.g. `voxcli.convert.sections` abandons requests in flight).
    """
