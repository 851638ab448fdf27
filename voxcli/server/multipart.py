"""Parsing `multipart/form-data` request bodies with python-multipart.

The API's endpoints take their fields as form parts in any order (reference §8.2). A part with a
``filename`` parameter is a file (as Starlette decides); every other part is a text field. The
whole body is already in memory (uploads are under 50 MB), so the streaming parser is fed once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

# NOTE: python-multipart logs every parse problem as a warning on its own logger; the error also
# comes back to us as an exception, so its log lines would only be noise on the server's stderr.
_quiet = logging.getLogger("voxcli.server.multipart")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


class MultipartError(ValueError):
    """The body is not well-formed `multipart/form-data`."""


@dataclass(frozen=True)
class FilePart:
    """One file part of a form."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Form:
    """A parsed form: text fields (the last value of a repeated name wins) and file parts."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)

    def file(self, name: str) -> FilePart | None:
        """The first file part called `name`, if any."""
        return next((part for part in self.files if part.name == name), None)

    def files_named(self, name: str) -> list[FilePart]:
        """Every file part called `name`, in body order (e.g. repeated ``files`` samples)."""
        return [part for part in self.files if part.name == name]


def is_multipart(content_type: str | None) -> bool:
    """True when a ``Content-Type`` header announces a multipart form."""
    ctype, _ = parse_options_header(content_type or "")
    return ctype == b"multipart/form-data"


class _Collector:
    """Receives python-multipart's callbacks and assembles whole parts."""

    def __init__(self) -> None:
        self.form = Form()
        self.ended = False
        self._headers: dict[str, str] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._data = bytearray()

    def callbacks(self) -> dict[str, object]:
        """The callback table `MultipartParser` takes."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_part_data": lambda d, s, e: self._data.extend(d[s:e]),
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._data = bytearray()

    def _header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        self._headers[name] = self._value.decode("latin-1").strip()
        self._field.clear()
        self._value.clear()

    def _part_end(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        raw_name = options.get(b"name")
        if raw_name is None:
            raise MultipartError("a form part has no name in its Content-Disposition header")
        name = raw_name.decode("utf-8", "replace")
        if b"filename" in options:
            ctype = self._headers.get("content-type") or "application/octet-stream"
            filename = options[b"filename"].decode("utf-8", "replace")
            self.form.files.append(FilePart(name, filename, ctype, bytes(self._data)))
        else:
            self.form.fields[name] = self._data.decode("utf-8", "replace")

    def _end(self) -> None:
        self.ended = True


def parse_multipart(body: bytes, content_type: str) -> Form:
    """Parse a whole `multipart/form-data` body; raise `MultipartError` if it is malformed."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("the multipart Content-Type has no boundary")
    collector = _Collector()
    try:
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
        parser.logger = _quiet
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise MultipartError(f"malformed multipart body: {exc}") from exc
    if not collector.ended:
        raise MultipartError("the multipart body ends before its closing boundary")
    return collector.form
