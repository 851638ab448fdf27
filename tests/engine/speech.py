"""Speech for engine and local-backend tests, spoken by espeak-ng into temporary files.

espeak-ng is a formant synthesiser: robotic, but real speech with words, voicing and formants,
and it is installed wherever the tests run (CI included). Nothing here is committed audio.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

SENTENCES = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
    "It is easy to tell the depth of a well. These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls. The juice of lemons makes fine punch."
)
SHORT = "Hoist the load to your left shoulder. Take the winding path to reach the lake."


def espeak(
    text: str, path: Path, *, voice: str = "en-us", pitch: int = 50
) -> tuple[NDArray[np.float32], int]:
    """Speak `text` into `path` (WAV) and return ``(samples, rate)``; `pitch` is 0-99."""
    subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "150", "-w", str(path), text],
                   check=True, capture_output=True)  # fmt: skip
    samples, rate = sf.read(str(path), dtype="float32")
    return samples, int(rate)


def f0_median(samples: NDArray[np.floating], rate: int) -> float:
    """Median F0 (Hz) of the voiced frames, measured independently of the engine (DIO)."""
    import pyworld

    x = np.asarray(samples, dtype=np.float64)
    f0, t = pyworld.dio(x, rate, f0_floor=50.0, f0_ceil=600.0, frame_period=10.0)
    f0 = pyworld.stonemask(x, f0, t, rate)
    return float(np.median(f0[f0 > 0]))
