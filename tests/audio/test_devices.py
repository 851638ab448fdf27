"""Device errors without PortAudio: a clear `DeviceError` (exit 8) naming what to install.

The end-to-end playback tests (tests/cli/test_play.py) use a real PulseAudio null sink; here
the import of sounddevice is made to fail the way it does on a machine without libportaudio.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

import numpy as np
import pytest

from voxcli.audio.devices import Player, list_devices
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
