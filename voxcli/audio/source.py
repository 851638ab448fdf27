"""Opening the input: a path, or `-` for standard input spooled to a temporary file.

Spooling stdin first lets every later step seek (probing the length, planning sections, reading
one section at a time) exactly as with a file. The spool is deleted when the block ends.
"""

from __future__ import annotations

import os
import shutil
import stat
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
        yield _checked(Path(arg))
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


def _checked(path: Path) -> Path:
    """`path` if it is a file voxcli may read; else the `InputError` saying what is wrong."""
    try:
        is_dir = stat.S_ISDIR(path.stat().st_mode)
    except FileNotFoundError as exc:
        raise InputError(f"input file {path} not found", hint="check the path") from exc
    except OSError as exc:  # a folder on the way that may not be entered, a name too long, ...
        reason = (exc.strerror or str(exc)).lower()
        raise InputError(
            f"cannot read {path}: {reason}", hint="check the path and its folders' permissions"
        ) from exc
    if is_dir:
        raise InputError(f"{path} is a folder", hint="give an audio file")
    # Checked here so that a permission problem is not reported as an unsupported format.
    if not os.access(path, os.R_OK):
        raise InputError(
            f"cannot read {path}: permission denied",
            hint=f"check the file's permissions (ls -l {path}) or convert a copy you can read",
        )
    return path
