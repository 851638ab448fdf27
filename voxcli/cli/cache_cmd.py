"""`voxcli cache`: where finished sections are kept for resuming, and clearing them."""

from __future__ import annotations

from voxcli.cli import _options as opt
from voxcli.cli._command import command, group
from voxcli.cli._console import out, print_json, reported_errors

app = group(
    "Show or clear the cache of finished sections.",
    ('du -sh "$(voxcli cache path)"', "How much space finished sections take"),
    ("voxcli cache clear", "Delete them (an interrupted conversion then starts over)"),
    no_args_is_help=True,
)


@command(
    app,
    "path",
    ("voxcli cache path", "Print the folder"),
    ('ls "$(voxcli cache path)"', "List what is in it"),
)
def path() -> None:
    """Print the folder holding finished sections (it may not exist yet)."""
    with reported_errors():
        from voxcli.convert.cache import SectionCache

        out.print(str(SectionCache().path()))


@command(
    app,
    "clear",
    ("voxcli cache clear", "Delete every cached section"),
    ("voxcli cache clear --json", "Say how many files and bytes went, as JSON"),
)
def clear(json_output: opt.Json = False) -> None:
    """Delete every cached section (an interrupted conversion then starts over)."""
    with reported_errors():
        from voxcli.convert.cache import SectionCache

        files, size = SectionCache().clear()
        if json_output:
            print_json({"files": files, "bytes": size})
            return
        out.print(f"removed {files} file(s), {size / 1e6:.1f} MB")
