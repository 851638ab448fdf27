"""`voxcli config`: show, get, set and unset settings, and say where the file is.

The API key is never printed: only whether one is set and its last 4 characters. `set` and
`unset` work on the file as written, so they can repair a file that no longer validates.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from voxcli.cli._console import out, print_json, reported_errors

app = typer.Typer(no_args_is_help=True, help="Show and change settings (config.toml).")


def _json_value(key: str, value: Any) -> Any:
    from voxcli import config as cfg

    return cfg.redact(key, value) if cfg.SETTINGS[key].secret and value is not None else value


@app.command("show")
def show(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every setting, its value and where it came from (flag, env, file or default)."""
    with reported_errors():
        from rich.table import Table

        from voxcli import config as cfg

        conf = cfg.load()
        if json_output:
            settings = {
                key: {
                    "value": _json_value(key, r.value),
                    "source": r.source,
                    "env": cfg.SETTINGS[key].env,
                }
                for key, r in conf.items()
            }
            print_json({"path": str(conf.path), "settings": settings})
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("setting", "value", "source", "environment variable"):
            table.add_column(column, overflow="fold")
        for key, r in conf.items():
            env = cfg.SETTINGS[key].env or ""
            table.add_row(key, escape(cfg.redact(key, r.value)), r.source, env)
        out.print(table)
        out.print(f"config file: {escape(str(conf.path))}", style="dim")


@app.command("get")
def get(
    key: Annotated[str, typer.Argument(help="Setting name (see `voxcli config show`).")],
) -> None:
    """Print one setting's value (the API key only as set/not set and its last 4 characters)."""
    with reported_errors():
        from voxcli import config as cfg

        cfg.setting(key)
        out.print(escape(cfg.redact(key, cfg.load()[key])))


def _read_value(key: str, secret: bool) -> str:
    """A value not given on the command line: prompted on a terminal, else one line of stdin."""
    from voxcli.errors import InputError

    if sys.stdin.isatty():
        value: str = typer.prompt(key, hide_input=secret)
    else:
        value = sys.stdin.readline().strip()
    if not value:
        hint = (
            f"pipe it in (e.g. printenv ELEVENLABS_API_KEY | voxcli config set {key}) or run the "
            "command in a terminal to be prompted"
            if secret
            else f"voxcli config set {key} VALUE"
        )
        raise InputError(f"no value given for {key}", hint=hint)
    return value


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

        secret = cfg.setting(key).secret
        if value is None:
            value = _read_value(key, secret)
        path = cfg.config_path()
        data = cfg.read_raw(path)
        data[key] = cfg.parse_value(key, value)
        cfg.write_file(path, data)
        out.print(f"{key} = {escape(cfg.redact(key, data[key]))}  [dim]({escape(str(path))})[/]")


@app.command("unset")
def unset(key: Annotated[str, typer.Argument(help="Setting name.")]) -> None:
    """Remove a setting from config.toml (its default applies again)."""
    with reported_errors():
        from voxcli import config as cfg

        path = cfg.config_path()
        data = cfg.read_raw(path)
        if key not in data:
            cfg.setting(key)  # an unknown name that is not in the file either: say so
        elif data.pop(key) is not None:
            cfg.write_file(path, data)
        out.print(f"{key} unset  [dim]({escape(str(path))})[/]")


@app.command("path")
def path() -> None:
    """Print the config file's path (it may not exist yet)."""
    with reported_errors():
        from voxcli import config as cfg

        out.print(escape(str(cfg.config_path())))
