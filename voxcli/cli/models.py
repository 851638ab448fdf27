"""`voxcli models`: the models the backend offers, marking those that can convert voices."""

from __future__ import annotations

from voxcli.cli import _options as opt
from voxcli.cli._console import out, print_json, reported_errors

EXAMPLES = (
    ("voxcli models", "The models, and which can convert voices"),
    ("voxcli models --backend local --json", "The local engine's models, as JSON"),
)


def models(
    json_output: opt.Json = False,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    quiet: opt.Quiet = False,
) -> None:
    """List models; voice conversion needs one marked yes."""
    with reported_errors():
        from voxcli.cli._backend import open_backend
        from voxcli.cli._console import RichReporter

        service, _ = open_backend(
            {"backend": backend, "base_url": base_url}, reporter=RichReporter(quiet=quiet)
        )
        with service:
            listed = service.models()
        if json_output:
            print_json([m.to_json() for m in listed])
            return
        from voxcli.cli._render import models_table

        out.print(models_table(listed))
