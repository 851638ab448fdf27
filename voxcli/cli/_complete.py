"""Shell completion of option values: voices, output formats, models, backends, settings.

These run in a fresh ``voxcli`` process at every Tab, so they read only what is on disk, never
the network: local voices from their files, ElevenLabs voices from the cached voice list (even
when it is older than the 10 minutes `convert` trusts it for). They import nothing heavy, and a
problem (a damaged config, say) completes nothing rather than printing an error.
"""

from __future__ import annotations

from typing import Any

import typer

from voxcli.errors import VoxError


def _given(ctx: typer.Context, name: str) -> Any:
    """The value of option `name` given so far on this command or a parent (``voices``)."""
    node: typer.Context | None = ctx
    while node is not None:
        value = node.params.get(name)
        if value is not None:
            return value
        node = node.parent
    return None


def _matching(candidates: list[tuple[str, str]], incomplete: str) -> list[tuple[str, str]]:
    # NOTE: case-sensitive, as Typer filters what completers return with str.startswith.
    seen: set[str] = set()
    found = []
    for value, help in candidates:
        if value.startswith(incomplete) and value not in seen:
            seen.add(value)
            found.append((value, help))
    return found


def voices(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Voices of the backend this command would use: the local engine's files, or the names
    in the cached ElevenLabs voice list."""
    from voxcli import config as cfg
    from voxcli import dirs

    try:
        conf = cfg.load({"backend": _given(ctx, "backend"), "base_url": _given(ctx, "base_url")})
        backend, _ = conf.backend()
    except VoxError:
        return []
    if backend == "local":
        from voxcli.backends.local import LocalBackend

        ids = LocalBackend(data_dir=dirs.data_dir()).voice_ids()
        return _matching([(voice_id, "local voice") for voice_id in ids], incomplete)
    from voxcli.backends._voices import VoiceCache

    cached = VoiceCache(dirs.cache_dir(), conf["base_url"].rstrip("/"), conf["api_key"]).load(
        max_age=None
    )
    listed = [(v.name or v.voice_id, v.category or "voice") for v in cached or []]
    return _matching(sorted(listed, key=lambda item: item[0].casefold()), incomplete)


def output_formats(incomplete: str) -> list[str]:
    """The API's output format names (``mp3_44100_128``, ``pcm_24000``, ...)."""
    from voxcli.audio.formats import CONVERT_FORMATS

    return [name for name in sorted(CONVERT_FORMATS) if name.startswith(incomplete)]


def models(incomplete: str) -> list[tuple[str, str]]:
    """The speech-to-speech models (the only ones that convert voices)."""
    from voxcli.backends.local import MODEL_IDS

    return _matching([(model, "speech-to-speech") for model in MODEL_IDS], incomplete)


def backends(incomplete: str) -> list[str]:
    """``elevenlabs`` and ``local``."""
    from voxcli.config import BACKENDS

    return [name for name in BACKENDS if name.startswith(incomplete.lower())]


def settings(incomplete: str) -> list[tuple[str, str]]:
    """The settings `voxcli config` knows, with what each is for."""
    from voxcli.config import SETTINGS

    return _matching([(key, s.help) for key, s in SETTINGS.items()], incomplete)
