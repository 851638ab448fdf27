"""`voxcli config`: show, get, set and unset settings, and say where the file is.

The API key is never printed: only whether one is set and its last 4 characters.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from voxcli.cli._console import out, print_json, reported_errors

app = typer.Typer(no_args_is_help=True, help="Show and change settings (config.toml).")


@app.command("show")
def show(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every setting, its value and where it came from (flag, env, file or default)."""
    with reported_errors():
        from rich.table import Table

        from voxcli import config as cfg

        conf = cfg.load()
        rows = [
            (key, cfg.redact(key, r.value), r.source, cfg.SETTINGS[key].env or "")
            for key, r in conf.items()
        ]
        if json_output:
            print_json(
                {
                    "path": str(conf.path),
                    "settings": {k: {"value": v, "source": s, "env": e} for k, v, s, e in rows},
                }
            )
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("setting", "value", "source", "environment variable"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        out.print(table)
        out.print(f"config file: {conf.path}", style="dim")


@app.command("get")
def get(
    key: Annotated[str, typer.Argument(help="Setting name (see `voxcli config show`).")],
) -> None:
    """Print one setting's value (the API key only as set/not set and its last 4 characters)."""
    with reported_errors():
        from voxcli import config as cfg

        cfg.setting(key)
        out.print(cfg.redact(key, cfg.load()[key]))


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="Setting name.")],
    value: Annotated[
        str | None,
        typer.Argument(
            help="New value. For api_key, leave it out: voxcli prompts on a terminal "
            "or reads stdin, so the key stays out of your shell history."
        ),
    ] = None,
) -> None:
    """Store a setting in config.toml (written with mode 0600)."""
    with reported_errors():
        from voxcli import config as cfg
        from voxcli.errors import InputError

        secret = cfg.setting(key).secret
        if value is None:
            if sys.stdin.isatty():
                value = typer.prompt(key, hide_input=secret)
            else:
                value = sys.stdin.readline().strip()
            if not value:
                raise InputError(f"no value given for {key}", hint=f"voxcli config set {key} VALUE")
        path = cfg.config_path()
        data = cfg.read_file(path)
        data[key] = cfg.parse_value(key, value)
        cfg.write_file(path, data)
        out.print(f"{key} = {cfg.redact(key, data[key])}  [dim]({path})[/]")


@app.command("unset")
def unset(key: Annotated[str, typer.Argument(help="Setting name.")]) -> None:
    """Remove a setting from config.toml (its default applies again)."""
    with reported_errors():
        from voxcli import config as cfg

        cfg.setting(key)
        path = cfg.config_path()
        data = cfg.read_file(path)
        if data.pop(key, None) is not None:
            cfg.write_file(path, data)
        out.print(f"{key} unset  [dim]({path})[/]")


@app.command("path")
def path() -> None:
    """Print the config file's path (it may not exist yet)."""
    with reported_errors():
        from voxcli import config as cfg

        out.print(str(cfg.config_path()))
