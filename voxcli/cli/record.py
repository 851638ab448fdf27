"""`voxcli record`: a take from the microphone, with a live meter and advice on its level."""

from __future__ import annotations

from typing import Annotated

import typer

from voxcli.cli import _options as opt
from voxcli.cli._console import reported_errors
from voxcli.cli._record_run import RecordArgs, run_record

RECORDING = "Recording"


def record(
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.wav",
            help="Where the take goes [default: take-<date>-<time>.wav here].",
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
            help="Input device: index or unique part of its name (voxcli devices) "
            "[env: VOXCLI_INPUT_DEVICE; default: the system's].",
            rich_help_panel=RECORDING,
        ),
    ] = None,
    output_device: opt.OutputDevice = None,
    channels: Annotated[
        int | None,
        typer.Option(
            "--channels",
            metavar="N",
            help="Keep N channels [default: mix down to mono].",
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
            help="Replace an existing -o file (only once a take is kept) [default: refuse].",
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
) -> None:
    """Record a take from the microphone, with a live level meter and advice.

    Stops on Enter, Ctrl-C, SIGTERM or --duration, and at 5 minutes (the most the service
    converts in one request). Records at the device's own rate into a 16-bit WAV that stays
    valid even if voxcli is killed. On a terminal it then offers keep / play / redo / discard;
    a redo keeps the previous take until a new one is kept.
    """
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
    )
    with reported_errors():
        run_record(args)
