"""Device errors without PortAudio, and how a device is chosen by index or name.

The end-to-end tests (tests/cli/test_play.py, tests/cli/test_record.py) use a real PulseAudio
null sink; here the import of sounddevice is made to fail the way it does on a machine without
libportaudio, and the name matching runs over a fixed device list.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from voxcli.audio import devices
from voxcli.audio.devices import Device, find_device, list_devices
from voxcli.audio.playback import Player
from voxcli.cli import app
from voxcli.errors import DeviceError, ExitStatus


class NoPortAudio(importlib.abc.MetaPathFinder):
    """Makes `import sounddevice` raise what sounddevice raises when libportaudio is missing."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        if fullname == "sounddevice":
            raise OSError("PortAudio library not found")


@pytest.fixture
def no_portaudio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])


def test_playing_without_portaudio_names_the_package(no_portaudio: None) -> None:
    with pytest.raises(DeviceError) as caught:
        Player().write(np.zeros(160, dtype=np.float32), 16000)
    assert caught.value.exit_status is ExitStatus.DEVICE
    assert "PortAudio" in str(caught.value) and "libportaudio2" in (caught.value.hint or "")


def test_listing_devices_without_portaudio_fails_the_same_way(no_portaudio: None) -> None:
    with pytest.raises(DeviceError, match="PortAudio"):
        list_devices()


@pytest.mark.parametrize("command", [["devices"], ["record", "--duration", "1"]])
def test_the_commands_without_portaudio_say_what_to_install(
    no_portaudio: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, command)
    assert done.exit_code == ExitStatus.DEVICE, done.output
    assert "PortAudio library is missing" in done.output and "libportaudio2" in done.output
    assert list(tmp_path.iterdir()) == []


def fake(index: int, name: str, *, inputs: int = 2, default: bool = False) -> Device:
    return Device(index, name, "ALSA", inputs, 2, 48000.0, default, default)


LISTED = [
    fake(0, "USB Mic"),
    fake(1, "USB Mic Pro"),
    fake(2, "HDMI", inputs=0),
    fake(3, "default", default=True),
]


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "list_devices", lambda: list(LISTED))


@pytest.mark.parametrize(
    ("spec", "index"),
    [(None, 3), ("3", 3), ("pro", 1), ("usb mic", 0), ("USB MIC PRO", 1), (" 0 ", 0)],
)
def test_a_device_is_an_index_an_exact_name_or_a_unique_part(
    listed: None, spec: str | None, index: int
) -> None:
    assert find_device(spec, "input").index == index


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("usb", "'usb' (--device) matches 2 audio input devices"),
        ("hdmi", "no audio input device matches 'hdmi'"),  # output only
        ("2", "no audio input device number 2"),
        ("7", "no audio input device number 7"),
    ],
)
def test_a_missing_or_ambiguous_device_lists_the_candidates(
    listed: None, spec: str, said: str
) -> None:
    with pytest.raises(DeviceError) as caught:
        find_device(spec, "input")
    assert str(caught.value).startswith(said)
    assert caught.value.exit_status is ExitStatus.DEVICE
    assert '0 "USB Mic" (ALSA)' in (caught.value.hint or "")
    assert "HDMI" not in (caught.value.hint or "")


def test_no_default_device_is_never_replaced_by_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(devices, "list_devices", lambda: [fake(0, "USB Mic")])
    with pytest.raises(DeviceError, match="no default audio input device"):
        find_device(None, "input")
