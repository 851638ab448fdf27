"""Output formats: the API's `codec_rate[_bitrate]` names, and what voxcli writes for each name.

The ElevenLabs API names output formats like `mp3_44100_128`, `pcm_24000`, `wav_16000` or
`ulaw_8000` (reference §3.1). This module parses those names, knows which the whole-file and the
streaming endpoints accept, and decides what to request for an output path. The output's
extension says what is written, container and codec (`WRITTEN`):

=====================  ======================  ==================================================
extension              requested by default    written as
=====================  ======================  ==================================================
``.mp3``               ``mp3_44100_128``       received bytes
``.wav``               ``pcm_44100``           a WAV header + the PCM (``wav_*`` kept as received)
``.flac``, ``.aiff``   ``pcm_44100``           FLAC / AIFF, encoded locally from the PCM
``.ogg/.opus``         ``opus_48000_128``      received bytes (an Ogg Opus stream)
``.pcm/.raw``          ``pcm_44100``           received bytes (headerless 16-bit little-endian mono)
``.ulaw``, ``.alaw``   ``ulaw_8000`` ...       received bytes (headerless G.711)
``.m4a .mp4 .m4v``     ``pcm_44100``           AAC (128 kbps) in MP4, encoded locally from the PCM
``.mov``, ``.aac``     ``pcm_44100``           AAC in QuickTime / in ADTS
``.mkv .mka .webm``    ``pcm_48000``           Opus (128 kbps) in Matroska / WebM
no extension           ``mp3_44100_128``       received bytes
=====================  ======================  ==================================================

Any other extension is refused before anything is uploaded (`plan_output`), so a file's name
never lies about its content. When `-f` and the extension disagree (``-f mp3_44100_128 -o
out.wav``) voxcli refuses instead of guessing. The video containers (`VIDEO_EXTENSIONS`) also
carry the input's video: see `voxcli.audio.media_sink`. Pure module: no audio libraries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from voxcli.audio.containers import MEDIA_CONTAINERS, Remux
from voxcli.errors import InputError

CODECS = ("mp3", "pcm", "wav", "ulaw", "alaw", "opus")

#: The whole-file endpoint's `output_format` enum (reference §3.1, 2026-08 spec).
CONVERT_FORMATS: tuple[str, ...] = (
    "alaw_8000",
    "mp3_22050_32",
    "mp3_24000_48",
    "mp3_44100_128",
    "mp3_44100_192",
    "mp3_44100_32",
    "mp3_44100_64",
    "mp3_44100_96",
    "opus_48000_128",
    "opus_48000_192",
    "opus_48000_32",
    "opus_48000_64",
    "opus_48000_96",
    "pcm_16000",
    "pcm_22050",
    "pcm_24000",
    "pcm_32000",
    "pcm_44100",
    "pcm_48000",
    "pcm_8000",
    "ulaw_8000",
    "wav_16000",
    "wav_22050",
    "wav_24000",
    "wav_32000",
    "wav_44100",
    "wav_48000",
    "wav_8000",
)

#: The streaming endpoint's enum: the same without `wav_*` (reference §3.2).
STREAM_FORMATS: tuple[str, ...] = tuple(f for f in CONVERT_FORMATS if not f.startswith("wav_"))

#: Formats and the lowest tier that may request them (reference §3.1, §9). Everything else is
#: available on every tier, as far as the documentation says.
TIER_GATED: dict[str, str] = {
    "mp3_44100_192": "Creator",
    "pcm_44100": "Pro",
    "wav_44100": "Pro",
}

DEFAULT_FORMAT = "mp3_44100_128"

_NAME = re.compile(r"^(?P<codec>[a-z0-9]+)_(?P<rate>\d{4,6})(?:_(?P<bitrate>\d{1,4}))?$")


@dataclass(frozen=True)
class OutputFormat:
    """One parsed `output_format` name."""

    name: str
    """The API's name, e.g. ``mp3_44100_128``."""
    codec: str
    """One of `CODECS`."""
    sample_rate: int
    bitrate_kbps: int | None = None
    """For ``mp3`` and ``opus`` only."""

    @property
    def is_raw(self) -> bool:
        """True for headerless bodies (``pcm``, ``ulaw``, ``alaw``): decoding needs the rate."""
        return self.codec in ("pcm", "ulaw", "alaw")

    @property
    def is_lossless(self) -> bool:
        """True when the body holds 16-bit PCM samples (``pcm`` and ``wav``)."""
        return self.codec in ("pcm", "wav")

    @property
    def extension(self) -> str:
        """The file extension this format is saved under when written as received."""
        return {
            "mp3": ".mp3",
            "pcm": ".pcm",
            "wav": ".wav",
            "ulaw": ".ulaw",
            "alaw": ".alaw",
            "opus": ".ogg",
        }[self.codec]

    @property
    def content_type(self) -> str:
        """The MIME type a server sends this format with."""
        return {
            "mp3": "audio/mpeg",
            "pcm": "audio/pcm",
            "wav": "audio/wav",
            "ulaw": "audio/basic",
            "alaw": "audio/x-alaw-basic",
            "opus": "audio/opus",
        }[self.codec]

    def __str__(self) -> str:
        return self.name


def parse_format(name: str) -> OutputFormat:
    """Parse an `output_format` name. Unknown but well-formed names are accepted.

    The enum grew between 2025 and 2026 (reference §9), so voxcli accepts any
    ``codec_rate[_bitrate]`` with a codec it knows how to write, and lets the service decide.
    """
    match = _NAME.match(name.strip().lower())
    if not match or match["codec"] not in CODECS:
        raise InputError(
            f"unknown output format {name!r}",
            hint="use a name like mp3_44100_128, pcm_24000, wav_44100, opus_48000_128 or ulaw_8000",
        )
    codec = match["codec"]
    bitrate = int(match["bitrate"]) if match["bitrate"] else None
    if codec in ("mp3", "opus") and bitrate is None:
        raise InputError(f"output format {name!r} needs a bitrate", hint=f"e.g. {codec}_44100_128")
    if codec not in ("mp3", "opus") and bitrate is not None:
        raise InputError(f"output format {name!r} takes no bitrate", hint=f"e.g. {codec}_24000")
    return OutputFormat(match.group(0), codec, int(match["rate"]), bitrate)


#: Input files `batch` takes from folders, globs and input lists by default (lowercase, with the
#: dot): what `voxcli.audio.io` decodes, audio and video. libsndfile reads the first line,
#: PyAV (FFmpeg) the rest; a file named explicitly may be anything FFmpeg demuxes.
#: `--include` patterns replace this filter.
INPUT_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".wave", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc"}
    | {".m4a", ".m4b", ".aac", ".caf", ".amr", ".wma", ".mka", ".weba"}
    | {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".3gp", ".wmv", ".flv"}
)

#: Containers that keep a video: converting one without `-o` or `-f` gives the same container
#: back, the video copied packet for packet around the converted voice.
VIDEO_EXTENSIONS: frozenset[str] = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm"})


@dataclass(frozen=True)
class OutputPlan:
    """What to request from the service and how to write it to the output."""

    request: OutputFormat
    """The format asked of the service."""
    container: str
    """How the output is written: ``asis`` (bytes as received), ``wav``, ``flac`` or ``aiff``
    (libsndfile), or a key of `MEDIA_CONTAINERS` (PyAV)."""
    pinned: bool
    """True when the user chose the format with `-f`; False when voxcli derived it, in which
    case a tier refusal may fall back to a format the account allows."""
    remux: Remux | None = None
    """Set when the output keeps the input's video (see `voxcli.audio.media_sink`)."""


_FROM_PCM = ("pcm", "wav")

_BY_EXTENSION: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # extension: (default request, container, codecs accepted from -f)
    ".mp3": ("mp3_44100_128", "asis", ("mp3",)),
    ".wav": ("pcm_44100", "wav", _FROM_PCM),
    ".flac": ("pcm_44100", "flac", _FROM_PCM),
    ".aiff": ("pcm_44100", "aiff", _FROM_PCM),
    ".aif": ("pcm_44100", "aiff", _FROM_PCM),
    ".ogg": ("opus_48000_128", "asis", ("opus",)),
    ".opus": ("opus_48000_128", "asis", ("opus",)),
    ".pcm": ("pcm_44100", "asis", ("pcm",)),
    ".raw": ("pcm_44100", "asis", ("pcm",)),
    ".ulaw": ("ulaw_8000", "asis", ("ulaw",)),
    ".alaw": ("alaw_8000", "asis", ("alaw",)),
    **{f".{name}": (spec.request, name, _FROM_PCM) for name, spec in MEDIA_CONTAINERS.items()},
}

#: Every output extension voxcli writes, as named in messages.
OUTPUT_EXTENSIONS: tuple[str, ...] = tuple(_BY_EXTENSION)


def plan_output(output: str | None, requested: str | None) -> OutputPlan:
    """Decide the requested format and the container from `-f` and `-o`.

    `output` is the output path (``None`` or ``"-"`` for stdout or no file); `requested` is the
    value of `-f`, if given. An extension voxcli cannot write as what it says is refused
    (`InputError`): nothing has been uploaded yet.
    """
    chosen = parse_format(requested) if requested else None
    suffix = PurePath(output).suffix.lower() if output and output != "-" else ""
    if not suffix:
        return OutputPlan(chosen or parse_format(DEFAULT_FORMAT), "asis", chosen is not None)
    if suffix not in _BY_EXTENSION:
        raise InputError(
            f"voxcli cannot write {suffix} files",
            hint=f"name the output with one of {', '.join(OUTPUT_EXTENSIONS)}",
        )
    default, container, accepted = _BY_EXTENSION[suffix]
    if chosen is None:
        return OutputPlan(parse_format(default), container, False)
    if chosen.codec not in accepted:
        what = " and ".join(f"{codec}_*" for codec in accepted)
        raise InputError(
            f"output format {chosen.name} cannot be written as a {suffix} file",
            hint=f"drop -f to let {suffix} choose (it takes {what}), or name the output "
            f"{PurePath(output or 'out').stem}{chosen.extension}",
        )
    # A wav_* body already has its header: write it as received.
    if chosen.codec == "wav" and container == "wav":
        container = "asis"
    return OutputPlan(chosen, container, True)


def output_extension(plan: OutputPlan) -> str:
    """The extension for a default output name (`<stem>.<voice><ext>`)."""
    if plan.container != "asis":
        return "." + plan.container
    return plan.request.extension


def default_output_suffix(input_name: str, output_format: str | None) -> str:
    """The extension of the output voxcli names itself for `input_name` (no `-o` given).

    The one rule `convert` and `batch` share: a video container (`VIDEO_EXTENSIONS`) stays
    that container, with its video, unless an output format was chosen (`-f` or the configured
    one); everything else, and stdin (``-``), gets the chosen format's extension, by default
    ``.mp3``.
    """
    suffix = PurePath(input_name).suffix.lower() if input_name != "-" else ""
    if output_format is None and suffix in VIDEO_EXTENSIONS:
        return suffix
    return output_extension(plan_output(None, output_format))


def tier_fallback(name: str, *, streaming: bool = False) -> str:
    """The best format every tier can request in place of a tier-gated `name`.

    Keeps the codec where possible (``pcm_44100`` -> ``pcm_24000``, ``mp3_44100_192`` ->
    ``mp3_44100_128``); the reference only documents 44.1 kHz PCM/WAV and 192 kbps MP3 as gated.
    """
    fmt = parse_format(name)
    if fmt.codec == "mp3":
        return "mp3_44100_128"
    if fmt.codec == "wav" and not streaming:
        return "wav_24000"
    if fmt.codec in ("pcm", "wav"):
        return "pcm_24000"
    return DEFAULT_FORMAT


def fallback_for(name: str, plan: OutputPlan, *, streaming: bool) -> str | None:
    """What to request instead of `name` after the account's tier refused it, or None.

    The one rule for single requests and sections alike: a format the user pinned with `-f`
    is never replaced (the refusal stands, with its suggestion); a format voxcli chose may
    fall back to `tier_fallback`'s. `name` counts as pinned when it carries exactly the pinned
    samples: the pinned name itself, or PCM at a pinned PCM/WAV format's rate (what sections
    request for a pinned lossless output). Callers fall back at most once.
    """
    wanted = plan.request
    if plan.pinned:
        fmt = parse_format(name)
        same_samples = wanted.is_lossless and fmt.is_lossless
        if name == wanted.name or (same_samples and fmt.sample_rate == wanted.sample_rate):
            return None
    return tier_fallback(name, streaming=streaming)
