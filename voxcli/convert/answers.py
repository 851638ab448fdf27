"""How one request's answer becomes the output: written as received, put in a WAV, FLAC or
media container, and played as it arrives (`--play`).

A single request's answer goes straight to the output this way; long input's sections go
through `voxcli.convert.sections` instead (decoded, stitched, encoded once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np

from voxcli.audio import io
from voxcli.audio.containers import MEDIA_CONTAINERS
from voxcli.audio.formats import OutputFormat, OutputPlan
from voxcli.audio.sink import opened_sink
from voxcli.backends.base import AudioStream, ConvertResult

#: Receives converted audio as it becomes available (e.g. a player): samples and their rate.
AudioCallback = Callable[[io.Samples, int], None]


def keeping(stream: AudioStream, kept: list[bytes]) -> AudioStream:
    """`stream`, keeping a copy of every chunk in `kept` as it passes."""

    def chunks() -> Iterator[bytes]:
        for chunk in stream:
            kept.append(chunk)
            yield chunk

    return AudioStream(
        chunks(),
        output_format=stream.output_format,
        request_id=stream.request_id,
        character_cost=stream.character_cost,
    )


def write_answer(
    answer: ConvertResult,
    fmt: OutputFormat,
    plan: OutputPlan,
    target: BinaryIO,
    on_audio: AudioCallback | None,
    *,
    stream: bool,
) -> None:
    """Write a whole answer (e.g. from the cache) as a live one would have been written."""
    if stream:
        chunks = AudioStream(iter([answer.audio]), output_format=fmt.name)
        write_stream(chunks, fmt, plan, target, on_audio)
    else:
        write_whole(answer, fmt, plan, target, on_audio)


def _pcm16(data: bytes, fmt: OutputFormat) -> tuple[np.ndarray, int]:
    """The 16-bit samples of a ``pcm_*`` or ``wav_*`` body, without any float round trip."""
    if fmt.codec == "pcm":
        return io.pcm16_samples(data), fmt.sample_rate
    import io as stdio

    import soundfile as sf

    samples, rate = sf.read(stdio.BytesIO(data), dtype="int16", always_2d=True)
    return samples[:, 0].copy(), int(rate)


def write_whole(
    result: ConvertResult,
    fmt: OutputFormat,
    plan: OutputPlan,
    target: BinaryIO,
    on_audio: AudioCallback | None,
) -> None:
    container = plan.container
    if container == "asis":
        target.write(result.audio)
    elif container in MEDIA_CONTAINERS:
        samples, rate = io.decode(result.audio, fmt)
        with opened_sink(target, plan, rate) as sink:
            sink.write(samples)
    else:
        samples, rate = _pcm16(result.audio, fmt)
        with io.open_writer(target, rate, container) as writer:
            writer.write(samples)
    if on_audio is not None:
        on_audio(*io.decode(result.audio, fmt))


def write_stream(
    stream: AudioStream,
    fmt: OutputFormat,
    plan: OutputPlan,
    target: BinaryIO,
    on_audio: AudioCallback | None,
) -> None:
    """Write chunks as they arrive; raw formats are also played as they arrive."""
    container = plan.container
    if container in MEDIA_CONTAINERS:  # AAC or Opus encoded from a pcm_* stream
        with opened_sink(target, plan, fmt.sample_rate) as sink:
            for pcm in io.pcm16_chunks(stream):
                samples = io.int16_to_float(pcm)
                sink.write(samples)
                if on_audio is not None:
                    on_audio(samples, fmt.sample_rate)
        return
    if container != "asis":  # a WAV/FLAC container around a pcm_* stream
        with io.open_writer(target, fmt.sample_rate, container) as writer:
            for samples in io.pcm16_chunks(stream):
                writer.write(samples)
                if on_audio is not None:
                    on_audio(io.int16_to_float(samples), fmt.sample_rate)
        return
    written = _written(stream, target)
    if on_audio is None:
        for _ in written:
            pass
    elif fmt.codec == "pcm":
        for samples in io.pcm16_chunks(written):
            on_audio(io.int16_to_float(samples), fmt.sample_rate)
    elif fmt.is_raw:  # G.711: one byte per sample, every chunk decodes on its own
        for chunk in written:
            on_audio(*io.decode(chunk, fmt))
    elif fmt.codec == "mp3":  # decoded frame by frame as the bytes arrive
        from voxcli.audio.stream_decode import Mp3StreamDecoder

        decoder = Mp3StreamDecoder()
        for chunk in written:
            for samples, rate in decoder.feed(chunk):
                on_audio(samples, rate)
        for samples, rate in decoder.flush():
            on_audio(samples, rate)
    else:
        # NOTE: Ogg Opus needs a demuxer over a seekable file, so it plays once the stream
        # has arrived; PCM, G.711 and MP3 play live.
        received = b"".join(written)
        if received:
            on_audio(*io.decode(received, fmt))


def _written(stream: AudioStream, target: BinaryIO) -> Iterator[bytes]:
    """The chunks of `stream`, each written to `target` (and flushed) as it arrives."""
    for chunk in stream:
        target.write(chunk)
        target.flush()
        yield chunk
