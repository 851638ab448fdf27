"""How voxcli's commands are built: `command` and `group` register them with `Command` and
`Group`, Typer's classes with voxcli's conventions, and an epilog of examples
(`voxcli.cli._help.examples`)::

    @command(app, "show", ("voxcli voices show Rachel", "One voice's details"))
    def show(...) -> None: ...

The conventions, for every parameter (Typer's own ``--help`` included):

- readable metavars: a flag shows none (Typer shows ``<bool>``); an argument is shown by its
  metavar alone (``FILE``, not ``{input}`` in the usage line and ``<str>`` beside it);
- shell completion parses the words as typed: Typer converts each value through pydantic,
  whose import alone takes longer than the rest of voxcli's start-up, and completing needs
  none of it (a `voxcli.cli._complete` function reads the raw values it needs).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer._click import exceptions as click_exceptions
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from voxcli.cli._help import examples

F = TypeVar("F", bound=Callable[..., Any])


def _as_is(param: Any, value: Any) -> bool:
    """True when `value` needs no conversion: None, or already of the parameter's plain type
    (a default such as ``290.0`` or an enum member, or a string for a ``str`` option).

    NOTE: Typer converts every value through a pydantic TypeAdapter it builds on first use;
    importing pydantic and building adapters costs about 60 ms, a quarter of `voxcli voices`.
    Values that are already what the parameter holds are passed as pydantic would pass them.
    """
    if value is None:
        return not (param.multiple or param.nargs == -1)
    annotation = param.type_descriptor.annotation
    if not isinstance(annotation, type) or annotation is bool:  # Typer skips bools itself
        return False
    if issubclass(annotation, enum.Enum):
        return isinstance(value, annotation)
    return type(value) is annotation and not issubclass(annotation, list | tuple)


def _process(param: Any, ctx: typer.Context, value: Any, typer_process: Any) -> Any:
    if ctx.resilient_parsing:
        return value
    if not _as_is(param, value):
        return typer_process(ctx, value)
    if param.required and param.value_is_missing(value):
        raise click_exceptions.MissingParameter(ctx=ctx, param=param)
    return param.callback(ctx, param, value) if param.callback is not None else value


class _Option(TyperOption):
    """An option whose flags show no metavar, taken as typed while completing."""

    def process_value(self, ctx: typer.Context, value: Any) -> Any:
        return _process(self, ctx, value, super().process_value)

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        return super().display_type_rich(ctx)


class _Argument(TyperArgument):
    """An argument shown by its metavar alone (usage line and help), taken as typed while
    completing."""

    def process_value(self, ctx: typer.Context, value: Any) -> Any:
        return _process(self, ctx, value, super().process_value)

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        return None

    def get_usage_pieces(self, ctx: typer.Context) -> list[str]:
        name = self.display_name_raw
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return [name if self.required else f"[{name}]"]


def _adopt(params: list[Any]) -> None:
    """Make Typer's parameters voxcli's (idempotent).

    NOTE: Typer builds its parameter objects itself and has no hook for their class. The
    subclasses add no state, only the behaviour above, so each object's class is switched.
    """
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option
        elif type(param) is TyperArgument:
            if param.metavar is None:
                name = (param.name or "value").upper()
                param.metavar = name + ("..." if param.nargs != 1 else "")
            param.__class__ = _Argument


class Command(TyperCommand):
    """A Typer command following voxcli's conventions (module docstring)."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        params = super().get_params(ctx)  # includes the help option, made on first use
        _adopt(params)
        return params


class Group(TyperGroup):
    """A Typer group following voxcli's conventions (module docstring)."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        params = super().get_params(ctx)
        _adopt(params)
        return params


def command(
    app: typer.Typer, name: str, *pairs: tuple[str, str], **settings: Any
) -> Callable[[F], F]:
    """Register a command on `app` as `name`, with `Command`'s conventions and an epilog of
    `pairs` (see `voxcli.cli._help.examples`); other keyword `settings` go to ``app.command``."""
    decorator: Callable[[F], F] = app.command(
        name, cls=Command, epilog=examples(*pairs), **settings
    )
    return decorator


def group(help: str, *pairs: tuple[str, str], **settings: Any) -> typer.Typer:
    """A sub-app (``voxcli voices``, ``voxcli config``) with `Group`'s conventions and an epilog
    of `pairs`; other keyword `settings` go to ``typer.Typer``."""
    return typer.Typer(cls=Group, help=help, epilog=examples(*pairs), **settings)
