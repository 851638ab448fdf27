"""The official ElevenLabs Python SDK (``elevenlabs==2.78.0``) works against `ApiServer`.

This is the compatibility proof for `voxcli serve`: an unmodified SDK client, pointed at the
server with ``base_url``, lists voices and models, converts audio (whole and streamed), clones
a voice and reads the subscription, and gets the SDK's own exception for a refused request.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.support.server import TEST_KEY, VOICE_ID, flac_bytes, pcm16, tone
from tests.support.transform_backend import TransformBackend, many_voices
from voxcli.server import ApiServer


@pytest.fixture
def server() -> Iterator[ApiServer]:
    voices = [*TransformBackend().voices(), *many_voices(12)]
    with ApiServer(TransformBackend("invert", voices=voices), api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def sdk(server: ApiServer) -> Iterator[ElevenLabs]:
    # Our own httpx client, so the SDK's pooled connections are closed after the test.
    with httpx.Client(timeout=30) as http:
        yield ElevenLabs(api_key=TEST_KEY, base_url=server.url, httpx_client=http)


def test_sdk_lists_voices_with_pagination(sdk: ElevenLabs) -> None:
    first = sdk.voices.search(page_size=10)
    assert (len(first.voices), first.has_more, first.total_count) == (10, True, 16)
    second = sdk.voices.search(page_size=10, next_page_token=first.next_page_token)
    assert (len(second.voices), second.has_more) == (6, False)
    assert first.voices[0].voice_id == VOICE_ID and first.voices[0].name == "Rachel"
    assert len(sdk.voices.get_all().voices) == 16
    assert sdk.voices.get(VOICE_ID).name == "Rachel"
    assert sdk.voices.settings.get_default().similarity_boost == 0.75


def test_sdk_lists_models(sdk: ElevenLabs) -> None:
    models = {m.model_id: m for m in sdk.models.list()}
    assert models["eleven_multilingual_sts_v2"].can_do_voice_conversion is True
    assert models["eleven_multilingual_v2"].can_do_voice_conversion is False


def test_sdk_converts_a_file(server: ApiServer, sdk: ElevenLabs) -> None:
    signal = tone(1.0)
    audio = sdk.speech_to_speech.convert(
        VOICE_ID,
        audio=io.BytesIO(flac_bytes(signal)),
        model_id="eleven_multilingual_sts_v2",
        output_format="pcm_16000",
        voice_settings=json.dumps({"stability": 0.4, "similarity_boost": 0.8}),
        seed=7,
        enable_logging=False,
    )
    converted = pcm16(b"".join(audio))
    np.testing.assert_allclose(converted, -signal, atol=2e-4)
    recorded = server.requests[-1]
    assert recorded.path == f"/v1/voice-changer/{VOICE_ID}"
    assert recorded.headers["xi-api-key"] == TEST_KEY
    assert recorded.form["seed"] == "7"
    assert recorded.query == {"enable_logging": "false", "output_format": "pcm_16000"}
    assert recorded.audio_filename == "upload"  # the SDK names a BytesIO "upload"


def test_sdk_streams_a_file(server: ApiServer, sdk: ElevenLabs) -> None:
    signal = tone(1.0)
    chunks = list(
        sdk.speech_to_speech.stream(
            VOICE_ID, audio=io.BytesIO(flac_bytes(signal)), output_format="pcm_16000"
        )
    )
    np.testing.assert_allclose(pcm16(b"".join(chunks)), -signal, atol=2e-4)
    assert server.requests[-1].path == f"/v1/voice-changer/{VOICE_ID}/stream"


def test_sdk_clones_a_voice_and_reads_the_subscription(sdk: ElevenLabs) -> None:
    added = sdk.voices.ivc.create(name="Mine", files=[io.BytesIO(flac_bytes(tone(0.5)))])
    assert added.requires_verification is False
    assert sdk.voices.get(added.voice_id).name == "Mine"
    subscription = sdk.user.subscription.get()
    assert subscription.status == "active"


def test_sdk_sees_the_services_errors(server: ApiServer, sdk: ElevenLabs) -> None:
    with pytest.raises(ApiError) as not_found:
        b"".join(sdk.speech_to_speech.convert("NoSuchVoice", audio=io.BytesIO(b"x")))
    assert not_found.value.status_code == 404
    assert not_found.value.body["detail"]["code"] == "voice_not_found"
    with pytest.raises(UnprocessableEntityError):
        b"".join(sdk.speech_to_speech.convert(VOICE_ID, audio=io.BytesIO(b"x"), seed=-1))
    with httpx.Client() as http, pytest.raises(ApiError) as refused:
        ElevenLabs(api_key="wrong", base_url=server.url, httpx_client=http).models.list()
    assert refused.value.status_code == 401
