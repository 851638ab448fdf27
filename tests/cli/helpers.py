"""Small helpers shared by the CLI tests."""

from __future__ import annotations

from pathlib import Path

from voxcli.server import ApiServer, RecordedRequest


def conversions(server: ApiServer) -> list[RecordedRequest]:
    """The conversion requests the server received (not voice or model listings)."""
    return [r for r in server.requests if r.method == "POST" and "/voice-changer/" in r.path]


def leftovers(folder: Path) -> list[str]:
    """Temporary or partial files voxcli may have left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".part")
