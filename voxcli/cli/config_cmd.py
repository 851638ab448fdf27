"""`voxcli config`: show, get, set and unset settings, and say where the file is.

The API key is never printed: only whether one is set and its last 4 characters. `set` and
`unset` work on the file as written, so they can repair a file that no longer validates.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from voxcli.cli import _options as opt
from voxcli.cli._command import command, group
from voxcli.cli._console import out, print_json, reported_errors

if TYPE_CHECKING:
    from voxcli.config import Config

app = group(
    "Show and change settings (config.toml).",
    ("voxcli config show", "Every setting, its value and where it came from"),
    ("voxcli config set backend local", "Always use the offline local engine"),
    ("printenv ELEVENLABS_API_KEY | voxcli config set api_key", "Store the key from a script"),
    no_args_is_help=True,
)


def _json_value(key: str, value: Any) -> Any:
    from voxcli import config as cfg

    return cfg.redact(key, value) if cfg.SETTINGS[key].secret and value is not None else value


def _effective(conf: Config, key: str) -> tuple[Any, str | None]:
    """The value a command would use for `key`, and why when no setting says it outright.

    The backend and the local engine's voice are decided when nothing sets them: say so.
    """
    if key == "backend":
        name, implicit = conf.backend()
        if implicit:
            return name, "no API key configured"
        if conf.source("backend") == "default":
            return name, "an API key is configured"
        return name, None
    if key == "voice" and conf["voice"] is None and conf.backend()[0] == "local":
        from voxcli.backends.local import LocalBackend

        return LocalBackend.DEFAULT_VOICE, "the local engine's default voice"
    return conf[key], None


@command(
    app,
    "show",
    ("voxcli config show", "Every setting, where it came from, and its variable"),
    ("voxcli config show --backend local --json", "What a command given --backend local uses"),
)
def show(
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
) -> None:
    """Every setting, its value and where it came from (flag, env, file or default)."""
    with reported_errors():
        from rich.table import Table

        from voxcli import config as cfg

        conf = cfg.load({"backend": backend, "base_url": base_url})
        rows = {key: (*_effective(conf, key), r.source) for key, r in conf.items()}
        if json_output:
            settings = {
                key: {
                    "value": _json_value(key, value),
                    "source": source,
                    "env": cfg.SETTINGS[key].env,
                    **({"reason": reason} if reason else {}),
                }
                for key, (value, reason, source) in rows.items()
            }
            print_json({"path": str(conf.path), "settings": settings})
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("setting", "value", "source", "environment variable"):
            table.add_column(column, overflow="fold")
        for key, (value, reason, source) in rows.items():
            env = cfg.SETTINGS[key].env or ""
            why = f"{source}: {reason}" if reason else source
            table.add_row(key, escape(cfg.redact(key, value)), escape(why), env)
        out.print(table)
        out.print(f"config file: {escape(str(conf.path))}", style="dim")


@command(
    app,
    "get",
    ("voxcli config get jobs", "Print one setting's value"),
    ("voxcli config get backend --json", "The value, where it came from and why, as JSON"),
)
def get(key: opt.SettingArg, json_output: opt.Json = False) -> None:
    """Print one setting's value (the API key only as set/not set and its last 4 characters)."""
    with reported_errors():
        from voxcli import config as cfg

        cfg.setting(key)
        conf = cfg.load()
        value, reason = _effective(conf, key)
        if json_output:
            data = {"key": key, "value": _json_value(key, value), "source": conf.source(key)}
            print_json({**data, **({"reason": reason} if reason else {})})
            return
        out.print(escape(cfg.redact(key, value)))


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


@command(
    app,
    "set",
    ("voxcli config set voice Rachel", "Convert into Rachel unless --voice says otherwise"),
    ("voxcli config set api_key", "Store your ElevenLabs key (prompted, hidden)"),
)
def set_(
    key: opt.SettingArg,
    value: Annotated[
        str | None,
        typer.Argument(
            metavar="VALUE",
            help="New value. For api_key, leave it out: voxcli prompts on a terminal "
            "or reads stdin, so the key stays out of your shell history.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Store a setting in config.toml (written with mode 0600)."""
    with reported_errors():
        from voxcli import config as cfg
        from voxcli import dirs

        secret = cfg.setting(key).secret
        if value is None:
            value = _read_value(key, secret)
        path = dirs.config_path()
        data = cfg.read_raw(path)
        data[key] = cfg.parse_value(key, value)
        cfg.write_file(path, data)
        out.print(f"{key} = {escape(cfg.redact(key, data[key]))}  [dim]({escape(str(path))})[/]")


@command(
    app,
    "unset",
    ("voxcli config unset voice", "Forget the default voice"),
    ("voxcli config unset backend", "Choose the backend from the API key again"),
)
def unset(key: opt.SettingArg) -> None:
    """Remove a setting from config.toml (its default applies again)."""
    with reported_errors():
        from voxcli import config as cfg
        from voxcli import dirs

        path = dirs.config_path()
        data = cfg.read_raw(path)
        if key not in data:
            cfg.setting(key)  # an unknown name that is not in the file either: say so
        elif data.pop(key) is not None:
            cfg.write_file(path, data)
        out.print(f"{key} unset  [dim]({escape(str(path))})[/]")


@command(
    app,
    "path",
    ("voxcli config path", "Where config.toml is (or will be)"),
    ('"$EDITOR" "$(voxcli config path)"', "Edit the file by hand"),
)
def path() -> None:
    """Print the config file's path (it may not exist yet)."""
    with reported_errors():
        from voxcli import dirs

        out.print(escape(str(dirs.config_path())))
