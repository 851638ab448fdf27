"""Times as people read them in messages and tables (a light module: no audio libraries)."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s``), rounded to a tenth first so 59.96 s reads ``1:00.0``."""
    minutes, secs = divmod(round(seconds, 1), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"
