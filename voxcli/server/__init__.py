"""An ElevenLabs-compatible HTTP API in front of any voxcli `Backend`.

Used by the tests (a real server on 127.0.0.1 in front of a test backend) and by `voxcli serve`
(the local engine). See `voxcli.server.app` for the public API.
"""

from __future__ import annotations

from voxcli.server.app import ApiServer, RecordedRequest

__all__ = ["ApiServer", "RecordedRequest"]
