"""`TransformBackend`: a real `Backend` whose conversion is a checkable transform of the input.

Put behind `voxcli.server.ApiServer`, it stands in for the ElevenLabs service: it decodes the
upload (any container `voxcli.audio.io.decode` reads, or raw 16 kHz PCM), applies ``identity``,
``invert`` (polarity) or ``gain``, and encodes the result in the requested output format at that
format's rate, so a test can decode the answer and check every section went through it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from voxcli.audio.formats import parse_format
from voxcli.audio.io import Samples, decode, encode, from_pcm16
from voxcli.backends.base import Backend, ConvertRequest, ConvertResult, Model, Upload, Voice
from voxcli.errors import InputError, ServiceError

Transform = Literal["identity", "invert", "gain"]

RACHEL = Voice(
    "21m00Tcm4TlvDq8ikWAM",
    "Rachel",
    "premade",
    {"accent": "american", "gender": "female", "age": "young"},
    "Calm young American woman.",
)
ALEX_CLONED = Voice("AlexClonedVoice00001", "Alex", "cloned", {"accent": "british"}, "Alex (mine)")
ALEX_GENERATED = Voice("AlexGeneratedVoice01", "alex", "generated", {"gender": "male"})
ADAM = Voice("pNInz6obpgDQGcFmaJgB", "Adam", "premade", {"accent": "american", "gender": "male"})
DEFAULT_VOICES = (RACHEL, ALEX_CLONED, ALEX_GENERATED, ADAM)

STS_MODELS = (
    Model(
        "eleven_multilingual_sts_v2", "Eleven Multilingual v2 (STS)", True, languages=("en", "de")
    ),
    Model("eleven_english_sts_v2", "Eleven English v2 (STS)", True, languages=("en",)),
)
TTS_ONLY = Model("eleven_multilingual_v2", "Eleven Multilingual v2", False, languages=("en",))
DEFAULT_MODELS = (*STS_MODELS, TTS_ONLY)


def many_voices(count: int) -> list[Voice]:
    """`count` distinct voices (for pagination tests), ids ``voice000000000000001``, ..."""
    return [Voice(f"voice{n:015d}", f"Voice {n}", "cloned") for n in range(1, count + 1)]


class TransformBackend(Backend):
    """Converts by applying a fixed, checkable transform to the decoded upload."""

    name = "transform"

    def __init__(
        self,
        transform: Transform = "identity",
        *,
        gain: float = 0.5,
        voices: Iterable[Voice] = DEFAULT_VOICES,
        models: Iterable[Model] = DEFAULT_MODELS,
    ) -> None:
        self.transform = transform
        self.gain = gain
        self._voices = list(voices)
        self._models = list(models)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def voices(self) -> list[Voice]:
        with self._lock:
            return list(self._voices)

    def models(self) -> list[Model]:
        return list(self._models)

    def apply(self, samples: Samples) -> Samples:
        """The transform this backend stands for."""
        if self.transform == "invert":
            return -samples
        if self.transform == "gain":
            return (samples * self.gain).astype(np.float32)
        return samples

    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        if request.voice_id not in {v.voice_id for v in self.voices()}:
            raise ServiceError(f"unknown voice {request.voice_id!r}", code="voice_not_found")
        model = next((m for m in self._models if m.model_id == request.model_id), None)
        if model is None or not model.can_do_voice_conversion:
            raise ServiceError(f"model {request.model_id!r} cannot convert", code="model_not_found")
        if upload.file_format == "pcm_s16le_16":
            samples, rate = from_pcm16(upload.data), 16000
        else:
            samples, rate = decode(upload.data)
        fmt = parse_format(request.output_format)
        return ConvertResult(encode(self.apply(samples), rate, fmt), request.output_format)

    def add_voice(
        self,
        name: str,
        samples: Sequence[Path],
        *,
        description: str = "",
        labels: Mapping[str, str] | None = None,
        remove_background_noise: bool = False,
    ) -> Voice:
        if not samples:
            raise InputError("a voice needs at least one sample")
        for path in samples:
            decode(path.read_bytes())  # refuse what is not audio, as the service would
        with self._lock:
            voice = Voice(
                f"added{next(self._ids):015d}", name, "cloned", dict(labels or {}), description
            )
            self._voices.append(voice)
        return voice

    def remove_voice(self, voice_id: str) -> None:
        with self._lock:
            before = len(self._voices)
            self._voices = [v for v in self._voices if v.voice_id != voice_id]
            if len(self._voices) == before:
                raise ServiceError(f"unknown voice {voice_id!r}", code="voice_not_found")
