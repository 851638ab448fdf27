"""`voxcli doctor`: check the configuration, the service, the local engine and audio output."""

from __future__ import annotations

import typer

from voxcli.cli import _options as opt
from voxcli.cli._console import out, print_json, reported_errors

EXAMPLES = (
    ("voxcli doctor", "Check the configuration, the service, the engine and audio"),
    (
        "voxcli doctor --backend elevenlabs --base-url http://127.0.0.1:8000",
        "Check a local `voxcli serve` as the service",
    ),
)


def doctor(
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
) -> None:
    """Check that voxcli is ready to convert; exits with the first failed check's status."""
    with reported_errors():
        from rich.markup import escape

        from voxcli.doctor import run_checks

        checks = run_checks({"backend": backend, "base_url": base_url})
        if json_output:
            print_json(
                [
                    {"check": c.name, "ok": c.ok, "required": c.required, "detail": c.detail}
                    for c in checks
                ]
            )
        else:
            for check in checks:
                mark = (
                    "[green]ok[/]  "
                    if check.ok
                    else ("[red]FAIL[/]" if check.required else "[yellow]warn[/]")
                )
                out.print(f"{mark} {check.name:14s} {escape(check.detail)}")
        failed = [c for c in checks if not c.ok and c.required and c.error is not None]
        if failed:
            raise typer.Exit(int(failed[0].error.exit_status))  # type: ignore[union-attr]
