"""Playback on an output device: audio is played as it arrives, block by block.

One `Player` serves `convert --play`, `convert --stream --play`, `record --play` and the
record prompt's "play". It opens the output stream before anything is uploaded (a missing
device fails before any credits are spent), takes mono float blocks at any rate (a streaming
resampler bridges a rate the device was not opened at), and on Ctrl-C or SIGTERM drops what is
queued and releases the device at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from voxcli.audio import io
from voxcli.audio.devices import (
    Device,
    find_device,
    native_stderr_silenced,
    open_failed,
    sounddevice,
)
from voxcli.errors import DeviceError


class Player:
    """Plays mono float audio as it arrives, at `rate` (else the first block's rate).

    `device` is an index or part of a name (`voxcli.audio.devices.find_device`), or None for
    the default output. With `rate` given, the device is opened when the player is entered.
    `close()` waits until everything was heard.
    """

    def __init__(
        self, device: str | int | None = None, *, rate: int | None = None, origin: str | None = None
    ) -> None:
        self._spec = device
        self._origin = origin
        self._device: Device | None = None
        self._stream: Any = None
        self._rate: int | None = None
        self._expected = rate
        self._resampler: Any = None
        self._resampling_from: int | None = None
        self.first_block_at: float | None = None
        """`time.monotonic()` when the first block was handed to the device (for benchmarks)."""

    def __call__(self, samples: io.Samples, rate: int) -> None:
        self.write(samples, rate)

    def write(self, samples: io.Samples, rate: int) -> None:
        """Queue `samples` for playback (blocks while the device buffer is full)."""
        if len(samples) == 0:
            return
        if self._stream is None:
            self._open(rate)
        block = self._to_device_rate(samples, rate)
        if len(block) == 0:
            return
        if self.first_block_at is None:
            self.first_block_at = time.monotonic()
        sd = sounddevice()
        step = self._rate // 10  # PortAudio's write blocks in C: short writes let Ctrl-C in
        try:
            for start in range(0, len(block), step):
                part = block[start : start + step]
                self._stream.write(np.ascontiguousarray(part, dtype=np.float32).reshape(-1, 1))
        except sd.PortAudioError as exc:
            raise DeviceError(
                f"playback failed: {exc}", hint="check the output device: voxcli devices"
            ) from exc

    def _to_device_rate(self, samples: io.Samples, rate: int) -> io.Samples:
        # A stateful resampler: resampling each block on its own would click at block joins.
        if rate == self._rate:
            return samples
        import soxr

        if self._resampler is None or self._resampling_from != rate:
            self._resampler = soxr.ResampleStream(rate, self._rate, 1, dtype="float32")
            self._resampling_from = rate
        return np.asarray(self._resampler.resample_chunk(samples), dtype=np.float32)

    def _open(self, rate: int) -> None:
        sd = sounddevice()
        device = self._device or find_device(self._spec, "output", origin=self._origin)
        try:
            with native_stderr_silenced():
                stream = sd.OutputStream(
                    samplerate=rate, channels=1, dtype="float32", device=device.index
                )
                stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise open_failed(exc, device, "output") from exc
        self._device, self._stream, self._rate = device, stream, rate

    def close(self) -> None:
        """Let the queued audio finish playing, then release the device."""
        if self._stream is None:
            return
        if self._resampler is not None:
            tail = np.asarray(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))
            if len(tail):
                self._stream.write(tail.astype(np.float32).reshape(-1, 1))
        try:
            with native_stderr_silenced():
                self._stream.stop()  # stop() drains the buffer; abort() would drop it
        finally:
            self._stream.close()
            self._stream = None

    def abort(self) -> None:
        """Stop at once, dropping what is queued, and release the device."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            with native_stderr_silenced():
                stream.abort()
                stream.close()

    def __enter__(self) -> Self:
        if self._expected is not None and self._stream is None:
            self._open(self._expected)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def play_file(path: Path, device: str | int | None = None, *, origin: str | None = None) -> None:
    """Play an audio file from disk in blocks (never all of it in memory) and wait for the end."""
    from voxcli.audio.io import blocks, probe

    rate = probe(path).sample_rate
    with Player(device, rate=rate, origin=origin) as player:
        for block in blocks(path, rate // 10):
            player.write(block, rate)
