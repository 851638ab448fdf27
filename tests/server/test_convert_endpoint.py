"""The voice-changer endpoints of `ApiServer`, driven with plain httpx over 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf

from tests.support.server import VOICE_ID, flac_bytes, pcm16, tone, wav_bytes
from tests.support.transform_backend import TransformBackend
from voxcli.audio.io import to_pcm16
from voxcli.server import ApiServer

PATHS = [
    f"/v1/voice-changer/{VOICE_ID}",
    f"/v1/speech-to-speech/{VOICE_ID}",
]


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend("invert")) as server:
        yield server


@pytest.fixture
def client(server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def post(
    client: httpx.Client,
    path: str,
    *,
    audio: bytes | None = None,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    files = {"audio": ("take.flac", audio, "audio/flac")} if audio is not None else None
    # An empty `files` would make httpx send a urlencoded body; force multipart either way.
    return client.post(path, params=params, data=data or {}, files=files or {"unused": b""})


@pytest.mark.parametrize("path", PATHS)
def test_whole_file_answer_is_the_converted_audio_with_content_length(
    server: ApiServer, client: httpx.Client, path: str
) -> None:
    signal = tone(1.0)
    response = post(client, path, audio=flac_bytes(signal), params={"output_format": "pcm_16000"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/pcm"
    assert response.headers["content-length"] == str(len(response.content))
    assert "transfer-encoding" not in response.headers
    np.testing.assert_allclose(pcm16(response.content), -signal, atol=2e-4)
    assert server.requests[-1].path == path
    assert server.requests[-1].status == 200


@pytest.mark.parametrize("path", PATHS)
def test_stream_answer_is_chunked_in_several_chunks(client: httpx.Client, path: str) -> None:
    signal = tone(1.0)
    files = {"audio": ("take.flac", flac_bytes(signal), "audio/flac")}
    with client.stream(
        "POST", f"{path}/stream", params={"output_format": "pcm_16000"}, files=files
    ) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        chunks = list(response.iter_raw())
    assert len(chunks) >= 4
    np.testing.assert_allclose(pcm16(b"".join(chunks)), -signal, atol=2e-4)


def test_success_headers(server: ApiServer, client: httpx.Client) -> None:
    server.max_concurrent = 3
    response = post(client, PATHS[0], audio=flac_bytes(tone(1.0)))
    headers = response.headers
    assert len(headers["request-id"]) == 20 and headers["request-id"].isalnum()
    assert len(headers["history-item-id"]) == 20
    assert len(headers["x-trace-id"]) == 32
    assert headers["character-cost"] == "17"  # 1,000 per minute, rounded up: 1 s -> 17
    assert headers["current-concurrent-requests"] == "1"
    assert headers["maximum-concurrent-requests"] == "3"
    assert headers["content-type"] == "audio/mpeg"  # the API's default output format


@pytest.mark.parametrize(("seconds", "cost"), [(60.0, 1000), (60.5, 1009), (0.05, 1)])
def test_character_cost_is_1000_per_minute_rounded_up(
    client: httpx.Client, seconds: float, cost: int
) -> None:
    raw = to_pcm16(np.zeros(int(seconds * 16000), dtype=np.float32))
    response = post(
        client,
        PATHS[0],
        audio=raw,
        data={"file_format": "pcm_s16le_16"},
        params={"output_format": "pcm_8000"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["character-cost"] == str(cost)


def test_raw_pcm_upload_is_read_as_16k_mono(client: httpx.Client) -> None:
    signal = tone(0.5)
    response = post(
        client,
        PATHS[0],
        audio=to_pcm16(signal),
        data={"file_format": "pcm_s16le_16"},
        params={"output_format": "pcm_16000"},
    )
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(pcm16(response.content), -signal, atol=2e-4)


@pytest.mark.parametrize(
    ("output_format", "content_type"),
    [
        ("pcm_24000", "audio/pcm"),
        ("wav_22050", "audio/wav"),
        ("mp3_44100_128", "audio/mpeg"),
        ("opus_48000_64", "audio/opus"),
        ("ulaw_8000", "audio/basic"),
    ],
)
def test_output_formats_are_real_encodings(
    client: httpx.Client, output_format: str, content_type: str
) -> None:
    response = post(
        client, PATHS[0], audio=wav_bytes(tone(1.0)), params={"output_format": output_format}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    if output_format == "pcm_24000":
        assert len(response.content) == 2 * 24000
    elif output_format == "ulaw_8000":
        assert len(response.content) == 8000
    else:
        info = sf.info(io.BytesIO(response.content))
        expected = {"wav": ("WAV", 22050), "mp3": ("MP3", 44100), "opus": ("OGG", 48000)}
        assert (info.format, info.samplerate) == expected[output_format.split("_")[0]]
        assert abs(info.duration - 1.0) < 0.1


def test_fields_reach_the_backend_in_any_order(server: ApiServer, client: httpx.Client) -> None:
    boundary = "vox"
    parts = [
        ("audio", b"", flac_bytes(tone(0.5))),
        ("seed", b"", b"4294967295"),
        ("model_id", b"", b"eleven_english_sts_v2"),
        ("voice_settings", b"", b'{"stability": 1.0, "style": 0.0}'),
        ("remove_background_noise", b"", b"true"),
    ]
    body = b""
    for name, _, value in parts:
        filename = b'; filename="upload"' if name == "audio" else b""
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
            + filename
            + b"\r\n\r\n"
            + value
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    response = client.post(
        PATHS[0],
        content=body,
        params={"enable_logging": "false"},
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    recorded = server.requests[-1]
    assert recorded.form["seed"] == "4294967295"
    assert recorded.audio_filename == "upload"
    assert recorded.audio_content_type == "application/octet-stream"
    assert recorded.query == {"enable_logging": "false"}


def detail(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json"
    return response.json()["detail"]


def test_missing_audio_is_fastapi_422(client: httpx.Client) -> None:
    response = post(client, PATHS[0], data={"model_id": "eleven_multilingual_sts_v2"})
    assert response.status_code == 422
    assert detail(response) == [
        {"type": "missing", "loc": ["body", "audio"], "msg": "Field required", "input": None}
    ]


def test_a_body_that_is_not_multipart_lacks_audio(client: httpx.Client) -> None:
    response = client.post(PATHS[0], json={"audio": "x"})
    assert response.status_code == 422
    assert detail(response)[0]["loc"] == ["body", "audio"]


@pytest.mark.parametrize(
    ("data", "params", "loc", "kind"),
    [
        ({"seed": "abc"}, {}, ["body", "seed"], "int_parsing"),
        ({"seed": "-1"}, {}, ["body", "seed"], "greater_than_equal"),
        ({"seed": "4294967296"}, {}, ["body", "seed"], "less_than_equal"),
        ({"file_format": "pcm"}, {}, ["body", "file_format"], "enum"),
        (
            {"remove_background_noise": "maybe"},
            {},
            ["body", "remove_background_noise"],
            "bool_parsing",
        ),
        ({"voice_settings": "{not json"}, {}, ["body", "voice_settings"], "json_invalid"),
        ({"voice_settings": "[1, 2]"}, {}, ["body", "voice_settings"], "dict_type"),
        (
            {"voice_settings": '{"stability": 1.5}'},
            {},
            ["body", "voice_settings", "stability"],
            "less_than_equal",
        ),
        (
            {"voice_settings": '{"use_speaker_boost": "yes"}'},
            {},
            ["body", "voice_settings", "use_speaker_boost"],
            "bool_type",
        ),
        ({}, {"output_format": "mp3_1_2"}, ["query", "output_format"], "enum"),
        ({}, {"enable_logging": "perhaps"}, ["query", "enable_logging"], "bool_parsing"),
        (
            {},
            {"optimize_streaming_latency": "5"},
            ["query", "optimize_streaming_latency"],
            "less_than_equal",
        ),
    ],
)
def test_invalid_fields_are_422_items(
    client: httpx.Client, data: dict[str, str], params: dict[str, str], loc: list[str], kind: str
) -> None:
    response = post(client, PATHS[0], audio=flac_bytes(tone(0.2)), data=data, params=params)
    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in detail(response)] == [(loc, kind)]


def test_every_invalid_field_is_reported_at_once(client: httpx.Client) -> None:
    response = post(client, PATHS[0], data={"seed": "x"}, params={"output_format": "nope"})
    locs = [item["loc"] for item in detail(response)]
    assert locs == [["body", "audio"], ["body", "seed"], ["query", "output_format"]]


def test_stream_endpoint_has_no_wav_formats(client: httpx.Client) -> None:
    audio = flac_bytes(tone(0.2))
    params = {"output_format": "wav_44100"}
    assert post(client, PATHS[0], audio=audio, params=params).status_code == 200
    response = post(client, PATHS[0] + "/stream", audio=audio, params=params)
    assert response.status_code == 422
    assert "wav" not in detail(response)[0]["ctx"]["expected"]


def test_audio_sent_as_text_is_422(client: httpx.Client) -> None:
    response = client.post(PATHS[0], data={"audio": "hello"}, files={"x": b""})
    assert response.status_code == 422
    assert detail(response)[0]["type"] == "value_error"


def test_unknown_voice_is_404_current_envelope(client: httpx.Client) -> None:
    response = post(client, "/v1/voice-changer/NoSuchVoice", audio=flac_bytes(tone(0.2)))
    assert response.status_code == 404
    body = detail(response)
    assert body["code"] == "voice_not_found" and body["status"] == "voice_not_found"
    assert body["type"] == "not_found" and "NoSuchVoice" in body["message"]
    assert body["request_id"] == response.headers["x-trace-id"]
    assert "request-id" not in response.headers  # only successful answers carry it


@pytest.mark.parametrize(
    ("model_id", "code"),
    [("eleven_multilingual_v2", "unsupported_model"), ("no_such_model", "model_not_found")],
)
def test_models_that_cannot_convert_are_400_with_param(
    client: httpx.Client, model_id: str, code: str
) -> None:
    response = post(client, PATHS[0], audio=flac_bytes(tone(0.2)), data={"model_id": model_id})
    assert response.status_code == 400
    body = detail(response)
    assert (body["code"], body["param"]) == (code, "model_id")


def test_without_model_id_the_api_default_english_model_is_used(client: httpx.Client) -> None:
    english_only = TransformBackend(
        models=[m for m in TransformBackend().models() if m.model_id != "eleven_english_sts_v2"]
    )
    with ApiServer(english_only) as server:
        response = post(client, f"{server.url}{PATHS[0]}", audio=flac_bytes(tone(0.2)))
    assert response.status_code == 400
    assert "eleven_english_sts_v2" in detail(response)["message"]


@pytest.mark.parametrize(
    ("audio", "data", "code"),
    [
        (b"", {}, "empty_file"),
        (b"this is not audio at all", {}, "invalid_audio"),
        (
            to_pcm16(np.zeros(301 * 16000, dtype=np.float32)),
            {"file_format": "pcm_s16le_16"},
            "audio_too_long",
        ),
    ],
    ids=["empty", "undecodable", "too-long"],
)
def test_unusable_audio_is_400(
    client: httpx.Client, audio: bytes, data: dict[str, str], code: str
) -> None:
    response = post(client, PATHS[0], audio=audio, data=data)
    assert response.status_code == 400
    assert (detail(response)["code"], detail(response)["param"]) == (code, "audio")


def test_formats_outside_the_subscription_are_403(server: ApiServer, client: httpx.Client) -> None:
    server.allowed_formats = {"mp3_44100_128", "pcm_24000"}
    audio = flac_bytes(tone(0.2))
    assert post(client, PATHS[0], audio=audio, params={"output_format": "pcm_24000"}).is_success
    response = post(client, PATHS[0], audio=audio, params={"output_format": "pcm_44100"})
    assert response.status_code == 403
    body = detail(response)
    assert (body["code"], body["status"]) == ("subscription_required", "output_format_not_allowed")
    assert (
        body["message"] == "Output format 'pcm_44100' is only available on the Pro tier and above."
    )
