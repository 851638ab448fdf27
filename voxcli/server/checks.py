"""Checks shared by the endpoints: the API key, the voice, and the request's form."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from voxcli.backends.base import Voice
from voxcli.server.errors import ApiError
from voxcli.server.exchange import Call
from voxcli.server.multipart import Form

if TYPE_CHECKING:
    from voxcli.server.app import ApiServer


def authorize(server: ApiServer, call: Call) -> None:
    """Require the server's key in ``xi-api-key`` when it has one (401 otherwise)."""
    if server.api_key is None:
        return
    key = call.headers.get("xi-api-key")
    if key is None:
        if "authorization" in call.headers:
            raise ApiError(
                401,
                "invalid_authorization_header",
                "Authorization headers are not supported; send the key in xi-api-key.",
            )
        raise ApiError(401, "needs_authorization")
    if not hmac.compare_digest(key.encode(), server.api_key.encode()):
        raise ApiError(401, "invalid_api_key")


def find_voice(server: ApiServer, voice_id: str) -> Voice:
    """The backend's voice `voice_id`, or 404 ``voice_not_found``."""
    for voice in server.backend.voices():
        if voice.voice_id == voice_id:
            return voice
    raise ApiError(404, "voice_not_found", f"A voice with voice_id '{voice_id}' was not found.")


def form_of(call: Call) -> Form:
    """The request's form; an unparsable body is FastAPI's 400 (no form at all means empty)."""
    if call.form_error is not None:
        raise ApiError(400, "invalid_body", "There was an error parsing the body", shape="detail")
    return call.form or Form()
