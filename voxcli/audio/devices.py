"""Audio devices through sounddevice (PortAudio): listing them and choosing one.

sounddevice is imported only when a device is used. A machine without the PortAudio library,
without any device, or with the chosen device busy gets a `DeviceError` (exit 8) that says
what to install or choose, never a traceback or PortAudio's raw message alone.

A device is chosen by index or by a case-insensitive part of its name (an exact name wins over
parts of longer names). A name that matches no device or several is an error listing the
candidates: voxcli never falls back to another device silently.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any, Literal

from voxcli.errors import DeviceError

Kind = Literal["input", "output"]

_INSTALL_HINT = (
    "install the PortAudio library: Debian/Ubuntu `sudo apt-get install libportaudio2`, "
    "Fedora `sudo dnf install portaudio`, macOS `brew install portaudio`"
)
_OPTION = {"input": "--device", "output": "--output-device"}


@dataclass(frozen=True)
class DeviceChoice:
    """A device as the user named it (index, part of a name, or None: the default) and where
    that came from (for messages; None: the command line)."""

    spec: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class Device:
    """One PortAudio device."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_input: bool
    default_output: bool

    def channels(self, kind: Kind) -> int:
        """How many channels the device has in direction `kind`."""
        return self.max_input_channels if kind == "input" else self.max_output_channels

    def label(self) -> str:
        """``3 "USB Mic" (ALSA)``: how errors and notices name the device."""
        return f'{self.index} "{self.name}" ({self.hostapi})'

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Keep what PortAudio and ALSA print on file descriptor 2 off the user's terminal.

    They write diagnostics ("ALSA lib pcm.c: ...", "Expression ... failed") straight to fd 2
    when a device is probed or opened; voxcli reports the failure itself, in one line.
    `VOXCLI_DEBUG=1` lets them through.
    """
    if os.environ.get("VOXCLI_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def sounddevice() -> ModuleType:
    """The sounddevice module, or a `DeviceError` naming the package to install."""
    try:
        with native_stderr_silenced():  # importing initialises PortAudio, which probes devices
            import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise DeviceError(
            "cannot use audio devices: the PortAudio library is missing", hint=_INSTALL_HINT
        ) from exc
    return sounddevice


def list_devices() -> list[Device]:
    """Every device PortAudio knows, in PortAudio's order, the defaults marked."""
    sd = sounddevice()
    try:
        with native_stderr_silenced():
            raw = sd.query_devices()
            apis = [api["name"] for api in sd.query_hostapis()]
            default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise DeviceError(
            f"cannot list audio devices: {exc}", hint="check the sound server (PulseAudio/PipeWire)"
        ) from exc
    return [
        Device(
            index=index,
            name=str(device["name"]),
            hostapi=apis[device["hostapi"]],
            max_input_channels=int(device["max_input_channels"]),
            max_output_channels=int(device["max_output_channels"]),
            default_samplerate=float(device["default_samplerate"]),
            default_input=index == default_in,
            default_output=index == default_out,
        )
        for index, device in enumerate(raw)
    ]


def find_device(spec: str | int | None, kind: Kind, *, origin: str | None = None) -> Device:
    """The `kind` device that `spec` names: an index, a part of a name, or None (the default).

    `origin` says where `spec` came from (``$VOXCLI_INPUT_DEVICE``, the config file) for the
    error message; the command-line option by default.
    """
    candidates = [d for d in list_devices() if d.channels(kind) > 0]
    where = origin or _OPTION[kind]
    if not candidates:
        raise DeviceError(
            f"no audio {kind} device found",
            hint=(
                "connect a microphone, or start a sound server (PulseAudio/PipeWire)"
                if kind == "input"
                else "start a sound server (PulseAudio/PipeWire), or write a file with -o "
                "instead of --play"
            ),
        )
    if spec is None:
        default = [d for d in candidates if getattr(d, f"default_{kind}")]
        if default:
            return default[0]
        raise DeviceError(
            f"there is no default audio {kind} device",
            hint=f"choose one with {_OPTION[kind]}: " + _listing(candidates),
        )
    text = str(spec).strip()
    if text.isdigit():
        chosen = [d for d in candidates if d.index == int(text)]
        problem = f"no audio {kind} device number {text} ({where})"
    else:
        needle = text.casefold()
        chosen = [d for d in candidates if d.name.casefold() == needle] or [
            d for d in candidates if needle in d.name.casefold()
        ]
        problem = (
            f"{text!r} ({where}) matches {len(chosen)} audio {kind} devices"
            if chosen
            else f"no audio {kind} device matches {text!r} ({where})"
        )
    if len(chosen) == 1:
        return chosen[0]
    shown = chosen or candidates
    return _raise(problem, f"choose one by index or a unique part of its name: {_listing(shown)}")


def _raise(message: str, hint: str) -> Device:
    raise DeviceError(message, hint=hint)


def _listing(devices: list[Device]) -> str:
    return ", ".join(d.label() for d in devices)


def open_failed(exc: Exception, device: Device, kind: Kind) -> DeviceError:
    """The `DeviceError` for a device that is listed but cannot be opened (busy, unplugged)."""
    return DeviceError(
        f"cannot open the audio {kind} device {device.label()}: it is busy or unavailable ({exc})",
        hint=f"close the program using it, or choose another with {_OPTION[kind]} "
        "(voxcli devices lists them)",
    )
