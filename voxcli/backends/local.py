"""The `local` backend: voice conversion offline, with voxcli's own engine.

Voices are voice profiles (`voxcli.engine.VoiceProfile`): the built-in ones ship in
``voxcli/data/voices/*.npz``; `add_voice` builds user ones from reference recordings and keeps
them in ``<data_dir>/voices/<voice_id>.npz``.

How the ElevenLabs request maps onto the engine:

- ``model_id``: the two speech-to-speech ids (`MODEL_IDS`) are accepted and both run the same
  engine, so clients of `voxcli serve` work unchanged; any other id is refused.
- ``voice_settings.similarity_boost`` (0..1) is the conversion strength for that request; when
  it is not set, the backend's `strength` (else `DEFAULT_STRENGTH`) applies. ``stability``,
  ``style``, ``use_speaker_boost`` and ``speed`` are accepted and have no effect: the engine
  keeps the source's timing and expression by design.
- ``seed`` is accepted; the engine is deterministic, so every seed gives the same result.
- ``remove_background_noise`` gates the noise down before converting
  (`voxcli.audio.denoise`, with the optional noisereduce library).

`ignored` names the options a request sets that have no effect here, so the CLI can say so.

The backend is safe to call from several threads: profiles are cached under a lock, the
engine is pure, and WORLD's synthesis is serialised inside the engine.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import threading
import uuid
from collections.abc import Mapping, Sequence
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from voxcli import __version__
from voxcli.audio.formats import parse_format
from voxcli.backends.base import Backend, ConvertRequest, ConvertResult, Model, Upload, Voice
from voxcli.errors import InputError, ServiceError

if TYPE_CHECKING:
    from voxcli.engine import VoiceProfile

MODEL_IDS = ("eleven_multilingual_sts_v2", "eleven_english_sts_v2")
QUALITIES = ("default", "fast")
DEFAULT_STRENGTH = 0.8
#: Rates the engine converts at; uploads outside are resampled to the nearest one.
_RATE_LIMITS = (8000, 48000)
_VOICE_ID = re.compile(r"[^a-z0-9]+")


class LocalBackend(Backend):
    """Offline voice conversion with the WORLD-based engine (see the module docstring)."""

    name = "local"
    DEFAULT_VOICE: ClassVar[str] = "sally"
    # NOTE: the engine holds the converted envelope and aperiodicity of the whole input for its
    # one synthesis, and WORLD's synthesis its own per-sample arrays (about 3 MB per second at
    # 16 kHz, 6 MB at 44.1 kHz: a 60 s section at 44.1 kHz peaks at about 410 MB with the
    # imports), so long input goes through the section pipeline in pieces of at most a minute;
    # a minute is also plenty for the input's own statistics.
    max_section_seconds: ClassVar[float] = 60.0

    def __init__(
        self, *, data_dir: Path, quality: str = "default", strength: float | None = None
    ) -> None:
        if quality not in QUALITIES:
            raise InputError(
                f"unknown quality {quality!r}", hint=f"use one of: {', '.join(QUALITIES)}"
            )
        if strength is not None and not 0.0 <= strength <= 1.0:
            raise InputError(
                f"strength must be from 0 to 1, not {strength}",
                hint="0 keeps the source voice, 1 is the strongest conversion",
            )
        self.data_dir = data_dir
        self.quality = quality
        self.strength = DEFAULT_STRENGTH if strength is None else float(strength)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, VoiceProfile]] = {}

    # -- voices -----------------------------------------------------------------------------

    @property
    def user_voice_dir(self) -> Path:
        """Where user voice profiles live (may not exist yet)."""
        return self.data_dir / "voices"

    def voices(self) -> list[Voice]:
        """Built-in voices first, then user voices, each sorted by id."""
        found = [self._voice(vid, f, "builtin") for vid, f in sorted(_builtin_files().items())]
        found += [self._voice(vid, f, "user") for vid, f in sorted(self._user_files().items())]
        return found

    def voice_ids(self) -> list[str]:
        """Every voice id, built-in first, without loading a profile (for shell completion)."""
        return sorted(_builtin_files()) + sorted(self._user_files())

    def _voice(self, voice_id: str, source: Any, category: str) -> Voice:
        """The voice stored in `source` (a path), from the profile's small members only:
        listing never loads the engine (`voxcli.engine.stored`)."""
        from voxcli.engine.stored import read_stored

        try:
            stored = read_stored(BytesIO(source.read_bytes()))
        except InputError as exc:  # a damaged user file: list it, say why, convert refuses it
            return Voice(voice_id, voice_id, category, description=f"unusable: {exc}",
                         details={"error": str(exc)})  # fmt: skip
        meta = stored.metadata
        details: dict[str, Any] = stored.summary()
        details.update({k: meta[k] for k in ("source", "licence", "samples") if k in meta})
        return Voice(
            voice_id=voice_id,
            name=str(meta.get("name", voice_id)),
            category=category,
            labels={str(k): str(v) for k, v in dict(meta.get("labels", {})).items()},
            description=str(meta.get("description", "")),
            details=details,
        )

    def _user_files(self) -> dict[str, Path]:
        if not self.user_voice_dir.is_dir():
            return {}
        return {p.stem: p for p in self.user_voice_dir.glob("*.npz") if p.is_file()}

    def _profile(self, voice_id: str) -> VoiceProfile:
        """Load (and cache) a profile by id; unknown ids are a `ServiceError` listing voices."""
        from voxcli.engine import VoiceProfile

        builtin, user = _builtin_files(), self._user_files()
        if voice_id in builtin:
            data, stamp = builtin[voice_id].read_bytes(), 0.0
        elif voice_id in user:
            path = user[voice_id]
            stamp = path.stat().st_mtime_ns
            with self._lock:
                cached = self._cache.get(voice_id)
            if cached and cached[0] == stamp:
                return cached[1]
            data = path.read_bytes()
        else:
            known = sorted(builtin) + sorted(user)
            raise ServiceError(
                f"the local backend has no voice {voice_id!r}",
                hint=f"available voices: {', '.join(known)} (see: voxcli voices --backend local)",
                code="voice_not_found",
                status_code=404,
            )
        with self._lock:
            cached = self._cache.get(voice_id)
            if cached and cached[0] == stamp:
                return cached[1]
        profile = VoiceProfile.from_bytes(data)
        with self._lock:
            self._cache[voice_id] = (stamp, profile)
        return profile

    def add_voice(
        self,
        name: str,
        samples: Sequence[Path],
        *,
        description: str = "",
        labels: Mapping[str, str] | None = None,
        remove_background_noise: bool = False,
    ) -> Voice:
        """Build a profile from `samples` (10 s or more of one speaker; 30-60 s is better).

        The voice id is `name` lower-cased with runs of other characters turned into ``-``;
        an id already taken (built-in or user) is refused. `remove_background_noise` has no
        effect offline.
        """
        from voxcli.audio.io import read
        from voxcli.engine import build_profile

        voice_id = _VOICE_ID.sub("-", name.strip().lower()).strip("-")
        if not voice_id:
            raise InputError(
                f"{name!r} is not a usable voice name",
                hint="use letters or digits, e.g. voxcli voices add narrator a.wav",
            )
        if voice_id in _builtin_files():
            raise InputError(
                f"{voice_id!r} is a built-in local voice, which cannot be replaced",
                hint="choose another name, e.g. "
                + shlex.join(
                    ["voxcli", "voices", "add", f"my-{voice_id}", *map(str, samples)]
                    + ["--backend", "local"]
                ),
            )
        if voice_id in self._user_files():
            raise InputError(
                f"you already have a local voice {voice_id!r}",
                hint="choose another name, or remove it first: "
                f"voxcli voices remove {voice_id} --backend local",
            )
        if not samples:
            raise InputError("no sample files were given", hint="pass one or more speech files")
        recordings = []
        for path in samples:
            if not Path(path).is_file():
                raise InputError(f"sample {path} does not exist", hint="check the path")
            recordings.append(read(Path(path)))
        profile = build_profile(
            recordings,
            metadata={
                "name": name.strip(),
                "description": description,
                "labels": dict(labels or {}),
                "samples": [Path(p).name for p in samples],
            },
        )
        self._write(voice_id, profile.to_bytes())
        return self._voice(voice_id, self.user_voice_dir / f"{voice_id}.npz", "user")

    def _write(self, voice_id: str, data: bytes) -> None:
        self.user_voice_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.user_voice_dir / f"{voice_id}.npz"
        tmp = final.with_name(f".{voice_id}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    def remove_voice(self, voice_id: str) -> None:
        """Delete a user voice. Built-in voices cannot be removed."""
        if voice_id in _builtin_files():
            raise InputError(
                f"{voice_id!r} is a built-in voice and cannot be removed",
                hint="only voices added with 'voxcli voices add' can be removed",
            )
        path = self._user_files().get(voice_id)
        if path is None:
            self._profile(voice_id)  # raises the unknown-voice error with the list of voices
            return
        path.unlink(missing_ok=True)
        with self._lock:
            self._cache.pop(voice_id, None)

    # -- models and conversion ----------------------------------------------------------------

    def models(self) -> list[Model]:
        """The ElevenLabs speech-to-speech model ids, both served by the local engine."""
        names = {"eleven_multilingual_sts_v2": "Multilingual STS v2 (local engine)",
                 "eleven_english_sts_v2": "English STS v2 (local engine)"}  # fmt: skip
        return [
            Model(
                model_id,
                names[model_id],
                can_do_voice_conversion=True,
                description="Served by voxcli's local engine: offline WORLD-vocoder "
                "signal processing, language-independent, no neural model.",
            )  # fmt: skip
            for model_id in MODEL_IDS
        ]

    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        """Decode `upload`, convert it toward the request's voice, encode the output format."""
        from voxcli.audio import io
        from voxcli.engine import ConversionOptions, convert

        if request.model_id not in MODEL_IDS:
            raise ServiceError(
                f"the local backend has no model {request.model_id!r}",
                hint=f"use one of: {', '.join(MODEL_IDS)}",
                code="model_not_found",
                status_code=404,
            )
        profile = self._profile(request.voice_id)
        fmt = parse_format(request.output_format)
        if upload.file_format == "pcm_s16le_16":
            samples, rate = io.from_pcm16(upload.data), 16000
        else:
            samples, rate = io.decode(upload.data)
        if len(samples) == 0:
            raise InputError("the uploaded audio is empty", hint="give a non-empty recording")
        engine_rate = min(max(rate, _RATE_LIMITS[0]), _RATE_LIMITS[1])
        samples = io.resample(samples, rate, engine_rate)
        if request.remove_background_noise:
            from voxcli.audio.denoise import remove_noise

            samples = remove_noise(samples, engine_rate)
        options = ConversionOptions(strength=self._strength(request), quality=self.quality)  # type: ignore[arg-type]
        upload.report("converting", 0.0)
        progress = (lambda done: upload.report("converting", done)) if upload.progress else None
        converted = convert(samples, engine_rate, profile, options, progress=progress)
        audio = io.encode(converted, engine_rate, fmt)
        return ConvertResult(audio=audio, output_format=fmt.name,
                             request_id=_request_id())  # fmt: skip

    def cache_identity(self, request: ConvertRequest) -> dict[str, object]:
        """Strength, quality, the requested voice's profile (a user may replace it) and the
        engine's version (a new release may convert differently)."""
        source = _builtin_files().get(request.voice_id) or self._user_files().get(request.voice_id)
        profile = hashlib.sha256(source.read_bytes()).hexdigest() if source is not None else None
        return {
            "strength": self.strength,
            "quality": self.quality,
            "profile": profile,
            "engine": __version__,
        }

    def ignored(self, request: ConvertRequest) -> dict[str, str]:
        """The options of `request` the engine does not honour, and why (see the module
        docstring); `--no-logging` is honoured by nature: nothing leaves this machine."""
        found: dict[str, str] = {}
        if request.seed is not None:
            found["--seed"] = "the engine is deterministic: every seed gives the same result"
        if request.latency is not None:
            found["--latency"] = "there is no streaming latency to trade offline"
        settings = request.voice_settings
        kept = "the engine keeps the input's timing and expression"
        flags = {"stability": "--stability", "style": "--style", "speed": "--speed",
                 "use_speaker_boost": "--speaker-boost"}  # fmt: skip
        for field, flag in flags.items():
            if settings is not None and getattr(settings, field) is not None:
                found[flag] = kept
        if request.model_id != MODEL_IDS[0]:
            found["--model"] = "both speech-to-speech model ids run the same engine"
        return found

    def _strength(self, request: ConvertRequest) -> float:
        settings = request.voice_settings
        if settings is not None and settings.similarity_boost is not None:
            return float(settings.similarity_boost)
        return self.strength


def _builtin_files() -> dict[str, Any]:
    """Built-in profiles shipped as package data, by voice id."""
    folder = resources.files("voxcli").joinpath("data/voices")
    if not folder.is_dir():
        return {}
    return {e.name[:-4]: e for e in folder.iterdir() if e.name.endswith(".npz")}


def _request_id() -> str:
    """A new id for each request, as the service gives (the same input twice is two requests)."""
    return "local-" + uuid.uuid4().hex[:24]
