"""Incremental output writers: float PCM in, the output plan's format out, encoded once.

The long-audio path decodes every converted section to float PCM, stitches, and then encodes the
result exactly once into the format the user asked for (never concatenating compressed pieces):

==================  =========================================  ====================
output plan         written as                                 `Sink.sample_rate`
==================  =========================================  ====================
asis + ``pcm_*``    headerless 16-bit little-endian mono       the request's rate
asis + ulaw/alaw    headerless G.711                           the request's rate
asis + ``mp3_*``    MP3 at the request's bitrate               the request's rate
asis + ``opus_*``   Ogg Opus                                   48000
asis + ``wav_*``    16-bit WAV                                 the request's rate
wav / flac / aiff   16-bit WAV / FLAC / AIFF                   the request's rate
m4a, mp4, mkv, ...  AAC or Opus (`voxcli.audio.media_sink`)    the request's rate
==================  =========================================  ====================

Samples must already be at `Sink.sample_rate`. 16-bit outputs are quantised with
`voxcli.audio.io.to_pcm16`, the exact inverse of how PCM responses are decoded, so audio that
passes through untouched comes out bit-identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, Protocol

import numpy as np
import soundfile as sf

from voxcli.audio import io
from voxcli.audio.containers import MEDIA_CONTAINERS
from voxcli.audio.formats import OutputPlan


class Sink(Protocol):
    """Where stitched audio goes, block by block."""

    sample_rate: int

    def write(self, samples: io.Samples) -> None:
        """Encode and write mono float samples at `sample_rate`."""

    def close(self) -> None:
        """Finish the output (flush encoders, rewrite headers). The target stays open."""

    def abort(self) -> None:
        """Let go of the encoder without finishing: the output is being discarded."""


class _RawSink:
    """Headerless 16-bit PCM or G.711: each block is encoded on its own."""

    def __init__(self, target: BinaryIO, sample_rate: int, codec: str) -> None:
        self.sample_rate = sample_rate
        self._target = target
        self._codec = codec

    def write(self, samples: io.Samples) -> None:
        if self._codec == "pcm":
            self._target.write(io.to_pcm16(samples))
        else:
            self._target.write(io.g711_encode(np.clip(samples, -1.0, 1.0), self._codec))

    def close(self) -> None:
        self._target.flush()

    def abort(self) -> None:
        pass


class _FileSink:
    """A libsndfile writer (WAV, FLAC, MP3, Ogg Opus) on a seekable target."""

    def __init__(self, target: BinaryIO, sample_rate: int, container: str, bitrate: int | None):
        self.sample_rate = 48000 if container == "opus" else sample_rate
        self._target = target
        self._pcm16 = container in ("wav", "flac", "aiff")
        self._writer: sf.SoundFile = io.open_writer(target, self.sample_rate, container, bitrate)

    def write(self, samples: io.Samples) -> None:
        if not len(samples):
            return
        if self._pcm16:
            self._writer.write(np.frombuffer(io.to_pcm16(samples), dtype="<i2"))
        else:
            # Lossy encoders take floats; keep them in range so nothing wraps around.
            self._writer.write(np.clip(samples, -1.0, 1.0))

    def close(self) -> None:
        self._writer.close()
        # libsndfile leaves the position where it rewrote the header; callers expect the end.
        self._target.seek(0, 2)
        self._target.flush()

    def abort(self) -> None:
        self._writer.close()  # libsndfile has nothing lighter; it is quick


def open_sink(target: BinaryIO, plan: OutputPlan, rate: int | None = None) -> Sink:
    """Open a sink that writes `plan`'s output format into `target` (a seekable binary file).

    `rate` is the rate samples arrive at when it is not the plan's (a tier fallback's PCM);
    only containers voxcli encodes itself (WAV, FLAC, AIFF, AAC, Opus) take it.
    """
    fmt = plan.request
    if plan.container in MEDIA_CONTAINERS:
        from voxcli.audio.media_sink import MediaSink

        return MediaSink(target, plan.container, rate or fmt.sample_rate, plan.remux)
    if plan.container in ("wav", "flac", "aiff"):
        return _FileSink(target, rate or fmt.sample_rate, plan.container, None)
    if fmt.codec in ("pcm", "ulaw", "alaw"):
        return _RawSink(target, fmt.sample_rate, fmt.codec)
    return _FileSink(target, fmt.sample_rate, fmt.codec, fmt.bitrate_kbps)


@contextmanager
def opened_sink(target: BinaryIO, plan: OutputPlan, rate: int | None = None) -> Iterator[Sink]:
    """`open_sink`, closed (finished) when the block ends without an error, else aborted."""
    sink = open_sink(target, plan, rate)
    try:
        yield sink
    except BaseException:
        sink.abort()
        raise
    sink.close()
