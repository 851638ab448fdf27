"""Every format people have: voice memos (M4A/AAC) and browser recordings (Opus in WebM) in,
what the output's name says out.

Fixtures are made with PyAV; each is converted through the CLI on the local engine and against
the contract server (which inverts polarity, so the result can be compared with the input).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from tests.cli.helpers import conversions, leftovers
from tests.support.long_speech import long_speech
from tests.support.media import KINDS, voice, write_media
from tests.support.server import TEST_KEY
from tests.support.transform_backend import TransformBackend
from voxcli.audio.formats import OUTPUT_EXTENSIONS
from voxcli.audio.io import resample
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()

#: (fixture kind, file name, default output's extension: an audio memo gets MP3, a WebM stays WebM)
MEMOS = [("m4a", "memo.m4a", ".mp3"), ("webm-audio", "meeting.webm", ".webm")]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.mark.parametrize(("kind", "name", "ext"), MEMOS)
def test_a_memo_converts_against_the_service(
    api: ApiServer, tmp_path: Path, kind: str, name: str, ext: str
) -> None:
    source = write_media(tmp_path / name, kind)
    output = tmp_path / "out.wav"
    rate = KINDS[kind].rate
    args = ["convert", str(source), "-v", "Rachel", "-o", str(output), "-f", f"pcm_{rate}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    converted, _ = sf.read(str(output), dtype="float32")
    original = voice(2.0, rate)
    assert abs(len(converted) / rate - 2.0) < 0.03
    upload = conversions(api)[0]
    assert upload.audio_filename == "audio.flac"  # the decoded track, lossless
    # The inverted answer of a lossy (AAC/Opus) copy of the original.
    assert correlation(converted, -original) > 0.9


@pytest.mark.parametrize(("kind", "name", "ext"), MEMOS)
def test_a_memo_converts_on_the_local_engine(
    tmp_path: Path, kind: str, name: str, ext: str
) -> None:
    source = write_media(tmp_path / name, kind)
    result = runner.invoke(app, ["convert", str(source), "--backend", "local"])
    assert result.exit_code == 0, result.output
    output = Path(result.stdout.strip())
    assert output == tmp_path / f"{Path(name).stem}.sally{ext}"
    with av.open(str(output)) as container:
        stream = container.streams.audio[0]
        seconds = sum(f.samples for f in container.decode(stream)) / stream.sample_rate
    assert abs(seconds - 2.0) < 0.1


def test_a_memo_piped_through_stdin(api: ApiServer, tmp_path: Path) -> None:
    # An MP4 keeps its index wherever the writer put it: stdin is spooled so FFmpeg may seek.
    data = write_media(tmp_path / "memo.m4a", "m4a").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "voxcli", "convert", "-", "-v", "Rachel", "-f", "pcm_16000"],
        input=data, capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert abs(len(done.stdout) / 2 / 16000 - 2.0) < 0.03


def test_m4a_output_is_aac_in_mp4(api: ApiServer, speech: Path, tmp_path: Path) -> None:
    output = tmp_path / "x.m4a"
    result = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(output)])
    assert result.exit_code == 0, result.output
    with av.open(str(output)) as container:
        assert container.format.name.startswith("mov,mp4,m4a")
        assert container.metadata["major_brand"].strip() == "M4A"
        (stream,) = container.streams
        assert stream.codec_context.name == "aac"
        samples = sum(f.samples for f in container.decode(stream))
    assert abs(samples / 44100 - 3.0) < 1024 / 44100 * 2


#: What each extension must read back as: (libsndfile's format or FFmpeg's demuxer, codec).
WRITTEN = {
    ".mp3": ("MP3", None), ".wav": ("WAV", None), ".flac": ("FLAC", None),
    ".aiff": ("AIFF", None), ".aif": ("AIFF", None), ".ogg": ("OGG", "OPUS"),
    ".opus": ("OGG", "OPUS"), ".pcm": ("raw", None), ".raw": ("raw", None),
    ".ulaw": ("raw", None), ".alaw": ("raw", None),
    ".m4a": ("mov,mp4,m4a,3gp,3g2,mj2", "aac"), ".mp4": ("mov,mp4,m4a,3gp,3g2,mj2", "aac"),
    ".m4v": ("mov,mp4,m4a,3gp,3g2,mj2", "aac"), ".mov": ("mov,mp4,m4a,3gp,3g2,mj2", "aac"),
    ".aac": ("aac", "aac"), ".mkv": ("matroska,webm", "opus"),
    ".mka": ("matroska,webm", "opus"), ".webm": ("matroska,webm", "opus"),
}  # fmt: skip


def test_every_output_extension_is_covered() -> None:
    assert sorted(WRITTEN) == sorted(OUTPUT_EXTENSIONS)


@pytest.mark.parametrize("ext", sorted(WRITTEN))
def test_every_output_extension_is_written_as_what_it_says(
    api: ApiServer, speech: Path, tmp_path: Path, ext: str
) -> None:
    output = tmp_path / f"out{ext}"
    result = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(output)])
    assert result.exit_code == 0, result.output
    fmt, codec = WRITTEN[ext]
    data = output.read_bytes()
    if fmt == "raw":
        assert data[:4] not in (b"RIFF", b"ID3\x03", b"OggS", b"fLaC")
    elif codec is None or fmt == "OGG":
        info = sf.info(io.BytesIO(data))
        assert (info.format, codec or info.subtype) == (fmt, codec or info.subtype)
    else:
        with av.open(str(output)) as container:
            assert container.format.name == fmt
            assert [s.codec_context.name for s in container.streams.audio] == [codec]


@pytest.mark.parametrize("name", ["out.m4p", "out.txt", "talk.v2"])
def test_an_extension_voxcli_cannot_write_is_refused_before_uploading(
    api: ApiServer, speech: Path, tmp_path: Path, name: str
) -> None:
    output = tmp_path / name
    result = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(output)])
    assert result.exit_code == 4, result.output
    suffix = Path(name).suffix
    assert f"error: voxcli cannot write {suffix} files" in result.stderr
    assert ".mp3, .wav, .flac" in result.stderr and ".m4a" in result.stderr
    assert conversions(api) == []
    assert not output.exists() and leftovers(tmp_path) == []


def test_the_audio_track_is_chosen_with_audio_track(api: ApiServer, tmp_path: Path) -> None:
    rate = 48000
    first, second = voice(2.0, rate, seed=1), voice(2.0, rate, seed=2)
    source = write_media(tmp_path / "dub.mkv", "mkv", tracks=[first, second])
    outputs = {}
    for track in ("1", "2"):
        output = tmp_path / f"track{track}.wav"
        args = ["convert", str(source), "-v", "Rachel", "-o", str(output), "-f", "pcm_48000"]
        result = runner.invoke(app, [*args, "--audio-track", track])
        assert result.exit_code == 0, result.output
        outputs[track] = sf.read(str(output), dtype="float32")[0]
    assert correlation(outputs["1"], -first) > 0.9 > correlation(outputs["1"], -second)
    assert correlation(outputs["2"], -second) > 0.9 > correlation(outputs["2"], -first)
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel", "--audio-track", "3"])
    assert result.exit_code == 4
    assert "has 2 audio track(s), not a track 3" in result.stderr
    assert "1: opus, 48000 Hz, 2 ch; 2: opus, 48000 Hz, 2 ch" in result.stderr
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel", "--audio-track", "0"])
    assert result.exit_code == 4 and "counts from 1" in result.stderr


def test_a_second_track_of_a_wav_is_an_input_error(speech: Path) -> None:
    result = runner.invoke(
        app, ["convert", str(speech), "--backend", "local", "--audio-track", "2"]
    )
    assert result.exit_code == 4
    assert "has 1 audio track(s), not a track 2" in result.stderr


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> ApiServer:
    with ApiServer(TransformBackend("identity"), api_key=TEST_KEY) as server:
        monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
        monkeypatch.setenv("VOXCLI_BASE_URL", server.url)
        yield server


def test_a_long_memo_goes_through_sections_and_resumes_from_the_cache(
    identity: ApiServer, tmp_path: Path
) -> None:
    source = write_media(tmp_path / "lecture.m4a", "m4a", 24.0)
    args = ["convert", str(source), "-v", "Rachel", "-f", "pcm_44100", "--max-section", "8",
            "--json", "-y"]  # fmt: skip
    first = runner.invoke(app, [*args, "-o", str(tmp_path / "a.wav")])
    assert first.exit_code == 0, first.output
    sections = json.loads(first.stdout)["sections"]
    assert len(sections["sections"]) >= 3 and sections["converted"] == len(sections["sections"])
    # Identity server: the output is the decoded memo, stitched back sample for sample.
    output, rate = sf.read(str(tmp_path / "a.wav"), dtype="float32")
    with av.open(str(source)) as container:
        decoded = np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)])
    assert len(output) == 24 * rate
    assert np.max(np.abs(output - decoded[: len(output)])) < 2e-3
    # Decoding again gives the same sections: a rerun sends nothing.
    before = len(conversions(identity))
    again = runner.invoke(app, [*args, "-o", str(tmp_path / "b.wav")])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["sections"]["cached"] == len(sections["sections"])
    assert len(conversions(identity)) == before


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["convert", "--help"], ["config", "show"], ["models", "--backend", "local"]],
)
def test_commands_that_touch_no_media_do_not_import_pyav(tmp_path: Path, argv: list[str]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['voxcli', *{argv!r}]\n"
        "from voxcli.cli import main\n"
        "code = 0\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code or 0\n"
        "print(code, 'av' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "0 False", done.stderr
    assert done.stdout.strip()


def test_stdin_is_called_stdin_in_messages(api: ApiServer, tmp_path: Path) -> None:
    data = write_media(tmp_path / "silent.mp4", "mp4", with_audio=False).read_bytes()
    output = tmp_path / "out.wav"
    result = runner.invoke(app, ["convert", "-", "-v", "Rachel", "-o", str(output)], input=data)
    assert result.exit_code == 4, result.output
    assert "error: stdin has no audio track" in result.stderr
    assert conversions(api) == [] and not output.exists()


def test_a_local_voice_is_made_from_a_voice_memo(tmp_path: Path) -> None:
    reference = long_speech(tmp_path / "reference.wav", 0.3, voice="en-us+f3")
    samples, rate = sf.read(str(reference), dtype="float32")
    memo = write_media(tmp_path / "reference.m4a", "m4a", tracks=[resample(samples, rate, 44100)])
    added = runner.invoke(app, ["voices", "-q", "add", "Memo Voice", str(memo)])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "memo-voice"
