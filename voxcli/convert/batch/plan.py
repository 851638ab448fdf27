"""What a batch will do with each file: convert it or skip it (and why), before sending anything.

A rerun decides from the manifest and the output folder, without reading any audio:

=========================  =====================================================================
mode                       a file is converted when ...
=========================  =====================================================================
default (skip existing)    its output is missing, or the last record says ``started`` with these
                           settings (an interrupted run: its output, if any, is replaced)
``--retry-failed``         its last record says ``failed`` (or ``started``: it never finished)
``--overwrite``            always (existing outputs are replaced)
=========================  =====================================================================

An output that exists but was not made from this input with these settings (another voice,
an edited input, no record at all) is skipped with that reason and listed, never silently
replaced: ``--overwrite`` redoes it. The settings hash covers everything that changes the
audio: backend and where it lives, voice id, model, output format and container, seed, voice
settings, background-noise removal and the upload format.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from voxcli.convert.batch.discover import Item
from voxcli.convert.batch.manifest import Record, same_input

if TYPE_CHECKING:
    from voxcli.audio.formats import OutputPlan
    from voxcli.backends.base import Backend
    from voxcli.convert.job import ConvertSettings
    from voxcli.convert.run import Target


class Mode(enum.Enum):
    """Which files a run redoes."""

    SKIP_EXISTING = "skip-existing"
    RETRY_FAILED = "retry-failed"
    OVERWRITE = "overwrite"


@dataclass
class Task:
    """One file of the batch and what will be done with it."""

    item: Item
    output: Path
    key: str
    """The output relative to OUT_DIR (posix): the manifest's key for this file."""
    convert: bool
    reason: str
    """Why it is converted (``new``, ``failed before``, ...) or skipped."""
    replace: bool = False
    """The output may be replaced (``--overwrite``, or finishing an interrupted file)."""
    duration: float | None = None
    """Seconds of audio (known once probed, for the credits estimate and progress)."""
    settings: str = ""
    """The hash of the settings this file's output is made with (`settings_hash`)."""


def output_rel(item: Item, extension: str) -> PurePosixPath:
    """The output's path relative to OUT_DIR: the item's, with `extension`."""
    return item.rel.with_suffix(extension)


def settings_hash(
    target: Target, backend: Backend, plan: OutputPlan, settings: ConvertSettings
) -> str:
    """A short hash of every setting that changes the converted audio."""
    from dataclasses import replace

    from voxcli.convert.section_worker import backend_identity

    request = replace(target.request, output_format=plan.request.name)
    described = {
        "backend": backend_identity(backend, request),
        "request": request.cache_fields(),
        "container": plan.container,
        "input_pcm": settings.input_pcm,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def decide(
    items: Sequence[Item],
    outputs: Sequence[Path],
    keys: Sequence[str],
    records: Mapping[str, Record],
    *,
    mode: Mode,
    settings: Sequence[str],
) -> list[Task]:
    """A `Task` per item, `settings[i]` the hash of item i's output kind (see the module
    docstring for the rules)."""
    tasks = []
    for item, output, key, hashed in zip(items, outputs, keys, settings, strict=True):
        task = Task(item, output, key, True, "new", settings=hashed)
        _decide(task, records.get(key), mode, hashed)
        tasks.append(task)
    return tasks


def _decide(task: Task, record: Record | None, mode: Mode, settings: str) -> None:
    status = record.get("status") if record else None
    if mode is Mode.OVERWRITE:
        task.reason, task.replace = "--overwrite", True
        return
    if mode is Mode.RETRY_FAILED:
        if status in ("failed", "started"):
            task.reason = "failed before" if status == "failed" else "interrupted before"
            task.replace = status == "started" and _ours(record, task, settings)
        else:
            task.convert, task.reason = False, "not failed (--retry-failed)"
        return
    exists = task.output.exists()
    if not exists:
        task.reason = {"failed": "failed before", "started": "interrupted before"}.get(
            str(status), "new"
        )
        return
    if record is not None and _ours(record, task, settings):
        if status == "done":
            task.convert, task.reason = False, "done"
        elif status == "started":
            task.reason, task.replace = "interrupted before", True
        else:
            task.convert, task.reason = False, "output exists (--overwrite redoes it)"
        return
    why = "output exists"
    if record is not None and record.get("settings") != settings:
        why += " with other settings"
    elif record is not None:
        why += " from another input"
    task.convert, task.reason = False, f"{why} (--overwrite redoes it)"


def _ours(record: Record | None, task: Task, settings: str) -> bool:
    """True when `record` was written for this input with these settings."""
    return (
        record is not None
        and record.get("settings") == settings
        and same_input(record, task.item.source)
    )
