"""`ElevenLabsBackend` against `ApiServer(TransformBackend)` over 127.0.0.1: what goes on the wire.

Error mapping is in `test_elevenlabs_errors.py`, retries and concurrency in
`test_elevenlabs_retry.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.support.server import (
    TEST_KEY,
    VOICE_ID,
    flac_bytes,
    flac_upload,
    pcm16,
    pcm_upload,
    tone,
)
from tests.support.transform_backend import TransformBackend, many_voices
from voxcli import __version__
from voxcli.backends.base import ConvertRequest
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.backends.voice_settings import VoiceSettings
from voxcli.errors import AuthError, ConfigError, InputError
from voxcli.server import ApiServer


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend("invert"), api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def backend(server: ApiServer, tmp_path: Path) -> Iterator[ElevenLabsBackend]:
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, backoff=0.0, cache_dir=tmp_path / "cache"
    ) as backend:
        yield backend


def test_convert_sends_only_the_required_fields_by_default(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    upload = flac_upload(1.0)
    result = backend.convert(upload, ConvertRequest(VOICE_ID, output_format="pcm_16000"))
    recorded = server.requests[-1]
    assert (recorded.method, recorded.path) == ("POST", f"/v1/voice-changer/{VOICE_ID}")
    assert recorded.query == {"output_format": "pcm_16000"}
    assert recorded.form == {"model_id": "eleven_multilingual_sts_v2"}
    assert recorded.audio == upload.data
    assert (recorded.audio_filename, recorded.audio_content_type) == ("section.flac", "audio/flac")
    assert recorded.headers["xi-api-key"] == TEST_KEY
    assert recorded.headers["user-agent"] == f"voxcli/{__version__}"
    np.testing.assert_allclose(pcm16(result.audio), -tone(1.0), atol=2e-4)
    assert result.output_format == "pcm_16000"
    assert result.request_id is not None and len(result.request_id) == 20
    assert result.character_cost == 17


def test_convert_sends_every_documented_field(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    request = ConvertRequest(
        VOICE_ID,
        model_id="eleven_english_sts_v2",
        output_format="mp3_22050_32",
        seed=4294967295,
        voice_settings=VoiceSettings(stability=0.25, similarity_boost=0.8, use_speaker_boost=False),
        remove_background_noise=True,
        enable_logging=False,
        latency=3,
    )
    backend.convert(pcm_upload(0.5), request)
    recorded = server.requests[-1]
    assert recorded.query == {
        "output_format": "mp3_22050_32",
        "enable_logging": "false",
        "optimize_streaming_latency": "3",
    }
    settings = json.loads(recorded.form.pop("voice_settings"))
    assert settings == {"stability": 0.25, "similarity_boost": 0.8, "use_speaker_boost": False}
    assert recorded.form == {
        "model_id": "eleven_english_sts_v2",
        "seed": "4294967295",
        "remove_background_noise": "true",
        "file_format": "pcm_s16le_16",
    }


def test_empty_voice_settings_are_not_sent(server: ApiServer, backend: ElevenLabsBackend) -> None:
    backend.convert(flac_upload(0.2), ConvertRequest(VOICE_ID, voice_settings=VoiceSettings()))
    assert "voice_settings" not in server.requests[-1].form


def test_stream_yields_several_chunks_as_they_arrive(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    request = ConvertRequest(VOICE_ID, output_format="pcm_16000", seed=1)
    with backend.convert_stream(flac_upload(1.0), request) as stream:
        assert stream.output_format == "pcm_16000"
        assert stream.request_id is not None and stream.character_cost == 17
        chunks = list(stream)
    assert len(chunks) >= 4
    np.testing.assert_allclose(pcm16(b"".join(chunks)), -tone(1.0), atol=2e-4)
    recorded = server.requests[-1]
    assert recorded.path == f"/v1/voice-changer/{VOICE_ID}/stream"
    assert recorded.form == {"model_id": "eleven_multilingual_sts_v2", "seed": "1"}


def test_uploads_over_the_limits_are_refused_before_sending(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    upload = flac_upload(0.2)
    too_long = type(upload)(upload.data, "x.flac", "audio/flac", 300.5)
    with pytest.raises(InputError, match="at most 300 s"):
        backend.convert(too_long, ConvertRequest(VOICE_ID))
    assert server.requests == []


def test_voices_follow_every_page_and_are_cached(tmp_path: Path) -> None:
    with (
        ApiServer(TransformBackend(voices=many_voices(230))) as server,
        ElevenLabsBackend(api_key=None, base_url=server.url, cache_dir=tmp_path) as backend,
    ):
        voices = backend.voices()
        assert [v.voice_id for v in voices] == [v.voice_id for v in many_voices(230)]
        assert [r.query for r in server.requests] == [
            {"page_size": "100", "include_total_count": "false"},
            {"page_size": "100", "include_total_count": "false", "next_page_token": "100"},
            {"page_size": "100", "include_total_count": "false", "next_page_token": "200"},
        ]
        assert backend.voices() == voices  # from the cache: no new request
        assert len(server.requests) == 3
        [cache_file] = tmp_path.glob("voices-*.json")
        assert TEST_KEY not in cache_file.name
        data = json.loads(cache_file.read_text())
        data["fetched_at"] = time.time() - 601  # older than 10 minutes
        cache_file.write_text(json.dumps(data))
        assert backend.voices() == voices
        assert len(server.requests) == 6


def test_a_damaged_cache_is_refetched(server: ApiServer, backend: ElevenLabsBackend) -> None:
    backend.voices()
    [cache_file] = backend_cache_files(backend)
    cache_file.write_text("{not json")
    assert len(backend.voices()) == 4
    assert len(server.requests) == 2


def backend_cache_files(backend: ElevenLabsBackend) -> list[Path]:
    path = backend._voices.path
    assert path is not None
    return sorted(path.parent.glob("voices-*.json"))


def test_the_cache_is_per_account(server: ApiServer, tmp_path: Path) -> None:
    other = ElevenLabsBackend(api_key="another-key", base_url=server.url, cache_dir=tmp_path)
    mine = ElevenLabsBackend(api_key=TEST_KEY, base_url=server.url, cache_dir=tmp_path)
    with other, mine:
        assert mine.voices()
        with pytest.raises(AuthError):  # not served from `mine`'s cache
            other.voices()


def test_voice_and_models(server: ApiServer, backend: ElevenLabsBackend) -> None:
    rachel = backend.voice(VOICE_ID)
    assert (rachel.name, rachel.category, rachel.labels["accent"]) == (
        "Rachel",
        "premade",
        "american",
    )
    assert rachel.details["settings"]["stability"] == 0.5
    assert server.requests[-1].path == f"/v1/voices/{VOICE_ID}"
    models = {m.model_id: m for m in backend.models()}
    assert models["eleven_multilingual_sts_v2"].can_do_voice_conversion
    assert models["eleven_multilingual_sts_v2"].languages == ("en", "de")
    assert not models["eleven_multilingual_v2"].can_do_voice_conversion


def test_add_and_remove_a_voice(
    server: ApiServer, backend: ElevenLabsBackend, tmp_path: Path
) -> None:
    samples = []
    for i in range(2):
        samples.append(tmp_path / f"sample{i}.flac")
        samples[-1].write_bytes(flac_bytes(tone(0.3)))
    assert len(backend.voices()) == 4
    voice = backend.add_voice(
        "Mine",
        samples,
        description="test",
        labels={"accent": "irish"},
        remove_background_noise=True,
    )
    recorded = server.requests[-1]
    assert recorded.path == "/v1/voices/add"
    assert [f.filename for f in recorded.files] == ["sample0.flac", "sample1.flac"]
    assert {f.name for f in recorded.files} == {"files"}
    assert recorded.form == {
        "name": "Mine",
        "description": "test",
        "labels": '{"accent": "irish"}',
        "remove_background_noise": "true",
    }
    assert (voice.name, voice.category, dict(voice.labels)) == (
        "Mine",
        "cloned",
        {"accent": "irish"},
    )
    assert voice.voice_id in {v.voice_id for v in backend.voices()}  # the cache was dropped
    backend.remove_voice(voice.voice_id)
    assert (server.requests[-1].method, server.requests[-1].path) == (
        "DELETE",
        f"/v1/voices/{voice.voice_id}",
    )
    assert voice.voice_id not in {v.voice_id for v in backend.voices()}


def test_add_voice_needs_readable_samples(backend: ElevenLabsBackend, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        backend.add_voice("X", [tmp_path / "missing.wav"])
    with pytest.raises(InputError, match="at least one sample"):
        backend.add_voice("X", [])


# -- where the key may go ----------------------------------------------------------------------


def test_the_key_is_never_sent_over_plain_http_to_another_host(server: ApiServer) -> None:
    # The server doubles as a forward proxy: httpx sends "GET http://voices.example/..." to it,
    # so whatever the backend would send to the remote host is recorded here.
    with httpx.Client(proxy=server.url) as via_proxy:
        keyed = ElevenLabsBackend(
            api_key=TEST_KEY, base_url="http://voices.example", client=via_proxy
        )
        with pytest.raises(ConfigError, match="refusing to send the API key") as refused:
            keyed.voices()
        assert server.requests == []
        assert "https://" in (refused.value.hint or "")
        keyless = ElevenLabsBackend(
            api_key=None, base_url="http://voices.example", client=via_proxy
        )
        with pytest.raises(AuthError):  # the server wants a key; none was sent
            keyless.models()
    assert [r.path for r in server.requests] == ["/v1/models"]
    assert "xi-api-key" not in server.requests[0].headers


@pytest.mark.parametrize(
    ("listen", "host"),
    [("127.0.0.1", "127.0.0.1"), ("127.0.0.1", "localhost"), ("127.1.2.3", "127.1.2.3")],
)
def test_the_key_may_go_over_plain_http_to_loopback(listen: str, host: str) -> None:
    with ApiServer(TransformBackend(), host=listen, api_key=TEST_KEY) as server:
        port = server.url.rsplit(":", 1)[1]
        with ElevenLabsBackend(api_key=TEST_KEY, base_url=f"http://{host}:{port}") as backend:
            assert backend.models()
        assert server.requests[-1].headers["xi-api-key"] == TEST_KEY


def test_a_missing_key_for_the_official_api_is_refused_before_sending() -> None:
    with (
        ElevenLabsBackend(api_key=None) as backend,  # https://api.elevenlabs.io
        pytest.raises(AuthError) as info,
    ):
        backend.voices()
    assert "ELEVENLABS_API_KEY" in (info.value.hint or "")
    assert "voxcli config set api_key" in (info.value.hint or "")
    assert info.value.exit_status == 3


def test_a_missing_key_for_a_server_that_wants_one(server: ApiServer) -> None:
    with (
        ElevenLabsBackend(api_key=None, base_url=server.url) as backend,
        pytest.raises(AuthError, match="needs an API key and none is set") as info,
    ):
        backend.convert(flac_upload(0.2), ConvertRequest(VOICE_ID))
    assert "ELEVENLABS_API_KEY" in (info.value.hint or "")


@pytest.mark.parametrize("url", ["ftp://example.com", "not a url", "http://"])
def test_invalid_base_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="invalid base URL"):
        ElevenLabsBackend(api_key=None, base_url=url)


def test_the_injected_client_is_left_open(server: ApiServer) -> None:
    with httpx.Client() as client:
        with ElevenLabsBackend(api_key=TEST_KEY, base_url=server.url, client=client) as backend:
            backend.models()
        assert not client.is_closed
