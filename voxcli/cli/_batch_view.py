"""How `voxcli batch` shows itself: a live display on a terminal, one line per file otherwise.

Both go to stderr (stdout is for `--json` and the dry-run listing). The live display redraws
a few times a second from the runner's `Progress`; files that fail are printed above it as
they happen, so nothing scrolls away unseen.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from voxcli.cli._console import err, notice
from voxcli.timefmt import clock

if TYPE_CHECKING:
    from voxcli.convert.batch.plan import Task
    from voxcli.convert.batch.runner import Progress
    from voxcli.convert.batch.summary import Summary
    from voxcli.convert.batch.work import FileResult


def result_line(result: FileResult, *, billed: bool) -> str:
    """One finished file, as a plain line (rich markup, escaped)."""
    name = escape(result.key)
    if result.status == "done":
        cost = f", {result.credits:,} credits" if billed and result.credits else ""
        cached = f", {result.cached} from cache" if result.cached else ""
        return (
            f"done     {name} ({result.duration or 0:.1f} s{cost}{cached}; {result.seconds:.1f} s)"
        )
    if result.status == "skipped":
        return f"[dim]skipped[/]  {name}: {escape(result.reason)}"
    assert result.error is not None
    return f"[bold red]failed[/]   {name}: {escape(result.error.message)}"


class BatchEvents:
    """The runner's events, rendered on stderr (`live` is set while a live display runs)."""

    def __init__(self, *, quiet: bool, billed: bool) -> None:
        self.quiet = quiet
        self.billed = billed
        self.live = False

    def notice(self, message: str) -> None:
        if not self.quiet:
            notice(message)

    def finished(self, result: FileResult) -> None:
        if self.quiet and result.status != "failed":
            return
        if self.live and result.status == "done":
            return  # the live display counts it
        err.print(result_line(result, billed=self.billed))


class LiveStatus:
    """A renderable that reads `progress` at each refresh (for `rich.live.Live`)."""

    def __init__(self, progress: Progress, *, billed: bool) -> None:
        self.progress = progress
        self.billed = billed

    def __rich__(self) -> Table:
        p = self.progress
        elapsed = time.monotonic() - p.started_at
        rate = p.audio_done / elapsed if elapsed > 0 else 0.0
        left = max(0.0, p.audio_total - p.audio_done)
        eta = clock(left / rate) if rate > 0 and p.files_done < p.files_total else "-"
        table = Table.grid(padding=(0, 2))
        cells = [
            f"[bold]files[/] {p.files_done}/{p.files_total}",
            f"[bold]in flight[/] {p.in_flight}",
            f"[bold]audio[/] {p.audio_done / 60:.1f}/{p.audio_total / 60:.1f} min",
            f"[bold]elapsed[/] {clock(elapsed)}",
            f"[bold]ETA[/] {eta}",
        ]
        if self.billed:
            cells.insert(3, f"[bold]credits[/] {p.credits:,}")
        if p.failed:
            cells.append(f"[bold red]failed {p.failed}[/]")
        table.add_row(*cells)
        return table


def plan_table(tasks: Sequence[Task], *, billed: bool) -> Table:
    """The dry run: every file, what would happen to it and why."""
    from voxcli.convert.dryrun import estimate_credits

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("action", "output", "audio", "credits", "why"):
        table.add_column(column, overflow="fold")
    for task in tasks:
        seconds = task.duration
        table.add_row(
            "convert" if task.convert else "[dim]skip[/]",
            escape(task.key),
            "?" if seconds is None else f"{seconds:.1f} s" if task.convert else "",
            f"{estimate_credits(seconds or 0):,}" if billed and task.convert else "",
            escape(task.reason),
        )
    return table


def summary_lines(summary: Summary, *, billed: bool) -> list[str]:
    """The end of a run: the counts, then every failure with its reason."""
    c = summary.counts()
    cost = f", {summary.credits:,} credits" if billed else ""
    wall = f" in {clock(summary.wall_seconds)}" if summary.wall_seconds is not None else ""
    lines = [
        f"[bold]{c['done']} done, {c['skipped']} skipped, {c['failed']} failed[/] of "
        f"{c['files']} file(s): {summary.audio_seconds / 60:.1f} min of audio{cost}{wall}"
    ]
    if summary.stopped:
        lines.append(f"[yellow]stopped early:[/] {escape(summary.stopped)}")
    lines += _skips_worth_saying(summary)
    for row in summary.failed:
        error: dict[str, Any] = row.get("error") or {}
        message = error.get("message") or "interrupted: never finished"
        lines.append(f"[bold red]failed:[/] {escape(row['output'])}: {escape(str(message))}")
        if error.get("hint"):
            lines.append(f"  [dim]hint:[/] {escape(str(error['hint']))}")
    return lines


#: Skip reasons that are the point of a rerun, not news.
_ROUTINE = ("done", "not failed (--retry-failed)")
_NAMES_SHOWN = 10


def _skips_worth_saying(summary: Summary) -> list[str]:
    """Skipped files grouped by reason (e.g. outputs made with other settings), never silent."""
    groups: dict[str, list[str]] = {}
    for row in summary.files:
        reason = str(row.get("reason") or "")
        if row["status"] == "skipped" and reason not in _ROUTINE:
            groups.setdefault(reason, []).append(str(row["output"]))
    lines = []
    for reason, names in groups.items():
        shown = ", ".join(names[:_NAMES_SHOWN])
        more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
        lines.append(f"[yellow]skipped {len(names)}:[/] {escape(reason)}: {escape(shown)}{more}")
    return lines
