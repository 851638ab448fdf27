"""The containers voxcli encodes itself through PyAV, and how a video is kept around new audio.

Pure data (no audio libraries): `voxcli.audio.formats` maps output extensions onto
`MEDIA_CONTAINERS`; `voxcli.audio.media_sink` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MediaContainer:
    """How voxcli encodes an output container of its own (through PyAV): muxer and codec."""

    muxer: str
    """FFmpeg's muxer name."""
    encoder: str
    """FFmpeg's audio encoder."""
    label: str
    """What users are told is written, e.g. ``AAC in MP4``."""
    bitrate: int = 128_000

    @property
    def request(self) -> str:
        """What to ask the service for: PCM at 48 kHz for Opus (its rate), else 44.1 kHz."""
        return "pcm_48000" if self.encoder == _OPUS else "pcm_44100"


_AAC, _OPUS = "aac", "libopus"

#: The containers voxcli encodes with PyAV, by output container (the extension without the dot).
MEDIA_CONTAINERS: dict[str, MediaContainer] = {
    "m4a": MediaContainer("ipod", _AAC, "AAC in MP4"),
    "mp4": MediaContainer("mp4", _AAC, "AAC in MP4"),
    "m4v": MediaContainer("mp4", _AAC, "AAC in MP4"),
    "mov": MediaContainer("mov", _AAC, "AAC in QuickTime"),
    "aac": MediaContainer("adts", _AAC, "AAC (ADTS)"),
    "mkv": MediaContainer("matroska", _OPUS, "Opus in Matroska"),
    "mka": MediaContainer("matroska", _OPUS, "Opus in Matroska"),
    "webm": MediaContainer("webm", _OPUS, "Opus in WebM"),
}


@dataclass(frozen=True)
class Remux:
    """A video whose other streams are copied, packet for packet, around the converted audio."""

    source: Path
    """The input file (seekable: stdin has been spooled)."""
    audio_index: int
    """The container's index of the audio stream the converted voice replaces."""
    start_seconds: float
    """When the replaced audio starts on the container's clock."""
    duration_seconds: float
    """How long the replaced audio lasts: the converted audio is made exactly as long."""
