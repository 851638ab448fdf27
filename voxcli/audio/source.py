"""Opening the input: a path, or `-` for standard input spooled to a temporary file.

Spooling stdin first lets every later step seek (probing the length, planning sections, reading
one section at a time) exactly as with a file. The spool is deleted when the block ends.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voxcli.errors import InputError


@contextmanager
def open_input(arg: str) -> Iterator[Path]:
    """Yield a readable path for `arg` (a file path or ``-``), or raise `InputError` (exit 4)."""
    if arg != "-":
        path = Path(arg)
        if not path.exists():
            raise InputError(f"input file {arg} not found", hint="check the path")
        if path.is_dir():
            raise InputError(
                f"{arg} is a folder", hint="give an audio file (folders: voxcli batch)"
            )
        yield path
        return
    if sys.stdin.isatty():
        raise InputError(
            "no audio on stdin (it is a terminal)",
            hint="pipe a file in, e.g. voxcli convert - < speech.wav",
        )
    with tempfile.NamedTemporaryFile(prefix="voxcli-stdin-", suffix=".audio") as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
        spool.flush()
        if spool.tell() == 0:
            raise InputError("stdin was empty: no audio to convert", hint="pipe an audio file in")
        yield Path(spool.name)
