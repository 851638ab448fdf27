"""Long speech with natural pauses, spoken by espeak-ng (installed wherever the tests run).

Sentences are built deterministically from a small word bank and separated by SSML breaks of
0.3-1.0 s, like a reader pausing between sentences, so a 20-minute file has hundreds of pauses
of realistic length and no committed audio.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

SUBJECTS = (
    "The old clock",
    "A quiet river",
    "My neighbour",
    "The red kite",
    "Every student",
    "The late train",
    "A tall glass",
    "Her brother",
    "The green box",
    "This small town",
)
VERBS = (
    "carried",
    "watched",
    "painted",
    "followed",
    "counted",
    "opened",
    "found",
    "lifted",
    "described",
    "remembered",
)
OBJECTS = (
    "the heavy stone",
    "seven bright lamps",
    "a letter from home",
    "the wooden gate",
    "four loaves of bread",
    "the winter coat",
    "a map of the coast",
    "the broken chair",
)
ENDINGS = (
    "before the rain began",
    "near the harbour",
    "after a long day",
    "without a word",
    "at the edge of the field",
    "in the morning light",
    "with great care",
)


def script(minutes: float, *, seed: int = 7) -> str:
    """SSML for roughly `minutes` of speech (about 3.7 s per sentence with its pause)."""
    rng = random.Random(seed)
    parts = ["<speak>"]
    for _ in range(int(minutes * 60 / 3.66) + 1):
        sentence = (
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(ENDINGS)}."
        )
        parts.append(f'{sentence} <break time="{rng.randrange(300, 1000, 50)}ms"/>')
    parts.append("</speak>")
    return "\n".join(parts)


def long_speech(path: Path, minutes: float, *, seed: int = 7, voice: str = "en-us") -> Path:
    """Write about `minutes` of 22.05 kHz mono speech to the WAV file `path`.

    `voice` is an espeak-ng voice, e.g. ``en-us+f3`` for a female variant.
    """
    text = path.with_suffix(".ssml")
    text.write_text(script(minutes, seed=seed))
    subprocess.run(
        ["espeak-ng", "-m", "-v", voice, "-s", "165", "-f", str(text), "-w", str(path)],
        check=True,
        capture_output=True,
    )
    return path
