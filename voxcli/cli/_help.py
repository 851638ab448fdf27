"""voxcli's help texts, shared by every command (new ones included).

- `described`: help text ending in ``[env var: X]`` and ``[default: Y]``, styled as Typer styles
  its own. Typer's ``envvar=`` cannot be used for settings: Typer would then read the
  environment itself, while `voxcli.config.load` is the one place that does, so that precedence
  and the origin of a bad value stay right. `setting_help` takes both from `voxcli.config`.
- `examples`: an epilog of real example command lines, as ``git`` and ``gh`` end their help
  (`voxcli.cli._command.command` and `group` add it to each command).
"""

from __future__ import annotations

#: The styles Typer gives its own notes (typer.rich_utils.STYLE_OPTION_ENVVAR / _DEFAULT).
_ENV_STYLE = "dim yellow"
_DEFAULT_STYLE = "dim"


def _escaped(text: object) -> str:
    return str(text).replace("[", "\\[")


def described(text: str, *, env: str | None = None, default: object = None) -> str:
    """`text`, then ``[env var: ENV]`` and ``[default: DEFAULT]`` as Typer shows its own."""
    parts = [text]
    if env:
        parts.append(f"[{_ENV_STYLE}]\\[env var: {_escaped(env)}][/]")
    if default is not None:
        parts.append(f"[{_DEFAULT_STYLE}]\\[default: {_escaped(default)}][/]")
    return " ".join(parts)


def setting_help(key: str, text: str, *, default: object = None) -> str:
    """Help for an option backed by the setting `key`: its variable and default from
    `voxcli.config.SETTINGS` (`default` describes it when the setting's own is `None`)."""
    from voxcli.config import SETTINGS

    setting = SETTINGS[key]
    shown = setting.default if setting.default is not None else default
    return described(text, env=setting.env, default=shown)


def examples(*pairs: tuple[str, str]) -> str:
    """An epilog listing ``(command line, what it does)`` pairs under "Examples"."""
    lines = ["[bold]Examples[/]"]
    for line, what in pairs:
        # The descriptions start at the margin: Typer dedents the epilog by its common indent.
        lines += [f"{_escaped(what)}:", f"  [bold cyan]$[/] {_escaped(line)}"]
    return "\n".join(lines)
