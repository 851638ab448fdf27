"""The offline voice-conversion engine: WORLD analysis/synthesis and statistical voice mapping.

Pure functions over numpy arrays: no files, no printing, deterministic. The public surface:

- `build_profile(recordings) -> VoiceProfile`: describe a target voice from reference speech.
- `VoiceProfile.to_bytes()` / `VoiceProfile.from_bytes()`: store and load profiles.
- `convert(samples, sample_rate, profile, ConversionOptions(...)) -> samples`: convert speech.

numpy and pyworld are imported by the submodules, so importing this package is cheap
only until one of these names is used; they are loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxcli.engine.conversion import DEFAULT_STRENGTH, ConversionOptions, convert
    from voxcli.engine.profile import MIN_REFERENCE_SECONDS, VoiceProfile, build_profile

__all__ = [
    "DEFAULT_STRENGTH",
    "MIN_REFERENCE_SECONDS",
    "ConversionOptions",
    "VoiceProfile",
    "build_profile",
    "convert",
]

_HOMES = {
    "DEFAULT_STRENGTH": "voxcli.engine.conversion",
    "ConversionOptions": "voxcli.engine.conversion",
    "convert": "voxcli.engine.conversion",
    "MIN_REFERENCE_SECONDS": "voxcli.engine.profile",
    "VoiceProfile": "voxcli.engine.profile",
    "build_profile": "voxcli.engine.profile",
}


def __getattr__(name: str) -> Any:
    """Import the heavy submodule that defines `name` on first use (PEP 562)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
