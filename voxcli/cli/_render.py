"""Rich renderings of core values: tables for voices, models, section plans and settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from voxcli.backends.base import Model, Voice
from voxcli.timefmt import clock


def voices_table(voices: Sequence[Voice]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("name", "id", "category", "gender", "accent", "age"):
        # Ids are copied into other commands: never cut them short.
        table.add_column(column, no_wrap=column == "id", overflow="fold")
    for voice in voices:
        labels = voice.labels
        table.add_row(
            escape(voice.name),
            voice.voice_id,
            escape(voice.category),
            escape(labels.get("gender", "")),
            escape(labels.get("accent", "")),
            escape(labels.get("age", "")),
        )
    return table


def voice_details(voice: Voice) -> Table:
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, Any]] = [
        ("name", voice.name),
        ("id", voice.voice_id),
        ("category", voice.category),
        ("description", voice.description),
    ]
    rows += [(f"label {k}", v) for k, v in voice.labels.items()]
    rows += list(voice.details.items())
    for key, value in rows:
        if value not in ("", None):
            table.add_row(escape(str(key)), escape(str(value)))
    return table


def models_table(models: Sequence[Model]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("model", "name", "converts voices", "languages"):
        table.add_column(column, no_wrap=column == "model", overflow="fold")
    for model in models:
        langs = ", ".join(model.languages[:6]) + (" …" if len(model.languages) > 6 else "")
        table.add_row(
            model.model_id,
            escape(model.name),
            "[green]yes[/]" if model.can_do_voice_conversion else "no",
            escape(langs),
        )
    return table


def plan_table(plan: dict[str, Any]) -> Table:
    """Sections of a long-audio plan: where each starts and ends, and how its end was cut."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("#", "start", "end", "length", "cut at end"):
        table.add_column(column, justify="left" if column == "cut at end" else "right")
    last = len(plan["sections"])
    for section in plan["sections"]:
        start, end = section["start_seconds"], section["end_seconds"]
        if section["number"] == last:
            cut = "end of input"
        elif section.get("cut_forced"):
            cut = "[yellow]forced (no pause)[/]"
        else:
            cut = f"pause of {section.get('pause_seconds', 0.0):.2f} s"
        table.add_row(str(section["number"]), clock(start), clock(end), f"{end - start:.1f} s", cut)
    return table
