"""How `ElevenLabsBackend` reads the service's error answers and what the user gets.

Every case is a real answer from `ApiServer` (its own checks, or `fail_next` in each of the
service's body shapes) read by the real backend over 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import TEST_KEY, VOICE_ID, RecordingReporter, flac_upload
from tests.support.transform_backend import TransformBackend
from voxcli.backends._http import PermissionMissing, parse_failure
from voxcli.backends.base import ConvertRequest
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.errors import (
    AuthError,
    ExitStatus,
    QuotaError,
    ServiceError,
    TierError,
    UnavailableError,
    VoxError,
)
from voxcli.server import ApiServer
from voxcli.server.errors import Shape


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend(), api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def backend(server: ApiServer) -> Iterator[ElevenLabsBackend]:
    with ElevenLabsBackend(api_key=TEST_KEY, base_url=server.url, retries=3, backoff=0.0) as b:
        yield b


def convert_error(backend: ElevenLabsBackend, **request: object) -> VoxError:
    fields = {"voice_id": VOICE_ID, "output_format": "pcm_16000", **request}
    with pytest.raises(VoxError) as info:
        backend.convert(flac_upload(0.2), ConvertRequest(**fields))  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("status", "code", "shape", "error_type", "exit_status", "words"),
    [
        (401, "invalid_api_key", "current", AuthError, 3, "API key was refused"),
        (401, "invalid_api_key", "legacy", AuthError, 3, "API key was refused"),
        (401, "needs_authorization", "current", AuthError, 3, "API key was refused"),
        (401, "invalid_authorization_header", "current", AuthError, 3, "refused"),
        (401, "missing_permissions", "legacy", PermissionMissing, 3, "lacks a permission"),
        (401, "some_new_code", "current", AuthError, 3, "refused"),
        (404, "workspace_not_found", "current", AuthError, 3, "refused"),
        (401, "quota_exceeded", "legacy", QuotaError, 7, "not enough credits"),
        (402, "payment_required", "current", QuotaError, 7, "not enough credits"),
        (400, "insufficient_credits", "bare", QuotaError, 7, "not enough credits"),
        (400, "invalid_uid", "current", ServiceError, 5, "unknown voice"),
        (404, "voice_not_found", "legacy", ServiceError, 5, "unknown voice"),
        (400, "model_not_found", "current", ServiceError, 5, "refused the model"),
        (400, "invalid_parameters", "bare", ServiceError, 5, "invalid_parameters"),
        (400, "invalid_parameters", "detail", ServiceError, 5, "(400: boom)"),
        (403, "only_for_creator+", "current", ServiceError, 5, "only_for_creator+"),
        (400, "invalid_parameters", "text", ServiceError, 5, "(400: 400 boom)"),
    ],
)
def test_error_answers_map_to_types_and_exit_statuses(
    server: ApiServer,
    backend: ElevenLabsBackend,
    status: int,
    code: str,
    shape: Shape,
    error_type: type[VoxError],
    exit_status: int,
    words: str,
) -> None:
    server.fail_next(status, code, shape=shape, message="boom")
    error = convert_error(backend)
    assert type(error) is error_type
    assert error.exit_status == ExitStatus(exit_status)
    assert words in str(error)
    assert error.hint  # every error says what to do next
    assert len(server.requests) == 1  # none of these is retried


def test_the_request_id_is_kept(server: ApiServer, backend: ElevenLabsBackend) -> None:
    server.fail_next(400, "invalid_parameters")
    error = convert_error(backend)
    assert isinstance(error, ServiceError)
    assert error.request_id is not None and len(error.request_id) == 32
    assert error.status_code == 400 and error.code == "invalid_parameters"
    server.fail_next(401, shape="text")  # no JSON: the x-trace-id header still names it
    assert convert_error(backend).request_id is not None


def test_an_unknown_voice_from_the_real_check(backend: ElevenLabsBackend) -> None:
    error = convert_error(backend, voice_id="NoSuchVoice")
    assert isinstance(error, ServiceError) and error.code == "voice_not_found"
    assert "NoSuchVoice" in str(error)
    assert "voxcli voices" in (error.hint or "")


def test_a_model_that_cannot_convert(backend: ElevenLabsBackend) -> None:
    error = convert_error(backend, model_id="eleven_multilingual_v2")
    assert isinstance(error, ServiceError) and error.code == "unsupported_model"
    assert "voxcli models" in (error.hint or "")


def test_validation_errors_name_the_fields(server: ApiServer, backend: ElevenLabsBackend) -> None:
    server.fail_next(422, shape="validation")
    error = convert_error(backend)
    assert isinstance(error, ServiceError) and error.exit_status == ExitStatus.REFUSED
    assert "body.audio: Field required" in str(error)


@pytest.mark.parametrize(
    ("output_format", "tier", "suggestion", "stream"),
    [
        ("pcm_44100", "Pro", "pcm_24000", False),
        ("wav_44100", "Pro", "wav_24000", False),
        ("mp3_44100_192", "Creator", "mp3_44100_128", False),
        ("pcm_44100", "Pro", "pcm_24000", True),
    ],
)
def test_tier_gated_formats_name_the_tier_and_a_format_that_works(
    server: ApiServer,
    backend: ElevenLabsBackend,
    output_format: str,
    tier: str,
    suggestion: str,
    stream: bool,
) -> None:
    server.allowed_formats = {"mp3_44100_128", "pcm_24000", "wav_24000"}
    request = ConvertRequest(VOICE_ID, output_format=output_format)
    with pytest.raises(TierError) as info:
        if stream:
            with backend.convert_stream(flac_upload(0.2), request) as chunks:
                list(chunks)
        else:
            backend.convert(flac_upload(0.2), request)
    error = info.value
    assert f"needs the {tier} tier" in str(error)
    assert (error.output_format, error.suggestion) == (output_format, suggestion)
    assert f"-f {suggestion}" in (error.hint or "")
    assert error.exit_status == ExitStatus.REFUSED
    # ... and the suggestion is indeed accepted
    backend.convert(flac_upload(0.2), ConvertRequest(VOICE_ID, output_format=suggestion))


def test_exhausted_retries_say_how_many_attempts_and_the_last_error(
    server: ApiServer, backend: ElevenLabsBackend
) -> None:
    server.fail_next(500, shape="bare", times=3)
    error = convert_error(backend)
    assert isinstance(error, UnavailableError) and error.exit_status == ExitStatus.UNAVAILABLE
    assert "after 3 attempts" in str(error)
    assert "500 internal_server_error" in str(error)
    assert error.hint and "--retries" in error.hint


def test_the_key_never_appears_in_errors_or_notices(server: ApiServer) -> None:
    reporter = RecordingReporter()
    echoed = f"the key {TEST_KEY} is not valid"
    texts: list[str] = []
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=server.url, retries=2, backoff=0.0, reporter=reporter
    ) as backend:
        for status, shape in [
            (400, "current"),
            (401, "legacy"),
            (403, "bare"),
            (422, "detail"),
            (400, "text"),
        ]:
            server.fail_next(status, shape=shape, message=echoed)  # type: ignore[arg-type]
            error = convert_error(backend)
            texts += [str(error), error.hint or "", repr(error)]
        server.fail_next(503, times=2, message=echoed)
        error = convert_error(backend)
        texts += [str(error), error.hint or "", repr(error)]
    texts += reporter.notices
    assert reporter.notices  # the 503 was retried once, with a notice
    assert all(TEST_KEY not in text for text in texts)
    assert any("[redacted]" in text for text in texts)


@pytest.mark.parametrize(
    ("body", "headers", "code", "message", "request_id"),
    [
        (
            b'{"detail": {"type": "authentication_error", "code": "unauthorized", '
            b'"status": "invalid_api_key", "message": "Invalid API key", "request_id": "r1"}}',
            {},
            "unauthorized",
            "Invalid API key",
            "r1",
        ),
        (
            b'{"detail": {"status": "max_character_limit_exceeded", "message": "too long"}}',
            {"x-trace-id": "t1"},
            "max_character_limit_exceeded",
            "too long",
            "t1",
        ),
        (
            b'{"status": "internal_server_error", "message": "Internal Server error."}',
            {},
            "internal_server_error",
            "Internal Server error.",
            None,
        ),
        (b'{"detail": "Not Found"}', {}, "", "Not Found", None),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", {}, "", "502 Bad Gateway", None),
        (b"", {}, "", "Service Unavailable", None),
    ],
)
def test_parse_failure_reads_every_shape(
    body: bytes, headers: dict[str, str], code: str, message: str, request_id: str | None
) -> None:
    status = 503 if not body else 500
    failure = parse_failure(httpx.Response(status, content=body, headers=headers))
    assert (failure.code, failure.message, failure.request_id) == (code, message, request_id)


def test_parse_failure_keeps_both_codes() -> None:
    body = b'{"detail": {"code": "unauthorized", "status": "invalid_api_key", "message": "x"}}'
    failure = parse_failure(httpx.Response(401, content=body))
    assert failure.codes == {"unauthorized", "invalid_api_key"}
