"""What `voxcli record` shows on stderr: the live meter line, the summary and the advice."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.markup import escape

from voxcli.cli._console import err
from voxcli.timefmt import clock

if TYPE_CHECKING:
    from voxcli.audio.levels import Level, Summary

BAR_CELLS = 30
BAR_FLOOR_DBFS = -60.0


def _bar(peak: float, hold: float) -> str:
    def cell(db: float) -> int:
        position = (db - BAR_FLOOR_DBFS) / -BAR_FLOOR_DBFS * BAR_CELLS
        return max(0, min(BAR_CELLS, round(position)))

    filled = cell(peak)
    cells = ["#"] * filled + ["-"] * (BAR_CELLS - filled)
    held = cell(hold)
    if held > 0:
        cells[held - 1] = "|"
    return "[" + "".join(cells) + "]"


def meter_line(level: Level, limit_seconds: float | None) -> str:
    """One line: elapsed time (against the limit), a peak bar with the held peak, dBFS, clip."""
    elapsed = clock(level.elapsed_seconds)
    if limit_seconds is not None:
        elapsed += f" / {clock(limit_seconds)}"
    clip = "  CLIP" if level.clipping else ""
    return (
        f"REC {elapsed}  {_bar(level.peak_dbfs, level.hold_dbfs)}  "
        f"peak {level.peak_dbfs:6.1f}  hold {level.hold_dbfs:6.1f}  "
        f"rms {level.rms_dbfs:6.1f} dBFS{clip}"
    )


def draw_meter(level: Level, limit_seconds: float | None) -> None:
    """Redraw the meter line in place (stderr is a terminal)."""
    line = meter_line(level, limit_seconds)
    if level.clipping:
        line = line.replace("CLIP", "\x1b[1;31mCLIP\x1b[0m")
    sys.stderr.write("\r" + line + "\x1b[K")
    sys.stderr.flush()


def end_meter() -> None:
    """Leave the meter's line so what follows starts on a fresh one."""
    sys.stderr.write("\r\x1b[K")
    sys.stderr.flush()


def print_summary(summary: Summary, path: str) -> None:
    """The take's facts and the advice, on stderr."""
    layout = "mono" if summary.channels == 1 else f"{summary.channels} channels"
    err.print(
        f"[bold]take[/]: {clock(summary.duration_seconds)} at {summary.sample_rate} Hz "
        f"{layout} in {escape(path)}"
    )
    err.print(
        f"  peak {summary.peak_dbfs:.1f} dBFS, rms {summary.rms_dbfs:.1f} dBFS, "
        f"clipped samples {summary.clipped_samples}, "
        f"noise floor {summary.noise_floor_dbfs:.1f} dBFS"
    )
    for advice in summary.advice:
        style = "green" if advice.code == "good" else "yellow"
        err.print(f"  [{style}]{advice.code}:[/] {escape(advice.message)}")
