"""Option declarations shared by the commands (`convert` today; `batch` and `record` reuse them).

Each is an ``Annotated`` type: declare a parameter as ``voice: opt.Voice = None``. They carry
voxcli's help conventions (`voxcli.cli._help`): readable metavars, ``[env var: ...]`` and
``[default: ...]`` notes, and shell completion of their values (`voxcli.cli._complete`).

Environment variables are read in one place, `voxcli.config.load` (flag > environment > file >
default), not by Typer, so a bad value is reported with the right origin and exit status; that
is why the options backed by a setting default to `None` and only *show* their default.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from voxcli.backends.limits import SEED_MAX, SPEED_RANGE
from voxcli.cli import _complete
from voxcli.cli._help import described, setting_help

CONVERSION = "Conversion"
VOICE_SETTINGS = "Voice settings"
OUTPUT = "Output"
SERVICE = "Backend and service"
LONG = "Long audio"

#: Flags show no metavar (see `voxcli.cli._help`); decimals and whole numbers show these.
NUMBER = "NUMBER"
N = "N"


class InputFormat(enum.StrEnum):
    """How the input is uploaded."""

    auto = "auto"
    pcm = "pcm"


class Quality(enum.StrEnum):
    """Local engine analysis quality."""

    default = "default"
    fast = "fast"


Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help=described(
            "Output file, or - for stdout.", default="<stem>.<voice>.<ext> beside the input"
        ),
        rich_help_panel=OUTPUT,
    ),
]
Voice = Annotated[
    str | None,
    typer.Option(
        "--voice",
        "-v",
        metavar="VOICE",
        help=setting_help(
            "voice", "Voice name or id (see `voxcli voices`).", default="sally on the local engine"
        ),
        autocompletion=_complete.voices,
        rich_help_panel=CONVERSION,
    ),
]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        metavar="MODEL",
        help=setting_help("model", "Model id (see `voxcli models`)."),
        autocompletion=_complete.models,
        rich_help_panel=CONVERSION,
    ),
]
OutputFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--output-format",
        "-f",
        metavar="FORMAT",
        help=described(
            "API output format, e.g. mp3_44100_128, pcm_24000, wav_44100, opus_48000_128.",
            default="from -o's extension, else mp3_44100_128",
        ),
        autocompletion=_complete.output_formats,
        rich_help_panel=OUTPUT,
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(
        metavar=N,
        help=f"Seed for (best-effort) repeatable results, 0 to {SEED_MAX}.",
        rich_help_panel=CONVERSION,
    ),
]
Latency = Annotated[
    int | None,
    typer.Option(
        metavar=N,
        help="optimize_streaming_latency 0 to 4 (deprecated upstream; kept for old accounts).",
        rich_help_panel=SERVICE,
    ),
]
InputFormatOpt = Annotated[
    InputFormat,
    typer.Option(
        "--input-format",
        metavar="auto|pcm",
        help="Upload as is (auto) or as raw 16 kHz PCM (pcm, lower latency).",
        rich_help_panel=CONVERSION,
        case_sensitive=False,
    ),
]
Settings = Annotated[
    str | None,
    typer.Option(
        "--settings",
        metavar="JSON",
        help="Voice settings as JSON, e.g. '{\"stability\": 0.5}'.",
        rich_help_panel=VOICE_SETTINGS,
    ),
]
Expressive = Annotated[
    bool,
    typer.Option(
        "--expressive",
        help="For energetic input: stability 1.0, style 0.0 (flags override).",
        rich_help_panel=VOICE_SETTINGS,
    ),
]
Stability = Annotated[
    float | None,
    typer.Option(metavar=NUMBER, help="Stability, 0 to 1.", rich_help_panel=VOICE_SETTINGS),
]
SimilarityBoost = Annotated[
    float | None,
    typer.Option(metavar=NUMBER, help="Similarity boost, 0 to 1.", rich_help_panel=VOICE_SETTINGS),
]
Style = Annotated[
    float | None,
    typer.Option(
        metavar=NUMBER, help="Style exaggeration, 0 to 1.", rich_help_panel=VOICE_SETTINGS
    ),
]
SpeakerBoost = Annotated[
    bool | None,
    typer.Option(
        "--speaker-boost/--no-speaker-boost",
        show_default=False,
        help="use_speaker_boost.",
        rich_help_panel=VOICE_SETTINGS,
    ),
]
Speed = Annotated[
    float | None,
    typer.Option(
        metavar=NUMBER,
        help=f"Speed, {SPEED_RANGE[0]} to {SPEED_RANGE[1]} (the documented range; "
        "1.0 is the voice's own).",
        rich_help_panel=VOICE_SETTINGS,
    ),
]
RemoveNoise = Annotated[
    bool,
    typer.Option(
        "--remove-background-noise",
        help="Isolate the voice from background noise first.",
        rich_help_panel=CONVERSION,
    ),
]
NoLogging = Annotated[
    bool,
    typer.Option(
        "--no-logging",
        help="enable_logging=false (zero retention; Enterprise only).",
        rich_help_panel=SERVICE,
    ),
]
Stream = Annotated[
    bool,
    typer.Option(
        "--stream",
        help="Use the streaming endpoint; write (and play) chunks as they arrive.",
        rich_help_panel=OUTPUT,
    ),
]
Play = Annotated[
    bool,
    typer.Option(
        "--play",
        help="Play the result (without -o: play only, write nothing).",
        rich_help_panel=OUTPUT,
    ),
]
Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        "-b",
        metavar="elevenlabs|local",
        help=setting_help(
            "backend",
            "The ElevenLabs service or the offline local engine.",
            default="elevenlabs with an API key, else local",
        ),
        autocompletion=_complete.backends,
        rich_help_panel=SERVICE,
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help=setting_help("base_url", "API base URL (e.g. a `voxcli serve`)."),
        rich_help_panel=SERVICE,
    ),
]
Retries = Annotated[
    int | None,
    typer.Option(
        metavar=N,
        help=setting_help("retries", "Attempts per request, the first included."),
        rich_help_panel=SERVICE,
    ),
]
Jobs = Annotated[
    str | None,
    typer.Option(
        "--jobs",
        "-j",
        metavar="auto|N",
        help=setting_help(
            "jobs", "Requests at once: auto (as many as the account allows) or at most N."
        ),
        rich_help_panel=LONG,
    ),
]
MaxSection = Annotated[
    float,
    typer.Option(
        "--max-section",
        metavar="SECONDS",
        help=described("Longest section sent in one request (max 300).", default=290),
        show_default=False,
        rich_help_panel=LONG,
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the section plan and estimated credits; upload nothing.",
        rich_help_panel=LONG,
    ),
]
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache", help="Neither reuse nor keep finished sections.", rich_help_panel=LONG
    ),
]
QualityOpt = Annotated[
    Quality,
    typer.Option(
        metavar="default|fast",
        help="Local engine: default (Harvest F0) or fast (DIO, about 3x faster).",
        rich_help_panel=CONVERSION,
        case_sensitive=False,
    ),
]
Strength = Annotated[
    float | None,
    typer.Option(
        metavar=NUMBER,
        help="Local engine: how far to move toward the target voice, 0 to 1.",
        rich_help_panel=CONVERSION,
    ),
]
Overwrite = Annotated[
    bool | None,
    typer.Option(
        "--overwrite/--no-overwrite",
        "-y/-n",
        show_default=False,
        help=described("Replace (-y) or skip (-n) an existing output.", default="refuse, exit 4"),
        rich_help_panel=OUTPUT,
    ),
]
Json = Annotated[
    bool,
    typer.Option("--json", help="Print JSON on stdout, for scripts.", rich_help_panel=OUTPUT),
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress or notices on stderr.", rich_help_panel=OUTPUT),
]
OutputDevice = Annotated[
    str | None,
    typer.Option(
        "--output-device",
        metavar="DEVICE",
        help=setting_help(
            "output_device",
            "Playback device: index or unique part of its name (voxcli devices).",
            default="the system's",
        ),
        rich_help_panel=OUTPUT,
    ),
]
VoiceArg = Annotated[
    str,
    typer.Argument(
        metavar="VOICE",
        help="Voice name or id (see `voxcli voices`).",
        autocompletion=_complete.voices,
        show_default=False,
    ),
]
SettingArg = Annotated[
    str,
    typer.Argument(
        metavar="KEY",
        help="Setting name (see `voxcli config show`).",
        autocompletion=_complete.settings,
        show_default=False,
    ),
]
AudioTrack = Annotated[
    int,
    typer.Option(
        "--audio-track",
        metavar=N,
        help=described(
            "Which audio track of a video or multi-track file to convert, counting from 1.",
            default=1,
        ),
        show_default=False,
        rich_help_panel=CONVERSION,
    ),
]
