"""One file of a batch: convert it with `run_conversion` and say what happened.

Used by the runner's threads (a remote backend) and by the local engine's worker processes, so
`FileResult` is plain, picklable data. A `VoxError` is the file's failure (the batch goes on);
anything else is a bug, kept with its traceback.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcli.errors import ExitStatus, InputError, NotSentError, VoxError
from voxcli.progress import NullReporter

if TYPE_CHECKING:
    from voxcli.backends.base import Backend
    from voxcli.convert.batch.plan import Task
    from voxcli.convert.job import ConvertSettings
    from voxcli.convert.run import Target
    from voxcli.progress import Reporter


@dataclass(frozen=True)
class FileError:
    """Why a file failed: its exit status class, the error's kind, message and hint."""

    exit: int
    kind: str
    message: str
    hint: str | None = None
    traceback: str | None = None
    """Only for unexpected errors (bugs)."""

    @classmethod
    def of(cls, exc: BaseException) -> FileError:
        if isinstance(exc, VoxError):
            return cls(int(exc.exit_status), type(exc).__name__, exc.message, exc.hint)
        return cls(
            int(ExitStatus.ERROR),
            type(exc).__name__,
            f"unexpected error (a bug): {exc!r}",
            "please report it with the traceback in the manifest",
            "".join(traceback.format_exception(exc)),
        )


@dataclass
class FileResult:
    """What happened to one file (also its manifest record, see `record`)."""

    key: str
    input: str
    output: str
    status: str
    """``done``, ``failed`` or ``skipped``."""
    settings: str = ""
    """The settings hash the file was converted with (see `voxcli.convert.batch.plan`)."""
    reason: str = ""
    duration: float | None = None
    request_ids: list[str] = field(default_factory=list)
    credits: int = 0
    """Characters billed by this run's requests."""
    requests: int = 0
    cached: int = 0
    """Requests answered from the cache (nothing paid again)."""
    seconds: float = 0.0
    """Wall time spent on the file."""
    error: FileError | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    """The input's size, modification time and SHA-256 (see `manifest.InputIdentity`)."""
    notices: list[str] = field(default_factory=list)
    """What the conversion had to say (e.g. a format fallback); shown once per batch."""

    def record(self, shard: str | None) -> dict[str, Any]:
        """The manifest line for this result."""
        data = asdict(self)
        del data["key"], data["output"]  # the manifest's key is the output relative to OUT_DIR
        identity = data.pop("identity")
        del data["notices"]
        data["error"] = None if self.error is None else asdict(self.error)
        return {"output": self.key, **identity, "shard": shard, **data}


def convert_task(
    task: Task, *, settings: ConvertSettings, backend: Backend, target: Target
) -> FileResult:
    """`convert_file` for a batch's task."""
    return convert_file(
        task.item.source,
        task.output,
        task.key,
        replace_output=task.replace,
        settings_hash=task.settings,
        settings=settings,
        backend=backend,
        target=target,
    )


def failed_task(task: Task, exc: BaseException) -> FileResult:
    """The result of a task whose conversion could not even run (a worker died, a bug)."""
    return FileResult(task.key, str(task.item.source), str(task.output), "failed",
                      task.settings, error=FileError.of(exc))  # fmt: skip


def convert_file(
    source: Path,
    output: Path,
    key: str,
    *,
    replace_output: bool,
    settings_hash: str,
    settings: ConvertSettings,
    backend: Backend,
    target: Target,
    reporter: Reporter | None = None,
) -> FileResult:
    """Convert `source` into `output` (its folders are made); never raises a `VoxError`."""
    from voxcli.audio.output import Existing
    from voxcli.convert.batch.manifest import InputIdentity
    from voxcli.convert.job import ConvertJob
    from voxcli.convert.run import run_conversion

    started = time.monotonic()
    result = FileResult(key, str(source), str(output), "failed", settings_hash)
    reporter = reporter or _Notices(result.notices)
    try:
        try:
            result.identity = InputIdentity.of(source, digest=True).fields()
        except OSError as exc:
            raise InputError(
                f"cannot read {source}: {(exc.strerror or str(exc)).lower()}",
                hint="check the file and its permissions",
            ) from exc
        _make_folder(output.parent)
        existing = Existing.OVERWRITE if replace_output else Existing.REFUSE
        job = ConvertJob(str(source), str(output), replace(settings, existing=existing))
        outcome = run_conversion(job, backend, target=target, reporter=reporter)
    except NotSentError:  # the batch stopped sending while this file waited for a slot
        result.status, result.reason = "skipped", "not sent"
    except Exception as exc:  # one file's failure, kept for the manifest and the summary
        result.error = FileError.of(exc)
    else:
        converted = outcome.result
        assert converted is not None  # never skipped: Existing is OVERWRITE or REFUSE
        result.status = "done"
        result.duration = round(converted.duration_seconds, 3)
        result.request_ids = converted.request_ids
        result.credits = converted.character_cost or 0
        result.cached = converted.cached
        result.requests = converted.requests
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the folder {folder}: {(exc.strerror or str(exc)).lower()}",
            hint="check the output folder's permissions, or choose another -o",
        ) from exc


class _Notices(NullReporter):
    """A `Reporter` keeping only notices (progress of one file is the batch's business)."""

    def __init__(self, kept: list[str]) -> None:
        self._kept = kept

    def notice(self, message: str) -> None:
        self._kept.append(message)
