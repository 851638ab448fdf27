"""The conversion flags `convert`, `batch` and `record --convert` share, mapped to the core's
`ConvertSettings` in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from voxcli.audio.output import Existing
    from voxcli.config import Config
    from voxcli.convert.job import ConvertSettings


class ConversionFlags(Protocol):
    """The parsed flags a command that converts has (attribute names as in `ConvertArgs`)."""

    voice: str | None
    model: str | None
    output_format: str | None
    seed: int | None
    latency: int | None
    input_pcm: bool
    settings: str | None
    expressive: bool
    stability: float | None
    similarity_boost: float | None
    style: float | None
    speaker_boost: bool | None
    speed: float | None
    remove_background_noise: bool
    no_logging: bool
    backend: str | None
    base_url: str | None
    retries: int | None
    max_section: float
    no_cache: bool


def config_flags(a: ConversionFlags, *, jobs: object | None) -> dict[str, object | None]:
    """The flags that are also settings (flag > environment > config file > default)."""
    return {
        "voice": a.voice,
        "model": a.model,
        "output_format": a.output_format,
        "backend": a.backend,
        "base_url": a.base_url,
        "retries": a.retries,
        "jobs": jobs,
    }


def conversion_settings(
    a: ConversionFlags,
    conf: Config,
    *,
    existing: Existing,
    stream: bool = False,
    audio_track: int = 1,
) -> ConvertSettings:
    """The core's settings from the parsed flags and the resolved configuration."""
    from voxcli import config as cfg
    from voxcli.backends.voice_settings import VoiceSettings
    from voxcli.convert.job import ConvertSettings, merge_voice_settings

    flags = VoiceSettings(a.stability, a.similarity_boost, a.style, a.speaker_boost, a.speed)
    return ConvertSettings(
        voice=conf["voice"],
        model=conf["model"],
        output_format=conf["output_format"],
        seed=a.seed,
        latency=a.latency,
        voice_settings=merge_voice_settings(
            expressive=a.expressive, settings_json=a.settings, flags=flags
        ),
        remove_background_noise=a.remove_background_noise,
        enable_logging=not a.no_logging,
        input_pcm=a.input_pcm,
        stream=stream,
        jobs=cfg.jobs_limit(conf["jobs"]),
        max_section=a.max_section,
        use_cache=not a.no_cache,
        cache_max_bytes=conf["cache_max_mb"] * 1_000_000,
        existing=existing,
        audio_track=audio_track,
    )
