"""Recording one take: PortAudio callback -> queue -> writer thread -> 16-bit WAV on disk.

The callback only copies each block into a queue (it runs on PortAudio's real-time thread);
a writer thread appends the blocks to the WAV file and feeds the meter and the take's
statistics, so the take is never held in memory. The standard library's `wave` writer brings
the header's sizes up to date on every write, and each write is flushed to the operating
system, so a take killed with SIGKILL still opens as a valid WAV holding everything written
until then (a block or two short of the end).

The take is recorded at the device's native rate as 16-bit PCM (exact clip detection: no
float round trip), mixed down to mono unless a channel count is asked for.
"""

from __future__ import annotations

import queue
import threading
import wave
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from voxcli.audio.devices import Device, native_stderr_silenced, open_failed, sounddevice
from voxcli.audio.levels import Level, Meter, Summary, TakeStats
from voxcli.errors import DeviceError, InputError

#: The service takes at most 5 minutes per request, so one take stops there.
MAX_TAKE_SECONDS = 300.0


class Recording:
    """One take from `device`: `open()` the stream, `start()` writing, `stop()` and summarise.

    `channels` None records mono (PortAudio's or voxcli's mix-down); a number keeps that many
    channels. The take ends by itself after `max_seconds` (then `finished` is set).
    """

    def __init__(
        self, device: Device, *, channels: int | None = None, max_seconds: float | None = None
    ) -> None:
        if channels is not None and not 1 <= channels <= device.max_input_channels:
            raise DeviceError(
                f"{device.label()} records at most {device.max_input_channels} channel(s), "
                f"not {channels}",
                hint="choose a --channels value the device has, or leave it out for mono",
            )
        self.device = device
        self.rate = int(device.default_samplerate)
        self.channels = channels or 1
        self.max_frames = None if max_seconds is None else round(max_seconds * self.rate)
        self.finished = threading.Event()
        """Set when the take reached `max_seconds`, or the writer failed."""
        self.overflows = 0
        """Blocks PortAudio reported as overflowed (audio lost because nothing read it in time)."""
        self.frames = 0
        self.meter = Meter(self.rate)
        self.stats = TakeStats(self.rate, self.channels)
        self._queue: queue.SimpleQueue[NDArray[np.int16] | None] = queue.SimpleQueue()
        self._stream: Any = None
        self._mixdown = False
        self._wav: wave.Wave_write | None = None
        self._file: BinaryIO | None = None
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def reached_limit(self) -> bool:
        """True when the take stopped itself at `max_seconds`."""
        return self.max_frames is not None and self.frames >= self.max_frames

    def level(self) -> Level:
        """The latest levels for the meter."""
        return self.meter.level()

    def open(self) -> None:
        """Open the input stream (not started yet): device errors surface before any file."""
        sd = sounddevice()
        wanted = [self.channels]
        if self.channels == 1 and self.device.max_input_channels >= 2:
            wanted.append(2)  # a device that cannot deliver mono: mix its two channels here
        first_error: Exception | None = None
        for count in wanted:
            try:
                with native_stderr_silenced():
                    self._stream = sd.InputStream(
                        samplerate=self.rate,
                        channels=count,
                        dtype="int16",
                        device=self.device.index,
                        callback=self._callback,
                    )
                self._mixdown = count != self.channels
                return
            except (sd.PortAudioError, ValueError) as exc:
                first_error = first_error or exc
        assert first_error is not None
        raise open_failed(first_error, self.device, "input") from first_error

    def start(self, file: BinaryIO) -> None:
        """Start recording into `file` (a new, empty, seekable binary file)."""
        self._file = file
        self._wav = wave.open(file, "wb")
        self._wav.setnchannels(self.channels)
        self._wav.setsampwidth(2)
        self._wav.setframerate(self.rate)
        self._wav.writeframes(b"")  # the header goes out now: even an empty take is a WAV
        file.flush()
        self._writer = threading.Thread(target=self._write_loop, name="take writer", daemon=True)
        self._writer.start()
        sd = sounddevice()
        try:
            with native_stderr_silenced():
                self._stream.start()
        except sd.PortAudioError as exc:
            self._finish_writer()
            raise open_failed(exc, self.device, "input") from exc

    def stop(self) -> Summary:
        """Stop the device, write what is queued, finish the WAV and summarise the take."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            with native_stderr_silenced():
                stream.stop()  # returns once the last callback has run
                stream.close()
        self._finish_writer()
        if self._error is not None:
            raise InputError(
                f"cannot write the take: {self._error}",
                hint="free some disk space or choose another -o",
            ) from self._error
        return self.stats.summary()

    def _finish_writer(self) -> None:
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        if self._wav is not None:
            wav, self._wav = self._wav, None
            try:
                wav.close()  # rewrites the header's sizes one last time; leaves `file` open
                assert self._file is not None
                self._file.close()
            except OSError as exc:
                self._error = self._error or exc

    def _callback(self, indata: NDArray[np.int16], frames: int, time: Any, status: Any) -> None:
        # PortAudio's real-time thread: copy and hand over, nothing slow.
        if status.input_overflow:
            self.overflows += 1
        self._queue.put(indata.copy())

    def _write_loop(self) -> None:
        try:
            while True:
                block = self._queue.get()
                if block is None:
                    return
                self._write(block)
        except BaseException as exc:  # disk full, ...: reported by stop()
            self._error = exc
            self.finished.set()
            while self._queue.get() is not None:  # keep draining so nothing piles up
                pass

    def _write(self, block: NDArray[np.int16]) -> None:
        if self._mixdown:
            mixed = np.rint(block.astype(np.float64).mean(axis=1, keepdims=True))
            block = mixed.astype(np.int16)
        if self.max_frames is not None:
            block = block[: max(0, self.max_frames - self.frames)]
        if not len(block):
            return
        assert self._wav is not None and self._file is not None
        self._wav.writeframes(block.astype("<i2").tobytes())  # also patches the header
        self._file.flush()
        self.frames += len(block)
        self.stats.update(block)
        self.meter.update(block, self.frames, self.stats.clipped_samples)
        if self.reached_limit:
            self.finished.set()
