"""`voxcli convert` against a real server that speaks the ElevenLabs contract.

Each test drives the CLI as a user would and inspects what reached the server and what landed
on disk or stdout.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from tests.cli.helpers import conversions, leftovers
from tests.support.server import TEST_KEY, VOICE_ID
from voxcli.audio.io import resample
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_converts_to_mp3_with_the_documented_request(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    result = runner.invoke(app, ["convert", str(speech), "--voice", "Rachel", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out)]
    info = sf.info(str(out))
    assert info.format == "MP3" and abs(info.duration - 3.0) < 0.1
    [req] = conversions(api)
    assert req.path == f"/v1/voice-changer/{VOICE_ID}"
    assert req.query == {"output_format": "mp3_44100_128"}
    assert req.form == {"model_id": "eleven_multilingual_sts_v2"}
    assert req.headers["xi-api-key"] == TEST_KEY
    assert req.audio == speech.read_bytes()  # the original file goes up untouched


def test_every_flag_reaches_the_request(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.pcm")
    args = ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--seed", "4294967295",
            "--latency", "3", "--stability", "0.2", "--similarity-boost", "0.9", "--style", "0.1",
            "--no-speaker-boost", "--speed", "1.1", "--remove-background-noise", "--no-logging",
            "--input-format", "pcm", "-m", "eleven_english_sts_v2", "-f", "pcm_16000"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    [req] = conversions(api)
    assert req.query == {"output_format": "pcm_16000", "enable_logging": "false",
                         "optimize_streaming_latency": "3"}  # fmt: skip
    assert req.form["seed"] == "4294967295"
    assert req.form["model_id"] == "eleven_english_sts_v2"
    assert req.form["remove_background_noise"] == "true"
    assert req.form["file_format"] == "pcm_s16le_16"
    assert json.loads(req.form["voice_settings"]) == {
        "stability": 0.2, "similarity_boost": 0.9, "style": 0.1,
        "use_speaker_boost": False, "speed": 1.1,
    }  # fmt: skip
    assert req.audio is not None and len(req.audio) == 3 * 16000 * 2  # raw 16 kHz s16le
    # The answer is headerless PCM, written as received: the inverted input.
    converted = np.frombuffer(out.read_bytes(), dtype="<i2") / 32768.0
    source, _ = sf.read(str(speech))
    assert correlation(source, converted) < -0.99


def test_expressive_then_settings_then_flags(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    settings = '{"style": 0.4, "similarity_boost": 0.5}'
    args = ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--expressive",
            "--settings", settings, "--similarity-boost", "0.6"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    sent = json.loads(conversions(api)[0].form["voice_settings"])
    assert sent == {"stability": 1.0, "style": 0.4, "similarity_boost": 0.6}


def test_wav_output_requests_pcm_and_writes_a_header(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.wav")
    assert (
        runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(out)]).exit_code == 0
    )
    assert conversions(api)[0].query["output_format"] == "pcm_44100"
    converted, rate = sf.read(str(out))
    assert (rate, sf.info(str(out)).subtype) == (44100, "PCM_16")
    source, source_rate = sf.read(str(speech), dtype="float32")
    assert correlation(resample(source, source_rate, 44100), converted) < -0.99


def test_default_name_is_stem_voice_ext_beside_the_input(api: ApiServer, speech: Path) -> None:
    result = runner.invoke(app, ["convert", str(speech), "-v", "rachel"])
    assert result.exit_code == 0, result.output
    expected = speech.with_name("speech.rachel.mp3")
    assert result.stdout.strip() == str(expected) and expected.exists()


def test_stdin_to_stdout(api: ApiServer, speech: Path) -> None:
    result = runner.invoke(
        app, ["convert", "-", "-v", "Rachel", "-f", "wav_16000"], input=speech.read_bytes()
    )
    assert result.exit_code == 0, result.stderr
    samples, rate = sf.read(io.BytesIO(result.stdout_bytes))
    assert rate == 16000 and abs(len(samples) - 48000) <= 1
    assert conversions(api)[0].query["output_format"] == "wav_16000"


def test_stream_uses_the_streaming_endpoint(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.wav")
    result = runner.invoke(
        app, ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--stream"]
    )
    assert result.exit_code == 0, result.output
    [req] = conversions(api)
    assert req.path == f"/v1/voice-changer/{VOICE_ID}/stream"
    converted, rate = sf.read(str(out))
    assert rate == 44100 and abs(len(converted) / rate - 3.0) < 0.01


def test_json_reports_the_result(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    result = runner.invoke(
        app, ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--seed", "7", "--json"]
    )
    data = json.loads(result.stdout)
    assert data["output"] == str(out)
    assert data["voice_id"] == VOICE_ID and data["model"] == "eleven_multilingual_sts_v2"
    assert data["seed"] == 7 and data["output_format"] == "mp3_44100_128"
    assert data["duration_seconds"] == 3.0
    assert data["request_id"] and data["character_cost"] == 50  # 1,000 per minute, rounded up


def test_existing_output_is_refused_skipped_or_replaced(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    out.write_bytes(b"mine")
    refused = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(out)])
    assert refused.exit_code == 4
    assert "already exists" in refused.stderr and "--overwrite" in refused.stderr
    skipped = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(out), "-n"])
    assert skipped.exit_code == 0 and skipped.stdout == ""
    assert out.read_bytes() == b"mine" and conversions(api) == []
    replaced = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(out), "-y"])
    assert replaced.exit_code == 0 and sf.info(str(out)).format == "MP3"


def test_failure_leaves_no_output_behind(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    api.fail_next(503, times=10, path="/voice-changer/")
    result = runner.invoke(
        app, ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--retries", "3"]
    )
    assert result.exit_code == 6
    assert len(conversions(api)) == 3  # retried, then gave up
    assert not out.exists() and leftovers(speech.parent) == []
    assert "Traceback" not in result.output and TEST_KEY not in result.output


def test_failure_mid_stream_leaves_no_output_behind(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.pcm")
    api.cut_next_stream(after_chunks=2, times=10)
    api.stream_chunk_bytes = 1024
    args = ["convert", str(speech), "-v", "Rachel", "-o", str(out), "--stream", "--retries", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 6, result.output
    assert not out.exists() and leftovers(speech.parent) == []


def test_a_derived_tier_gated_format_falls_back_once(api: ApiServer, speech: Path) -> None:
    api.allowed_formats = {"pcm_24000", "mp3_44100_128"}
    out = speech.with_name("out.wav")
    result = runner.invoke(app, ["convert", str(speech), "-v", "Rachel", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [r.query["output_format"] for r in conversions(api)] == ["pcm_44100", "pcm_24000"]
    assert "pcm_24000" in result.stderr
    assert sf.info(str(out)).samplerate == 24000


def test_a_pinned_tier_gated_format_fails_with_a_suggestion(api: ApiServer, speech: Path) -> None:
    api.allowed_formats = {"pcm_24000", "mp3_44100_128"}
    out = speech.with_name("out.wav")
    result = runner.invoke(
        app, ["convert", str(speech), "-v", "Rachel", "-o", str(out), "-f", "pcm_44100"]
    )
    assert result.exit_code == 5
    assert "Pro" in result.stderr and "pcm_24000" in result.stderr
    assert len(conversions(api)) == 1 and not out.exists()


def test_ambiguous_and_unknown_voices_list_candidates(api: ApiServer, speech: Path) -> None:
    ambiguous = runner.invoke(app, ["convert", str(speech), "-v", "ALEX", "-o", "x.mp3"])
    assert ambiguous.exit_code == 4
    assert "AlexClonedVoice00001" in ambiguous.stderr and "AlexGeneratedVoice01" in ambiguous.stderr
    unknown = runner.invoke(app, ["convert", str(speech), "-v", "Rachle", "-o", "x.mp3"])
    assert unknown.exit_code == 4 and "Rachel" in unknown.stderr
    assert conversions(api) == []


def test_a_voice_id_is_used_without_listing(api: ApiServer, speech: Path) -> None:
    out = speech.with_name("out.mp3")
    assert (
        runner.invoke(app, ["convert", str(speech), "-v", VOICE_ID, "-o", str(out)]).exit_code == 0
    )
    assert [r.path for r in api.requests] == [f"/v1/voice-changer/{VOICE_ID}"]


def test_a_model_that_cannot_convert_is_refused_before_upload(api: ApiServer, speech: Path) -> None:
    args = ["convert", str(speech), "-v", VOICE_ID, "-m", "eleven_multilingual_v2", "-o", "x.mp3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 5
    assert (
        "cannot do voice conversion" in result.stderr
        and "eleven_multilingual_sts_v2" in result.stderr
    )
    assert conversions(api) == []
