"""The backend registry: builds a backend by name from resolved settings.

Backend modules are imported only when that backend is used, so `voxcli --help` never pays for
httpx or the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voxcli.errors import ConfigError

if TYPE_CHECKING:
    from voxcli.backends.base import Backend
    from voxcli.config import Config
    from voxcli.progress import Reporter

BUILTIN = ("elevenlabs", "local")


def backend_class(name: str) -> type[Backend]:
    """The class of the backend called `name` (imports its module, builds nothing)."""
    if name == "elevenlabs":
        from voxcli.backends.elevenlabs import ElevenLabsBackend

        return ElevenLabsBackend
    if name == "local":
        from voxcli.backends.local import LocalBackend

        return LocalBackend
    raise ConfigError(
        f"unknown backend {name!r}", hint=f"use --backend with one of: {', '.join(BUILTIN)}"
    )


def create(
    name: str,
    config: Config,
    *,
    reporter: Reporter | None = None,
    quality: str = "default",
    strength: float | None = None,
) -> Backend:
    """Build the backend called `name` from `config` (see `voxcli.config.load`).

    `quality` and `strength` tune the local engine; the elevenlabs backend ignores them.
    """
    from voxcli import dirs

    cls = backend_class(name)
    if name == "elevenlabs":
        return cls(  # type: ignore[call-arg]
            api_key=config["api_key"],
            base_url=config["base_url"],
            retries=config["retries"],
            backoff=config["retry_backoff"],
            cache_dir=dirs.cache_dir(),
            reporter=reporter,
        )
    return cls(data_dir=dirs.data_dir(), quality=quality, strength=strength)  # type: ignore[call-arg]
