"""Decoding a compressed answer while it arrives, so playback starts with the first chunk.

libsndfile needs the whole file (it seeks); PyAV's MP3 parser and decoder take bytes as they
come and hand back audio frame by frame. PyAV (FFmpeg) is imported only when used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from voxcli.audio.io import Samples
from voxcli.errors import ServiceError


class Mp3StreamDecoder:
    """Feed MP3 bytes in any pieces; get mono float32 blocks and their rate back."""

    def __init__(self) -> None:
        import av

        self._av = av
        self._codec: Any = av.CodecContext.create("mp3", "r")
        self._mono: Any = av.AudioResampler(format="flt", layout="mono")

    def feed(self, data: bytes) -> Iterator[tuple[Samples, int]]:
        """Decode what `data` completes (an MP3 frame needs all its bytes)."""
        yield from self._decode(data)

    def flush(self) -> Iterator[tuple[Samples, int]]:
        """Decode what is left at the end of the stream."""
        yield from self._decode(None)

    def _decode(self, data: bytes | None) -> Iterator[tuple[Samples, int]]:
        try:
            packets = self._codec.parse(data)
            frames = [f for p in packets for f in self._codec.decode(p)]
            if data is None:
                frames += self._codec.decode(None)
            for frame in frames:
                for mono in self._mono.resample(frame):
                    yield np.ascontiguousarray(mono.to_ndarray()[0], np.float32), mono.sample_rate
        except self._av.error.FFmpegError as exc:
            raise ServiceError(
                f"the service sent MP3 audio that cannot be decoded: {exc}",
                hint="try again, or ask for PCM with -f pcm_24000",
            ) from exc
