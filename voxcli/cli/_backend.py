"""Building the backend a command talks to, from flags and settings (shared by the commands)."""

from __future__ import annotations

from typing import Any

from voxcli.cli._console import RichReporter, notice

LOCAL_NOTICE = (
    "no ElevenLabs API key configured: using the offline local engine "
    "(to use ElevenLabs: export ELEVENLABS_API_KEY=... or voxcli config set api_key)"
)


def open_backend(
    flags: dict[str, Any],
    *,
    reporter: RichReporter | None = None,
    quality: str = "default",
    strength: float | None = None,
) -> tuple[Any, Any]:
    """Resolve settings from `flags` and build the chosen backend: ``(backend, config)``.

    When no backend was chosen and no key is configured, the local engine is used after a
    one-line notice on stderr (DESIGN §3).
    """
    from voxcli import backends
    from voxcli import config as cfg

    reporter = reporter or RichReporter()
    conf = cfg.load(flags)
    name, implicit = conf.backend()
    if implicit and not reporter.quiet:
        notice(LOCAL_NOTICE)
    return backends.create(name, conf, reporter=reporter, quality=quality, strength=strength), conf
