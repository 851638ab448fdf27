"""`voxcli devices`: the audio devices PortAudio sees (for --play)."""

from __future__ import annotations

from typing import Annotated

import typer

from voxcli.cli._console import notice, out, print_json, reported_errors


def devices(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List audio input and output devices."""
    with reported_errors():
        from rich.markup import escape
        from rich.table import Table

        from voxcli.audio.devices import list_devices

        listed = list_devices()
        if not listed and not json_output:
            notice("no audio devices found: is a sound server (PulseAudio/PipeWire) running?")
        if json_output:
            print_json(listed)
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("#", "name", "inputs", "outputs", "default rate"):
            table.add_column(column)
        for device in listed:
            table.add_row(
                str(device["index"]),
                escape(device["name"]),
                str(device["max_input_channels"]),
                str(device["max_output_channels"]),
                f"{device['default_samplerate']:.0f} Hz",
            )
        out.print(table)
