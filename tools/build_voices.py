"""Regenerate voxcli's built-in voice profiles (`voxcli/data/voices/*.npz`).

Each built-in voice is a profile built from about a minute of speech that a freely licensed
Festival voice reads (Harvard sentence lists 1-3; list 4 is kept back for the benchmark). The
voices and their licences are listed in `voxcli/data/voices/PROVENANCE.md`.

Needs the Debian packages festival, festvox-us-slt-hts, festvox-kallpc16k, festvox-kdlpc16k
and sox. Run from the repository root with voxcli installed:

    python tools/build_voices.py            # all built-in voices
    python tools/build_voices.py sally      # just one

The speech helpers here (`speak`, `HARVARD`, `SPEAKERS`) are also what the local-engine
benchmark uses to make its test speakers.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
VOICES_DIR = ROOT / "voxcli" / "data" / "voices"
RATE = 16000

#: Harvard sentences (IEEE 1969 "Recommended Practice for Speech Quality Measurements").
HARVARD: dict[int, list[str]] = {
    1: ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
        "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
        "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
        "The box was thrown beside the parked truck.",
        "The hogs were fed chopped corn and garbage.",
        "Four hours of steady work faced us.", "A large size in stockings is hard to sell."],
    2: ["The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
        "The source of the huge river is the clear spring.",
        "Kick the ball straight and follow through.",
        "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
        "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
        "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds."],
    3: ["The small pup gnawed a hole in the sock.", "The fish twisted and turned on the bent hook.",
        "Press the pants and sew a button on the vest.", "The swan dive was far short of perfect.",
        "The beauty of the view stunned the young boy.", "Two blue fish swam in the tank.",
        "Her purse was full of useless trash.", "The colt reared and threw the tall rider.",
        "It snowed, rained, and hailed the same morning.", "Read verse out loud for pleasure."],
    4: ["Hoist the load to your left shoulder.", "Take the winding path to reach the lake.",
        "Note closely the size of the gas tank.", "Wipe the grease off his dirty face.",
        "Mend the coat before you go out.", "The wrist was badly strained and hung limp.",
        "The stray cat gave birth to kittens.", "The young girl gave no clear response.",
        "The meal was cooked before the bell rang.", "What joy there is in living."],
    5: ["A king ruled the state in the early days.", "The ship was torn apart on the sharp reef.",
        "Sickness kept him home the third week.", "The wide road shimmered in the hot sun.",
        "The lazy cow lay in the cool grass.", "Lift the square stone over the fence.",
        "The rope will bind the seven books at once.", "Hop over the fence and plunge in.",
        "The friendly gang left the drug store.", "Mesh wire keeps chicks inside."],
}  # fmt: skip

REFERENCE_LISTS = (1, 2, 3)


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: which synthesiser and voice speaks, and how to describe it."""

    key: str
    engine: str  # "festival" or "espeak"
    voice: str
    gender: str
    accent: str
    description: str
    source: str
    licence: str


SPEAKERS: dict[str, Speaker] = {
    s.key: s
    for s in (
        Speaker("sally", "festival", "cmu_us_slt_arctic_hts", "female", "american",
                "Clear, mid-pitched US English female voice.",
                "Festival voice cmu_us_slt_arctic_hts (CMU ARCTIC speaker slt), "
                "Debian festvox-us-slt-hts",
                "CMU ARCTIC / EST licence: free use, modification and redistribution with notice"),
        Speaker("karl", "festival", "kal_diphone", "male", "american",
                "Steady, low US English male voice.",
                "Festival voice kal_diphone (CMU speaker kal), Debian festvox-kallpc16k",
                "CSTR/CMU free licence: use, modify and redistribute with notice"),
        Speaker("ken", "festival", "ked_diphone", "male", "american",
                "Brighter US English male voice.",
                "Festival voice ked_diphone (speaker ked), Debian festvox-kdlpc16k",
                "CSTR free licence: use, modify and redistribute with notice"),
        # Benchmark-only speakers: MBROLA databases are licensed for non-commercial use, so
        # no profile derived from them ships.
        Speaker("us1", "espeak", "mb-us1", "female", "american", "", "espeak-ng + mbrola us1", ""),
        Speaker("us2", "espeak", "mb-us2", "male", "american", "", "espeak-ng + mbrola us2", ""),
        Speaker("us3", "espeak", "mb-us3", "male", "american", "", "espeak-ng + mbrola us3", ""),
        Speaker("en1", "espeak", "mb-en1", "male", "british", "", "espeak-ng + mbrola en1", ""),
    )
}  # fmt: skip

BUILTIN = ("sally", "karl", "ken")


def speak(speaker: Speaker, text: str, workdir: Path) -> NDArray[np.float32]:
    """Synthesise `text` with `speaker`; mono float32 at 16 kHz, normalised to -24 dBFS RMS."""
    raw = workdir / f"{speaker.key}-raw.wav"
    if speaker.engine == "festival":
        script = workdir / "text.txt"
        script.write_text(text + "\n")
        cmd = ["text2wave", "-eval", f"(voice_{speaker.voice})", str(script), "-o", str(raw)]
    else:
        cmd = ["espeak-ng", "-v", speaker.voice, "-w", str(raw), text]
    subprocess.run(cmd, check=True, capture_output=True)
    out = workdir / f"{speaker.key}.wav"
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
    samples, _ = sf.read(str(out), dtype="float32")
    rms = float(np.sqrt(np.mean(samples**2))) or 1.0
    return (samples * (10 ** (-24 / 20) / rms)).astype(np.float32)


def reference_speech(speaker: Speaker, workdir: Path) -> NDArray[np.float32]:
    """The speaker reading Harvard lists 1-3, one list per synthesiser call."""
    parts = [speak(speaker, " ".join(HARVARD[n]), workdir) for n in REFERENCE_LISTS]
    return np.concatenate(parts)


def build(key: str) -> Path:
    """Build one built-in voice profile and write it to `VOICES_DIR`."""
    from voxcli.engine import build_profile

    speaker = SPEAKERS[key]
    with tempfile.TemporaryDirectory() as tmp:
        reference = reference_speech(speaker, Path(tmp))
    start = time.process_time()
    profile = build_profile(
        [(reference, RATE)],
        metadata={
            "name": key.capitalize(),
            "description": speaker.description,
            "labels": {"gender": speaker.gender, "accent": speaker.accent, "language": "en"},
            "source": speaker.source,
            "licence": speaker.licence,
        },
    )
    seconds = time.process_time() - start
    path = VOICES_DIR / f"{key}.npz"
    path.write_bytes(profile.to_bytes())
    summary = profile.summary()
    print(f"{key}: {summary['reference_seconds']} s reference, built in {seconds:.1f} CPU-s, "
          f"F0 {summary['f0_mean_hz']} Hz, tract {summary['vocal_tract_cm']} cm, "
          f"{path.stat().st_size // 1024} KiB -> {path.relative_to(ROOT)}")  # fmt: skip
    return path


def main(argv: list[str]) -> int:
    keys = argv or list(BUILTIN)
    unknown = [k for k in keys if k not in BUILTIN]
    if unknown:
        print(f"unknown built-in voice(s): {', '.join(unknown)}; known: {', '.join(BUILTIN)}")
        return 2
    VOICES_DIR.mkdir(parents=True, exist_ok=True)
    for key in keys:
        build(key)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
