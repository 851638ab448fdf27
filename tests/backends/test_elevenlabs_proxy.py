"""Environment proxies never see the API key in clear text.

A plain-http base URL (only ever a loopback `voxcli serve`) is reached directly even when
``HTTP_PROXY`` is set: through a proxy, the ``xi-api-key`` header would travel in clear text to
another process. An https base URL still honours ``HTTPS_PROXY``: the proxy only sees a
``CONNECT`` line, and the key travels inside TLS.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.helpers import conversions
from tests.support.audio import speechlike, write_wav
from tests.support.server import TEST_KEY, VOICE_ID
from tests.support.transform_backend import TransformBackend
from voxcli.backends.elevenlabs import ElevenLabsBackend
from voxcli.cli import app
from voxcli.errors import UnavailableError
from voxcli.server import ApiServer

runner = CliRunner()
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class RecordingProxy:
    """A TCP listener on 127.0.0.1 that keeps whatever each connection sends, then hangs up."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(0.5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and (piece := connection.recv(65536)):
                        data += piece
                except TimeoutError:
                    pass
                self.received.append(data)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    with RecordingProxy() as listener:
        yield listener


def test_a_loopback_http_service_is_reached_directly_whatever_http_proxy_says(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, tmp_path: Path
) -> None:
    speech = write_wav(tmp_path / "speech.wav", speechlike(2.0, 16000))
    out = tmp_path / "out.mp3"
    with ApiServer(TransformBackend("invert"), api_key=TEST_KEY) as server:
        monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
        monkeypatch.setenv("VOXCLI_BASE_URL", server.url)
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, proxy.url)
        result = runner.invoke(app, ["convert", str(speech), "-v", VOICE_ID, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert len(conversions(server)) == 1
    assert out.stat().st_size > 0
    assert proxy.received == []


def test_an_https_service_still_goes_through_https_proxy_without_showing_the_key(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, proxy.url)
    backend = ElevenLabsBackend(
        api_key=TEST_KEY, base_url="https://api.elevenlabs.io", retries=1, backoff=0.0
    )
    with backend, pytest.raises(UnavailableError):
        backend.models()  # the listener hangs up instead of tunnelling
    assert len(proxy.received) == 1
    assert proxy.received[0].startswith(b"CONNECT api.elevenlabs.io:443 ")
    assert TEST_KEY.encode() not in proxy.received[0]
