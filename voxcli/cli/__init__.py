"""The `voxcli` command line: a thin Typer layer over the core (only it imports typer/rich)."""

from __future__ import annotations

import typer

from voxcli import __version__

app = typer.Typer(
    name="voxcli",
    help="Convert speech from one voice to another (ElevenLabs speech-to-speech or offline).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals can hold the API key
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"voxcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Convert speech from one voice to another."""


def _terminate(signum: int, frame: object) -> None:
    import signal

    from voxcli.errors import Terminated

    # Once: a second SIGTERM must not interrupt the cleanup the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


def main() -> None:
    """Console-script entry point."""
    import signal

    # SIGTERM (a cancelled CI job) stops like Ctrl-C: temporary files removed, exit 143.
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="voxcli")


def _register() -> None:
    # Command modules import only typer and voxcli's light modules at the top; heavy libraries
    # (numpy, soundfile, httpx, the engine) load inside the commands that need them.
    from voxcli.cli import (
        batch,
        cache_cmd,
        config_cmd,
        convert,
        devices,
        doctor,
        models,
        record,
        serve,
        voices,
    )

    app.command("convert", no_args_is_help=True)(convert.convert)
    app.command("record")(record.record)
    app.add_typer(voices.app, name="voices")
    app.add_typer(batch.app, name="batch")
    app.command("models")(models.models)
    app.add_typer(config_cmd.app, name="config")
    app.command("devices")(devices.devices)
    app.command("serve")(serve.serve)
    app.add_typer(cache_cmd.app, name="cache")
    app.command("doctor")(doctor.doctor)


_register()
