"""Requests that get no answer say what happened and what to check, and retry only when that
can help: over real sockets on 127.0.0.1 (a closed port, a server that hangs up or never
answers) and a host name that cannot exist (``.invalid``, RFC 2606)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support.server import TEST_KEY, VOICE_ID, RecordingSleep, flac_upload
from voxcli.backends.base import ConvertRequest
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.errors import UnavailableError

REQUEST = ConvertRequest(VOICE_ID, output_format="pcm_16000")


def closed_port() -> int:
    with socket.socket() as probe:  # bound, then closed: nobody listens on it
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TcpServer:
    """Accepts connections on 127.0.0.1 and either hangs up at once or never answers."""

    def __init__(self, *, hang_up: bool) -> None:
        self.hang_up = hang_up
        self.connections = 0
        self._held: list[socket.socket] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            if self.hang_up:
                conn.close()
            else:
                self._held.append(conn)

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()
        self._thread.join(timeout=5)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def hang_up() -> Iterator[TcpServer]:
    server = TcpServer(hang_up=True)
    yield server
    server.close()


@pytest.fixture
def silent() -> Iterator[TcpServer]:
    server = TcpServer(hang_up=False)
    yield server
    server.close()


def test_a_refused_loopback_connection_fails_at_once_and_says_so(sleep: RecordingSleep) -> None:
    port = closed_port()
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=f"http://127.0.0.1:{port}", retries=5, sleep=sleep
    ) as backend:
        with pytest.raises(UnavailableError) as info:
            backend.convert(flac_upload(0.2), REQUEST)
    assert sleep.delays == []  # nothing listening here cannot change within a backoff
    assert str(info.value) == f"converting: connection refused at http://127.0.0.1:{port}"
    assert "voxcli serve" in (info.value.hint or "") and "--base-url" in (info.value.hint or "")


def test_a_server_that_hangs_up_is_retried(hang_up: TcpServer, sleep: RecordingSleep) -> None:
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=hang_up.url, retries=3, sleep=sleep
    ) as backend:
        with pytest.raises(UnavailableError, match="after 3 attempts"):
            backend.convert(flac_upload(0.2), REQUEST)
    assert hang_up.connections == 3 and len(sleep.delays) == 2


def test_timeouts_end_with_what_to_check_not_more_retries(
    silent: TcpServer, sleep: RecordingSleep
) -> None:
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url=silent.url, retries=2, sleep=sleep
    ) as backend:
        backend.base_timeout = 0.1  # read timeout 0.1 s + 2 x 0.1 s of audio
        with pytest.raises(UnavailableError) as info:
            backend.convert(flac_upload(0.1), REQUEST)
    assert silent.connections == 2
    assert f"timed out waiting for an answer from {silent.url}" in str(info.value)
    hint = info.value.hint or ""
    assert "online" in hint and "--retries" not in hint


def test_a_host_name_that_does_not_resolve_is_named(sleep: RecordingSleep) -> None:
    with ElevenLabsBackend(
        api_key=TEST_KEY, base_url="https://voxcli-test.invalid", retries=2, sleep=sleep
    ) as backend:
        with pytest.raises(UnavailableError) as info:
            backend.voices()
    message = str(info.value)
    assert "cannot resolve voxcli-test.invalid" in message
    if "no such host" in message:  # a resolver that answers: a name that cannot exist
        assert sleep.delays == []
    assert "host name in --base-url" in (info.value.hint or "")
