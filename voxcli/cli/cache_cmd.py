"""`voxcli cache`: where finished sections are kept for resuming, and clearing them."""

from __future__ import annotations

import typer

from voxcli.cli._console import out, reported_errors

app = typer.Typer(no_args_is_help=True, help="Show or clear the cache of finished sections.")


@app.command("path")
def path() -> None:
    """Print the folder holding finished sections (it may not exist yet)."""
    with reported_errors():
        from voxcli.convert.cache import SectionCache

        out.print(str(SectionCache().path()))


@app.command("clear")
def clear() -> None:
    """Delete every cached section (an interrupted conversion then starts over)."""
    with reported_errors():
        from voxcli.convert.cache import SectionCache

        files, size = SectionCache().clear()
        out.print(f"removed {files} file(s), {size / 1e6:.1f} MB")
