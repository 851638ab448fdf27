"""The voice-changer endpoints: ``POST /v1/voice-changer/{voice_id}[/stream]``.

Order of checks, as the live service answers (reference §4, §5): field validation (422), then
the key (401), then voice (404) and model (400), then the subscription's formats (403), then the
audio itself (400), then concurrency (429), then the quota (401 ``quota_exceeded``, in the
legacy shape live answers have: ``{"detail": {"status", "message"}}``, e.g.
home-assistant/core#160414). Only then is the backend called, and the conversion billed (a
failed one is refunded). Chaos (`ApiServer.chaos`) picks its victims before any of this.

Every answer from the concurrency check on carries ``current-concurrent-requests`` (counted
when it is answered, this conversion included) and, with a limit, ``maximum-...``.

Undocumented answers (reference §10) are voxcli's choice: an empty upload is 400 ``empty_file``
(what the service says for speech-to-text), undecodable audio 400 ``invalid_audio``, audio over
300 s 400 ``audio_too_long`` and an upload of 50 MB or more 400 ``file_too_large``, all with
``param: audio``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

from voxcli.audio.formats import parse_format
from voxcli.audio.io import decode
from voxcli.backends.base import MAX_UPLOAD_BYTES, MAX_UPLOAD_SECONDS, Upload
from voxcli.errors import InputError
from voxcli.server.checks import authorize, find_voice, form_of
from voxcli.server.errors import ApiError, default_code, tier_error
from voxcli.server.exchange import Call, Reply, StreamReply, new_id
from voxcli.server.faults import ChaosFault
from voxcli.server.validation import ConvertCall, parse_convert

if TYPE_CHECKING:
    from voxcli.server.app import ApiServer

PCM_UPLOAD_RATE = 16_000


def _upload(call: ConvertCall) -> tuple[Upload, int]:
    """The backend's `Upload` and the request's character cost (1,000 per started minute)."""
    part = call.audio
    if not part.data:
        raise ApiError(400, "empty_file", "The uploaded audio file is empty.", param="audio")
    if len(part.data) >= MAX_UPLOAD_BYTES:
        raise ApiError(
            400, "file_too_large", "The audio file must be less than 50MB.", param="audio"
        )
    if call.file_format == "pcm_s16le_16":
        frames, rate = len(part.data) // 2, PCM_UPLOAD_RATE
    else:
        try:
            samples, rate = decode(part.data)
        except InputError as exc:
            raise ApiError(
                400,
                "invalid_audio",
                "The uploaded file could not be decoded as audio.",
                param="audio",
            ) from exc
        frames = len(samples)
    duration = frames / rate
    if duration > MAX_UPLOAD_SECONDS + 1e-6:
        raise ApiError(
            400,
            "audio_too_long",
            f"The audio is {duration:.1f} seconds long; at most "
            f"{MAX_UPLOAD_SECONDS:.0f} seconds are allowed.",
            param="audio",
        )
    # 1,000 characters per minute (reference §7); the rounding is undocumented, voxcli rounds up.
    cost = -(-frames * 1000 // (rate * 60))
    upload = Upload(part.data, part.filename, part.content_type, duration, call.file_format)
    return upload, cost


def _prepare(server: ApiServer, call: Call, *, stream: bool) -> tuple[ConvertCall, Upload, int]:
    parsed = parse_convert(call.params["voice_id"], form_of(call), call.query, stream=stream)
    authorize(server, call)
    find_voice(server, parsed.request.voice_id)
    model_id = parsed.request.model_id
    model = next((m for m in server.backend.models() if m.model_id == model_id), None)
    if model is None:
        raise ApiError(
            400,
            "model_not_found",
            f"A model with model_id '{model_id}' was not found.",
            param="model_id",
        )
    if not model.can_do_voice_conversion:
        raise ApiError(
            400,
            "unsupported_model",
            f"The model '{model_id}' does not support voice "
            "conversion; use a model with can_do_voice_conversion.",
            param="model_id",
        )
    allowed = server.allowed_formats
    if allowed is not None and parsed.request.output_format not in allowed:
        raise tier_error(parsed.request.output_format)
    upload, cost = _upload(parsed)
    return parsed, upload, cost


def _concurrency(server: ApiServer, in_flight: int) -> dict[str, str]:
    headers = {"current-concurrent-requests": str(in_flight)}
    if server.max_concurrent is not None:
        headers["maximum-concurrent-requests"] = str(server.max_concurrent)
    return headers


def _chaos(server: ApiServer) -> ChaosFault | None:
    """Chaos's pick for this request: an error answer is raised here; a drop is returned."""
    fault = server.chaos_mode.draw() if server.chaos_mode is not None else None
    if fault is None or fault.kind == "drop":
        return fault
    status = int(fault.kind)
    code = "system_busy" if status == 429 else default_code(status)
    raise ApiError(status, code, headers=_concurrency(server, server.gate.in_flight))


def _enter(server: ApiServer, cost: int) -> None:
    """Count this conversion in flight and bill it, or answer 429 / 401 ``quota_exceeded``."""
    if server.gate.enter(server.max_concurrent) is None:
        raise ApiError(
            429,
            "concurrent_limit_exceeded",
            legacy_status="too_many_concurrent_requests",
            headers=_concurrency(server, server.gate.in_flight),
        )
    left = server.charge(cost)
    if left is not None:
        server.gate.leave()
        limit = server.character_limit
        raise ApiError(
            401,
            "quota_exceeded",
            f"This request exceeds your quota of {limit}. You have {left} credits remaining, "
            f"while {cost} credits are required for this request.",
            shape="legacy",
        )


def _headers(server: ApiServer, call: Call, cost: int) -> dict[str, str]:
    """A success's headers, taken while this conversion still counts as in flight."""
    return {
        "history-item-id": new_id(),
        "character-cost": str(cost),
        **_concurrency(server, server.gate.in_flight),
        "x-trace-id": call.trace_id,
        "access-control-expose-headers": "request-id, history-item-id, character-cost, "
        "current-concurrent-requests, maximum-concurrent-requests",
    }


def whole(server: ApiServer, call: Call) -> Reply:
    """``POST .../{voice_id}``: convert and answer the whole file with ``Content-Length``."""
    fault = _chaos(server)
    parsed, upload, cost = _prepare(server, call, stream=False)
    _enter(server, cost)
    try:
        if server.latency_seconds > 0:
            time.sleep(server.latency_seconds)
        try:
            result = server.backend.convert(upload, parsed.request)
        except BaseException:
            server.count_characters(-cost)  # not converted: not billed
            raise
        headers = _headers(server, call, cost)
    finally:
        server.gate.leave()
    headers["request-id"] = result.request_id or new_id()
    content_type = parse_format(parsed.request.output_format).content_type
    reply = Reply(200, result.audio, content_type, headers)
    if fault is not None:  # a drop: the conversion is done (and billed), its answer is lost
        reply.cut_after_bytes = int(fault.cut_fraction * len(result.audio))
    return reply


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    # Backends may hand over one big chunk (the default `convert_stream`); the wire still gets
    # several, so clients see audio arrive progressively.
    for chunk in chunks:
        for start in range(0, len(chunk), size):
            yield chunk[start : start + size]


def streamed(server: ApiServer, call: Call) -> StreamReply:
    """``POST .../{voice_id}/stream``: answer with chunked audio as the backend produces it."""
    fault = _chaos(server)
    parsed, upload, cost = _prepare(server, call, stream=True)
    _enter(server, cost)
    with ExitStack() as stack:
        stack.callback(server.gate.leave)
        if server.latency_seconds > 0:
            time.sleep(server.latency_seconds)
        try:
            audio = stack.enter_context(server.backend.convert_stream(upload, parsed.request))
        except BaseException:
            server.count_characters(-cost)
            raise
        headers = _headers(server, call, cost)
        headers["request-id"] = audio.request_id or new_id()
        content_type = parse_format(parsed.request.output_format).content_type
        # The handler closes the stack (and so leaves the gate) once the body is sent.
        owned = stack.pop_all()
    cut = server.faults.take_cut()
    if fault is not None:  # a drop after up to 3 chunks (0: only the headers arrive)
        cut = int(fault.cut_fraction * 4)
    return StreamReply(
        _rechunk(audio, server.stream_chunk_bytes), content_type, headers, owned.close, cut
    )
