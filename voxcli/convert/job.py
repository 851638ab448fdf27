"""What one conversion is asked to do: `ConvertSettings` (shared by every file of a run) and
`ConvertJob` (one input, one output).

`convert` builds one job; `batch` builds one `ConvertSettings` and a job per file; `record
--convert` builds one job for the take. All of them run it with `voxcli.convert.run`.
Everything here is plain data plus the checks that cost nothing (no audio, no network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from voxcli.audio.devices import DeviceChoice
from voxcli.audio.output import Existing
from voxcli.backends.base import DEFAULT_MODEL
from voxcli.backends.voice_settings import (
    EXPRESSIVE,
    VoiceSettings,
    check_latency,
    check_seed,
)
from voxcli.errors import InputError

#: The longest section one request may carry (reference §7: at most 5 minutes per request).
MAX_SECTION_LIMIT = 300.0


def merge_voice_settings(
    *, expressive: bool, settings_json: str | None, flags: VoiceSettings
) -> VoiceSettings | None:
    """Voice settings: the `--expressive` preset, then `--settings` JSON, then individual flags.

    Returns None when nothing is set (the voice's own settings then apply upstream).
    """
    merged = EXPRESSIVE if expressive else VoiceSettings()
    if settings_json:
        merged = merged.merged(VoiceSettings.from_json(settings_json))
    flags.validate()
    merged = merged.merged(flags)
    return None if merged.is_empty() else merged


@dataclass(frozen=True)
class ConvertSettings:
    """How to convert: the request's fields and the run's options, the same for every file."""

    voice: str | None = None
    """A voice name or id as typed; None = the backend's default voice (local: sally)."""
    model: str = DEFAULT_MODEL
    output_format: str | None = None
    """The `-f` name (or the configured default); None = from the output's extension."""
    seed: int | None = None
    latency: int | None = None
    voice_settings: VoiceSettings | None = None
    remove_background_noise: bool = False
    enable_logging: bool = True
    input_pcm: bool = False
    """Upload raw 16 kHz PCM (``file_format=pcm_s16le_16``) instead of the file / FLAC."""
    stream: bool = False
    jobs: int | None = None
    """Requests at once, at most (the backend may throttle further); `None` = ``--jobs auto``:
    what the account allows (`voxcli.backends.concurrency`; the local engine: 2)."""
    max_section: float = 290.0
    use_cache: bool = True
    cache_max_bytes: int = 2_000_000_000
    existing: Existing = Existing.REFUSE
    """What to do when the output file already exists."""
    audio_track: int = 1
    """Which of a container's audio tracks to convert, from 1 (`--audio-track`)."""

    def check(self) -> None:
        """Refuse out-of-range values before anything is read or sent (`InputError`, exit 4)."""
        check_seed(self.seed)
        check_latency(self.latency)
        if self.audio_track < 1:
            raise InputError(
                f"--audio-track counts from 1, not {self.audio_track}",
                hint="--audio-track 1 is the first audio track (the default)",
            )
        if not 1.0 <= self.max_section <= MAX_SECTION_LIMIT:
            raise InputError(
                f"--max-section must be from 1 to 300 seconds, not {self.max_section:g}",
                hint="the service takes at most 300 s per request; the default is 290",
            )


@dataclass(frozen=True)
class ConvertJob:
    """One input to convert into one output."""

    input: str
    """A path, or ``-`` for standard input."""
    output: str | None
    """A path, ``-`` for standard output, or None: ``<stem>.<voice>.<ext>`` beside the input
    (standard output when the input is stdin)."""
    settings: ConvertSettings = field(default_factory=ConvertSettings)
    play: bool = False
    """Also play the result; with no `output` (and a file input), play only and write nothing."""
    output_device: DeviceChoice = field(default_factory=DeviceChoice)
    """Where `play` plays (`--output-device`, else $VOXCLI_OUTPUT_DEVICE, config, default)."""

    @property
    def play_only(self) -> bool:
        """True when the result is only played, never written."""
        return self.play and self.output is None

    def audio_to_stdout(self) -> bool:
        """True when the converted audio goes to stdout (``-o -``, or stdin input without -o)."""
        if self.output is None:
            return self.input == "-" and not self.play
        return self.output == "-"

    def input_path(self) -> Path | None:
        """The input as a path (None for stdin)."""
        return None if self.input == "-" else Path(self.input)
