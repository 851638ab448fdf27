"""Reading and writing media containers through PyAV (`voxcli.audio.media`, `media_sink`)."""

from __future__ import annotations

import io as stdio
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from tests.support.audio import sine
from tests.support.media import voice, write_media
from voxcli.audio import io, media, media_spool
from voxcli.audio.containers import MEDIA_CONTAINERS, Remux
from voxcli.audio.formats import plan_output
from voxcli.audio.media_sink import MediaSink
from voxcli.errors import InputError


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_a_memo_decodes_to_its_declared_length_and_its_signal(tmp_path: Path) -> None:
    original = voice(2.0, 44100)
    path = write_media(tmp_path / "memo.m4a", "m4a", tracks=[original])
    with media_spool.decoded(path) as track:
        assert track.info.frames == len(original)  # AAC's last-frame padding is dropped
        assert track.info.sample_rate == 44100 and track.start_seconds == 0.0
        assert track.media.video_streams == 0 and track.track.codec == "aac"
        decoded, rate = sf.read(str(track.path), dtype="float32")
        spool = track.path
    assert not spool.exists()  # the spool is deleted with the block
    assert rate == 44100 and np.corrcoef(decoded, original)[0, 1] > 0.99


def test_io_reads_media_files_like_any_other(tmp_path: Path) -> None:
    path = write_media(tmp_path / "meeting.webm", "webm-audio")
    info = io.probe(path)
    assert (info.sample_rate, info.channels) == (48000, 2)
    whole, rate = io.read(path)
    assert rate == 48000 and abs(len(whole) - 96000) <= 960
    part, _ = io.read(path, 1000, 5000)
    np.testing.assert_array_equal(part, whole[1000:5000])
    blocks = list(io.blocks(path, 10000))
    assert {len(b) for b in blocks[:-1]} == {10000} and 0 < len(blocks[-1]) <= 10000
    np.testing.assert_array_equal(np.concatenate(blocks), whole)
    body, body_rate = io.decode(path.read_bytes())  # e.g. `voxcli serve` given a WebM upload
    np.testing.assert_array_equal(body, whole)


def test_a_file_that_is_not_media_is_an_input_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.m4a"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(InputError, match="not a supported audio or video file"):
        io.probe(junk)
    with pytest.raises(InputError, match="cannot decode the audio body"):
        io.decode(junk.read_bytes())


@pytest.mark.parametrize(("fmt", "layout"), [("s16", "stereo"), ("s32p", "stereo"),
                                             ("u8", "mono"), ("dbl", "stereo")])  # fmt: skip
def test_frames_of_every_sample_format_become_mono_float(fmt: str, layout: str) -> None:
    left = np.linspace(-0.5, 0.5, 64)
    right = -0.25 * np.ones(64)
    channels = [left, right] if layout == "stereo" else [left]
    expected = np.mean(channels, axis=0)
    kind = fmt.rstrip("p")
    scale = {"s16": 32767, "s32": 2**31 - 1, "u8": 127, "dbl": 1}[kind]
    data = np.array(channels) * scale + (128 if kind == "u8" else 0)
    dtype = {"s16": np.int16, "s32": np.int32, "u8": np.uint8, "dbl": np.float64}[kind]
    array = data.astype(dtype)
    if not fmt.endswith("p") and layout == "stereo":
        array = array.T.reshape(1, -1)  # packed: L R L R ...
    frame = av.AudioFrame.from_ndarray(array, format=fmt, layout=layout)
    np.testing.assert_allclose(media.mono(frame), expected, atol=1 / 100)


def test_rechunk_gives_exact_blocks() -> None:
    pieces = [np.arange(n, dtype=np.float32) for n in (3, 10, 1, 7, 0, 12)]
    blocks = list(media.rechunk(pieces, 5))
    assert [len(b) for b in blocks] == [5] * 6 + [3]
    np.testing.assert_array_equal(np.concatenate(blocks), np.concatenate(pieces))


@pytest.mark.parametrize("container", sorted(MEDIA_CONTAINERS))
def test_the_media_sink_writes_each_container_in_blocks(container: str) -> None:
    rate = 24000
    samples = sine(440.0, 2.0, rate, amplitude=0.5)
    target = stdio.BytesIO()
    sink = MediaSink(target, container, rate)
    for pos in range(0, len(samples), 7000):
        sink.write(samples[pos : pos + 7000])
    sink.close()
    spec = MEDIA_CONTAINERS[container]
    target.seek(0)
    with av.open(target) as written:
        (stream,) = written.streams.audio
        assert stream.codec_context.name == ("aac" if spec.encoder == "aac" else "opus")
        decoded = np.concatenate([media.mono(f) for f in written.decode(stream)])
        out_rate = stream.codec_context.sample_rate
    assert out_rate == (rate if spec.encoder == "aac" else 48000)
    frame = 1024 if spec.encoder == "aac" else 960
    # Raw ADTS has nowhere to say that the encoder's first frame is priming: one frame more.
    frames = 2 if spec.muxer == "adts" else 1
    assert abs(len(decoded) / out_rate - 2.0) <= frames * frame / out_rate
    assert abs(peak_hz(decoded, out_rate) - 440.0) < 2.0


@pytest.mark.parametrize("fed", [1.5, 2.5])
def test_a_remuxed_track_lasts_exactly_as_long_as_the_one_it_replaces(
    tmp_path: Path, fed: float
) -> None:
    source = write_media(tmp_path / "talk.mkv", "mkv", 2.0)
    remux = Remux(source, 1, 0.0, 2.0)
    target = stdio.BytesIO()
    sink = MediaSink(target, "mkv", 48000, remux)
    sink.write(sine(220.0, fed, 48000).copy())
    sink.close()
    target.seek(0)
    with av.open(target) as written:
        decoded = sum(f.samples for f in written.decode(audio=0))
    assert decoded == 96000


def test_a_failed_conversion_does_not_finish_the_video(tmp_path: Path) -> None:
    source = write_media(tmp_path / "talk.mp4", "mp4", 2.0)
    target = stdio.BytesIO()
    sink = MediaSink(target, "mp4", 44100, Remux(source, 1, 0.0, 2.0))
    sink.write(np.zeros(4410, np.float32))
    sink.abort()  # as the long-audio runner does when a section fails
    assert target.getbuffer().nbytes < 20_000  # no 2 s of silence, no video copied


def test_plan_output_names_what_it_writes() -> None:
    assert plan_output("x.m4a", None).container == "m4a"
    assert plan_output("x.webm", None).request.name == "pcm_48000"
    assert plan_output("x.MP4", "pcm_24000").request.name == "pcm_24000"
    with pytest.raises(InputError, match="cannot be written as a .m4a file"):
        plan_output("x.m4a", "mp3_44100_128")
    with pytest.raises(InputError, match="voxcli cannot write .xyz files"):
        plan_output("x.xyz", None)
    assert plan_output("noextension", None).request.name == "mp3_44100_128"


def test_a_video_track_start_is_read(tmp_path: Path) -> None:
    path = write_media(tmp_path / "late.mkv", "mkv", audio_start=0.5)
    with media_spool.decoded(path) as track:
        assert abs(track.start_seconds - 0.5) < 0.002
        assert track.media.video_streams == 1 and track.track.index == 1
