"""Voice profiles: what the engine knows about a target voice, built from reference speech.

A profile holds the target's log-F0 mean and spread, its formants (for the vocal-tract-length
ratio), the mean and spread of its mel-cepstra for voiced and unvoiced speech, and a codebook of
its frames for the exemplar correction (`voxcli.engine.knn`). Everything spectral lives in the
canonical 16 kHz space (`voxcli.engine.features`), so one profile converts audio at any rate.

Profiles serialise to `npz` bytes (no pickle) with a format version; `from_bytes` refuses
versions it does not know.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from voxcli.engine import world
from voxcli.engine.features import canonical_mcep, class_stats, speech_mask
from voxcli.engine.filters import percentile
from voxcli.engine.params import CANONICAL_RATE, AnalysisParams
from voxcli.engine.stored import FORMAT_VERSION, summarise, tract_length_cm
from voxcli.engine.vtl import formants
from voxcli.errors import InputError

Array = NDArray[np.float64]

MIN_REFERENCE_SECONDS = 10.0
#: Most frames a codebook keeps; more brings little and costs size and kNN time.
CODEBOOK_SIZE = 3000
_GAP_SECONDS = 0.1
_MIN_VOICED_SECONDS = 3.0


@dataclass(frozen=True, eq=False)
class VoiceProfile:
    """Statistics of one target voice (see the module docstring)."""

    log_f0_mean: float
    """Mean of natural-log F0 (Hz) over voiced frames."""
    log_f0_std: float
    f0_range_hz: tuple[float, float]
    """5th and 95th percentile of F0 (Hz)."""
    formants_hz: Array
    """Median F1..F4 (Hz)."""
    mcep_mean: Array
    """Per-coefficient mean of canonical mel-cepstra, shape ``(2, 40)``: voiced, unvoiced."""
    mcep_std: Array
    codebook: NDArray[np.float32]
    """Reference frames' canonical mel-cepstra, shape ``(n, 40)``."""
    codebook_voiced: NDArray[np.bool_]
    reference_seconds: float
    speech_seconds: float
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Free-form JSON data (name, description, labels) carried with the profile."""

    @property
    def f0_mean_hz(self) -> float:
        """Geometric-mean F0 in Hz."""
        return float(np.exp(self.log_f0_mean))

    @property
    def tract_length_cm(self) -> float:
        return tract_length_cm(self.formants_hz)

    def summary(self) -> dict[str, Any]:
        """Human-facing statistics (what `voxcli voices show` prints)."""
        return summarise(
            self.log_f0_mean, self.f0_range_hz, list(self.formants_hz),
            self.reference_seconds, self.speech_seconds, len(self.codebook),
        )  # fmt: skip

    def with_metadata(self, **values: Any) -> VoiceProfile:
        """A copy whose metadata has `values` added or replaced."""
        return replace(self, metadata={**self.metadata, **values})

    def to_bytes(self) -> bytes:
        """Serialise as a compressed `npz` archive (plain arrays and JSON, never pickle)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            version=np.int64(FORMAT_VERSION),
            f0=np.array([self.log_f0_mean, self.log_f0_std, *self.f0_range_hz]),
            seconds=np.array([self.reference_seconds, self.speech_seconds]),
            formants_hz=self.formants_hz.astype(np.float64),
            mcep_mean=self.mcep_mean.astype(np.float32),
            mcep_std=self.mcep_std.astype(np.float32),
            codebook=self.codebook.astype(np.float32),
            codebook_voiced=self.codebook_voiced.astype(np.bool_),
            metadata=np.frombuffer(json.dumps(dict(self.metadata)).encode(), dtype=np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> VoiceProfile:
        """Load a profile written by `to_bytes`; anything else is an `InputError`."""
        hint = "rebuild the voice with: voxcli voices add NAME SAMPLE..."
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                version = int(npz["version"])
                if version != FORMAT_VERSION:
                    raise InputError(
                        f"voice profile format {version} is not supported (this voxcli reads "
                        f"format {FORMAT_VERSION})",
                        hint=hint,
                    )
                f0, seconds = npz["f0"], npz["seconds"]
                return cls(
                    log_f0_mean=float(f0[0]),
                    log_f0_std=float(f0[1]),
                    f0_range_hz=(float(f0[2]), float(f0[3])),
                    formants_hz=npz["formants_hz"].astype(np.float64),
                    mcep_mean=npz["mcep_mean"].astype(np.float64),
                    mcep_std=npz["mcep_std"].astype(np.float64),
                    codebook=npz["codebook"].astype(np.float32),
                    codebook_voiced=npz["codebook_voiced"].astype(np.bool_),
                    reference_seconds=float(seconds[0]),
                    speech_seconds=float(seconds[1]),
                    metadata=json.loads(npz["metadata"].tobytes().decode()),
                )
        except InputError:
            raise
        except (OSError, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
            raise InputError("the voice profile is damaged or not a voxcli profile",
                             hint=hint) from exc  # fmt: skip


def build_profile(
    recordings: Sequence[tuple[NDArray[np.floating], int]],
    *,
    metadata: Mapping[str, Any] | None = None,
    codebook_size: int = CODEBOOK_SIZE,
) -> VoiceProfile:
    """Build a profile from one or more mono recordings ``(samples, sample_rate)`` of one voice.

    Needs at least `MIN_REFERENCE_SECONDS` of audio in total (30-60 s is better) at 16 kHz or
    more; refuses less, and refuses audio with too little voiced speech, with an `InputError`.
    """
    x = _join_at_canonical_rate(recordings)
    seconds = sum(len(s) / r for s, r in recordings)
    if seconds < MIN_REFERENCE_SECONDS:
        raise InputError(
            f"the reference audio is {seconds:.1f} s long; a voice needs at least "
            f"{MIN_REFERENCE_SECONDS:.0f} s of speech",
            hint="give 30-60 s of clear speech from one speaker (several files are fine)",
        )
    params = AnalysisParams(CANONICAL_RATE, "default")
    f0_range = world.speaker_range(x, CANONICAL_RATE, min_voiced=int(_MIN_VOICED_SECONDS * 100))
    if f0_range is None:  # refuse before the expensive analysis
        _refuse_unvoiced()
    analysis = world.analyse(x, params, f0_range=f0_range)
    voiced = analysis.f0 > 0
    speech = speech_mask(analysis.sp)
    frame_seconds = params.frame_period_ms / 1000.0
    if (voiced & speech).sum() * frame_seconds < _MIN_VOICED_SECONDS:
        _refuse_unvoiced()
    _, mc = canonical_mcep(analysis.sp, CANONICAL_RATE)
    mean, std = class_stats(mc, voiced, speech)
    log_f0 = np.log(analysis.f0[voiced])
    found, _ = formants(x, CANONICAL_RATE, analysis.f0, params.frame_period_ms)
    keep = np.flatnonzero(speech)
    if len(keep) > codebook_size:
        # An even stride keeps every part of the reference represented, deterministically.
        keep = keep[np.linspace(0, len(keep) - 1, codebook_size).astype(np.intp)]
    return VoiceProfile(
        log_f0_mean=float(log_f0.mean()),
        log_f0_std=float(log_f0.std()),
        f0_range_hz=(
            percentile(analysis.f0[voiced], 5),
            percentile(analysis.f0[voiced], 95),
        ),  # fmt: skip
        formants_hz=found,
        mcep_mean=mean,
        mcep_std=std,
        codebook=mc[keep].astype(np.float32),
        codebook_voiced=voiced[keep],
        reference_seconds=seconds,
        speech_seconds=float(speech.sum() * frame_seconds),
        metadata=dict(metadata or {}),
    )


def _refuse_unvoiced() -> NoReturn:
    raise InputError(
        f"the reference audio holds too little voiced speech (under {_MIN_VOICED_SECONDS:.0f} s)",
        hint="give 30-60 s of clear speech from one speaker, without music or long silences",
    )


def _join_at_canonical_rate(recordings: Sequence[tuple[NDArray[np.floating], int]]) -> Array:
    """Resample every recording to 16 kHz and join them with short silences."""
    import soxr

    if not recordings:
        raise InputError("no reference audio was given", hint="pass one or more speech files")
    parts: list[Array] = []
    gap = np.zeros(int(_GAP_SECONDS * CANONICAL_RATE))
    for samples, rate in recordings:
        if rate < CANONICAL_RATE:
            raise InputError(
                f"reference audio at {rate} Hz is too narrow-band for a voice profile",
                hint="record references at 16 kHz or more (e.g. 44.1 kHz WAV)",
            )
        x = np.asarray(samples, dtype=np.float64)
        if rate != CANONICAL_RATE:
            x = np.asarray(soxr.resample(x, rate, CANONICAL_RATE, quality="HQ"), dtype=np.float64)
        parts += [x, gap]
    return np.concatenate(parts)
