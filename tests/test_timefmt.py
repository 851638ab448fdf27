"""One `clock()` for error messages, notices and the dry-run plan table."""

from __future__ import annotations

from rich.console import Console

from voxcli.cli._render import plan_table
from voxcli.timefmt import clock


def test_clock_rounds_before_carrying_into_minutes_and_hours() -> None:
    assert clock(0.0) == "0:00.0"
    assert clock(59.96) == "1:00.0"
    assert clock(3599.96) == "1:00:00.0"
    assert clock(3725.25) == "1:02:05.2"


def test_the_plan_table_never_shows_sixty_seconds() -> None:
    section = {"number": 1, "start_seconds": 0.0, "end_seconds": 59.97}
    console = Console(width=100, record=True)
    console.print(plan_table({"sections": [section]}))
    text = console.export_text()
    assert "1:00.0" in text and "0:60.0" not in text
