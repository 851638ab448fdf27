"""Decoding and encoding audio: the only module that talks to codecs.

Conventions: samples are mono `float32` arrays in [-1, 1] shaped ``(frames,)``; voice conversion
produces one voice, so voxcli downmixes on the way in. Sample rates are `int` Hz. Files are read
with soundfile (libsndfile: WAV, FLAC, Ogg Vorbis/Opus, MP3, AIFF, ...), and anything libsndfile
does not read (M4A/AAC, WebM, the audio of videos, ...) through `voxcli.audio.media` (PyAV);
the API's headerless bodies (`pcm_*`, `ulaw_8000`, `alaw_8000`) are decoded here with numpy.

Library exceptions (`soundfile.LibsndfileError`, `RuntimeError` from libsndfile) become
`InputError` here, once; PyAV's do in `voxcli.audio.media`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from voxcli.audio.formats import OutputFormat
from voxcli.errors import InputError

Samples = NDArray[np.float32]

_HINT_DECODE = (
    "give an audio or video file with sound (WAV, FLAC, MP3, Ogg, M4A/AAC, WebM, MP4, MOV, MKV)"
)
#: libsndfile's errors for a file it cannot open (PyAV may still read it).
_SF_ERRORS = (sf.LibsndfileError, RuntimeError, TypeError)


@dataclass(frozen=True)
class AudioInfo:
    """What `probe` learns about an input file without decoding it all."""

    frames: int
    sample_rate: int
    channels: int
    format: str
    """libsndfile's major format name, e.g. ``WAV``, ``FLAC``, ``MP3``."""

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate


def probe(path: Path) -> AudioInfo:
    """Open `path` and return its length, rate and format; fail with `InputError` if unusable.

    Files libsndfile does not read are probed with PyAV (`voxcli.audio.media.probe_info`): the
    first audio track, its length as the container declares it.
    """
    info = soundfile_info(path)
    if info is None:
        from voxcli.audio import media

        return media.probe_info(path)
    return info


def soundfile_info(path: Path) -> AudioInfo | None:
    """`probe` through libsndfile only: None when libsndfile does not read `path`."""
    try:
        with sf.SoundFile(str(path)) as f:
            frames = f.frames
            # Some containers (e.g. MP3 without a length tag) report no frame count.
            if frames <= 0 or frames >= 2**62:
                frames = sum(len(block) for block in f.blocks(65536, dtype="float32"))
            info = AudioInfo(frames, f.samplerate, f.channels, f.format)
    except _SF_ERRORS:
        return None
    if info.frames == 0:
        raise InputError(f"{path} holds no audio (0 samples)", hint="choose a non-empty file")
    return info


def _soundfile(path: Path) -> sf.SoundFile | None:
    """`path` opened by libsndfile, or None when libsndfile does not read it."""
    try:
        return sf.SoundFile(str(path))
    except _SF_ERRORS:
        return None


def read(path: Path, start: int = 0, stop: int | None = None) -> tuple[Samples, int]:
    """Read frames ``[start, stop)`` of `path` as mono float32; return ``(samples, rate)``."""
    f = _soundfile(path)
    if f is None:
        from voxcli.audio import media

        return media.read(path, start, stop)
    try:
        with f:
            if start:
                f.seek(start)
            count = -1 if stop is None else max(0, stop - start)
            data = f.read(count, dtype="float32", always_2d=True)
            return downmix(data), f.samplerate
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(f"cannot decode {path}", hint=_HINT_DECODE) from exc


def blocks(path: Path, block_frames: int) -> Iterator[Samples]:
    """Yield `path` as consecutive mono float32 blocks of `block_frames` (the last may be short)."""
    f = _soundfile(path)
    if f is None:
        from voxcli.audio import media

        yield from media.blocks(path, block_frames=block_frames)
        return
    try:
        with f:
            for block in f.blocks(block_frames, dtype="float32", always_2d=True):
                yield downmix(block)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(f"cannot decode {path}", hint=_HINT_DECODE) from exc


def downmix(data: NDArray[np.float32]) -> Samples:
    """Average a ``(frames, channels)`` array to mono ``(frames,)`` float32."""
    if data.ndim == 1:
        return data.astype(np.float32, copy=False)
    if data.shape[1] == 1:
        return np.ascontiguousarray(data[:, 0], dtype=np.float32)
    return data.mean(axis=1, dtype=np.float32)


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Resample with soxr (high quality); a no-op when the rates match."""
    if from_rate == to_rate or len(samples) == 0:
        return samples
    import soxr

    return np.asarray(soxr.resample(samples, from_rate, to_rate, quality="HQ"), dtype=np.float32)


# -- headerless bodies ------------------------------------------------------------------------


def to_pcm16(samples: Samples) -> bytes:
    """Float samples to 16-bit little-endian PCM bytes (clipped, rounded).

    Scales by 32768, the inverse of `from_pcm16`, so PCM -> float -> PCM is bit-exact.
    """
    scaled = np.clip(np.rint(samples * 32768.0), -32768, 32767).astype("<i2")
    return scaled.tobytes()


def pcm16_samples(data: bytes) -> NDArray[np.int16]:
    """16-bit little-endian PCM bytes as int16 samples (a view). A trailing odd byte is ignored."""
    usable = len(data) - (len(data) % 2)
    return np.frombuffer(data, dtype="<i2", count=usable // 2)


def int16_to_float(samples: NDArray[np.int16]) -> Samples:
    """int16 samples to float: divided by 32768, the exact inverse of `to_pcm16`."""
    return samples.astype(np.float32) / 32768.0


def from_pcm16(data: bytes) -> Samples:
    """16-bit little-endian PCM bytes to float samples. A trailing odd byte is ignored."""
    return int16_to_float(pcm16_samples(data))


def pcm16_chunks(chunks: Iterable[bytes]) -> Iterator[NDArray[np.int16]]:
    """The int16 samples of a PCM body that arrives in chunks of any length.

    A sample split between two chunks is carried over to the next; a trailing odd byte at the
    very end is dropped. Empty results are skipped.
    """
    carry = b""
    for chunk in chunks:
        data = carry + chunk if carry else chunk
        samples = pcm16_samples(data)
        carry = data[2 * len(samples) :]
        if len(samples):
            yield samples


def read_pcm16k(path: Path, start: int = 0, stop: int | None = None) -> bytes:
    """Frames ``[start, stop)`` of `path` as the API's raw upload: 16-bit mono PCM at 16 kHz."""
    samples, rate = read(path, start, stop)
    return to_pcm16(resample(samples, rate, 16000))


def _ulaw_table() -> NDArray[np.float32]:
    codes = ~np.arange(256, dtype=np.uint8)
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    values = np.where(sign != 0, 0x84 - magnitude, magnitude - 0x84)
    return (values / 32768.0).astype(np.float32)


def _alaw_table() -> NDArray[np.float32]:
    codes = np.arange(256, dtype=np.uint8) ^ 0x55
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = (codes & 0x0F).astype(np.int32)
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    values = np.where(sign != 0, magnitude, -magnitude)
    return (values / 32768.0).astype(np.float32)


_G711 = {"ulaw": _ulaw_table, "alaw": _alaw_table}


def g711_decode(data: bytes, codec: str) -> Samples:
    """Decode G.711 mu-law (``ulaw``) or A-law (``alaw``) bytes."""
    return _G711[codec]()[np.frombuffer(data, dtype=np.uint8)]


def g711_encode(samples: Samples, codec: str) -> bytes:
    """Encode to G.711 by picking the nearest code of the decode table (exact and vectorised)."""
    table = _G711[codec]()
    order = np.argsort(table)
    ordered = table[order]
    idx = np.clip(np.searchsorted(ordered, samples), 1, 255)
    left, right = ordered[idx - 1], ordered[idx]
    nearest = np.where(np.abs(samples - left) <= np.abs(samples - right), idx - 1, idx)
    return order[nearest].astype(np.uint8).tobytes()


# -- whole bodies -----------------------------------------------------------------------------


def decode(data: bytes, fmt: OutputFormat | None = None) -> tuple[Samples, int]:
    """Decode a whole body to mono float samples; `fmt` is needed for headerless formats."""
    if fmt is not None and fmt.codec == "pcm":
        return from_pcm16(data), fmt.sample_rate
    if fmt is not None and fmt.codec in _G711:
        return g711_decode(data, fmt.codec), fmt.sample_rate
    if not data:
        raise InputError("the audio body is empty")
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except _SF_ERRORS:
        from voxcli.audio import media

        return media.decode_bytes(data)
    return downmix(samples), int(rate)


def _mp3_level(bitrate_kbps: int) -> float:
    # NOTE: libsndfile maps compression_level 0..1 linearly onto LAME's 320..32 kbps CBR ladder.
    return float(min(max((320 - bitrate_kbps) / 288.0, 0.0), 0.99))


def write_samples(target: str | BinaryIO, samples: Samples, rate: int, fmt: OutputFormat) -> None:
    """Encode `samples` (already at ``fmt.sample_rate``) into `target` in the format `fmt`."""
    if fmt.codec == "pcm":
        _write_bytes(target, to_pcm16(samples))
    elif fmt.codec in _G711:
        _write_bytes(target, g711_encode(samples, fmt.codec))
    else:
        with open_writer(target, rate, fmt.codec, fmt.bitrate_kbps) as writer:
            writer.write(samples)


def open_writer(
    target: str | BinaryIO, rate: int, container: str, bitrate_kbps: int | None = None
) -> sf.SoundFile:
    """Open an incremental soundfile writer for ``wav``, ``flac``, ``aiff``, ``mp3`` or ``opus``.

    `target` must be seekable (a path or a regular file): libsndfile rewrites headers on close.
    """
    if not isinstance(target, str):
        target = _ShortWrites(target)  # type: ignore[assignment]
    if container == "wav":
        return sf.SoundFile(target, "w", rate, 1, subtype="PCM_16", format="WAV")
    if container == "flac":
        return sf.SoundFile(target, "w", rate, 1, subtype="PCM_16", format="FLAC")
    if container == "aiff":
        return sf.SoundFile(target, "w", rate, 1, subtype="PCM_16", format="AIFF")
    if container == "mp3":
        level = _mp3_level(bitrate_kbps or 128)
        return sf.SoundFile(
            target,
            "w",
            rate,
            1,
            subtype="MPEG_LAYER_III",
            format="MP3",
            bitrate_mode="CONSTANT",
            compression_level=level,
        )
    if container == "opus":
        return sf.SoundFile(target, "w", 48000, 1, subtype="OPUS", format="OGG")
    raise ValueError(f"no incremental writer for {container!r}")


class _ShortWrites:
    """A file for libsndfile's virtual I/O whose failed writes are short writes, not exceptions.

    NOTE: an exception raised inside soundfile's cffi write callback cannot propagate: cffi
    prints it as "Exception ignored" and libsndfile carries on. A short write makes libsndfile
    fail the call instead; the file underneath (`voxcli.audio.output.Destination`'s) keeps
    the OSError to report it.
    """

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def write(self, data: bytes) -> int:
        try:
            return self._file.write(data)
        except OSError:
            return 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._file, name)


def encode(samples: Samples, rate: int, fmt: OutputFormat) -> bytes:
    """Resample `samples` to the format's rate and encode them as one body of format `fmt`."""
    target_rate = 48000 if fmt.codec == "opus" else fmt.sample_rate
    converted = resample(samples, rate, target_rate)
    buffer = io.BytesIO()
    write_samples(buffer, converted, target_rate, fmt)
    return buffer.getvalue()


def encode_flac(samples: Samples, rate: int) -> bytes:
    """Encode mono samples as a 16-bit FLAC file (lossless upload of a section)."""
    buffer = io.BytesIO()
    with open_writer(buffer, rate, "flac") as writer:
        writer.write(samples)
    return buffer.getvalue()


def _write_bytes(target: str | BinaryIO, data: bytes) -> None:
    if isinstance(target, str):
        Path(target).write_bytes(data)
    else:
        target.write(data)
