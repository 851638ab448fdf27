"""Building the backend a command talks to, from flags and settings (shared by the commands)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from voxcli.cli._console import RichReporter, notice

if TYPE_CHECKING:
    from voxcli.backends.base import Backend
    from voxcli.config import Config

#: Says both ways out: how to use ElevenLabs, and how to keep the local engine without the note.
LOCAL_NOTICE = (
    "no ElevenLabs API key configured: using the offline local engine (to use ElevenLabs: "
    "export ELEVENLABS_API_KEY=... or voxcli config set api_key; to keep the local engine "
    "and drop this note: voxcli config set backend local)"
)


def open_backend(
    flags: Mapping[str, object | None] | None = None,
    *,
    conf: Config | None = None,
    reporter: RichReporter | None = None,
    quality: str = "default",
    strength: float | None = None,
) -> tuple[Backend, Config]:
    """Build the chosen backend: ``(backend, config)``.

    Settings are resolved from `flags` unless the caller already loaded them (`conf`). When
    no backend was chosen and no key is configured, the local engine is used after a one-line
    notice on stderr (DESIGN §3).
    """
    from voxcli import backends
    from voxcli import config as cfg

    reporter = reporter or RichReporter()
    if conf is None:
        conf = cfg.load(flags)
    name, implicit = conf.backend()
    if implicit and not reporter.quiet:
        notice(LOCAL_NOTICE)
    return backends.create(name, conf, reporter=reporter, quality=quality, strength=strength), conf
