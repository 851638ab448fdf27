"""`ApiServer` as a server: auth, framing, keep-alive, robustness, knobs and shutdown."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import TEST_KEY, VOICE_ID, flac_bytes, tone
from tests.support.transform_backend import TransformBackend
from voxcli.backends.base import ConvertRequest, ConvertResult, Upload
from voxcli.errors import ConfigError
from voxcli.server import ApiServer
from voxcli.server.errors import Shape

CONVERT = f"/v1/voice-changer/{VOICE_ID}"


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(TransformBackend(), api_key=TEST_KEY) as server:
        yield server


def audio_files() -> dict[str, tuple[str, bytes, str]]:
    return {"audio": ("a.flac", flac_bytes(tone(0.2)), "audio/flac")}


def raw_exchange(server: ApiServer, payload: bytes) -> bytes:
    """Send `payload` on a fresh socket and read until the server closes it."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "needs_authorization"),
        ({"xi-api-key": "wrong"}, "invalid_api_key"),
        ({"authorization": f"Bearer {TEST_KEY}"}, "invalid_authorization_header"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/voices"),
        ("GET", "/v2/voices"),
        ("GET", f"/v1/voices/{VOICE_ID}"),
        ("GET", "/v1/models"),
        ("GET", "/v1/user/subscription"),
        ("POST", CONVERT),
        ("POST", CONVERT + "/stream"),
        ("DELETE", f"/v1/voices/{VOICE_ID}"),
    ],
)
def test_a_missing_or_wrong_key_is_401(
    server: ApiServer, headers: dict[str, str], code: str, method: str, path: str
) -> None:
    files = audio_files() if method == "POST" else None
    response = httpx.request(method, server.url + path, headers=headers, files=files)
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == code
    assert TEST_KEY not in response.text


def test_the_right_key_is_accepted_and_recorded(server: ApiServer) -> None:
    response = httpx.get(server.url + "/v1/models", headers={"xi-api-key": TEST_KEY})
    assert response.status_code == 200
    assert server.requests[-1].headers["XI-API-KEY"] == TEST_KEY  # case-insensitive


def test_default_settings_need_no_key(server: ApiServer) -> None:
    # The spec declares no xi-api-key on this one endpoint (reference §3.6).
    assert httpx.get(server.url + "/v1/voices/settings/default").status_code == 200


def test_validation_comes_before_auth(server: ApiServer) -> None:
    # Reference §4: the live service answers 422 before it checks the key.
    assert httpx.post(server.url + CONVERT, files={"x": b""}).status_code == 422


# -- framing ---------------------------------------------------------------------------------


def test_unknown_paths_are_404_and_wrong_methods_405(server: ApiServer) -> None:
    missing = httpx.get(server.url + "/v3/nothing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = httpx.put(server.url + "/v1/models", headers={"xi-api-key": TEST_KEY})
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})
    assert wrong.headers["allow"] == "GET"


def test_malformed_multipart_is_400(server: ApiServer) -> None:
    response = httpx.post(
        server.url + CONVERT,
        content=b"--zz\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=zz", "xi-api-key": TEST_KEY},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "There was an error parsing the body"}
    assert server.requests[-1].form_error is not None


def test_keep_alive_survives_errors(server: ApiServer) -> None:
    transport_events: list[str] = []

    def count_connections(event_name: str, info: dict[str, object]) -> None:
        if event_name == "connection.connect_tcp.complete":
            transport_events.append(event_name)

    with httpx.Client(base_url=server.url, headers={"xi-api-key": TEST_KEY}) as client:
        for _ in range(2):
            assert client.post(CONVERT, files={"x": b""}).status_code == 422
            assert client.get("/nope").status_code == 404
            assert client.post(CONVERT, files=audio_files()).status_code == 200
            with client.stream("POST", CONVERT + "/stream", files=audio_files()) as stream:
                stream.read()
            assert client.get("/v1/models", extensions={"trace": count_connections}).is_success
    assert len(server.requests) == 10
    assert transport_events == []  # every request after the first reused the connection


def test_two_requests_on_one_socket(server: ApiServer) -> None:
    request = b"GET /v1/voices/settings/default HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /v1/voices/settings/default HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    received = raw_exchange(server, request + last)
    assert received.count(b"HTTP/1.1 200 OK") == 2


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", b"400"),
        (b"POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n", b"413"),
        (
            b"POST /v1/models HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"400",
        ),
        (b"POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort", b"400"),
    ],
    ids=["request-line", "content-length", "too-large", "bad-chunk", "short-body"],
)
def test_broken_framing_gets_a_json_error_and_the_server_lives_on(
    server: ApiServer, payload: bytes, status: bytes
) -> None:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        if payload.endswith(b"short"):
            sock.shutdown(socket.SHUT_WR)  # the body ends early
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 " + status)
    assert b"application/json" in received
    assert httpx.get(server.url + "/v1/voices/settings/default").status_code == 200


def test_chunked_request_bodies_are_read(server: ApiServer) -> None:
    files = audio_files()
    request = httpx.Request("POST", "http://x/", files=files)
    body = request.read()
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 999]), body[i : i + 999])
            for i in range(0, len(body), 999)
        )
        + b"0\r\n\r\n"
    )
    head = (
        f"POST {CONVERT} HTTP/1.1\r\nHost: x\r\nxi-api-key: {TEST_KEY}\r\n"
        f"Content-Type: {request.headers['content-type']}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    assert raw_exchange(server, head.encode() + chunked).startswith(b"HTTP/1.1 200")
    assert server.requests[-1].audio == files["audio"][1]


class ExplodingBackend(TransformBackend):
    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        raise RuntimeError("bug in a backend")


def test_a_backend_bug_is_a_500_and_the_server_keeps_serving() -> None:
    lines: list[str] = []
    with ApiServer(ExplodingBackend(), log=lines.append) as server:
        response = httpx.post(server.url + CONVERT, files=audio_files())
        assert response.status_code == 500
        assert response.json()["status"] == "internal_server_error"
        assert httpx.get(server.url + "/v1/models").status_code == 200
    assert any("RuntimeError: bug in a backend" in line for line in lines)
    assert any('"GET /v1/models" 200' in line for line in lines)


def test_the_access_log_never_shows_the_key(server: ApiServer) -> None:
    lines: list[str] = []
    with ApiServer(TransformBackend(), api_key=TEST_KEY, log=lines.append) as logged:
        httpx.get(logged.url + "/v1/models", headers={"xi-api-key": TEST_KEY})
        httpx.get(logged.url + "/v1/models", headers={"xi-api-key": "wrong-" + TEST_KEY})
    assert len(lines) == 2
    assert not any(TEST_KEY in line for line in lines)


# -- knobs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (
            "current",
            {
                "detail": {
                    "type": "internal_error",
                    "code": "something_went_wrong",
                    "message": "boom",
                    "status": "something_went_wrong",
                }
            },
        ),
        ("legacy", {"detail": {"status": "something_went_wrong", "message": "boom"}}),
        ("bare", {"status": "something_went_wrong", "message": "boom"}),
        ("detail", {"detail": "boom"}),
    ],
)
def test_fail_next_shapes(server: ApiServer, shape: Shape, expected: dict[str, object]) -> None:
    server.fail_next(
        500, "something_went_wrong", shape=shape, message="boom", headers={"retry-after": "3"}
    )
    response = httpx.get(server.url + "/v1/models", headers={"xi-api-key": TEST_KEY})
    assert response.status_code == 500
    body = response.json()
    if shape == "current":
        assert body["detail"].pop("request_id") == response.headers["x-trace-id"]
    assert body == expected
    assert response.headers["retry-after"] == "3"
    assert httpx.get(server.url + "/v1/models", headers={"xi-api-key": TEST_KEY}).is_success


def test_fail_next_validation_and_text_shapes_times_and_path(server: ApiServer) -> None:
    server.fail_next(422, shape="validation", path="/v1/voice-changer")
    server.fail_next(502, shape="text", times=2)
    first = httpx.get(server.url + "/v1/models")  # not a conversion path: the 502 applies
    assert (first.status_code, first.headers["content-type"]) == (502, "text/html; charset=utf-8")
    converted = httpx.post(server.url + CONVERT, files=audio_files())
    assert converted.status_code == 422
    assert converted.json()["detail"][0]["loc"] == ["body", "audio"]
    assert httpx.get(server.url + "/v1/models").status_code == 502
    assert httpx.get(server.url + "/v1/models").status_code == 401  # faults used up


class BlockingBackend(TransformBackend):
    """Holds every conversion until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        self.entered.release()
        self.release.wait(timeout=30)
        return super().convert(upload, request)


def test_max_concurrent_refuses_the_extra_conversion_with_429() -> None:
    backend = BlockingBackend()
    with ApiServer(backend) as server:
        server.max_concurrent = 1
        first: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: first.append(httpx.post(server.url + CONVERT, files=audio_files()))
        )
        worker.start()
        assert backend.entered.acquire(timeout=30)  # the first conversion is in flight
        second = httpx.post(server.url + CONVERT, files=audio_files())
        backend.release.set()
        worker.join()
    assert second.status_code == 429
    assert second.json()["detail"]["code"] == "concurrent_limit_exceeded"
    assert second.json()["detail"]["status"] == "too_many_concurrent_requests"
    assert second.headers["maximum-concurrent-requests"] == "1"
    assert second.headers["current-concurrent-requests"] == "1"
    assert first[0].status_code == 200


def test_latency_is_added_before_answering() -> None:
    with ApiServer(TransformBackend()) as server:
        server.latency_seconds = 0.3
        response = httpx.post(server.url + CONVERT, files=audio_files())
    record = server.requests[0]
    assert response.status_code == 200
    assert record.ended is not None and record.ended - record.started >= 0.3


def test_cut_next_stream_drops_the_connection_mid_body(server: ApiServer) -> None:
    server.cut_next_stream(after_chunks=1)
    headers = {"xi-api-key": TEST_KEY}
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            server.url + CONVERT + "/stream",
            headers=headers,
            files={"audio": ("a.flac", flac_bytes(tone(1.0)), "audio/flac")},
            params={"output_format": "pcm_16000"},
        ) as response,
    ):
        assert response.status_code == 200
        response.read()
    assert server.gate.in_flight == 0


# -- lifecycle -------------------------------------------------------------------------------


def test_close_ends_idle_keep_alive_connections_and_frees_the_port() -> None:
    server = ApiServer(TransformBackend())
    with server, httpx.Client(base_url=server.url) as client:
        assert client.get("/v1/models").is_success  # leaves an idle pooled connection
        port = int(server.url.rsplit(":", 1)[1])
    with ApiServer(TransformBackend(), port=port) as again:  # the port is free again
        assert httpx.get(again.url + "/v1/models").is_success
    server.close()  # a second close is harmless


def test_a_busy_port_is_a_config_error(server: ApiServer) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(ConfigError, match="cannot listen on 127.0.0.1") as info:
        ApiServer(TransformBackend(), port=port)
    assert info.value.hint and "--port" in info.value.hint


def test_serve_forever_returns_when_closed_from_another_thread() -> None:
    server = ApiServer(TransformBackend())
    worker = threading.Thread(target=server.serve_forever)
    worker.start()
    assert httpx.get(server.url + "/v1/models", timeout=10).is_success
    server.close()
    worker.join(timeout=10)
    assert not worker.is_alive()


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = ApiServer(TransformBackend(), host="::1")
    except ConfigError:
        pytest.skip("::1 is not configured on this machine")
    with server:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(server.url + "/v1/models").is_success
