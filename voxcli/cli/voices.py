"""`voxcli voices`: list, show, add and remove voices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voxcli.cli import _options as opt
from voxcli.cli._console import out, print_json, reported_errors

app = typer.Typer(no_args_is_help=False, help="List voices, show one, or add your own.")


def _matches(voice: Any, search: str | None, category: str | None) -> bool:
    if category and voice.category.casefold() != category.casefold():
        return False
    if not search:
        return True
    text = search.casefold()
    haystack = [voice.name, voice.description, voice.category, *voice.labels.values()]
    return any(text in str(field).casefold() for field in haystack)


@app.callback(invoke_without_command=True)
def voices(
    ctx: typer.Context,
    search: Annotated[
        str | None,
        typer.Option(
            help="Only voices whose name, description or labels contain TEXT.", metavar="TEXT"
        ),
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="Only this category (premade, cloned, generated, ...).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    quiet: opt.Quiet = False,
) -> None:
    """List the voices you can convert into."""
    ctx.obj = {"backend": backend, "base_url": base_url, "quiet": quiet}
    if ctx.invoked_subcommand is not None:
        return
    with reported_errors():
        with _open(ctx) as service:
            listed = [v for v in service.voices() if _matches(v, search, category)]
        if json_output:
            print_json([v.to_json() for v in listed])
            return
        from voxcli.cli._render import voices_table

        out.print(voices_table(listed))


def _open(ctx: typer.Context) -> Any:
    from voxcli.cli._backend import open_backend
    from voxcli.cli._console import RichReporter

    flags = dict(ctx.obj or {})
    quiet = bool(flags.pop("quiet", False))
    return open_backend(flags, reporter=RichReporter(quiet=quiet))[0]


@app.command("show")
def show(
    ctx: typer.Context,
    voice: Annotated[str, typer.Argument(help="Voice name or id.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show one voice's details."""
    with reported_errors():
        from voxcli.voices import resolve_voice

        with _open(ctx) as service:
            found = resolve_voice(service, voice, details=True)
        if json_output:
            print_json(found.to_json())
            return
        from voxcli.cli._render import voice_details

        out.print(voice_details(found))


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the new voice.")],
    samples: Annotated[
        list[Path], typer.Argument(help="Recordings of the voice (10 s or more in all).")
    ],
    description: Annotated[str, typer.Option(help="A description to store with it.")] = "",
    remove_background_noise: opt.RemoveNoise = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Create a voice from recordings: instant voice cloning, or a local voice profile."""
    with reported_errors():
        from voxcli.errors import InputError

        for sample in samples:
            if not sample.is_file():
                raise InputError(f"sample {sample} not found", hint="check the path")
        with _open(ctx) as service:
            created = service.add_voice(
                name,
                samples,
                description=description,
                remove_background_noise=remove_background_noise,
            )
        if json_output:
            print_json(created.to_json())
        else:
            out.print(created.voice_id)


@app.command("remove")
def remove(
    ctx: typer.Context,
    voice: Annotated[str, typer.Argument(help="Voice name or id.")],
) -> None:
    """Delete a voice you added."""
    with reported_errors():
        from voxcli.voices import resolve_voice

        with _open(ctx) as service:
            found = resolve_voice(service, voice)
            service.remove_voice(found.voice_id)
        out.print(found.voice_id)
