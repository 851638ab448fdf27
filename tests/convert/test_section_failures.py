"""A failing section says so at once, while other requests in flight are still finishing."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from tests.convert.test_sections import RecordingReporter, run, served, upload_of
from tests.support.audio import speechlike, write_wav
from tests.support.fake_backends import FailingBackend
from voxcli.backends.base import ConvertRequest, Upload
from voxcli.errors import ServiceError, VoxError
from voxcli.server import ApiServer


class SignallingReporter(RecordingReporter):
    """Sets `noticed` on the first notice, so a backend can see it arrive."""

    def __init__(self) -> None:
        super().__init__()
        self.noticed = threading.Event()

    def notice(self, message: str) -> None:
        super().notice(message)
        self.noticed.set()


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "speech.wav", speechlike(100.0, 16000, pause_every=3.3, seed=5))


def test_the_user_is_told_at_once_while_requests_in_flight_finish(
    speech: Path, tmp_path: Path
) -> None:
    first, second = upload_of(speech, 0), upload_of(speech, 1)
    reporter = SignallingReporter()
    seen_while_in_flight: list[bool] = []
    server_box: list[ApiServer] = []

    def rule(upload: Upload, _: ConvertRequest) -> VoxError | None:
        if upload.data == first:  # fail once section 2's request is in flight too
            for _ in range(1000):
                if len(server_box[0].requests) >= 2:
                    break
                time.sleep(0.01)
            return ServiceError("the audio was rejected", code="invalid_content")
        if upload.data == second:  # still converting when section 1 fails
            seen_while_in_flight.append(reporter.noticed.wait(30))
        return None

    with served(FailingBackend(rule)) as (server, client):
        server_box.append(server)
        with pytest.raises(ServiceError, match=r"^section 1 \("):
            run(speech, client, tmp_path / "out.wav", jobs=2, reporter=reporter)
    assert seen_while_in_flight == [True]
    [notice] = reporter.notices()
    # Section 2 is in flight; section 3 may have taken section 1's freed slot before the abort.
    assert re.fullmatch(
        r"section 1 \(0:00\.0-\d:\d\d\.\d\) failed; waiting for [12] request\(s\) in flight "
        r"to finish so a rerun can reuse them \(Ctrl-C stops now\)",
        notice,
    ), notice
