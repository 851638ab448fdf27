"""`voxcli doctor`'s checks: is this machine and configuration ready to convert?

Each check returns a `Check` instead of raising, so one failure does not hide the others. A
failed check carries the `VoxError` that explains it (and decides the command's exit status).
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from voxcli import __version__
from voxcli.errors import VoxError

if TYPE_CHECKING:
    from voxcli.config import Config


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str
    error: VoxError | None = None
    required: bool = True
    """A failed optional check (e.g. no audio device) is reported but does not fail `doctor`."""


def _run(name: str, probe: Callable[[], str], *, required: bool = True) -> Check:
    try:
        return Check(name, True, probe(), required=required)
    except VoxError as exc:
        detail = str(exc) + (f" ({exc.hint})" if exc.hint else "")
        return Check(name, False, detail, exc, required)


def run_checks(flags: Mapping[str, object | None] | None = None) -> list[Check]:
    """Run every check, in the order a user would fix things (`flags` as for `config.load`)."""
    from voxcli import config as cfg

    checks = [Check("voxcli", True, f"{__version__} on Python {platform.python_version()}")]
    try:
        conf = cfg.load(flags)
    except VoxError as exc:
        return [*checks, Check("configuration", False, str(exc), exc)]
    name, implicit = conf.backend()
    key = cfg.redact("api_key", conf["api_key"])
    checks.append(Check("configuration", True, f"{conf.path} (api_key: {key})"))
    how = " (no API key: the offline default)" if implicit else ""
    checks.append(Check("backend", True, name + how))
    if name == "elevenlabs":
        checks.append(_run("service", lambda: _service(conf)))
    checks.append(_run("local engine", _engine, required=name == "local"))
    checks.append(_run("media formats", _media, required=False))
    checks.append(_run("audio output", _audio, required=False))
    return checks


def _service(conf: Config) -> str:
    from voxcli import backends

    with backends.create("elevenlabs", conf) as backend:
        able = [m.model_id for m in backend.models() if m.can_do_voice_conversion]
    return f"{conf['base_url']} answers; voice conversion models: {', '.join(able) or 'none'}"


def _engine() -> str:
    from voxcli import backends
    from voxcli import config as cfg

    with backends.create("local", cfg.load()) as backend:
        voices = backend.voices()
    import pyworld  # noqa: F401 - proves the vocoder's extension module loads

    return f"{len(voices)} voice(s): " + ", ".join(v.voice_id for v in voices)


def _audio() -> str:
    from voxcli.audio.devices import list_devices

    outputs = [d for d in list_devices() if d.max_output_channels > 0]
    if not outputs:
        from voxcli.errors import DeviceError

        raise DeviceError("no audio output device", hint="--play needs a sound server or device")
    return f"{len(outputs)} output device(s), e.g. {outputs[0].name}"


#: Containers and codecs worth naming: (what users call it, FFmpeg's demuxer or decoder).
_CONTAINERS = (("MP4/M4A/MOV", "mov"), ("Matroska/WebM", "matroska"), ("Ogg", "ogg"),
               ("ADTS AAC", "aac"), ("CAF", "caf"), ("AMR", "amr"), ("AVI", "avi"),
               ("WMA/WMV", "asf"), ("FLV", "flv"))  # fmt: skip
_DECODERS = (("AAC", "aac"), ("Opus", "opus"), ("Vorbis", "vorbis"), ("MP3", "mp3float"),
             ("FLAC", "flac"), ("ALAC", "alac"), ("AMR", "amrnb"), ("WMA", "wmav2"),
             ("AC-3", "ac3"))  # fmt: skip


def _media() -> str:
    """What PyAV's FFmpeg reads and what voxcli can write with it (M4A, WebM, videos)."""
    from voxcli.audio.containers import MEDIA_CONTAINERS
    from voxcli.errors import InputError

    try:
        import av
    except ImportError as exc:
        raise InputError(
            f"PyAV is not installed ({exc}): only WAV, FLAC, MP3, Ogg and AIFF can be read",
            hint="pip install av (M4A, WebM and videos need it)",
        ) from exc

    def usable(make: Callable[[], object]) -> bool:
        try:
            make()
        except Exception:  # noqa: BLE001 - unknown to this FFmpeg build, whatever the type
            return False
        return True

    reads = [n for n, d in _CONTAINERS if usable(lambda d=d: av.ContainerFormat(d, "r"))]
    decodes = [n for n, c in _DECODERS if usable(lambda c=c: av.Codec(c, "r"))]
    writes: dict[str, list[str]] = {}
    missing = []
    for name, spec in MEDIA_CONTAINERS.items():
        if usable(lambda s=spec: (av.ContainerFormat(s.muxer, "w"), av.Codec(s.encoder, "w"))):
            codec = "AAC" if spec.encoder == "aac" else "Opus"
            writes.setdefault(codec, []).append(f".{name}")
        else:
            missing.append(f".{name} ({spec.label})")
    written = ", ".join(f"{' '.join(exts)} ({codec})" for codec, exts in writes.items())
    detail = (
        f"PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}: reads {', '.join(reads)}; "
        f"decodes {', '.join(decodes)}; writes {written}"
    )
    if missing:
        raise InputError(
            f"{detail}; cannot write {', '.join(missing)}",
            hint="reinstall PyAV from its wheels: pip install --force-reinstall av",
        )
    return detail
