"""The CLI's consoles, its single error boundary, and the rich progress reporter.

stdout carries results only; everything else (progress, notices, errors) goes to stderr.
`reported_errors` is the one place where `VoxError`s become a red line, a `hint:` line and an
exit code (DESIGN §4). Anything else propagates and shows a traceback: it is a bug.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from voxcli.errors import ExitStatus, Terminated, VoxError

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
    """Renders core progress on stderr: a progress bar on a TTY, notices always (unless quiet)."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None

    def notice(self, message: str) -> None:
        if not self.quiet:
            notice(message)

    def start(self, total: int, unit: str) -> None:
        """A bar for several steps, a spinner for one (e.g. a single request)."""
        if self.quiet or not err.is_terminal:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TimeElapsedColumn,
        )

        columns = (
            [SpinnerColumn(), f"[progress.description]{escape(unit)}"]
            if total <= 1
            else [f"[progress.description]{escape(unit)}", BarColumn(), MofNCompleteColumn()]
        )
        self._progress = Progress(*columns, TimeElapsedColumn(), console=err, transient=True)
        self._progress.start()
        self._task = self._progress.add_task(unit, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
