"""How the core reports progress and notices without printing.

The core never writes to the terminal. It calls a `Reporter`; the CLI passes one that renders
with rich on stderr, tests and library callers get `NullReporter` (or a recording one).
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    """The core's only view of a user interface."""

    def notice(self, message: str) -> None:
        """A one-line message worth showing (e.g. a format fallback). Never an error."""

    def start(self, total: int, unit: str) -> None:
        """Work of `total` steps (e.g. sections) begins."""

    def advance(self, steps: int = 1) -> None:
        """`steps` more steps are done."""

    def finish(self) -> None:
        """The work is over (successfully or not)."""


class NullReporter:
    """Reports nothing."""

    def notice(self, message: str) -> None:
        pass

    def start(self, total: int, unit: str) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass
