"""Test speech for the local-engine benchmark: synthetic speakers, cached on disk.

Speakers and sentences come from `tools/build_voices.py` (Festival and espeak-ng + MBROLA voices
reading Harvard sentences). Reference speech is lists 1-3 (what profiles are built from);
held-out speech is list 4 and list 5, which no profile has seen.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_voices as bv  # noqa: E402

RATE = bv.RATE


@dataclass(frozen=True)
class Utterance:
    """One held-out utterance: its text and a short id."""

    key: str
    text: str

    @property
    def words(self) -> list[str]:
        return normalise(self.text)


#: Four short sentences (about 2-3 s each) and two long inputs (about 12 s each).
SHORT = [Utterance(f"h4s{i}", bv.HARVARD[4][i]) for i in range(4)]
LONG = [
    Utterance("h4long", " ".join(bv.HARVARD[4][4:9])),
    Utterance("h5long", " ".join(bv.HARVARD[5][0:5])),
]
HELD_OUT = SHORT + LONG

#: Development sentences (Harvard lists 6-8): for tuning and ablations (`local_dev.py`), so
#: the held-out lists above stay unseen by every choice made on the engine.
DEV_LISTS: dict[int, list[str]] = {
    6: ["The frosty air passed through the coat.", "The crooked maze failed to fool the mouse.",
        "Adding fast leads to wrong sums.", "The show was a flop from the very start.",
        "A saw is a tool used for making boards.", "The wagon moved on well oiled wheels.",
        "March the soldiers past the next hill.", "A cup of sugar makes sweet fudge.",
        "Place a rosebush near the porch steps.", "Both lost their lives in the raging storm."],
    7: ["We talked of the side show in the circus.", "Use a pencil to write the first draft.",
        "He ran half way to the hardware store.", "The clock struck to mark the third period.",
        "A small creek cut across the field.", "Cars and busses stalled in snow drifts.",
        "The set of china hit the floor with a crash.",
        "This is a grand season for hikes on the road.",
        "The dune rose from the edge of the water.",
        "Those words were the cue for the actor to leave."],
    8: ["A yacht slid around the point into the bay.", "The two met while playing on the sand."],
}  # fmt: skip
DEV_SHORT = [Utterance("d8s0", DEV_LISTS[8][0]), Utterance("d8s1", DEV_LISTS[8][1])]
DEV_LONG = [
    Utterance("d6a", " ".join(DEV_LISTS[6][0:5])),
    Utterance("d6b", " ".join(DEV_LISTS[6][5:10])),
    Utterance("d7a", " ".join(DEV_LISTS[7][0:5])),
]
DEV = DEV_SHORT + DEV_LONG


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation (what the ASR output is compared on)."""
    cleaned = "".join(ch.lower() if ch.isalnum() or ch in " '" else " " for ch in text)
    return cleaned.replace("'", "").split()


class Corpus:
    """Generates speech on first use and keeps it as WAV files under `cache_dir`."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)

    def _cached(self, name: str, make: callable) -> NDArray[np.float32]:  # type: ignore[valid-type]
        path = self.cache_dir / f"{name}.wav"
        if not path.exists():
            sf.write(str(path), make(), RATE, subtype="FLOAT")
        samples, _ = sf.read(str(path), dtype="float32")
        return samples

    def utterance(self, speaker: str, utt: Utterance) -> NDArray[np.float32]:
        """`speaker` reading `utt` (16 kHz mono float32)."""

        def make() -> NDArray[np.float32]:
            with tempfile.TemporaryDirectory() as tmp:
                return bv.speak(bv.SPEAKERS[speaker], utt.text, Path(tmp))

        return self._cached(f"{speaker}-{utt.key}", make)

    def reference(self, speaker: str) -> NDArray[np.float32]:
        """`speaker` reading Harvard lists 1-3 (60-90 s)."""

        def make() -> NDArray[np.float32]:
            with tempfile.TemporaryDirectory() as tmp:
                return bv.reference_speech(bv.SPEAKERS[speaker], Path(tmp))

        return self._cached(f"{speaker}-reference", make)
