"""Opening the input: a path, or `-` for standard input spooled to a temporary file.

Spooling stdin first lets every later step seek (probing the length, planning sections, reading
one section at a time) exactly as with a file, and lets FFmpeg read containers that keep their
index at the end (an MP4 written without "faststart"). The spool is deleted when the block ends.

`open_audio` then makes any input readable by sample index: a file libsndfile reads is used as
it is; anything else (M4A, WebM, a video, ...) has its audio track decoded once into a
temporary FLAC file (`voxcli.audio.media_spool.decoded`).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voxcli.errors import InputError

if TYPE_CHECKING:
    from voxcli.audio.io import AudioInfo
    from voxcli.audio.media_spool import Decoded
    from voxcli.progress import Reporter


@dataclass(frozen=True)
class Opened:
    """An input ready to be read by sample index with `voxcli.audio.io`."""

    path: Path
    """What to read: the input itself, or its decoded audio track."""
    info: AudioInfo
    original: Path
    """The input file as given (stdin: its spool)."""
    decoded: Decoded | None
    """The container's tracks and the chosen one, when the audio was decoded with PyAV."""

    @property
    def has_video(self) -> bool:
        return self.decoded is not None and self.decoded.media.video_streams > 0


@contextmanager
def open_audio(
    arg: str, *, audio_track: int = 1, reporter: Reporter | None = None
) -> Iterator[Opened]:
    """Open `arg` (a path or ``-``) as `Opened`; `InputError` (exit 4) if it cannot be.

    `audio_track` (from 1) picks among a container's audio tracks; libsndfile's files have one.
    `reporter` hears about the decoding of a long media file.
    """
    from voxcli.audio import io, media_spool

    with open_input(arg) as path:
        info = io.soundfile_info(path) if audio_track == 1 else None
        if info is not None:
            yield Opened(path, info, path, None)
            return
        name = "stdin" if arg == "-" else None
        with media_spool.decoded(path, audio_track, reporter=reporter, name=name) as track:
            yield Opened(track.path, track.info, path, track)


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
