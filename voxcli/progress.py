"""How the core reports progress and notices without printing.

The core never writes to the terminal. It calls a `Reporter`; the CLI passes one that renders
with rich on stderr (on a terminal), tests and library callers get `NullReporter` (or a
recording one).

Progress is counted in seconds of audio, so one display works for a single request, a long
input's sections and decoding: `start` says how much audio the work covers, `advance` adds
what is done, and `activity` says what each request (a *part*: 0 for a single request, the
section's index for long input) is doing meanwhile, with its fraction when known (an upload's
bytes sent, the local engine's progress), so a display moves during a long request too.
`activity` may be called from any thread.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    """The core's only view of a user interface."""

    def notice(self, message: str) -> None:
        """A one-line message worth showing (e.g. a format fallback). Never an error."""

    def start(self, seconds: float, what: str) -> None:
        """Work on `seconds` of audio begins (`what`: e.g. "converting 4.0 s")."""

    def advance(self, seconds: float) -> None:
        """`seconds` more audio are done."""

    def activity(self, part: int, what: str | None, fraction: float | None = None) -> None:
        """Request `part` is now `what` ("uploading", "converting", "receiving"), `fraction`
        done if known; `what` None: the part is over."""

    def finish(self) -> None:
        """The work is over (successfully or not)."""


class NullReporter:
    """Reports nothing."""

    def notice(self, message: str) -> None:
        pass

    def start(self, seconds: float, what: str) -> None:
        pass

    def advance(self, seconds: float) -> None:
        pass

    def activity(self, part: int, what: str | None, fraction: float | None = None) -> None:
        pass

    def finish(self) -> None:
        pass
