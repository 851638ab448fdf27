"""Voice settings and the other per-request values the API checks (reference §3.1, §4).

Checked here, before anything is sent, so a value out of the documented range is an
`InputError` that names the option, not a 422 from the service after an upload.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from voxcli.backends.limits import SEED_MAX, SPEED_RANGE
from voxcli.errors import InputError


@dataclass(frozen=True)
class VoiceSettings:
    """Per-request voice settings (reference §4). `None` = not sent: the voice's own applies."""

    stability: float | None = None
    similarity_boost: float | None = None
    style: float | None = None
    use_speaker_boost: bool | None = None
    speed: float | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in asdict(self).values())

    def to_dict(self) -> dict[str, Any]:
        """Only the keys that are set."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def to_json(self) -> str:
        """JSON text with only the keys that are set (the API takes it as a form field)."""
        return json.dumps(self.to_dict())

    def merged(self, other: VoiceSettings) -> VoiceSettings:
        """Return these settings with every key that is set in `other` replaced by its value."""
        data = asdict(self)
        data.update({k: v for k, v in asdict(other).items() if v is not None})
        return VoiceSettings(**data)

    @classmethod
    def from_json(cls, text: str) -> VoiceSettings:
        """Parse `--settings` JSON; unknown keys or wrong types are an `InputError`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"--settings is not valid JSON ({exc.msg})",
                hint="pass an object, e.g. --settings '{\"stability\": 0.5}'",
            ) from exc
        if not isinstance(data, dict):
            raise InputError("--settings must be a JSON object", hint='e.g. {"stability": 0.5}')
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(
                f"--settings has unknown key(s): {', '.join(unknown)}",
                hint=f"known keys: {', '.join(sorted(known))}",
            )
        settings = cls(**data)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Check types and documented ranges (stability, similarity, style 0..1; speed
        `SPEED_RANGE`)."""
        for name in ("stability", "similarity_boost", "style"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or not 0.0 <= value <= 1.0):
                raise InputError(
                    f"{name} must be a number from 0 to 1, not {value!r}",
                    hint=f"e.g. --{name.replace('_', '-')} 0.5",
                )
        low, high = SPEED_RANGE
        if self.speed is not None and (not _is_number(self.speed) or not low <= self.speed <= high):
            raise InputError(
                f"speed must be a number from {low} to {high}, not {self.speed!r}",
                hint="e.g. --speed 1.1 (1.0 is the voice's own speed)",
            )
        if self.use_speaker_boost is not None and not isinstance(self.use_speaker_boost, bool):
            raise InputError(
                f"use_speaker_boost must be true or false, not {self.use_speaker_boost!r}",
                hint="use --speaker-boost or --no-speaker-boost",
            )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_seed(seed: int | None) -> None:
    """The API takes seeds from 0 to 4294967295 (reference §3.1); check before sending."""
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise InputError(
            f"--seed must be from 0 to {SEED_MAX}, not {seed}",
            hint="any whole number in that range; a seed makes results (best-effort) repeatable",
        )


def check_latency(latency: int | None) -> None:
    """`optimize_streaming_latency` takes 0..4."""
    if latency is not None and not 0 <= latency <= 4:
        raise InputError(
            f"--latency must be from 0 to 4, not {latency}",
            hint="0 is the default; 1-3 trade quality for latency; 4 also skips text normalisation",
        )


#: The documented advice for energetic input (reference: stability 1.0, style 0.0).
EXPRESSIVE = VoiceSettings(stability=1.0, style=0.0)
