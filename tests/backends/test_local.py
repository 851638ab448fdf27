"""The local backend end to end: uploads in, every codec family out, voices managed on disk."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from tests.engine.speech import SENTENCES, SHORT, espeak, f0_median
from voxcli.audio import io
from voxcli.audio.formats import parse_format
from voxcli.backends.base import ConvertRequest, Upload
from voxcli.backends.local import MODEL_IDS, LocalBackend
from voxcli.backends.voice_settings import VoiceSettings
from voxcli.errors import InputError, ServiceError


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, int]:
    """A 16 kHz WAV of about 5 s of low-pitched espeak-ng speech."""
    folder = tmp_path_factory.mktemp("local")
    samples, rate = espeak(SHORT, folder / "raw.wav", pitch=25)
    samples = np.asarray(soxr.resample(samples, rate, 16000), dtype=np.float32)
    path = folder / "speech.wav"
    sf.write(str(path), samples, 16000, subtype="PCM_16")
    return path, samples, 16000


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(data_dir=tmp_path / "data", quality="fast")


def _upload(path: Path) -> Upload:
    return Upload(path.read_bytes(), path.name, "audio/wav", sf.info(str(path)).duration)


@pytest.mark.parametrize(
    "output_format",
    ["mp3_44100_128", "pcm_16000", "pcm_24000", "wav_22050", "ulaw_8000", "alaw_8000",
     "opus_48000_64"],
)  # fmt: skip
def test_converts_an_upload_to_every_codec_family(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int], output_format: str
) -> None:
    path, samples, rate = speech
    request = ConvertRequest(voice_id="sally", output_format=output_format)
    result = backend.convert(_upload(path), request)
    assert result.output_format == output_format
    assert result.request_id and result.request_id.startswith("local-")
    fmt = parse_format(output_format)
    decoded, out_rate = io.decode(result.audio, fmt)
    expected_rate = 48000 if fmt.codec == "opus" else fmt.sample_rate
    assert out_rate == expected_rate
    assert len(decoded) / out_rate == pytest.approx(len(samples) / rate, abs=0.08)
    assert np.all(np.isfinite(decoded)) and np.max(np.abs(decoded)) <= 1.0
    if fmt.sample_rate >= 16000 and fmt.codec != "opus":
        assert f0_median(decoded, out_rate) > 1.5 * f0_median(samples, rate)


def test_raw_pcm_upload_is_read_as_16k(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int]
) -> None:
    _, samples, _ = speech
    upload = Upload(io.to_pcm16(samples), "speech.pcm", "audio/pcm", len(samples) / 16000,
                    file_format="pcm_s16le_16")  # fmt: skip
    result = backend.convert(upload, ConvertRequest(voice_id="karl", output_format="pcm_16000"))
    decoded, rate = io.decode(result.audio, parse_format("pcm_16000"))
    assert rate == 16000 and len(decoded) == len(samples)


def test_similarity_boost_is_the_strength(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int]
) -> None:
    path, samples, rate = speech
    gentle = ConvertRequest(voice_id="sally", output_format="pcm_16000",
                            voice_settings=VoiceSettings(similarity_boost=0.0))  # fmt: skip
    decoded, _ = io.decode(backend.convert(_upload(path), gentle).audio, parse_format("pcm_16000"))
    assert f0_median(decoded, 16000) == pytest.approx(f0_median(samples, rate), rel=0.05)


def test_same_request_gives_the_same_bytes_from_two_threads(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int]
) -> None:
    path, _, _ = speech
    request = ConvertRequest(voice_id="ken", output_format="pcm_16000", seed=7)
    serial = backend.convert(_upload(path), request).audio
    results: list[bytes] = []

    def work() -> None:
        results.append(backend.convert(_upload(path), request).audio)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [serial, serial]


def test_lists_builtin_voices_with_their_statistics(backend: LocalBackend) -> None:
    voices = {v.voice_id: v for v in backend.voices()}
    assert LocalBackend.DEFAULT_VOICE in voices
    genders = {v.labels.get("gender") for v in voices.values()}
    assert {"female", "male"} <= genders
    for voice in voices.values():
        assert voice.category == "builtin"
        assert voice.details["reference_seconds"] >= 30
        assert voice.details["codebook_frames"] > 0
        assert 60 < voice.details["f0_mean_hz"] < 300
        assert 12 < voice.details["vocal_tract_cm"] < 20
        assert voice.details["licence"]
    assert voices["sally"].details["f0_mean_hz"] > voices["karl"].details["f0_mean_hz"]


def test_models_are_the_two_sts_ids(backend: LocalBackend) -> None:
    models = backend.models()
    assert [m.model_id for m in models] == list(MODEL_IDS)
    assert all(m.can_do_voice_conversion and "local" in m.description for m in models)


def test_unknown_voice_and_model_are_refused_with_hints(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int]
) -> None:
    path, _, _ = speech
    with pytest.raises(ServiceError, match="no voice 'nobody'") as info:
        backend.convert(_upload(path), ConvertRequest(voice_id="nobody"))
    assert info.value.hint and "sally" in info.value.hint and "karl" in info.value.hint
    with pytest.raises(ServiceError, match="no model") as info:
        backend.convert(_upload(path), ConvertRequest(voice_id="sally", model_id="eleven_v3"))
    assert info.value.hint and MODEL_IDS[0] in info.value.hint


def test_undecodable_upload_is_an_input_error(backend: LocalBackend) -> None:
    with pytest.raises(InputError):
        backend.convert(Upload(b"garbage" * 100, "x.wav", "audio/wav", 1.0),
                        ConvertRequest(voice_id="sally"))  # fmt: skip


def test_add_list_convert_and_remove_a_user_voice(
    backend: LocalBackend, tmp_path: Path, speech: tuple[Path, np.ndarray, int]
) -> None:
    first, _ = espeak(SENTENCES[:160], tmp_path / "a.wav", voice="en-us+f3", pitch=70)
    second, _ = espeak(SENTENCES[160:], tmp_path / "b.wav", voice="en-us+f3", pitch=70)
    assert first.size and second.size
    voice = backend.add_voice("My Voice", [tmp_path / "a.wav", tmp_path / "b.wav"],
                              description="test voice", labels={"gender": "female"})  # fmt: skip
    assert voice.voice_id == "my-voice" and voice.name == "My Voice"
    assert voice.category == "user" and voice.labels == {"gender": "female"}
    assert voice.details["samples"] == ["a.wav", "b.wav"]
    assert (backend.user_voice_dir / "my-voice.npz").is_file()
    # A fresh backend on the same data dir sees it too.
    again = LocalBackend(data_dir=backend.data_dir, quality="fast")
    assert "my-voice" in [v.voice_id for v in again.voices()]
    path, _, _ = speech
    request = ConvertRequest(voice_id="my-voice", output_format="pcm_16000")
    assert again.convert(_upload(path), request).audio
    with pytest.raises(InputError, match="already have a local voice"):
        backend.add_voice("my voice", [tmp_path / "a.wav"])
    backend.remove_voice("my-voice")
    assert "my-voice" not in [v.voice_id for v in backend.voices()]
    with pytest.raises(ServiceError, match="no voice"):
        backend.remove_voice("my-voice")


def test_voice_management_refusals(backend: LocalBackend, tmp_path: Path) -> None:
    short, _ = espeak("Too short to clone.", tmp_path / "short.wav")
    assert short.size
    with pytest.raises(InputError, match="at least 10 s"):
        backend.add_voice("short", [tmp_path / "short.wav"])
    with pytest.raises(InputError, match="does not exist"):
        backend.add_voice("ghost", [tmp_path / "missing.wav"])
    with pytest.raises(InputError, match="voice name"):
        backend.add_voice("!!!", [tmp_path / "short.wav"])
    with pytest.raises(InputError, match="built-in local voice, which cannot be replaced"):
        backend.add_voice("Sally", [tmp_path / "short.wav"])
    with pytest.raises(InputError, match="built-in"):
        backend.remove_voice("sally")
    assert not backend.user_voice_dir.exists()  # nothing written by failed attempts


def test_damaged_user_profile_is_listed_but_refused(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int]
) -> None:
    backend.user_voice_dir.mkdir(parents=True)
    (backend.user_voice_dir / "broken.npz").write_bytes(b"nope")
    broken = [v for v in backend.voices() if v.voice_id == "broken"]
    assert broken and "error" in broken[0].details
    path, _, _ = speech
    with pytest.raises(InputError, match="damaged"):
        backend.convert(_upload(path), ConvertRequest(voice_id="broken"))


def test_bad_constructor_values_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="quality"):
        LocalBackend(data_dir=tmp_path, quality="best")
    with pytest.raises(InputError, match="strength"):
        LocalBackend(data_dir=tmp_path, strength=2.0)


def test_importing_the_backend_does_not_load_the_engine() -> None:
    code = (
        "import sys, voxcli.backends.local; print('numpy' in sys.modules, 'pyworld' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


def test_voices_command_lists_local_voices_without_loading_the_engine() -> None:
    """`voxcli voices` (local backend: no key) reads stored metadata only (issue 12, item 1)."""
    code = (
        "import sys\n"
        "sys.argv = ['voxcli', 'voices', '--json', '-q']\n"
        "from voxcli.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "heavy = {'numpy', 'pyworld', 'soxr', 'scipy', 'voxcli.engine.profile'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
    listed = {v["voice_id"]: v for v in json.loads(done.stdout)}
    assert listed["sally"]["details"]["codebook_frames"] > 0


def test_the_engine_reports_its_progress_through_the_upload(
    backend: LocalBackend, speech: tuple[Path, np.ndarray, int]
) -> None:
    from dataclasses import replace

    seen: list[tuple[str, float | None]] = []
    upload = replace(_upload(speech[0]), progress=lambda what, done: seen.append((what, done)))
    result = backend.convert(upload, ConvertRequest("sally", output_format="pcm_16000"))
    assert result.audio
    fractions = [done for what, done in seen if what == "converting"]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and len(fractions) > 3
    assert fractions == sorted(fractions)  # it only moves forward
