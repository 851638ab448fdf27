"""Ranges the API contract sets for request fields (reference/elevenlabs-sts-api.md), and the
most requests voxcli keeps in flight.

A module of its own, without the dataclasses of `voxcli.backends.base`, so the command line
can show the same ranges in its help without paying for that import at start-up.
"""

from __future__ import annotations

#: `voice_settings.speed`: the range ElevenLabs documents (reference §4; the schema sets none).
SPEED_RANGE = (0.7, 1.2)
#: `seed`: 0 to 2**32 - 1 (reference §3.1).
SEED_MAX = 4_294_967_295
#: The most requests voxcli keeps in flight, and the largest ``--jobs``.
MAX_JOBS = 64
