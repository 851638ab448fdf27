"""Media fixtures made with PyAV itself: voice memos, browser recordings and small videos.

Nothing binary is committed: each test writes what it needs into `tmp_path`. Videos carry a
real (tiny) video stream, and optionally a subtitle stream, chapters and a title, so tests can
check that all of it survives a conversion packet for packet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from tests.support.audio import speechlike


@dataclass(frozen=True)
class Kind:
    """How to write one kind of file: muxer, codecs and rates."""

    muxer: str
    audio: str
    rate: int
    video: str | None = None
    subtitle: str | None = None


KINDS: dict[str, Kind] = {
    "m4a": Kind("ipod", "aac", 44100),
    "webm-audio": Kind("webm", "libopus", 48000),
    "mp4": Kind("mp4", "aac", 44100, "mpeg4", "mov_text"),
    "mov": Kind("mov", "aac", 48000, "mpeg4", "mov_text"),
    "mkv": Kind("matroska", "libopus", 48000, "libvpx", "subrip"),
    "webm": Kind("webm", "libopus", 48000, "libvpx", "webvtt"),
}

CHAPTERS = ("Opening", "Rest")
SUBTITLE = "Hello there"
ATTACHMENT = ("font.ttf", "font/ttf", b"not really a font " * 8)
TITLE = "A talk"


def voice(seconds: float, rate: int, seed: int = 0) -> NDArray[np.float32]:
    """Speech-like test audio with pauses (see `tests.support.audio.speechlike`)."""
    return speechlike(seconds, rate, pause_every=1.5, pause=0.3, seed=seed)


def write_media(
    path: Path,
    kind: str,
    seconds: float = 2.0,
    *,
    tracks: list[NDArray[np.float32]] | None = None,
    with_audio: bool = True,
    audio_start: float = 0.0,
) -> Path:
    """Write `path` as `KINDS[kind]`: `tracks` (mono float arrays at the kind's rate; default
    one `voice` track) starting at `audio_start` seconds, plus video, subtitles, chapters and
    a title when the kind has video."""
    spec = KINDS[kind]
    if tracks is None:
        tracks = [voice(seconds, spec.rate)] if with_audio else []
    with av.open(str(path), "w", format=spec.muxer) as out:
        out.metadata["title"] = TITLE
        video = _add_video(out, spec) if spec.video else None
        audio = []
        for _ in tracks:
            stream = out.add_stream(spec.audio, rate=spec.rate, layout="stereo")
            stream.bit_rate = 96_000
            audio.append(stream)
        subs = out.add_mux_stream(spec.subtitle) if spec.subtitle else None
        if subs is not None:
            subs.time_base = Fraction(1, 1000)
            subs.metadata["language"] = "eng"
        if spec.video and spec.muxer == "matroska":  # e.g. the font an ASS subtitle needs
            out.add_attachment(*ATTACHMENT)
        if spec.video:
            cut, end = 1000, round(seconds * 1000)
            out.set_chapters([
                {"id": i + 1, "start": a, "end": b, "time_base": Fraction(1, 1000),
                 "metadata": {"title": name}}
                for i, (name, a, b) in enumerate(zip(CHAPTERS, (0, cut), (cut, end), strict=True))
            ])  # fmt: skip
        out.start_encoding()
        if video is not None:
            for i in range(int(seconds * 10)):
                gradient = np.full((48, 64, 3), (i * 9) % 256, np.uint8)
                gradient[:, : (i % 64)] = 255
                frame = av.VideoFrame.from_ndarray(gradient, format="rgb24")
                frame.pts = i
                out.mux(video.encode(frame))
            out.mux(video.encode(None))
        for stream, samples in zip(audio, tracks, strict=True):
            _encode_audio(out, stream, samples, spec.rate, round(audio_start * spec.rate))
        if subs is not None:
            text = SUBTITLE.encode()
            data = struct.pack(">H", len(text)) + text if spec.subtitle == "mov_text" else text
            packet = av.Packet(data)
            packet.stream, packet.pts, packet.dts, packet.duration = subs, 500, 500, 1000
            out.mux(packet)
    return path


def _add_video(out: Any, spec: Kind) -> Any:
    video = out.add_stream(spec.video, rate=10)
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    return video


def _encode_audio(
    out: Any, stream: Any, samples: NDArray[np.float32], rate: int, start: int
) -> None:
    block = 4096
    for pos in range(0, len(samples), block):
        chunk = samples[pos : pos + block]
        frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp",
                                           layout="stereo")  # fmt: skip
        frame.sample_rate, frame.pts, frame.time_base = rate, start + pos, Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


@dataclass(frozen=True)
class Contents:
    """What a media file holds, read back for comparisons."""

    format: str
    streams: list[tuple[str, str]]
    """(type, codec) per stream, in order."""
    packets: dict[int, list[tuple[bytes, float | None]]]
    """Stream index -> (packet bytes, pts in seconds) in demux order."""
    audio_samples: list[int]
    """Decoded samples per audio track."""
    audio_rates: list[int]
    audio_starts: list[float]
    """When each audio track's first decoded sample plays, in seconds."""
    chapters: list[tuple[str, float, float]]
    title: str | None
    attachments: list[tuple[str, str, bytes]]
    """(file name, MIME type, data) of each attachment stream."""


def contents(path: Path) -> Contents:
    """Demux and decode `path` entirely (small test files only)."""
    with av.open(str(path)) as container:
        streams = [
            (s.type, s.codec_context.name if s.codec_context else s.type) for s in container.streams
        ]
        packets: dict[int, list[tuple[bytes, float | None]]] = {}
        for packet in container.demux():
            if packet.size == 0 and packet.dts is None:
                continue
            pts = None if packet.pts is None else float(packet.pts * packet.time_base)
            packets.setdefault(packet.stream.index, []).append((bytes(packet), pts))
        chapters = [
            (c["metadata"].get("title", ""), float(c["start"] * c["time_base"]),
             float(c["end"] * c["time_base"]))
            for c in container.chapters()
        ]  # fmt: skip
        title = container.metadata.get("title")
        fmt = container.format.name
        attachments = [
            (s.metadata.get("filename", ""), s.mimetype or "", s.data)
            for s in container.streams
            if s.type == "attachment"
        ]
    samples, rates, starts = [], [], []
    for number in range(sum(kind == "audio" for kind, _ in streams)):
        with av.open(str(path)) as container:
            stream = container.streams.audio[number]
            frames = list(container.decode(stream))
            samples.append(sum(f.samples for f in frames))
            rates.append(stream.codec_context.sample_rate)
            starts.append(float(frames[0].pts * frames[0].time_base) if frames else 0.0)
    return Contents(fmt, streams, packets, samples, rates, starts, chapters, title, attachments)


def video_packets(info: Contents) -> list[tuple[bytes, float | None]]:
    """The packets of the first video stream."""
    index = next(i for i, (kind, _) in enumerate(info.streams) if kind == "video")
    return info.packets[index]


def onset_seconds(path: Path, threshold: float = 0.05) -> float:
    """When the first audio track first gets louder than `threshold`, on the container's clock."""
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            samples = frame.to_ndarray().reshape(frame.layout.nb_channels, -1).mean(axis=0)
            loud = np.flatnonzero(np.abs(samples) > threshold)
            if len(loud):
                return float(frame.pts * frame.time_base) + loud[0] / frame.sample_rate
    raise AssertionError(f"{path} is silent")
