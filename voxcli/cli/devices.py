"""`voxcli devices`: the audio devices PortAudio sees (for `record --device` and `--play`)."""

from __future__ import annotations

from voxcli.cli import _options as opt
from voxcli.cli._console import notice, out, print_json, reported_errors

EXAMPLES = (
    ("voxcli devices", "The audio devices --play can use"),
    ("voxcli devices --json", "The same, as JSON"),
)


def devices(json_output: opt.Json = False, quiet: opt.Quiet = False) -> None:
    """List audio input and output devices.

    `record --device` and `--output-device` take the index or a unique part of the name
    (defaults: the marked devices, or VOXCLI_INPUT_DEVICE / VOXCLI_OUTPUT_DEVICE).
    """
    with reported_errors():
        from rich.markup import escape
        from rich.table import Table

        from voxcli.audio.devices import list_devices

        listed = list_devices()
        if json_output:
            print_json([device.to_json() for device in listed])
            return
        if not listed:
            if not quiet:
                notice("no audio devices found: is a sound server (PulseAudio/PipeWire) running?")
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("#", "name", "host API", "inputs", "outputs", "default rate", "default"):
            table.add_column(column)
        for device in listed:
            marks = [
                kind
                for kind, marked in (
                    ("input", device.default_input),
                    ("output", device.default_output),
                )
                if marked
            ]
            table.add_row(
                str(device.index),
                escape(device.name),
                escape(device.hostapi),
                str(device.max_input_channels),
                str(device.max_output_channels),
                f"{device.default_samplerate:.0f} Hz",
                ", ".join(marks),
            )
        out.print(table)
