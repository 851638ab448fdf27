"""What a stored voice profile says about itself, read without numpy or the engine.

`voxcli voices` lists names, labels and a few statistics of every profile. Loading each one as
a `VoiceProfile` imports the whole engine (numpy, pyworld) and decompresses its codebook, which
made listing three voices take two seconds. A profile is an ``npz`` file, a zip archive of
``.npy`` arrays, so this module reads its small members with the standard library only: the
format version, the F0 and duration numbers, the formants, the metadata, and the codebook's
shape (its header only). `summary` gives the same numbers as `VoiceProfile.summary`.
"""

from __future__ import annotations

import ast
import json
import math
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from voxcli.errors import InputError

#: The profile format this voxcli writes and reads.
FORMAT_VERSION = 1
#: Every array a profile holds; a file missing one is damaged.
MEMBERS = ("version", "f0", "seconds", "formants_hz", "mcep_mean", "mcep_std", "codebook",
           "codebook_voiced", "metadata")  # fmt: skip
#: Speed of sound in warm, moist air (cm/s), for the tube-model length estimate.
SOUND_SPEED_CM = 35000.0
_HINT = "rebuild the voice with: voxcli voices add NAME SAMPLE..."
_DAMAGED = "the voice profile is damaged or not a voxcli profile"
_FORMATS = {"<f8": "d", "<f4": "f", "<i8": "q", "|u1": "B", "|b1": "?"}


@dataclass(frozen=True)
class StoredProfile:
    """The small parts of a stored profile (see the module docstring)."""

    log_f0_mean: float
    log_f0_std: float
    f0_range_hz: tuple[float, float]
    formants_hz: tuple[float, ...]
    reference_seconds: float
    speech_seconds: float
    codebook_frames: int
    metadata: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The statistics `voxcli voices show` prints (`summarise`)."""
        return summarise(
            self.log_f0_mean, self.f0_range_hz, self.formants_hz,
            self.reference_seconds, self.speech_seconds, self.codebook_frames,
        )  # fmt: skip


def summarise(
    log_f0_mean: float,
    f0_range_hz: tuple[float, float],
    formants_hz: Sequence[float],
    reference_seconds: float,
    speech_seconds: float,
    codebook_frames: int,
) -> dict[str, Any]:
    """A profile's human-facing statistics; `VoiceProfile.summary` is this too."""
    lo, hi = f0_range_hz
    formants = [float(f) for f in formants_hz]
    return {
        "f0_mean_hz": round(math.exp(log_f0_mean), 1),
        "f0_range_hz": [round(lo, 1), round(hi, 1)],
        "vocal_tract_cm": round(tract_length_cm(formants), 1),
        "formants_hz": [round(f, 0) for f in formants],
        "reference_seconds": round(reference_seconds, 1),
        "speech_seconds": round(speech_seconds, 1),
        "codebook_frames": codebook_frames,
    }


def read_stored(source: IO[bytes]) -> StoredProfile:
    """Read a profile file (a binary file object); anything unreadable is an `InputError`."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if any(f"{member}.npy" not in names for member in MEMBERS):
                raise ValueError("a member is missing")
            version = _read_array(archive, "version")[1]
            if len(version) != 1 or int(version[0]) != FORMAT_VERSION:
                raise InputError(
                    f"voice profile format {int(version[0]) if version else '?'} is not supported "
                    f"(this voxcli reads format {FORMAT_VERSION})",
                    hint=_HINT,
                )
            f0 = _read_array(archive, "f0")[1]
            seconds = _read_array(archive, "seconds")[1]
            formants = _read_array(archive, "formants_hz")[1]
            metadata = json.loads(bytes(_read_array(archive, "metadata")[1]).decode())
            codebook_shape = _read_header(archive, "codebook")[1]
            if len(f0) != 4 or len(seconds) != 2 or len(formants) != 4 or not codebook_shape:
                raise ValueError("an array has the wrong shape")
            if not isinstance(metadata, dict):
                raise ValueError("the metadata is not an object")
    except InputError:
        raise
    except (OSError, ValueError, KeyError, IndexError, SyntaxError, zipfile.BadZipFile,
            struct.error, UnicodeDecodeError) as exc:  # fmt: skip
        raise InputError(_DAMAGED, hint=_HINT) from exc
    return StoredProfile(
        log_f0_mean=float(f0[0]),
        log_f0_std=float(f0[1]),
        f0_range_hz=(float(f0[2]), float(f0[3])),
        formants_hz=tuple(float(v) for v in formants),
        reference_seconds=float(seconds[0]),
        speech_seconds=float(seconds[1]),
        codebook_frames=int(codebook_shape[0]),
        metadata=metadata,
    )


def _read_header(archive: zipfile.ZipFile, member: str) -> tuple[str, tuple[int, ...], int]:
    """``(dtype descr, shape, header length)`` of ``member.npy`` (the ``.npy`` format, v1-3)."""
    with archive.open(f"{member}.npy") as stream:
        start = stream.read(12)
    if start[:6] != b"\x93NUMPY":
        raise ValueError(f"{member} is not an .npy array")
    if start[6] == 1:
        size, offset = struct.unpack("<H", start[8:10])[0], 10
    else:
        size, offset = struct.unpack("<I", start[8:12])[0], 12
    with archive.open(f"{member}.npy") as stream:
        header = stream.read(offset + size)[offset:].decode("latin-1")
    fields = ast.literal_eval(header)  # a dict of literals, by the format's definition
    if not isinstance(fields, dict) or fields.get("fortran_order"):
        raise ValueError(f"{member} has an unexpected layout")
    shape = tuple(int(n) for n in fields["shape"])
    return str(fields["descr"]), shape, offset + size


def _read_array(archive: zipfile.ZipFile, member: str) -> tuple[tuple[int, ...], list[Any]]:
    """``(shape, values)`` of a small 0-d or 1-d ``member.npy``, values as Python numbers."""
    descr, shape, skip = _read_header(archive, member)
    if descr not in _FORMATS or len(shape) > 1:
        raise ValueError(f"{member} has an unexpected type {descr} or shape {shape}")
    count = shape[0] if shape else 1
    code = _FORMATS[descr]
    data = archive.read(f"{member}.npy")[skip:]
    return shape, list(struct.unpack(f"<{count}{code}", data[: count * struct.calcsize(code)]))


def tract_length_cm(formants_hz: Sequence[float]) -> float:
    """Uniform-tube length estimate (cm): ``L = (2n - 1) c / (4 Fn)`` averaged over F2..F4.

    F1 is left out: it depends on jaw opening far more than on the tract's length. Formants
    never found (NaN) are left out too.
    """
    lengths = [(2 * n - 1) * SOUND_SPEED_CM / (4.0 * formants_hz[n - 1]) for n in (2, 3, 4)
               if formants_hz[n - 1] and math.isfinite(formants_hz[n - 1])]  # fmt: skip
    return sum(lengths) / len(lengths) if lengths else float("nan")
