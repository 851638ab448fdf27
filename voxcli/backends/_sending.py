"""An upload's progress as httpx sends it: the body is read in pieces as the socket takes them.

httpx streams a multipart file part by reading it a chunk at a time (64 KiB) while writing the
request, so counting what it read is counting what was sent. Each attempt (a retry re-sends the
upload whole) starts again from 0.
"""

from __future__ import annotations

import io

from voxcli.backends.base import Upload


class Sending(io.BytesIO):
    """`upload`'s bytes for httpx; every read reports the fraction sent (`Upload.report`),
    then, once all is sent, that the service is converting."""

    def __init__(self, upload: Upload) -> None:
        super().__init__(upload.data)
        self._upload = upload
        self._size = max(1, len(upload.data))

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        sent = self.tell()
        if chunk:
            self._upload.report("uploading", sent / self._size)
        if sent >= self._size:
            self._upload.report("converting")  # all of it is on the way: the service works now
        return chunk


def upload_body(upload: Upload) -> bytes | Sending:
    """What httpx sends as the audio part: the bytes, or a `Sending` when progress is wanted."""
    return upload.data if upload.progress is None else Sending(upload)
