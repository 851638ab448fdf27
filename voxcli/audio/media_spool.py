"""A media file's audio track, decoded once into a temporary FLAC file that soundfile reads.

`decoded` decodes one track front to back, block by block, into 16-bit mono FLAC at the track's
rate and yields that file: the conversion then reads it exactly as it reads a FLAC input
(probing, the pause plan, sections read from disk by sample index), so random access is cheap
and sample-exact whatever the container, memory stays bounded for hours of input, and the
section cache sees the same samples on every run. 16 bits lose nothing the conversion keeps:
every upload is 16-bit FLAC or PCM.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voxcli import tempfiles
from voxcli.audio.media import HINT, MediaInfo, Track, describe, opened, track_blocks
from voxcli.errors import InputError

if TYPE_CHECKING:
    from voxcli.audio.io import AudioInfo
    from voxcli.progress import Reporter

#: Decoded audio gathered before each write to the spool (Python work per write, not memory).
_BLOCK_SECONDS = 2.0


@dataclass(frozen=True)
class Decoded:
    """One audio track decoded into a temporary FLAC file that soundfile reads."""

    path: Path
    """The spool: 16-bit mono FLAC at the track's rate."""
    info: AudioInfo
    media: MediaInfo
    track: Track
    start_seconds: float
    """When the track's first decoded sample plays, on the container's clock."""


@contextmanager
def decoded(
    path: Path, number: int = 1, *, reporter: Reporter | None = None, name: str | None = None
) -> Iterator[Decoded]:
    """Decode audio track `number` of `path` into a temporary FLAC file, deleted afterwards.

    One pass, block by block (memory does not grow with the input's length); `reporter` is
    told the seconds decoded. `name` is how messages call the input (``stdin`` for a spooled
    stdin). The spool lives in the temporary folder (``TMPDIR``) and takes about half the space
    of the same audio as 16-bit mono WAV.
    """
    from voxcli.audio import io

    shown = name or str(path)
    with opened(path, shown) as container:
        media = describe(container)
        track = media.track(number, shown)
        if not track.sample_rate:
            raise InputError(f"{shown}: audio track {number} has no sample rate", hint=HINT)
        # Registered with `voxcli.tempfiles`, so a batch that stops removes it at once.
        fd, spool = tempfiles.make(Path(tempfile.gettempdir()), f"{path.name}.flac", ".tmp")
        os.close(fd)
        try:
            start = _spool(container, track, shown, spool, reporter)
            info = io.probe(spool)
        except BaseException:
            _remove(spool)
            raise
    try:
        yield Decoded(spool, info, media, track, start)
    finally:
        _remove(spool)


def _remove(spool: Path) -> None:
    spool.unlink(missing_ok=True)
    tempfiles.forget(spool)


def _spool(
    container: Any, track: Track, shown: str, spool: Path, reporter: Reporter | None
) -> float:
    """Decode `track` into the FLAC file `spool`; return the track's start in seconds."""
    import soundfile as sf

    from voxcli.audio import io

    total = round(track.declared_frames / track.sample_rate) if track.declared_frames else 0
    if reporter is not None:
        reporter.start(total, f"decoding {Path(shown).name}")
    start = 0.0
    done_seconds = 0
    frames = 0
    block = int(_BLOCK_SECONDS * track.sample_rate)
    try:
        with sf.SoundFile(str(spool), "w", track.sample_rate, 1, "PCM_16", format="FLAC") as out:
            for start_seconds, samples in track_blocks(container, track, shown, block):
                start = start_seconds
                out.write(np.frombuffer(io.to_pcm16(samples), dtype="<i2"))
                frames += len(samples)
                seconds = frames // track.sample_rate
                if reporter is not None and seconds > done_seconds:
                    reporter.advance(seconds - done_seconds)
                    done_seconds = seconds
    finally:
        if reporter is not None:
            reporter.finish()
    if frames == 0:
        raise InputError(f"{shown} holds no audio (0 samples)", hint="choose a non-empty file")
    return start
