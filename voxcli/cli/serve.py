"""`voxcli serve`: the offline engine behind the ElevenLabs HTTP API.

Anything that speaks the API can then convert voices without an account: the official SDKs
(``base_url=``) and voxcli itself (``--backend elevenlabs --base-url http://127.0.0.1:8000``).
The server listens on loopback unless `--host` says otherwise; Ctrl-C (or SIGTERM) stops it
cleanly with exit status 0. It converts at most one request per usable CPU core at once (the
engine is CPU-bound, and a minute of 44.1 kHz audio takes about 500 MB while converted); more
are answered 429 ``concurrent_limit_exceeded``, as the service answers a full plan.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from voxcli.cli._console import err, notice, reported_errors
from voxcli.cli._help import described

EXAMPLES = (
    ("voxcli serve", "Serve on http://127.0.0.1:8000 for this machine"),
    (
        "voxcli convert talk.wav --backend elevenlabs --base-url http://127.0.0.1:8000",
        "Convert through it, as through ElevenLabs",
    ),
    (
        'voxcli serve --host 0.0.0.0 --api-key "$(openssl rand -hex 16)"',
        "Serve the network, to clients that send the key",
    ),
)


def _log(line: str) -> None:
    err.print(escape(line), highlight=False)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity, else the machine's count)."""
    import os

    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (e.g. from a service manager) stops the server as cleanly as Ctrl-C does.
    raise KeyboardInterrupt


def serve(
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS", help="Address to listen on (0.0.0.0 or :: for every interface)."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", min=0, max=65535, help="Port; 0 picks a free one.")
    ] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            metavar="KEY",
            envvar="VOXCLI_SERVE_API_KEY",
            show_envvar=True,
            help="Require clients to send this key in xi-api-key.",
        ),
    ] = None,
    max_concurrent: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            min=0,
            help=described(
                "Conversions at once; more are answered 429, as the service does (0: no limit).",
                default="one per usable CPU core",
            ),
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not log each request on stderr.")
    ] = False,
) -> None:
    """Serve the offline engine over the ElevenLabs API, for SDKs and `--base-url`."""
    with reported_errors():
        import signal

        from voxcli import backends, config
        from voxcli.backends._http import is_loopback
        from voxcli.server import ApiServer

        with backends.create("local", config.load()) as backend:
            server = ApiServer(
                backend,
                host=host,
                port=port,
                api_key=api_key,
                record=False,
                log=None if quiet else _log,
            )
            limit = usable_cores() if max_concurrent is None else max_concurrent or None
            server.max_concurrent = limit
            try:  # from here on, Ctrl-C and SIGTERM are a normal stop
                signal.signal(signal.SIGTERM, _interrupt)
                at_once = "no limit on" if limit is None else f"at most {limit}"
                err.print(
                    f"voxcli serve: the local engine at {escape(server.url)} ({at_once} "
                    "conversions at once; Ctrl-C stops)"
                )
                if not is_loopback(host) and api_key is None:
                    notice(
                        "listening beyond this machine without --api-key: anyone who can reach "
                        "it may use it"
                    )
                server.serve_forever()
            except KeyboardInterrupt:
                err.print("voxcli serve: stopped")
            finally:
                server.close()
