"""The CLI's consoles, its single error boundary, and the rich progress reporter.

stdout carries results only; everything else (progress, notices, errors) goes to stderr.
`reported_errors` is the one place where `VoxError`s become a red line, a `hint:` line and an
exit code (DESIGN §4). Anything else propagates and shows a traceback: it is a bug.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from voxcli.errors import ExitStatus, Terminated, VoxError
from voxcli.timefmt import clock

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(exc: VoxError) -> None:
    """Print `exc` as ``error: ...`` and, when it has one, a ``hint: ...`` line on stderr."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    if exc.hint:
        err.print(f"[dim]hint:[/] {escape(exc.hint)}")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn `VoxError`s into one error line, a hint and the mapped exit code."""
    try:
        yield
    except VoxError as exc:
        if os.environ.get("VOXCLI_DEBUG"):
            raise
        print_error(exc)
        raise typer.Exit(int(exc.exit_status)) from None
    except KeyboardInterrupt:
        err.print("[bold red]interrupted[/]")
        raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None
    except Terminated:
        err.print("[bold red]terminated[/] (SIGTERM)")
        raise typer.Exit(int(ExitStatus.TERMINATED)) from None


def notice(message: str) -> None:
    """A one-line notice on stderr."""
    err.print(f"[yellow]note:[/] {escape(message)}")


def print_json(data: Any) -> None:
    """Write `data` as one JSON document on stdout (no rich markup, no wrapping)."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


class RichReporter:
    """Renders core progress on stderr (on a terminal), and notices always (unless quiet).

    One line: what is being done and what each request is doing now (uploading 62 %,
    converting 40 %, receiving), a bar of the audio done, audio done against the total, the
    speed in multiples of real time, the time left and the time spent.
    """

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None
        self._what = ""
        self._active: dict[int, str] = {}
        self._lock = threading.Lock()

    def notice(self, message: str) -> None:
        if not self.quiet:
            notice(message)

    def start(self, seconds: float, what: str) -> None:
        if self.quiet or not err.is_terminal:
            return
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._what = what
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[audio]}"),
            TextColumn("{task.fields[speed]}"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(escape(what), total=max(seconds, 1e-6),
                                             audio="", speed="")  # fmt: skip
        self._update()

    def advance(self, seconds: float) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, seconds)
            self._update()

    def activity(self, part: int, what: str | None, fraction: float | None = None) -> None:
        if self._progress is None:
            return
        with self._lock:
            if what is None:
                self._active.pop(part, None)
            else:
                shown = what if fraction is None else f"{what} {fraction:.0%}"
                self._active[part] = shown
        self._update()

    def _update(self) -> None:
        task = self._progress.tasks[0]
        with self._lock:
            parts = sorted(self._active.items())
        doing = "; ".join(t if len(parts) == 1 else f"#{p + 1} {t}" for p, t in parts[:3])
        more = f" (+{len(parts) - 3})" if len(parts) > 3 else ""
        speed = f"{task.speed:.1f}x real time" if task.speed else ""
        self._progress.update(
            self._task,
            description=escape(f"{self._what}: {doing}{more}" if doing else self._what),
            audio=f"{clock(task.completed)} / {clock(task.total or 0)}",
            speed=speed,
        )

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
