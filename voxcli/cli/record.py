"""`voxcli record`: a take from the microphone, with a live meter and advice on its level."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from voxcli.cli import _options as opt
from voxcli.cli._console import reported_errors
from voxcli.cli._help import described, setting_help
from voxcli.errors import InputError

RECORDING = "Recording"
CONVERTING = "Converting the take (with --convert)"

EXAMPLES = (
    ("voxcli record -o take.wav", "A live meter; Enter stops, then keep / play / redo / discard"),
    (
        "voxcli record --duration 30 --json < /dev/null",
        "In a script: no prompt, the take's summary as JSON",
    ),
    (
        "voxcli record -o take.wav --convert -v Rachel --play-result",
        "Convert the kept take right away, and play the result",
    ),
)


def record(
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.wav",
            help=described("Where the take goes.", default="take-<date>-<time>.wav here"),
            rich_help_panel=opt.OUTPUT,
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            "-d",
            metavar="SECONDS",
            help="Stop after this long (needed when stdin is not a terminal; at most 300).",
            rich_help_panel=RECORDING,
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device",
            metavar="DEVICE",
            help=setting_help(
                "input_device",
                "Input device: index or unique part of its name (voxcli devices).",
                default="the system's",
            ),
            rich_help_panel=RECORDING,
        ),
    ] = None,
    output_device: opt.OutputDevice = None,
    channels: Annotated[
        int | None,
        typer.Option(
            "--channels",
            metavar="N",
            help=described("Keep N channels.", default="mix down to mono"),
            rich_help_panel=RECORDING,
        ),
    ] = None,
    countdown: Annotated[
        int,
        typer.Option(
            "--countdown",
            metavar="SECONDS",
            help="Count down before recording starts.",
            rich_help_panel=RECORDING,
        ),
    ] = 0,
    play: Annotated[
        bool,
        typer.Option("--play", help="Play the take back when it ends.", rich_help_panel=opt.OUTPUT),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            "-y",
            help=described(
                "Replace an existing -o file (only once a take is kept).", default="refuse"
            ),
            rich_help_panel=opt.OUTPUT,
        ),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the take's summary and advice as one JSON object on stdout (no prompt).",
            rich_help_panel=opt.OUTPUT,
        ),
    ] = False,
    quiet: opt.Quiet = False,
    convert: Annotated[
        bool,
        typer.Option(
            "--convert",
            help="Convert the kept take right away (as `voxcli convert TAKE` would); longer "
            "takes than 5 minutes are then split at pauses.",
            rich_help_panel=CONVERTING,
        ),
    ] = False,
    play_result: Annotated[
        bool,
        typer.Option("--play-result", help="Play the converted take.", rich_help_panel=CONVERTING),
    ] = False,
    voice: opt.Voice = None,
    model: opt.Model = None,
    output_format: opt.OutputFormatOpt = None,
    seed: opt.Seed = None,
    latency: opt.Latency = None,
    input_format: opt.InputFormatOpt = opt.InputFormat.auto,
    settings: opt.Settings = None,
    expressive: opt.Expressive = False,
    stability: opt.Stability = None,
    similarity_boost: opt.SimilarityBoost = None,
    style: opt.Style = None,
    speaker_boost: opt.SpeakerBoost = None,
    speed: opt.Speed = None,
    remove_background_noise: opt.RemoveNoise = False,
    no_logging: opt.NoLogging = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    retries: opt.Retries = None,
    jobs: opt.Jobs = None,
    max_section: opt.MaxSection = 290.0,
    no_cache: opt.NoCache = False,
    quality: opt.QualityOpt = opt.Quality.default,
    strength: opt.Strength = None,
) -> None:
    """Record a take from the microphone, with a live level meter and advice.

    Stops on Enter, Ctrl-C, SIGTERM or --duration, and at 5 minutes (the most the service
    converts in one request). Records at the device's own rate into a 16-bit WAV that stays
    valid even if voxcli is killed. On a terminal it then offers keep / play / redo / discard;
    a redo keeps the previous take until a new one is kept.
    """
    # Loaded here, not at start-up (see `voxcli.cli.convert`).
    from voxcli.cli._convert_run import ConvertArgs
    from voxcli.cli._record_run import RecordArgs, run_record

    args = RecordArgs(
        output=output,
        duration=duration,
        device=device,
        output_device=output_device,
        channels=channels,
        countdown=countdown,
        play=play,
        overwrite=overwrite,
        json_output=json_output,
        quiet=quiet,
        play_result=play_result,
    )
    given = [name for name, value in _conversion_flags(locals()).items() if value]
    with reported_errors():
        if given and not convert:
            raise InputError(
                f"{', '.join(given)} only apply with --convert",
                hint="add --convert, or leave them out",
            )
        if convert:
            args = replace(
                args,
                convert=ConvertArgs(
                    input="-", output=None, voice=voice, model=model,
                    output_format=output_format, seed=seed, latency=latency,
                    input_pcm=input_format is opt.InputFormat.pcm, settings=settings,
                    expressive=expressive, stability=stability,
                    similarity_boost=similarity_boost, style=style,
                    speaker_boost=speaker_boost, speed=speed,
                    remove_background_noise=remove_background_noise, no_logging=no_logging,
                    stream=False, play=False, output_device=None, backend=backend,
                    base_url=base_url, retries=retries, jobs=jobs, max_section=max_section,
                    dry_run=False, no_cache=no_cache, quality=quality.value,
                    strength=strength, overwrite=overwrite or None, json_output=json_output,
                    quiet=quiet,
                ),
            )  # fmt: skip
        run_record(args)


def _conversion_flags(given: dict[str, object]) -> dict[str, bool]:
    """Which conversion flags were given (so none is silently ignored without --convert)."""
    defaults = {"input_format": opt.InputFormat.auto, "max_section": 290.0,
                "quality": opt.Quality.default}  # fmt: skip
    names = ("voice", "model", "output_format", "seed", "latency", "input_format", "settings",
             "expressive", "stability", "similarity_boost", "style", "speaker_boost", "speed",
             "remove_background_noise", "no_logging", "backend", "base_url", "retries", "jobs",
             "max_section", "no_cache", "quality", "strength")  # fmt: skip
    return {
        "--" + name.replace("_", "-"): given[name] not in (None, False, defaults.get(name))
        for name in names
    }
