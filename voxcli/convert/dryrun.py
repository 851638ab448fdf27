"""What a conversion would send, without sending anything: the section plan and its credits.

ElevenLabs bills speech-to-speech by duration, 1,000 credits per minute of input (reference
§7); the local engine runs offline and costs none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxcli.audio.io import AudioInfo

#: Billing rate of speech-to-speech (reference §7).
CREDITS_PER_MINUTE = 1000


def estimate_credits(duration_seconds: float) -> int:
    """The credits ElevenLabs bills for `duration_seconds` of input (1,000 per minute)."""
    return math.ceil(duration_seconds / 60.0 * CREDITS_PER_MINUTE)


@dataclass(frozen=True)
class DryRun:
    """The plan of one conversion: its sections and what they would cost."""

    duration_seconds: float
    estimated_credits: int
    plan: dict[str, Any]
    """`voxcli.audio.plan.Plan.to_json()` (one whole section when the input fits a request)."""
    billed: bool
    """False on the local engine (offline: no credits)."""
    max_section: float
    """The longest section sent: `--max-section`, or less where the backend takes less."""

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_seconds": round(self.duration_seconds, 3),
            "estimated_credits": self.estimated_credits,
            "max_section_seconds": self.max_section,
            "plan": self.plan,
        }


def dry_run(
    source: Path, info: AudioInfo, *, max_section: float, input_pcm: bool, billed: bool
) -> DryRun:
    """Plan `source` as a conversion would (sections of at most `max_section` seconds)."""
    from voxcli.convert import sections

    duration = round(info.duration_seconds, 3)
    if info.duration_seconds <= max_section:
        whole = {
            "number": 1,
            "start_seconds": 0.0,
            "end_seconds": duration,
            "cut_forced": False,
            "pause_seconds": 0.0,
        }
        plan: dict[str, Any] = {"duration_seconds": duration, "sections": [whole]}
    else:
        plan = sections.make_plan(
            source, info, max_section=max_section, input_pcm=input_pcm
        ).to_json()
    credits = estimate_credits(info.duration_seconds) if billed else 0
    return DryRun(info.duration_seconds, credits, plan, billed, max_section)
