"""The ElevenLabs voice and model JSON, the voice-cloning form, and the 10-minute on-disk cache
of the voice list.

Listing every voice takes one request per 100 voices, and `voxcli convert --voice NAME` needs
the list to resolve a name, so it is kept as JSON under the cache dir for `TTL_SECONDS`. The file
name holds a hash of the base URL and key (one file per account and server), never the key.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from voxcli.backends.base import Model, Voice
from voxcli.errors import InputError

TTL_SECONDS = 600.0
#: Voices asked for per page of ``GET /v2/voices`` (its maximum).
PAGE_SIZE = 100

#: `VoiceResponseModel` fields kept in `Voice.details` (shown by `voxcli voices show`).
_DETAILS = (
    "preview_url",
    "settings",
    "available_for_tiers",
    "high_quality_base_model_ids",
    "verified_languages",
    "is_owner",
    "created_at_unix",
)


def is_voice(item: object) -> bool:
    """True for a JSON object that has a string ``voice_id``."""
    return isinstance(item, dict) and isinstance(item.get("voice_id"), str)


def voice_from_json(data: Mapping[str, Any]) -> Voice:
    """A `Voice` from a `VoiceResponseModel` (check `is_voice` first)."""
    labels = data.get("labels") if isinstance(data.get("labels"), dict) else {}
    return Voice(
        voice_id=data["voice_id"],
        name=str(data.get("name") or ""),
        category=str(data.get("category") or ""),
        labels={str(k): str(v) for k, v in (labels or {}).items()},
        description=str(data.get("description") or ""),
        details={k: data[k] for k in _DETAILS if data.get(k) not in (None, [], {})},
    )


def model_from_json(data: Mapping[str, Any]) -> Model:
    """A `Model` from a `ModelResponseModel` (which must have a ``model_id``)."""
    languages = [
        lang.get("language_id") for lang in data.get("languages") or [] if isinstance(lang, dict)
    ]
    return Model(
        model_id=str(data["model_id"]),
        name=str(data.get("name") or data["model_id"]),
        can_do_voice_conversion=bool(data.get("can_do_voice_conversion")),
        description=str(data.get("description") or ""),
        languages=tuple(str(code) for code in languages if code),
    )


def all_voices(get_page: Callable[[Mapping[str, str]], Any]) -> list[Voice]:
    """Every voice, page by page: `get_page` answers ``GET /v2/voices`` for the query given."""
    voices: list[Voice] = []
    params = {"page_size": str(PAGE_SIZE), "include_total_count": "false"}
    seen: set[str] = set()
    while True:
        page = get_page(params)
        if not isinstance(page, dict):
            return voices
        voices += [voice_from_json(v) for v in page.get("voices") or [] if is_voice(v)]
        token = page.get("next_page_token")
        if not page.get("has_more") or not token or token in seen:
            return voices
        seen.add(token)  # a server repeating a token must not loop us forever
        params = {**params, "next_page_token": str(token)}


def voice_form(
    name: str,
    samples: Sequence[Path],
    *,
    description: str = "",
    labels: Mapping[str, str] | None = None,
    remove_background_noise: bool = False,
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """The text fields and ``files`` parts of ``POST /v1/voices/add`` (`InputError` if a sample
    cannot be read, or there is none)."""
    if not samples:
        raise InputError("a new voice needs at least one sample file", hint="pass SAMPLE...")
    files = []
    for path in samples:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read {path}: {exc.strerror or exc}", hint="check the sample path"
            ) from exc
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append(("files", (path.name, content, mime)))
    data = {"name": name}
    if description:
        data["description"] = description
    if labels:
        data["labels"] = json.dumps(dict(labels))
    if remove_background_noise:
        data["remove_background_noise"] = "true"
    return data, files


class VoiceCache:
    """The cached voice list of one account on one server (`None` dir: no caching)."""

    def __init__(self, cache_dir: Path | None, base_url: str, api_key: str | None) -> None:
        self.lock = threading.RLock()
        """Held while fetching, so parallel callers make one set of requests."""
        self.path: Path | None = None
        if cache_dir is not None:
            digest = hashlib.sha256(f"{base_url}\0{api_key or ''}".encode()).hexdigest()
            self.path = cache_dir / f"voices-{digest[:16]}.json"

    def load(self, max_age: float | None = TTL_SECONDS) -> list[Voice] | None:
        """The cached voices, or `None` when missing, older than `max_age` seconds, or damaged.

        `max_age=None` takes the list however old it is (shell completion, which never asks
        the service).
        """
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            age = time.time() - float(data["fetched_at"])
            if max_age is not None and not 0 <= age <= max_age:
                return None
            return [Voice(**item) for item in data["voices"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(self, voices: list[Voice]) -> None:
        """Write the list atomically; a cache that cannot be written is silently skipped."""
        if self.path is None:
            return
        data = {"fetched_at": time.time(), "voices": [v.to_json() for v in voices]}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def forget(self) -> None:
        """Drop the cached list (after a voice was added or removed)."""
        if self.path is not None:
            with self.lock:
                self.path.unlink(missing_ok=True)
