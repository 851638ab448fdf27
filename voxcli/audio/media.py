"""Reading audio from any container FFmpeg demuxes: voice memos, browser recordings, videos.

libsndfile (soundfile, `voxcli.audio.io`) keeps reading what it reads: WAV, FLAC, MP3, Ogg, AIFF.
Everything else -- AAC/M4A, Opus in WebM, the audio tracks of MP4/MOV/MKV/WebM videos, AMR,
WMA, ... -- is decoded here with PyAV, whose wheels ship the FFmpeg libraries (no FFmpeg to
install).

Decoding streams packet by packet and is downmixed to mono float32 on the way, as everywhere
in voxcli. Conversions do not read media files here by sample index: `voxcli.audio.media_spool`
decodes the chosen track once into a temporary FLAC file that they read instead.

Audio tracks are numbered from 1, in the container's order (`--audio-track N`). PyAV's
exceptions become `InputError` here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from voxcli.errors import InputError

if TYPE_CHECKING:
    from voxcli.audio.io import AudioInfo, Samples

HINT = "give an audio or video file with sound (WAV, FLAC, MP3, Ogg, M4A/AAC, WebM, MP4, MOV, MKV)"

#: Integer sample formats and the scale that maps them to [-1, 1).
_SCALE = {"u8": 1 / 128, "s16": 1 / 32768, "s32": 1 / 2**31, "s64": 1 / 2**63}


@dataclass(frozen=True)
class Track:
    """One audio stream of a container."""

    number: int
    """1-based among the container's audio streams (what `--audio-track` takes)."""
    index: int
    """The stream's index in the container."""
    codec: str
    sample_rate: int
    channels: int
    language: str | None
    declared_frames: int | None
    """The length the container declares, in frames, when it declares one."""

    def describe(self) -> str:
        """E.g. ``2: aac, 48000 Hz, 2 ch, fra``."""
        lang = f", {self.language}" if self.language and self.language != "und" else ""
        return f"{self.number}: {self.codec}, {self.sample_rate} Hz, {self.channels} ch{lang}"


@dataclass(frozen=True)
class MediaInfo:
    """What a container holds, from its header (nothing decoded)."""

    format: str
    """FFmpeg's demuxer name, e.g. ``mov,mp4,m4a,3gp,3g2,mj2`` or ``matroska,webm``."""
    tracks: tuple[Track, ...]
    video_streams: int
    """Video streams, not counting cover art (an attached picture)."""

    def track(self, number: int, path: str | Path) -> Track:
        """Audio track `number` (from 1), or the `InputError` saying what there is."""
        if not self.tracks:
            raise InputError(f"{path} has no audio track", hint="give a file with sound in it")
        if not 1 <= number <= len(self.tracks):
            listed = "; ".join(t.describe() for t in self.tracks)
            raise InputError(
                f"{path} has {len(self.tracks)} audio track(s), not a track {number}",
                hint=f"pass --audio-track 1..{len(self.tracks)} ({listed})",
            )
        return self.tracks[number - 1]


@contextmanager
def opened(path: Path | BinaryIO, name: str | None = None) -> Iterator[Any]:
    """`av.open(path)` with FFmpeg's errors as `InputError` (unreadable, not media, ...);
    `name` is how the message calls the input."""
    import av

    try:
        container = av.open(str(path) if isinstance(path, Path) else path, "r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        label = name or (path if isinstance(path, Path) else "the audio body")
        raise InputError(
            f"cannot decode {label}: not a supported audio or video file", hint=HINT
        ) from exc
    with container:
        yield container


def describe(container: Any) -> MediaInfo:
    """The `MediaInfo` of an open PyAV input container."""
    tracks = []
    for stream in container.streams.audio:
        context = stream.codec_context
        rate = int(context.sample_rate or 0)
        declared = None
        if stream.duration and stream.time_base and rate:
            declared = round(stream.duration * stream.time_base * rate)
        tracks.append(
            Track(
                len(tracks) + 1,
                stream.index,
                context.name,
                rate,
                context.channels,
                stream.language,
                declared,
            )  # fmt: skip
        )
    pictures = sum(1 for s in container.streams.video if s.disposition & s.disposition.attached_pic)
    videos = len(container.streams.video) - pictures
    return MediaInfo(container.format.name, tuple(tracks), videos)


def inspect(path: Path) -> MediaInfo:
    """What `path` holds, read from its header."""
    with opened(path) as container:
        return describe(container)


def blocks(path: Path, number: int = 1, block_frames: int = 65536) -> Iterator[Samples]:
    """Audio track `number` of `path` as mono float32 blocks of exactly `block_frames` (the
    last may be short), as `voxcli.audio.io.blocks` gives them."""
    with opened(path) as container:
        track = describe(container).track(number, path)
        pieces = (block for _, block in track_blocks(container, track, path, block_frames))
        yield from rechunk(pieces, block_frames)


def rechunk(pieces: Iterable[Samples], block_frames: int) -> Iterator[Samples]:
    """`pieces` of any length as blocks of exactly `block_frames` (the last may be short)."""
    buffer: list[Samples] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= block_frames:
            joined = np.concatenate(buffer)
            cut = held - held % block_frames
            yield from np.split(joined[:cut], cut // block_frames)
            buffer, held = [joined[cut:]], held - cut
    if held:
        yield np.concatenate(buffer)


def track_blocks(
    container: Any, track: Track, path: str | Path, block_frames: int
) -> Iterator[tuple[float, Samples]]:
    """``(start seconds of the block, mono block)``, trimmed to the declared length.

    AAC in MP4 decodes to whole 1024-sample frames, so the last one carries padding the
    container's declared duration leaves out: up to two frames past the declared length are
    dropped. A declaration shorter than that (a wrong header) is ignored, and all is kept.
    """
    import av

    stream = container.streams[track.index]
    pending: list[Samples] = []
    pending_frames = 0
    emitted = 0
    held: list[Samples] = []  # decoded past the declared length: padding, unless more follows
    start = None
    # Only MP4/QuickTime headers state the exact length; others estimate it (from the bitrate).
    exact = container.format.name.startswith("mov,")
    declared = track.declared_frames if exact else None
    tolerance = 2048
    try:
        for frame in container.decode(stream):
            if frame.sample_rate != track.sample_rate and frame.sample_rate:
                raise InputError(
                    f"{path} changes its sample rate mid-stream "
                    f"({track.sample_rate} -> {frame.sample_rate} Hz)",
                    hint="convert it to WAV first, e.g. ffmpeg -i in.mp4 -ac 1 in.wav",
                )
            if start is None and frame.pts is not None and frame.time_base is not None:
                start = float(frame.pts * frame.time_base)
            samples = mono(frame)
            if declared is not None and emitted + pending_frames + len(samples) > declared:
                keep = max(0, declared - emitted - pending_frames)
                held.append(samples[keep:])
                samples = samples[:keep]
                if sum(map(len, held)) > tolerance:  # not padding: the header was wrong
                    declared = None
                    samples = np.concatenate([samples, *held])
                    held = []
            pending.append(samples)
            pending_frames += len(samples)
            if pending_frames >= block_frames:
                yield start or 0.0, np.concatenate(pending)
                emitted += pending_frames
                pending, pending_frames = [], 0
    except av.FFmpegError as exc:
        raise InputError(f"cannot decode {path}: {exc.strerror or exc}", hint=HINT) from exc
    if pending_frames:
        yield start or 0.0, np.concatenate(pending)


def mono(frame: Any) -> Samples:
    """A PyAV audio frame as mono float32 (channels averaged, as `voxcli.audio.io.downmix`)."""
    data = frame.to_ndarray()
    fmt = frame.format
    channels = max(1, frame.layout.nb_channels)
    if not fmt.is_planar:
        data = data.reshape(-1, channels).T
    base = fmt.name.rstrip("p")
    if base in _SCALE:
        offset = 128.0 if base == "u8" else 0.0
        data = (data.astype(np.float64) - offset) * _SCALE[base]
    if channels == 1:
        return np.ascontiguousarray(data[0], dtype=np.float32)
    return data.mean(axis=0, dtype=np.float64).astype(np.float32)


def probe_info(path: Path) -> AudioInfo:
    """`voxcli.audio.io.AudioInfo` of the first audio track, from the header when it declares
    a length (else by decoding it all)."""
    from voxcli.audio.io import AudioInfo

    with opened(path) as container:
        media = describe(container)
        track = media.track(1, path)
        frames = track.declared_frames
        if frames is None:
            frames = sum(len(b) for _, b in track_blocks(container, track, path, 1 << 20))
    if frames == 0:
        raise InputError(f"{path} holds no audio (0 samples)", hint="choose a non-empty file")
    return AudioInfo(frames, track.sample_rate, track.channels, media.format.split(",")[0].upper())


def decode_bytes(data: bytes) -> tuple[Samples, int]:
    """A whole body in a container libsndfile does not read (e.g. an M4A upload), decoded."""
    import io as stdio

    with opened(stdio.BytesIO(data)) as container:
        track = describe(container).track(1, Path("the audio body"))
        parts = [
            block for _, block in track_blocks(container, track, Path("the audio body"), 1 << 20)
        ]
    if not parts:
        raise InputError("the audio body holds no audio", hint=HINT)
    return np.concatenate(parts), track.sample_rate


def read(path: Path, start: int = 0, stop: int | None = None) -> tuple[Samples, int]:
    """Frames ``[start, stop)`` of the first audio track, decoded from the file's start: fine for
    whole files, slow for a late `start` (conversions read `voxcli.audio.media_spool`'s spool)."""
    with opened(path) as container:
        track = describe(container).track(1, path)
        parts, pos = [], 0
        for _, block in track_blocks(container, track, path, 1 << 16):
            end = pos + len(block)
            if end > start and (stop is None or pos < stop):
                parts.append(block[max(0, start - pos) : None if stop is None else stop - pos])
            pos = end
            if stop is not None and pos >= stop:
                break
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return samples, track.sample_rate
