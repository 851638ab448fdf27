"""Audio devices through sounddevice (PortAudio), imported only when a device is used.

A machine without the PortAudio library, or without any output device, gets a `DeviceError`
(exit 8) that names what to install or check, never a traceback.
"""

from __future__ import annotations

from types import ModuleType, TracebackType
from typing import Any, Self

import numpy as np

from voxcli.audio import io
from voxcli.errors import DeviceError

_INSTALL_HINT = (
    "install the PortAudio library: Debian/Ubuntu `sudo apt-get install libportaudio2`, "
    "Fedora `sudo dnf install portaudio`, macOS `brew install portaudio`"
)


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise DeviceError(
            "cannot play or record: the PortAudio library is missing", hint=_INSTALL_HINT
        ) from exc
    return sounddevice


def list_devices() -> list[dict[str, Any]]:
    """Every device PortAudio knows, with index, name, channel counts and default rate."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as exc:
        raise DeviceError(f"cannot list audio devices: {exc}") from exc
    return [
        {
            "index": index,
            "name": device["name"],
            "max_input_channels": device["max_input_channels"],
            "max_output_channels": device["max_output_channels"],
            "default_samplerate": device["default_samplerate"],
        }
        for index, device in enumerate(devices)
    ]


class Player:
    """Plays mono float audio as it arrives, at `rate` (else the first block's rate).

    With `rate` given, the output stream is opened when the player is entered, so a missing
    device fails before anything is uploaded (and billed). Blocks at another rate are
    resampled. `close()` waits until everything was heard.
    """

    def __init__(self, device: int | str | None = None, *, rate: int | None = None) -> None:
        self._device = device
        self._stream: Any = None
        self._rate: int | None = None
        self._expected = rate

    def __call__(self, samples: io.Samples, rate: int) -> None:
        self.write(samples, rate)

    def write(self, samples: io.Samples, rate: int) -> None:
        """Queue `samples` for playback (blocks while the device buffer is full)."""
        if len(samples) == 0:
            return
        if self._stream is None:
            self._open(rate)
        assert self._rate is not None
        block = io.resample(samples, rate, self._rate)
        try:
            self._stream.write(np.ascontiguousarray(block, dtype=np.float32).reshape(-1, 1))
        except _sounddevice().PortAudioError as exc:
            raise DeviceError(
                f"playback failed: {exc}", hint="check the device: voxcli devices"
            ) from exc

    def _open(self, rate: int) -> None:
        sd = _sounddevice()
        try:
            stream = sd.OutputStream(
                samplerate=rate, channels=1, dtype="float32", device=self._device
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise DeviceError(
                f"cannot open an audio output device: {exc}",
                hint="check that a sound server or device is available (voxcli devices), "
                "or write a file with -o instead of --play",
            ) from exc
        self._stream, self._rate = stream, rate

    def close(self) -> None:
        """Let the queued audio finish playing, then release the device."""
        if self._stream is not None:
            try:
                self._stream.stop()  # stop() drains the buffer; abort() would drop it
            finally:
                self._stream.close()
                self._stream = None

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
        elif self._stream is not None:
            self._stream.abort()
            self._stream.close()
            self._stream = None
