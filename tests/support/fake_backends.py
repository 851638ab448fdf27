"""Test backends that subclass the real interface (no mocks) for the long-audio runner tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.support.transform_backend import TransformBackend
from voxcli.backends.base import ConvertRequest, ConvertResult, Upload
from voxcli.errors import VoxError

#: Decides, per upload, whether to fail it and how.
FailRule = Callable[[Upload, ConvertRequest], VoxError | None]


class FailingBackend(TransformBackend):
    """A `TransformBackend` that raises the error `rule` returns for an upload (every attempt).

    Put it behind `voxcli.server.ApiServer` to see how a client handles a section that keeps
    failing; `attempts` counts the conversions tried per upload.
    """

    name = "failing"

    def __init__(self, rule: FailRule, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rule = rule
        self.attempts: dict[bytes, int] = {}
        self._count_lock = threading.Lock()

    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        with self._count_lock:
            self.attempts[upload.data] = self.attempts.get(upload.data, 0) + 1
        error = self.rule(upload, request)
        if error is not None:
            raise error
        return super().convert(upload, request)
