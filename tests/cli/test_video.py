"""Videos stay videos: the converted voice replaces the audio track, everything else is copied.

Each video is made with PyAV (a real VP8 or MPEG-4 video stream, subtitles, chapters, a title),
converted through the CLI on the local engine and against the contract server, and read back:
the video and subtitle packets must be byte for byte the input's, at the same times, and the
new audio must last as long as the old one within one audio frame.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from tests.cli.helpers import conversions, leftovers
from tests.support.interrupt import voxcli_command
from tests.support.media import (
    ATTACHMENT,
    CHAPTERS,
    SUBTITLE,
    TITLE,
    contents,
    onset_seconds,
    video_packets,
    write_media,
)
from tests.support.server import TEST_KEY
from tests.support.tmpfs import small_disk
from tests.support.transform_backend import TransformBackend
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()

VIDEOS = ["mp4", "mov", "mkv", "webm"]
#: Samples per audio frame of the codec voxcli writes into each container.
FRAME = {"mp4": 1024, "mov": 1024, "mkv": 960, "webm": 960}


def assert_same_video(source: Path, output: Path, container: str) -> None:
    before, after = contents(source), contents(output)
    assert [kind for kind, _ in after.streams] == [kind for kind, _ in before.streams]
    assert after.format == before.format
    # Packet for packet: the same bytes at the same times, never re-encoded.
    assert video_packets(after) == video_packets(before)
    subs = [i for i, (kind, _) in enumerate(before.streams) if kind == "subtitle"]
    assert subs and all(after.packets[i] == before.packets[i] for i in subs)
    assert any(SUBTITLE.encode() in data for data, _ in after.packets[subs[0]])
    assert [name for name, _, _ in after.chapters] == list(CHAPTERS)
    assert after.chapters == before.chapters
    assert after.title == TITLE
    assert after.attachments == before.attachments
    if container == "mkv":
        assert after.attachments == [ATTACHMENT]
    old = before.audio_samples[0] / before.audio_rates[0]
    new = after.audio_samples[0] / after.audio_rates[0]
    assert abs(new - old) <= FRAME[container] / after.audio_rates[0], (old, new)


@pytest.mark.parametrize("container", VIDEOS)
def test_a_video_gives_a_video_beside_it_against_the_service(
    api: ApiServer, tmp_path: Path, container: str
) -> None:
    source = write_media(tmp_path / f"talk.{container}", container)
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel"])
    assert result.exit_code == 0, result.output
    output = tmp_path / f"talk.rachel.{container}"
    assert result.stdout.splitlines() == [str(output)]
    assert len(conversions(api)) == 1
    assert_same_video(source, output, container)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("container", VIDEOS)
def test_a_video_converted_on_the_local_engine_keeps_its_picture(
    tmp_path: Path, container: str
) -> None:
    source = write_media(tmp_path / f"talk.{container}", container)
    output = tmp_path / f"dubbed.{container}"
    result = runner.invoke(app, ["convert", str(source), "-o", str(output), "--backend", "local"])
    assert result.exit_code == 0, result.output
    assert_same_video(source, output, container)


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_a_late_audio_track_starts_and_ends_where_it_did(
    api: ApiServer, tmp_path: Path, container: str
) -> None:
    source = write_media(tmp_path / f"late.{container}", container, audio_start=0.5)
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel"])
    assert result.exit_code == 0, result.output
    output = tmp_path / f"late.rachel.{container}"
    assert abs(onset_seconds(output) - onset_seconds(source)) < 0.005
    before, after = contents(source), contents(output)
    assert video_packets(after) == video_packets(before)
    end_before = before.audio_starts[0] + before.audio_samples[0] / before.audio_rates[0]
    end_after = after.audio_starts[0] + after.audio_samples[0] / after.audio_rates[0]
    assert abs(end_after - end_before) <= FRAME[container] / after.audio_rates[0]
    if container == "mkv":  # Matroska delays the track itself; MP4 gets leading silence
        assert abs(after.audio_starts[0] - before.audio_starts[0]) < 0.002


def test_a_tier_fallback_still_gives_the_video_its_full_length(
    api: ApiServer, tmp_path: Path
) -> None:
    api.allowed_formats = {"pcm_24000", "mp3_44100_128"}
    source = write_media(tmp_path / "talk.webm", "webm")
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel"])
    assert result.exit_code == 0, result.output
    assert [r.query["output_format"] for r in conversions(api)] == ["pcm_48000", "pcm_24000"]
    assert "using pcm_24000 instead" in result.stderr
    assert_same_video(source, tmp_path / "talk.rachel.webm", "webm")  # Opus, back at 48 kHz


def test_a_video_can_change_container_when_the_codecs_fit(api: ApiServer, tmp_path: Path) -> None:
    source = write_media(tmp_path / "talk.mp4", "mp4")
    output = tmp_path / "talk.mov"
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert video_packets(contents(output)) == video_packets(contents(source))


def test_a_container_that_cannot_carry_the_video_is_refused_before_uploading(
    api: ApiServer, tmp_path: Path
) -> None:
    source = write_media(tmp_path / "talk.mkv", "mkv")  # VP8 video: MP4 does not take it
    output = tmp_path / "talk.mp4"
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel", "-o", str(output)])
    assert result.exit_code == 4, result.output
    assert "cannot copy the input's video stream 0 (vp8) into a .mp4 file" in result.stderr
    assert "hint:" in result.stderr
    assert conversions(api) == []
    assert not output.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "name"),
    [(["-o", "{dir}/voice.wav"], "voice.wav"), (["-f", "pcm_24000"], "talk.rachel.pcm")],
)
def test_an_audio_extension_or_format_gives_audio_only(
    api: ApiServer, tmp_path: Path, args: list[str], name: str
) -> None:
    source = write_media(tmp_path / "talk.mp4", "mp4", 1.0)
    given = [a.format(dir=tmp_path) for a in args]
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel", *given])
    assert result.exit_code == 0, result.output
    output = tmp_path / name
    assert result.stdout.splitlines() == [str(output)]
    if name.endswith(".wav"):
        info = sf.info(str(output))
        assert info.format == "WAV" and abs(info.duration - 1.0) < 0.05
    else:
        assert abs(output.stat().st_size / 2 / 24000 - 1.0) < 0.05


def test_a_video_without_an_audio_track_is_an_input_error(api: ApiServer, tmp_path: Path) -> None:
    source = write_media(tmp_path / "silent.mp4", "mp4", with_audio=False)
    result = runner.invoke(app, ["convert", str(source), "-v", "Rachel"])
    assert result.exit_code == 4, result.output
    assert f"{source} has no audio track" in result.stderr
    assert conversions(api) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["silent.mp4"]


def test_a_video_piped_through_stdin_stays_a_video(api: ApiServer, tmp_path: Path) -> None:
    source = write_media(tmp_path / "talk.mp4", "mp4", 1.0)
    output = tmp_path / "out.mp4"
    result = runner.invoke(
        app, ["convert", "-", "-v", "Rachel", "-o", str(output)], input=source.read_bytes()
    )
    assert result.exit_code == 0, result.output
    assert video_packets(contents(output)) == video_packets(contents(source))


@pytest.fixture
def slow_identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    with ApiServer(TransformBackend("identity"), api_key=TEST_KEY) as server:
        server.latency_seconds = 0.5
        monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
        monkeypatch.setenv("VOXCLI_BASE_URL", server.url)
        yield server


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])  # fmt: skip
def test_a_stopped_video_conversion_leaves_nothing_behind(
    slow_identity: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    source = write_media(tmp_path / "talk.mkv", "mkv", 24.0)
    spools = tmp_path / "tmp"
    spools.mkdir()
    monkeypatch.setenv("TMPDIR", str(spools))
    output = tmp_path / "talk.rachel.mkv"
    run = subprocess.Popen(
        voxcli_command("convert", str(source), "-v", "Rachel", "--max-section", "5", "-j", "1"),
        env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(conversions(slow_identity)) < 2:  # decoded, planned, converting
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the conversion made no progress"
        time.sleep(0.05)
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode in (-signal.SIGKILL, 130, 143), stderr
    assert "Traceback" not in stderr
    assert not output.exists()
    if sig != signal.SIGKILL:
        assert leftovers(tmp_path) == [] and list(spools.iterdir()) == []
    else:  # a killed process cleans nothing up, but leaves nothing that looks finished
        assert all(name.endswith(".part") for name in leftovers(tmp_path))


def test_a_full_disk_under_a_video_is_one_error_line(api: ApiServer, tmp_path: Path) -> None:
    source = write_media(tmp_path / "talk.mkv", "mkv", 4.0)
    with small_disk(tmp_path / "small", size="32k") as disk:
        for name in ("talk.mkv", "talk.m4a"):
            done = subprocess.run(
                [sys.executable, "-m", "voxcli", "convert", str(source), "-v", "Rachel",
                 "-o", str(disk / name), "-q"],
                capture_output=True, text=True, env=dict(os.environ), check=False,
            )  # fmt: skip
            assert done.returncode == 4, done.stderr
            assert f"error: no space left on device while writing {disk / name}" in done.stderr
            assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
            assert os.listdir(disk) == []
