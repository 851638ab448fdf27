"""`voxcli.server.multipart`: forms as real clients (httpx) encode them, and malformed bodies."""

from __future__ import annotations

import httpx
import pytest

from voxcli.server.multipart import MultipartError, is_multipart, parse_multipart


def encode(**kwargs: object) -> tuple[bytes, str]:
    """The body and Content-Type httpx sends for `data=`/`files=`."""
    request = httpx.Request("POST", "http://127.0.0.1/", **kwargs)  # type: ignore[arg-type]
    return request.read(), request.headers["content-type"]


def test_text_fields_and_file_parts() -> None:
    body, ctype = encode(
        data={"model_id": "m", "seed": "42", "voice_settings": '{"stability": 0.5}'},
        files={"audio": ("take 1.wav", b"RIFF\x00\x01binary\r\n--", "audio/wav")},
    )
    form = parse_multipart(body, ctype)
    assert form.fields == {"model_id": "m", "seed": "42", "voice_settings": '{"stability": 0.5}'}
    audio = form.file("audio")
    assert audio is not None
    assert (audio.filename, audio.content_type) == ("take 1.wav", "audio/wav")
    assert audio.data == b"RIFF\x00\x01binary\r\n--"


def test_repeated_file_parts_keep_their_order() -> None:
    files = [("files", (f"s{i}.mp3", bytes([i]) * 10, "audio/mpeg")) for i in range(3)]
    form = parse_multipart(*encode(data={"name": "Me", "labels": "null"}, files=files))
    assert [p.filename for p in form.files_named("files")] == ["s0.mp3", "s1.mp3", "s2.mp3"]
    assert [p.data[:1] for p in form.files_named("files")] == [b"\x00", b"\x01", b"\x02"]
    assert form.fields["labels"] == "null"
    assert form.file("audio") is None


def test_file_first_then_fields_and_default_content_type() -> None:
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="audio"; filename="upload"\r\n\r\n'
        "DATA\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="seed"\r\n\r\n'
        "7\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    form = parse_multipart(body, f"multipart/form-data; boundary={boundary}")
    assert form.fields == {"seed": "7"}
    audio = form.file("audio")
    assert audio is not None and audio.data == b"DATA"
    assert audio.content_type == "application/octet-stream"


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"not a multipart body", "multipart/form-data; boundary=xyz"),
        (
            b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello',
            "multipart/form-data; boundary=xyz",
        ),
        (
            b"--xyz\r\nContent-Type: text/plain\r\n\r\nnameless\r\n--xyz--\r\n",
            "multipart/form-data; boundary=xyz",
        ),
        (b"", "multipart/form-data; boundary=xyz"),
        (b"--xyz--\r\n", "multipart/form-data"),
    ],
    ids=["garbage", "truncated", "part-without-name", "empty", "no-boundary"],
)
def test_malformed_bodies_raise_multipart_error(body: bytes, ctype: str) -> None:
    with pytest.raises(MultipartError):
        parse_multipart(body, ctype)


def test_is_multipart() -> None:
    assert is_multipart("multipart/form-data; boundary=x")
    assert is_multipart("Multipart/Form-Data; boundary=x")
    assert not is_multipart("application/x-www-form-urlencoded")
    assert not is_multipart(None)
