"""Option declarations shared by the commands.

Environment variables are read in one place, `voxcli.config.load` (flag > environment > file >
default), not by Typer, so a bad value is reported with the right origin and exit status.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from voxcli.backends.base import SPEED_RANGE

CONVERSION = "Conversion"
VOICE_SETTINGS = "Voice settings"
OUTPUT = "Output"
SERVICE = "Backend and service"
LONG = "Long audio"


class InputFormat(enum.StrEnum):
    """How the input is uploaded."""

    auto = "auto"
    pcm = "pcm"


class Quality(enum.StrEnum):
    """Local engine analysis quality."""

    default = "default"
    fast = "fast"


Voice = Annotated[
    str | None,
    typer.Option(
        "--voice",
        "-v",
        help="Voice name or id (see `voxcli voices`) [env: VOXCLI_VOICE].",
        rich_help_panel=CONVERSION,
    ),
]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Model id [default: eleven_multilingual_sts_v2].",
        rich_help_panel=CONVERSION,
    ),
]
OutputFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--output-format",
        "-f",
        metavar="FORMAT",
        help="API output format, e.g. mp3_44100_128, pcm_24000, wav_44100, opus_48000_128 "
        "[default: from -o's extension, else mp3_44100_128].",
        rich_help_panel=OUTPUT,
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(
        help="Seed for (best-effort) repeatable results, 0..4294967295.", rich_help_panel=CONVERSION
    ),
]
Latency = Annotated[
    int | None,
    typer.Option(
        help="optimize_streaming_latency 0..4 (deprecated upstream; kept for old accounts).",
        rich_help_panel=SERVICE,
    ),
]
InputFormatOpt = Annotated[
    InputFormat,
    typer.Option(
        "--input-format",
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
Stability = Annotated[float | None, typer.Option(help="0..1", rich_help_panel=VOICE_SETTINGS)]
SimilarityBoost = Annotated[float | None, typer.Option(help="0..1", rich_help_panel=VOICE_SETTINGS)]
Style = Annotated[float | None, typer.Option(help="0..1", rich_help_panel=VOICE_SETTINGS)]
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
Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        "-b",
        help="elevenlabs or local [env: VOXCLI_BACKEND; default: elevenlabs with a key, "
        "else local].",
        rich_help_panel=SERVICE,
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API base URL [env: VOXCLI_BASE_URL; default: https://api.elevenlabs.io].",
        rich_help_panel=SERVICE,
    ),
]
Retries = Annotated[
    int | None,
    typer.Option(
        help="Attempts per request, the first included [default: 5].", rich_help_panel=SERVICE
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", help="Sections converted at once [default: 2].", rich_help_panel=LONG
    ),
]
MaxSection = Annotated[
    float,
    typer.Option(
        "--max-section",
        metavar="SECONDS",
        help="Longest section sent in one request (max 300).",
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
        help="Local engine: default (Harvest F0) or fast (DIO, about 3x faster).",
        rich_help_panel=CONVERSION,
        case_sensitive=False,
    ),
]
Strength = Annotated[
    float | None,
    typer.Option(
        help="Local engine: how far to move toward the target voice, 0..1.",
        rich_help_panel=CONVERSION,
    ),
]
Overwrite = Annotated[
    bool | None,
    typer.Option(
        "--overwrite/--no-overwrite",
        "-y/-n",
        show_default=False,
        help="Replace (-y) or skip (-n) an existing output [default: refuse, exit 4].",
        rich_help_panel=OUTPUT,
    ),
]
Json = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON result object on stdout.", rich_help_panel=OUTPUT),
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
        help="Playback device: index or unique part of its name (voxcli devices) "
        "[env: VOXCLI_OUTPUT_DEVICE; default: the system's].",
        rich_help_panel=OUTPUT,
    ),
]
