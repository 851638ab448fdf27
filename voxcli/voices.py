"""Turning what the user typed after `--voice` into exactly one voice.

A voice is given by id or by name. ElevenLabs ids are 20 alphanumeric characters; an argument of
that shape is used as an id without listing anything (the service says if it does not exist).
Anything else is matched against the backend's voices: an exact id, else a case-insensitive
name. It must match exactly one voice; zero or several matches list the candidates (exit 4).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from voxcli.backends.base import Backend, Voice
from voxcli.errors import InputError

ELEVENLABS_ID = re.compile(r"^[A-Za-z0-9]{20}$")


def resolve_voice(backend: Backend, query: str, *, details: bool = False) -> Voice:
    """Return the one voice `query` names on `backend`, or raise `InputError` listing candidates.

    With `details`, an id is looked up too (for `voices show`) instead of being taken as it is.
    """
    query = query.strip()
    if not query:
        raise InputError("--voice is empty", hint="list voices with: voxcli voices")
    id_shaped = backend.name == "elevenlabs" and ELEVENLABS_ID.match(query) is not None
    if id_shaped and not details:
        return Voice(voice_id=query, name=query)
    voices = backend.voices()
    for voice in voices:
        if voice.voice_id == query:
            return voice
    lookup = getattr(backend, "voice", None)
    if id_shaped and lookup is not None:
        found: Voice = lookup(query)  # e.g. a shared voice that is not in the account's list
        return found
    wanted = query.casefold()
    matches = [v for v in voices if v.name.casefold() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InputError(
            f"voice name {query!r} matches {len(matches)} voices: {_describe(matches)}",
            hint="pass the voice id instead, e.g. --voice " + matches[0].voice_id,
        )
    close = difflib.get_close_matches(query, [v.name for v in voices], n=5, cutoff=0.5)
    partial = [v.name for v in voices if wanted in v.name.casefold()]
    candidates = list(dict.fromkeys(close + partial))[:5]
    hint = "list voices with: voxcli voices"
    if candidates:
        hint = f"did you mean: {', '.join(candidates)}? ({hint})"
    raise InputError(f"no voice named {query!r} on the {backend.name} backend", hint=hint)


def _describe(voices: Sequence[Voice]) -> str:
    return "; ".join(f"{v.name} ({v.voice_id}, {v.category or 'unknown'})" for v in voices)
