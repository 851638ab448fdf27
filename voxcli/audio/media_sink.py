"""Writing the containers libsndfile cannot: AAC in MP4/M4A/MOV/ADTS, Opus in Matroska/WebM.

`MediaSink` is a `voxcli.audio.sink.Sink`: converted mono float PCM goes in block by block, is
encoded once (PyAV: FFmpeg's AAC encoder, libopus) and muxed into the container the output's
extension names (`voxcli.audio.formats.MEDIA_CONTAINERS`).

With a `Remux` (a video input written as a video) the sink also copies every other stream of
the input -- video, subtitles, other audio tracks, attachments -- packet for packet, never
decoded, plus the chapters and the metadata: the converted voice replaces one audio track and
nothing else changes. Input packets are copied as the audio reaches their time, so the output
is interleaved and memory stays bounded whatever the video's length. The new audio starts when
the replaced one started and lasts exactly as long (it is trimmed or padded with silence), so
lips stay in sync. `check_remux` tries the same layout on an in-memory container before
anything is uploaded, so a stream the output container cannot carry is refused for free.
"""

from __future__ import annotations

import errno
import io as stdio
from contextlib import ExitStack
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, BinaryIO

import numpy as np

from voxcli.audio.containers import MEDIA_CONTAINERS, MediaContainer, Remux
from voxcli.errors import InputError

#: Converted audio encoded between two looks at the input's packets (interleaving grain).
_STEP_SECONDS = 0.5
#: Muxers whose edit lists cannot both skip the AAC priming and delay a track: a late start is
#: written as leading silence instead.
_MOV_MUXERS = ("mp4", "mov", "ipod")


@dataclass
class _Layout:
    """The output's streams: the encoded audio, and the input streams copied into it."""

    audio: Any
    copied: dict[int, Any] = field(default_factory=dict)
    """Input stream index -> output stream."""
    dropped: list[str] = field(default_factory=list)
    """What could not be carried over (data streams, attachments), for a notice."""


def _encoder_rate(spec: MediaContainer, sample_rate: int) -> int:
    # Opus codes at 48 kHz (its other rates are not all API rates); AAC takes every API rate.
    return 48000 if spec.encoder == "libopus" else sample_rate


def _add_audio(out: Any, spec: MediaContainer, sample_rate: int) -> Any:
    rate = _encoder_rate(spec, sample_rate)
    stream = out.add_stream(spec.encoder, rate=rate, layout="mono")
    # NOTE: AAC carries at most 6144 bits per channel per 1024-sample frame.
    stream.bit_rate = min(spec.bitrate, 6 * rate) if spec.encoder == "aac" else spec.bitrate
    return stream


def _add_streams(
    inp: Any, out: Any, spec: MediaContainer, sample_rate: int, remux: Remux, ext: str
) -> _Layout:
    """Add the output's streams in the input's order, the replaced track's place kept."""
    layout: _Layout | None = None
    copied: dict[int, Any] = {}
    dropped: list[str] = []
    for stream in inp.streams:
        if stream.index == remux.audio_index:
            audio = _add_audio(out, spec, sample_rate)
            audio.metadata.update(stream.metadata)
            audio.disposition = stream.disposition
            layout = _Layout(audio)
            continue
        if int(stream.discard) >= 48:  # AVDISCARD_ALL: MP4's chapter track (chapters are copied)
            continue
        what = f"{stream.type} stream {stream.index}"
        if stream.type == "attachment":
            name = stream.metadata.get("filename", f"attachment-{stream.index}")
            try:
                out.add_attachment(name, stream.mimetype or "application/octet-stream",
                                   stream.data)  # fmt: skip
            except Exception:  # noqa: BLE001 - PyAV raises several types; the file is noted
                dropped.append(f"{what} ({name})")
            continue
        try:
            copy = out.add_stream_from_template(stream)
        except Exception as exc:  # ValueError, av.FFmpegError: the muxer refuses the codec
            if stream.type in ("video", "audio", "subtitle"):
                codec = stream.codec_context.name if stream.codec_context else "?"
                raise InputError(
                    f"cannot copy the input's {what} ({codec}) into a {ext} file: {exc}",
                    hint="name the output with the input's own extension, or .mkv "
                    "(Matroska carries almost any codec)",
                ) from exc
            dropped.append(what)
            continue
        copy.metadata.update(stream.metadata)
        copy.disposition = stream.disposition
        copied[stream.index] = copy
    if layout is None:
        raise ValueError(f"stream {remux.audio_index} is not in {remux.source}")
    layout.copied, layout.dropped = copied, dropped
    out.metadata.update({k: v for k, v in inp.metadata.items() if k.lower() != "encoder"})
    chapters = inp.chapters()
    if chapters:
        out.set_chapters(chapters)
    return layout


def check_remux(remux: Remux, container: str) -> list[str]:
    """Refuse (`InputError`) an output container that cannot carry the input's streams.

    Builds the output's header in memory, so it costs nothing and uploads nothing. Returns
    what will be left out (data streams or attachments the container has no place for).
    """
    import av

    from voxcli.audio.media import opened

    spec = MEDIA_CONTAINERS[container]
    ext = f".{container}"
    with opened(remux.source) as inp:
        out = av.open(stdio.BytesIO(), "w", format=spec.muxer)
        try:
            layout = _add_streams(inp, out, spec, 48000, remux, ext)
            out.start_encoding()
        except (av.FFmpegError, ValueError) as exc:
            raise InputError(
                f"cannot write the input's streams into a {ext} file: {exc}",
                hint="name the output with the input's own extension, or .mkv",
            ) from exc
        finally:
            out.close()
    return [f"{ext} has no place for the input's {d}; it is left out" for d in layout.dropped]


class _ErrorCodes:
    """A target whose failed writes return FFmpeg's negative error code instead of raising.

    NOTE: an exception raised inside PyAV's write callback is stashed, and FFmpeg goes on
    writing (the trailer, a flush): the next failure makes PyAV print the first one as
    "PyAV library exception being dropped" with its traceback. A negative return fails the
    write in FFmpeg itself, which PyAV then raises once. The file underneath
    (`voxcli.audio.output.Destination`'s) keeps the OSError to report it.
    """

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def write(self, data: bytes) -> int:
        try:
            written = self._file.write(data)
        except OSError as exc:
            return -(exc.errno or errno.EIO)
        return len(data) if written is None else written

    def __getattr__(self, name: str) -> object:
        return getattr(self._file, name)


def _empty_mov_text(packet: Any) -> bool:
    """An empty MP4 text sample: what MP4 muxers put in the gaps between subtitles."""
    context = packet.stream.codec_context
    return context is not None and context.name == "mov_text" and bytes(packet) == b"\x00\x00"


class MediaSink:
    """Encodes mono float samples at `sample_rate` into `container` (see the module doc)."""

    def __init__(self, target: BinaryIO, container: str, sample_rate: int,
                 remux: Remux | None = None) -> None:  # fmt: skip
        import av

        self.sample_rate = sample_rate
        self._target = target
        spec = MEDIA_CONTAINERS[container]
        self._out = av.open(_ErrorCodes(target), "w", format=spec.muxer)
        self._inputs = ExitStack()
        self._packets: Any = None
        self._next: Any = None
        """The input packet waiting for the audio to reach its time."""
        self._expected: int | None = None
        """With `remux`: exactly how many samples the audio has (the replaced track's length)."""
        start = 0
        try:
            if remux is None:
                self._layout = _Layout(_add_audio(self._out, spec, sample_rate))
            else:
                from voxcli.audio.media import opened

                inp = self._inputs.enter_context(opened(remux.source))
                self._layout = _add_streams(inp, self._out, spec, sample_rate, remux,
                                            f".{container}")  # fmt: skip
                self._packets = iter(inp.demux())
                self._expected = round(remux.duration_seconds * sample_rate)
                start = round(max(0.0, remux.start_seconds) * sample_rate)
        except BaseException:
            self._release()
            raise
        self._mov = spec.muxer in _MOV_MUXERS
        self._written = 0
        self._pts = 0
        if start and self._mov:
            self._expected = (self._expected or 0) + start
            self._lead = start  # written as silence by the first `write`
        else:
            self._pts, self._lead = start, 0
        self._encoded_seconds = 0.0

    def write(self, samples: np.ndarray) -> None:
        """Encode `samples` (mono float32 at `sample_rate`), copying input packets as due."""
        if self._lead:
            lead, self._lead = self._lead, 0
            self.write(np.zeros(lead, np.float32))
        if self._expected is not None:
            samples = samples[: max(0, self._expected - self._written)]
        step = max(1, int(_STEP_SECONDS * self.sample_rate))
        for pos in range(0, len(samples), step):
            self._encode(np.clip(samples[pos : pos + step], -1.0, 1.0).astype(np.float32))
            self._copy_until(self._encoded_seconds)

    def _encode(self, samples: np.ndarray | None) -> None:
        import av

        stream = self._layout.audio
        if samples is None:
            packets = stream.encode(None)
        else:
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt",
                                               layout="mono")  # fmt: skip
            frame.sample_rate = self.sample_rate
            frame.time_base = Fraction(1, self.sample_rate)
            frame.pts = self._pts + self._written
            self._written += len(samples)
            self._encoded_seconds = (self._pts + self._written) / self.sample_rate
            packets = stream.encode(frame)
        self._out.mux(packets)

    def _copy_until(self, seconds: float | None) -> None:
        """Copy input packets up to `seconds` on the container's clock (None: all the rest)."""
        if self._packets is None:
            return
        while True:
            packet = self._next if self._next is not None else next(self._packets, None)
            self._next = None
            if packet is None:
                self._packets = None
                return
            copy = self._layout.copied.get(packet.stream.index)
            if copy is None or (packet.size == 0 and packet.dts is None):
                continue  # the replaced track, a left-out stream, or a demuxer's flush marker
            if self._mov and _empty_mov_text(packet):
                continue  # the MP4 muxer writes its own empty samples for the gaps
            when = packet.dts if packet.dts is not None else packet.pts
            if seconds is not None and when is not None and when * packet.time_base > seconds:
                self._next = packet
                return
            packet.stream = copy
            self._out.mux(packet)

    def close(self) -> None:
        """Pad to the replaced track's length, flush the encoder, copy the rest, finish."""
        try:
            if self._lead:
                self.write(np.zeros(0, np.float32))
            if self._expected is not None and self._written < self._expected:
                self.write(np.zeros(self._expected - self._written, np.float32))
            self._encode(None)
            self._copy_until(None)
            self._out.close()
        finally:
            self._release()
        self._target.seek(0, 2)
        self._target.flush()

    def abort(self) -> None:
        """Let go of the input and the encoder: the output is being discarded.

        Finishing would copy the rest of a video and encode silence up to its length, which
        for an interrupted hour-long video takes minutes, for nothing.
        """
        self._release()

    def _release(self) -> None:
        self._inputs.close()
        try:
            self._out.close()
        except Exception:  # noqa: BLE001 - already closed, or failed: the output is discarded
            pass
