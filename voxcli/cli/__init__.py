"""The `voxcli` command line: a thin Typer layer over the core (only it imports typer/rich).

Every command is registered with `voxcli.cli._command.command` (or its sub-app made with
`voxcli.cli._command.group`), which gives it voxcli's help conventions and its examples.
"""

from __future__ import annotations

import typer

from voxcli import __version__
from voxcli.cli._command import Group, command
from voxcli.cli._help import examples

app = typer.Typer(
    name="voxcli",
    cls=Group,
    help="Convert speech from one voice to another (ElevenLabs speech-to-speech or offline).",
    epilog=examples(
        ("voxcli convert talk.wav -o talk.out.wav", "Convert a recording (offline without a key)"),
        ("voxcli voices", "List the voices you can convert into"),
        ("voxcli config set api_key", "Use ElevenLabs: store your API key (it is prompted for)"),
    ),
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

    command(app, "convert", *convert.EXAMPLES, no_args_is_help=True)(convert.convert)
    command(app, "record", *record.EXAMPLES)(record.record)
    app.add_typer(voices.app, name="voices")
    app.add_typer(batch.app, name="batch")
    command(app, "models", *models.EXAMPLES)(models.models)
    app.add_typer(config_cmd.app, name="config")
    command(app, "devices", *devices.EXAMPLES)(devices.devices)
    command(app, "serve", *serve.EXAMPLES)(serve.serve)
    app.add_typer(cache_cmd.app, name="cache")
    command(app, "doctor", *doctor.EXAMPLES)(doctor.doctor)


_register()
