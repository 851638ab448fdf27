"""`fallback_for`: the one tier-fallback rule for single requests and sections."""

from __future__ import annotations

import pytest

from voxcli.audio.formats import fallback_for, plan_output


@pytest.mark.parametrize(
    ("output", "pinned", "requested", "streaming", "expected"),
    [
        # voxcli chose the format from -o: it may fall back
        ("out.mp3", None, "mp3_44100_192", False, "mp3_44100_128"),
        ("out.wav", None, "pcm_44100", False, "pcm_24000"),
        ("out.wav", None, "wav_44100", False, "wav_24000"),
        ("out.wav", None, "wav_44100", True, "pcm_24000"),
        # the user pinned it with -f: never replaced
        ("out.mp3", "mp3_44100_192", "mp3_44100_192", False, None),
        ("out.wav", "pcm_44100", "pcm_44100", False, None),
        # sections request PCM at a pinned lossless format's rate: the same samples, pinned
        ("out.wav", "wav_44100", "pcm_44100", False, None),
        # ... but PCM that voxcli chose for a pinned lossy output may fall back
        ("out.mp3", "mp3_44100_192", "pcm_44100", False, "pcm_24000"),
        ("out.wav", "pcm_48000", "pcm_44100", False, "pcm_24000"),
    ],
)
def test_fallback_for(
    output: str, pinned: str | None, requested: str, streaming: bool, expected: str | None
) -> None:
    plan = plan_output(output, pinned)
    assert fallback_for(requested, plan, streaming=streaming) == expected
