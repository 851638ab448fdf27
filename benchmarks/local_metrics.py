"""Metrics for the local-engine benchmark: speaker similarity, word error rate, F0 correlation.

- Speaker similarity: cosine of Resemblyzer speaker embeddings (the encoder's weights ship in
  the PyPI package).
- WER: pocketsphinx (ships its US English model), words after `local_corpus.normalise`, each
  utterance decoded from the same initial state.
- F0 correlation: Pearson correlation of log-F0 contours (Harvest, 10 ms, 60-450 Hz) over the
  frames both signals voice.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from local_corpus import RATE, normalise
from numpy.typing import NDArray

Samples = NDArray[np.float32]


class Judges:
    """Lazily loaded models that score audio."""

    @cached_property
    def encoder(self):  # type: ignore[no-untyped-def]
        from resemblyzer import VoiceEncoder

        return VoiceEncoder("cpu", verbose=False)

    @cached_property
    def decoder(self):  # type: ignore[no-untyped-def]
        from pocketsphinx import Decoder

        decoder = Decoder(samprate=RATE, loglevel="FATAL")
        self._initial_cmn = decoder.get_cmn(False)
        return decoder

    def embed(self, samples: Samples) -> NDArray[np.float32]:
        """A unit-length speaker embedding."""
        from resemblyzer import preprocess_wav

        return self.encoder.embed_utterance(preprocess_wav(samples.astype(np.float64), RATE))

    def transcribe(self, samples: Samples) -> list[str]:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        decoder = self.decoder
        # NOTE: pocketsphinx carries its cepstral mean across utterances; resetting it makes each
        # transcription independent of what was decoded before (and so of the method order).
        decoder.set_cmn(self._initial_cmn)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return normalise(hyp.hypstr) if hyp is not None else []


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    prev = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref_word != hyp_word))
        prev = cur
    return prev[-1]


def log_f0(samples: Samples) -> NDArray[np.float64]:
    """Harvest log-F0 (NaN where unvoiced) at 10 ms frames."""
    import pyworld

    f0, _ = pyworld.harvest(samples.astype(np.float64), RATE, f0_floor=60.0, f0_ceil=450.0,
                            frame_period=10.0)  # fmt: skip
    with np.errstate(divide="ignore"):
        return np.where(f0 > 0, np.log(np.maximum(f0, 1e-9)), np.nan)


def f0_correlation(source: NDArray[np.float64], output: NDArray[np.float64]) -> float:
    """Correlation of two log-F0 contours over the frames voiced in both."""
    n = min(len(source), len(output))
    a, b = source[:n], output[:n]
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 10:
        return float("nan")
    return float(np.corrcoef(a[both], b[both])[0, 1])
