"""HTTP/1.1 framing for the API server: bodies in, replies out, on stdlib `http.server`.

The handler reads every request body completely before answering (so keep-alive connections stay
in step even after an error), turns the request into a `Call`, lets `routes.dispatch` answer it,
and writes the reply with ``Content-Length`` or as chunks. Nothing a client sends can crash the
server: malformed framing gets a JSON 400/413, bugs in a backend a 500, and a client that goes
away mid-answer only ends its own connection.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from voxcli.server.exchange import Call, Headers, Reply, StreamReply
from voxcli.server.multipart import MultipartError, is_multipart, parse_multipart
from voxcli.server.routes import dispatch

if TYPE_CHECKING:
    from voxcli.server.app import ApiServer, RecordedRequest

#: Uploads are under 50 MB (reference §7); the rest is headroom for the form's other parts.
MAX_BODY_BYTES = 64 * 1024 * 1024


class BodyError(Exception):
    """The request's framing is unusable; the connection is closed after answering."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ApiHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests (keep-alive) for an `ApiServer`."""

    protocol_version = "HTTP/1.1"
    # NOTE: the stdlib answers an unparsable request line as HTTP/0.9 (a bare body, no status
    # line), which no current client can read; such errors get an HTTP/1.1 status line instead.
    default_request_version = "HTTP/1.1"
    server_version = "voxcli"
    sys_version = ""
    timeout = 120.0  # idle keep-alive connections are closed after this many seconds
    # Headers and body go out in separate writes; with Nagle's algorithm the body of a small
    # answer then waits for the client's delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    server: ApiHTTPServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    # -- reading -------------------------------------------------------------------------------

    def _read_exact(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) != size:
            raise BodyError(400, "The request body ended early")
        return data

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BodyError(400, "Malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # skip trailers
                return bytes(body)
            if len(body) + size > MAX_BODY_BYTES:
                raise BodyError(413, "Request body too large")
            body += self._read_exact(size)
            self.rfile.readline(3)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
            if size < 0:
                raise ValueError(length)
        except ValueError:
            raise BodyError(400, "Invalid Content-Length header") from None
        if size > MAX_BODY_BYTES:
            raise BodyError(413, "Request body too large")
        return self._read_exact(size)

    def _call(self, body: bytes) -> Call:
        split = urlsplit(self.path)
        lists = parse_qs(split.query, keep_blank_values=True)
        content_type = self.headers.get("Content-Type")
        form, form_error = None, None
        if is_multipart(content_type):
            try:
                form = parse_multipart(body, content_type or "")
            except MultipartError as exc:
                form_error = str(exc)
        return Call(
            self.command,
            split.path or "/",
            {k: v[-1] for k, v in lists.items()},
            lists,
            Headers(self.headers.items()),
            form,
            form_error,
        )

    # -- answering -----------------------------------------------------------------------------

    def _handle(self) -> None:
        api = self.server.api
        started = time.monotonic()
        try:
            body = self._read_body()
        except BodyError as exc:
            self.close_connection = True
            self._send(Reply.json({"detail": exc.message}, exc.status), None)
            return
        call = self._call(body)
        record = api.record(call, started)
        try:
            reply = dispatch(api, call)
        except Exception:  # a bug (ours or a backend's): answer like the service, keep serving
            api.log(f"error answering {self.command} {call.path}:\n{traceback.format_exc()}")
            reply = Reply.json(
                {"status": "internal_server_error", "message": "Internal Server error."}, 500
            )
        status = reply.status if isinstance(reply, Reply) else 200
        try:
            if isinstance(reply, StreamReply):
                self._send_stream(reply, record)
            else:
                self._send(reply, record)
        except OSError:  # the client went away; only this connection ends
            self.close_connection = True
        finally:
            elapsed = (time.monotonic() - started) * 1000
            api.log(
                f'{self.client_address[0]} "{self.command} {self.path}" {status} {elapsed:.0f} ms'
            )

    def _start(self, status: int, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)

    def _send(self, reply: Reply, record: RecordedRequest | None) -> None:
        if record is not None:
            record.status = reply.status
        self._start(reply.status, reply.content_type, reply.headers)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if record is not None:
            record.ended = time.monotonic()
        if self.command == "HEAD":
            pass
        elif reply.cut_after_bytes is not None:
            self.wfile.write(reply.body[: reply.cut_after_bytes])
            self.close_connection = True  # test fault: the rest never comes
            return
        else:
            self.wfile.write(reply.body)
        if record is not None:
            record.completed = time.monotonic()

    def _send_stream(self, reply: StreamReply, record: RecordedRequest | None) -> None:
        try:
            if record is not None:
                record.status = 200
            self._start(200, reply.content_type, reply.headers)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            chunks = iter(reply.chunks)
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except Exception as exc:  # the backend failed mid-answer: the status is sent
                    self.server.api.log(f"stream failed after {sent} chunks: {exc!r}")
                    self.close_connection = True
                    return
                if reply.cut_after is not None and sent >= reply.cut_after:
                    self.close_connection = True  # test fault: no terminating chunk
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += 1
            if record is not None:
                record.ended = time.monotonic()
            self.wfile.write(b"0\r\n\r\n")
            if record is not None:
                record.completed = time.monotonic()
        finally:
            reply.close()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Framing errors (bad request line, huge headers, ...) as JSON, then close."""
        self.close_connection = True
        body = Reply.json({"detail": message or HTTPStatus(code).phrase}, code).body
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # `_handle` logs each request once it is answered

    def log_message(self, format: str, *args: Any) -> None:
        self.server.api.log(format % args)


class ApiHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its `ApiServer` and can drop its open connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: ApiServer, family: socket.AddressFamily):
        self.address_family = family
        self.api = api
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, ApiHandler)

    def server_bind(self) -> None:
        # NOTE: HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can
        # stall for seconds on machines without DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection (idle keep-alive ones included), e.g. at shutdown."""
        with self._open_lock:
            open_now = list(self._open)
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.api.log(f"error on the connection from {client_address[0]}:\n{traceback.format_exc()}")
