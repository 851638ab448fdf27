"""A worker process of a local-engine batch: the engine and the voice loaded once, files one
at a time.

Started by `voxcli.convert.batch.executors.ProcessExecutor` (spawn). Ctrl-C reaches every
process of the terminal's group; a worker ignores it and lets the main process decide (it
terminates the workers, then removes what they left). Each worker computes with one BLAS
thread: the workers themselves use the cores.
"""

from __future__ import annotations

import os

# Before numpy is imported in this process.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import signal  # noqa: E402 - after the thread settings above
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from voxcli.backends.base import Backend
    from voxcli.convert.batch.executors import EngineSetup
    from voxcli.convert.batch.plan import Task
    from voxcli.convert.batch.work import FileResult

_setup: EngineSetup | None = None
_backend: Backend | None = None


def start(setup: EngineSetup) -> None:
    """Initialise this worker: load the engine once for every file it converts."""
    global _setup, _backend
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from voxcli.backends.local import LocalBackend

    # One file at a time per worker: its sections, too, run one after another.
    _setup = replace(setup, settings=replace(setup.settings, jobs=1))
    _backend = LocalBackend(
        data_dir=Path(setup.data_dir), quality=setup.quality, strength=setup.strength
    )


def convert(task: Task) -> FileResult:
    """Convert one file (see `voxcli.convert.batch.work.convert_task`)."""
    from voxcli.convert.batch.work import convert_task

    assert _setup is not None and _backend is not None, "start() runs first"
    return convert_task(task, settings=_setup.settings, backend=_backend, target=_setup.target)
