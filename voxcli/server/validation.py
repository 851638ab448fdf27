"""Validating the voice-changer request like the real (FastAPI) service does.

Every invalid field is reported at once as a 422 with pydantic v2 items (reference §3.1, §5.1).
Empty form values count as "not given", as FastAPI treats them. The defaults are the API's, not
voxcli's: without `model_id` the service uses ``eleven_english_sts_v2``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voxcli.audio.formats import CONVERT_FORMATS, STREAM_FORMATS
from voxcli.backends.base import ConvertRequest, FileFormat
from voxcli.backends.limits import SEED_MAX
from voxcli.backends.voice_settings import VoiceSettings
from voxcli.server.errors import ValidationFailed, invalid, missing
from voxcli.server.multipart import FilePart, Form

API_DEFAULT_MODEL = "eleven_english_sts_v2"
API_DEFAULT_FORMAT = "mp3_44100_128"
FILE_FORMATS = ("pcm_s16le_16", "other")

# pydantic's lax boolean parsing, which FastAPI applies to form and query values
_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}
#: Settings with a schema range of 0..1 (reference §4).
_UNIT_RANGE = ("stability", "similarity_boost")


@dataclass(frozen=True)
class ConvertCall:
    """A valid voice-changer request."""

    request: ConvertRequest
    audio: FilePart
    file_format: FileFormat


def _expected(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


class Checker:
    """Collects pydantic-style error items while reading values."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def integer(self, loc: tuple[str, str], value: str | None, lo: int, hi: int) -> int | None:
        """An integer from `lo` to `hi`; `None` when not given (or invalid, noted)."""
        if not value:
            return None
        try:
            number = int(value.strip())
        except ValueError:
            self.items.append(
                invalid(
                    loc,
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                    value,
                )
            )
            return None
        if number < lo:
            self.items.append(
                invalid(
                    loc,
                    "greater_than_equal",
                    f"Input should be greater than or equal to {lo}",
                    value,
                    {"ge": lo},
                )
            )
        elif number > hi:
            self.items.append(
                invalid(
                    loc,
                    "less_than_equal",
                    f"Input should be less than or equal to {hi}",
                    value,
                    {"le": hi},
                )
            )
        return number

    def boolean(self, loc: tuple[str, str], value: str | None, default: bool) -> bool:
        """A boolean in pydantic's lax spellings (``true``, ``false``, ``1``, ``0``, ...)."""
        if not value:
            return default
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
        self.items.append(
            invalid(
                loc,
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
                value,
            )
        )
        return default

    def choice(
        self, loc: tuple[str, str], value: str | None, allowed: tuple[str, ...], default: str
    ) -> str:
        """One of `allowed` (an enum)."""
        if not value:
            return default
        if value not in allowed:
            expected = _expected(allowed)
            self.items.append(
                invalid(loc, "enum", f"Input should be {expected}", value, {"expected": expected})
            )
            return default
        return value

    def settings(self, value: str | None) -> VoiceSettings | None:
        """``voice_settings``: JSON text of an object (known keys checked, others ignored)."""
        loc = ("body", "voice_settings")
        if not value or value.strip() == "null":
            return None
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            self.items.append(invalid(loc, "json_invalid", f"Invalid JSON: {exc.msg}", value))
            return None
        if not isinstance(data, dict):
            self.items.append(
                invalid(loc, "dict_type", "Input should be a valid dictionary", value)
            )
            return None
        return self._settings_object(data)

    def _settings_object(self, data: Mapping[str, Any]) -> VoiceSettings:
        known: dict[str, Any] = {}
        for key in VoiceSettings.__dataclass_fields__:
            value = data.get(key)
            loc = ("body", "voice_settings", key)
            if value is None:
                continue
            if key == "use_speaker_boost":
                if isinstance(value, bool):
                    known[key] = value
                else:
                    self.items.append(
                        invalid(loc, "bool_type", "Input should be a valid boolean", value)
                    )
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.items.append(
                    invalid(loc, "float_type", "Input should be a valid number", value)
                )
            elif key in _UNIT_RANGE and value < 0.0:
                self.items.append(
                    invalid(
                        loc,
                        "greater_than_equal",
                        "Input should be greater than or equal to 0",
                        value,
                        {"ge": 0.0},
                    )
                )
            elif key in _UNIT_RANGE and value > 1.0:
                self.items.append(
                    invalid(
                        loc,
                        "less_than_equal",
                        "Input should be less than or equal to 1",
                        value,
                        {"le": 1.0},
                    )
                )
            else:
                known[key] = float(value)
        return VoiceSettings(**known)


def parse_convert(
    voice_id: str, form: Form, query: Mapping[str, str], *, stream: bool
) -> ConvertCall:
    """Build the `ConvertRequest` for one voice-changer call or raise `ValidationFailed` (422)."""
    check = Checker()
    fields = form.fields
    audio = form.file("audio")
    if audio is None:
        if "audio" in fields:
            check.items.append(
                invalid(
                    ("body", "audio"),
                    "value_error",
                    "Value error, Expected UploadFile, received: <class 'str'>",
                    fields["audio"],
                )
            )
        else:
            check.items.append(missing(("body", "audio")))
    seed = check.integer(("body", "seed"), fields.get("seed"), 0, SEED_MAX)
    noise = check.boolean(
        ("body", "remove_background_noise"), fields.get("remove_background_noise"), False
    )
    file_format = check.choice(
        ("body", "file_format"), fields.get("file_format"), FILE_FORMATS, "other"
    )
    settings = check.settings(fields.get("voice_settings"))
    formats = STREAM_FORMATS if stream else CONVERT_FORMATS
    output_format = check.choice(
        ("query", "output_format"), query.get("output_format"), formats, API_DEFAULT_FORMAT
    )
    logging_on = check.boolean(("query", "enable_logging"), query.get("enable_logging"), True)
    latency = check.integer(
        ("query", "optimize_streaming_latency"), query.get("optimize_streaming_latency"), 0, 4
    )
    if check.items or audio is None:
        raise ValidationFailed(check.items)
    request = ConvertRequest(
        voice_id=voice_id,
        model_id=fields.get("model_id") or API_DEFAULT_MODEL,
        output_format=output_format,
        seed=seed,
        voice_settings=settings,
        remove_background_noise=noise,
        enable_logging=logging_on,
        latency=latency,
    )
    return ConvertCall(request, audio, "pcm_s16le_16" if file_format == "pcm_s16le_16" else "other")
