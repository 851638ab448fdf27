"""The route table and every endpoint except the voice changer (see `voxcli.server.convert`).

`dispatch` turns one `Call` into a reply: injected faults first, then routing (unknown paths
404, wrong methods 405, both with FastAPI's ``{"detail": "..."}`` bodies), then the endpoint.
`ApiError`s and backend `VoxError`s become error replies here, in one place.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from voxcli.backends.base import Voice
from voxcli.errors import VoxError
from voxcli.server import convert
from voxcli.server.checks import authorize, find_voice, form_of
from voxcli.server.errors import ApiError, ValidationFailed, from_vox_error, invalid, missing
from voxcli.server.exchange import Call, Reply, StreamReply
from voxcli.server.schemas import (
    DEFAULT_SETTINGS,
    api_category,
    model_json,
    subscription_json,
    voice_json,
)
from voxcli.server.validation import Checker

if TYPE_CHECKING:
    from voxcli.server.app import ApiServer

Endpoint = Callable[["ApiServer", Call], "Reply | StreamReply"]


def _list_voices(server: ApiServer, call: Call) -> Reply:
    authorize(server, call)
    return Reply.json({"voices": [voice_json(v) for v in server.backend.voices()]})


def _matches(voice: Voice, text: str) -> bool:
    haystack = [voice.name, voice.description, api_category(voice.category), *voice.labels.values()]
    return any(text in item.lower() for item in haystack)


def _search_voices(server: ApiServer, call: Call) -> Reply:
    check = Checker()
    size = check.integer(("query", "page_size"), call.query.get("page_size"), 1, 100) or 10
    token = call.query.get("next_page_token") or "0"
    if not token.isdigit():
        check.items.append(
            invalid(
                ("query", "next_page_token"),
                "value_error",
                "Value error, invalid page token",
                token,
            )
        )
    if check.items:
        raise ValidationFailed(check.items)
    authorize(server, call)
    voices = server.backend.voices()
    if search := call.query.get("search", "").strip().lower():
        voices = [v for v in voices if _matches(v, search)]
    if category := call.query.get("category"):
        voices = [v for v in voices if api_category(v.category) == category]
    if wanted := call.query_lists.get("voice_ids"):
        voices = [v for v in voices if v.voice_id in wanted]
    voice_type = call.query.get("voice_type")
    if voice_type == "default":
        voices = [v for v in voices if api_category(v.category) == "premade"]
    elif voice_type in ("personal", "non-default"):
        voices = [v for v in voices if api_category(v.category) != "premade"]
    if call.query.get("sort") == "name":
        voices.sort(key=lambda v: v.name.lower())
    if call.query.get("sort_direction") == "desc":
        voices.reverse()
    start = int(token)
    has_more = start + size < len(voices)
    return Reply.json(
        {
            "voices": [voice_json(v) for v in voices[start : start + size]],
            "has_more": has_more,
            "total_count": len(voices),
            "next_page_token": str(start + size) if has_more else None,
        }
    )


def _get_voice(server: ApiServer, call: Call) -> Reply:
    authorize(server, call)
    return Reply.json(voice_json(find_voice(server, call.params["voice_id"])))


def _voice_settings(server: ApiServer, call: Call) -> Reply:
    authorize(server, call)
    find_voice(server, call.params["voice_id"])
    return Reply.json(DEFAULT_SETTINGS)


def _default_settings(server: ApiServer, call: Call) -> Reply:
    # NOTE: the spec declares no xi-api-key for this one endpoint (reference §3.6).
    return Reply.json(DEFAULT_SETTINGS)


def _models(server: ApiServer, call: Call) -> Reply:
    authorize(server, call)
    return Reply.json([model_json(m) for m in server.backend.models()])


def _subscription(server: ApiServer, call: Call) -> Reply:
    authorize(server, call)
    return Reply.json(
        subscription_json(
            server.characters_used, tier=server.tier, character_limit=server.character_limit
        )
    )


def _labels(check: Checker, text: str | None) -> dict[str, str] | None:
    # The official SDK always sends `labels`, as the string "null" when there are none (§8.3).
    if not text or text.strip() == "null":
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        check.items.append(
            invalid(("body", "labels"), "json_invalid", f"Invalid JSON: {exc.msg}", text)
        )
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        check.items.append(
            invalid(("body", "labels"), "dict_type", "Input should be an object of strings", text)
        )
        return None
    return data


def _safe_name(index: int, filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name).lstrip(".")
    return f"{index:02d}-{stem or 'sample'}"


def _add_voice(server: ApiServer, call: Call) -> Reply:
    form = form_of(call)
    check = Checker()
    name = form.fields.get("name", "").strip()
    if not name:
        check.items.append(missing(("body", "name")))
    samples = form.files_named("files")
    if not samples:
        check.items.append(missing(("body", "files")))
    labels = _labels(check, form.fields.get("labels"))
    noise = check.boolean(
        ("body", "remove_background_noise"), form.fields.get("remove_background_noise"), False
    )
    if check.items:
        raise ValidationFailed(check.items)
    authorize(server, call)
    with tempfile.TemporaryDirectory(prefix="voxcli-ivc-") as tmp:
        paths = []
        for index, part in enumerate(samples):
            path = Path(tmp) / _safe_name(index, part.filename)
            path.write_bytes(part.data)
            paths.append(path)
        voice = server.backend.add_voice(
            name,
            paths,
            description=form.fields.get("description", ""),
            labels=labels,
            remove_background_noise=noise,
        )
    return Reply.json({"voice_id": voice.voice_id, "requires_verification": False})


def _delete_voice(server: ApiServer, call: Call) -> Reply:
    authorize(server, call)
    voice = find_voice(server, call.params["voice_id"])
    server.backend.remove_voice(voice.voice_id)
    return Reply.json({"status": "ok"})


_VOICE = r"(?P<voice_id>[^/]+)"
ROUTES: list[tuple[re.Pattern[str], dict[str, Endpoint]]] = [
    (re.compile(rf"/v1/(?:voice-changer|speech-to-speech)/{_VOICE}"), {"POST": convert.whole}),
    (
        re.compile(rf"/v1/(?:voice-changer|speech-to-speech)/{_VOICE}/stream"),
        {"POST": convert.streamed},
    ),
    (re.compile(r"/v1/voices"), {"GET": _list_voices}),
    (re.compile(r"/v2/voices"), {"GET": _search_voices}),
    (re.compile(r"/v1/voices/settings/default"), {"GET": _default_settings}),
    (re.compile(r"/v1/voices/add"), {"POST": _add_voice}),
    (re.compile(rf"/v1/voices/{_VOICE}/settings"), {"GET": _voice_settings}),
    (re.compile(rf"/v1/voices/{_VOICE}"), {"GET": _get_voice, "DELETE": _delete_voice}),
    (re.compile(r"/v1/models"), {"GET": _models}),
    (re.compile(r"/v1/user/subscription"), {"GET": _subscription}),
]


def _error_reply(exc: ApiError, call: Call) -> Reply:
    content_type, body = exc.render(call.trace_id)
    return Reply(exc.status, body, content_type, {"x-trace-id": call.trace_id, **exc.headers})


def dispatch(server: ApiServer, call: Call) -> Reply | StreamReply:
    """Answer one call. Only bugs escape (as exceptions); every expected failure is a reply."""
    try:
        fault = server.faults.take(call.path)
        if fault is not None:
            raise fault
        for pattern, methods in ROUTES:
            match = pattern.fullmatch(call.path)
            if match is None:
                continue
            endpoint = methods.get(call.method)
            if endpoint is None:
                raise ApiError(
                    405,
                    "method_not_allowed",
                    "Method Not Allowed",
                    shape="detail",
                    headers={"allow": ", ".join(methods)},
                )
            call.params = {k: unquote(v) for k, v in match.groupdict().items()}
            return endpoint(server, call)
        raise ApiError(404, "not_found", "Not Found", shape="detail")
    except ApiError as exc:
        return _error_reply(exc, call)
    except VoxError as exc:
        return _error_reply(from_vox_error(exc), call)
