"""`voxcli voices`: list, show, add and remove voices.

`--backend`, `--base-url`, `-q` and `--json` are taken both before a subcommand
(``voxcli voices -q add ...``) and after it (``voxcli voices add ... --backend local``), where
people put them; given in both places, the subcommand's own value wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voxcli.cli import _options as opt
from voxcli.cli._command import command, group
from voxcli.cli._console import out, print_json, reported_errors

app = group(
    "List voices, show one, or add your own.",
    ("voxcli voices --search british", "Voices whose name, description or labels match"),
    ("voxcli voices show Rachel --json", "One voice's details, for a script"),
    ("voxcli voices add narrator ref1.wav ref2.wav", "Make a voice from 10 s or more of speech"),
    no_args_is_help=False,
)


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
        str | None,
        typer.Option(
            help="Only this category (premade, cloned, generated, ...).", metavar="CATEGORY"
        ),
    ] = None,
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    quiet: opt.Quiet = False,
) -> None:
    """List the voices you can convert into."""
    if ctx.invoked_subcommand is not None:
        for name, value in (("--search", search), ("--category", category)):
            if value is not None:
                raise typer.BadParameter(
                    f"filters the listing (voxcli voices {name} ...), not "
                    f"'voices {ctx.invoked_subcommand}'",
                    param_hint=name,
                )
        ctx.obj = {"backend": backend, "base_url": base_url, "quiet": quiet, "json": json_output}
        return
    with reported_errors():
        with _open(ctx, backend, base_url, quiet) as service:
            listed = [v for v in service.voices() if _matches(v, search, category)]
        if json_output:
            print_json([v.to_json() for v in listed])
            return
        from voxcli.cli._render import voices_table

        out.print(voices_table(listed))


def _given(ctx: typer.Context, key: str, value: Any) -> Any:
    """A subcommand's own value, else what was given before the subcommand."""
    return value if value not in (None, False) else (ctx.obj or {}).get(key, value)


def _open(ctx: typer.Context, backend: str | None, base_url: str | None, quiet: bool) -> Any:
    from voxcli.cli._backend import open_backend
    from voxcli.cli._console import RichReporter

    flags = {
        "backend": _given(ctx, "backend", backend),
        "base_url": _given(ctx, "base_url", base_url),
    }
    reporter = RichReporter(quiet=bool(_given(ctx, "quiet", quiet)))
    return open_backend(flags, reporter=reporter)[0]


@command(
    app,
    "show",
    ("voxcli voices show Rachel", "A voice's details: labels, settings, preview URL"),
    ("voxcli voices show sally --backend local --json", "A local voice's profile, as JSON"),
)
def show(
    ctx: typer.Context,
    voice: opt.VoiceArg,
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    quiet: opt.Quiet = False,
) -> None:
    """Show one voice's details."""
    with reported_errors():
        from voxcli.voices import resolve_voice

        with _open(ctx, backend, base_url, quiet) as service:
            found = resolve_voice(service, voice, details=True)
        if _given(ctx, "json", json_output):
            print_json(found.to_json())
            return
        from voxcli.cli._render import voice_details

        out.print(voice_details(found))


@command(
    app,
    "add",
    ("voxcli voices add narrator ref1.wav ref2.wav", "Clone a voice (ElevenLabs) from samples"),
    (
        "voxcli voices add narrator ref.wav --backend local",
        "Build a local voice profile (30-60 s of speech is best)",
    ),
)
def add(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Name of the new voice.", show_default=False)
    ],
    samples: Annotated[
        list[Path],
        typer.Argument(
            metavar="SAMPLE...",
            help="Recordings of the voice (10 s or more in all).",
            show_default=False,
        ),
    ],
    description: Annotated[
        str, typer.Option(metavar="TEXT", help="A description to store with it.")
    ] = "",
    remove_background_noise: opt.RemoveNoise = False,
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    quiet: opt.Quiet = False,
) -> None:
    """Create a voice from recordings: instant voice cloning, or a local voice profile."""
    with reported_errors():
        from voxcli.errors import InputError

        for sample in samples:
            if not sample.is_file():
                raise InputError(f"sample {sample} not found", hint="check the path")
        with _open(ctx, backend, base_url, quiet) as service:
            created = service.add_voice(
                name,
                samples,
                description=description,
                remove_background_noise=remove_background_noise,
            )
        if _given(ctx, "json", json_output):
            print_json(created.to_json())
        else:
            out.print(created.voice_id)


@command(
    app,
    "remove",
    ("voxcli voices remove narrator", "Delete a voice you added"),
    ("voxcli voices remove narrator --backend local", "Delete a local voice profile"),
)
def remove(
    ctx: typer.Context,
    voice: opt.VoiceArg,
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    quiet: opt.Quiet = False,
) -> None:
    """Delete a voice you added."""
    with reported_errors():
        from voxcli.voices import resolve_voice

        with _open(ctx, backend, base_url, quiet) as service:
            found = resolve_voice(service, voice)
            service.remove_voice(found.voice_id)
        if _given(ctx, "json", json_output):
            print_json({"voice_id": found.voice_id, "name": found.name, "removed": True})
        else:
            out.print(found.voice_id)
