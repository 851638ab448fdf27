"""The cache of converted sections, so an interrupted long conversion resumes where it stopped.

An entry is keyed by the SHA-256 of everything that determines the result: the exact bytes
uploaded, `ConvertRequest.cache_fields()` (voice, model, seed, settings, ...), the output format
actually requested, and the backend's name and identity (its base URL). Its value is the
response body plus a little metadata (format, request id, character cost).

Each entry is one file, ``<root>/<key[:2]>/<key>.section``: a header line, a JSON line, then the
body. It is written to a temporary file in the same folder and renamed into place, so readers
see a whole entry or none, and concurrent writers of the same key cannot mix their parts.
A damaged entry is treated as missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from voxcli import tempfiles
from voxcli.backends.base import ConvertRequest, Upload

_MAGIC = b"voxcli-section 1\n"
_SUFFIX = ".section"


@dataclass(frozen=True)
class CachedSection:
    """One cached response."""

    audio: bytes
    output_format: str
    request_id: str | None = None
    character_cost: int | None = None


def section_key(
    upload: Upload, request: ConvertRequest, *, output_format: str, backend: str, identity: str
) -> str:
    """The cache key for converting `upload` with `request` into `output_format`."""
    fields = request.cache_fields()
    fields["output_format"] = output_format
    described = {
        "request": fields,
        "backend": backend,
        "identity": identity,
        "file_format": upload.file_format,
        "content_type": upload.content_type,
    }
    digest = hashlib.sha256()
    digest.update(json.dumps(described, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(upload.data)
    return digest.hexdigest()


@dataclass(frozen=True)
class OpenEntry:
    """A cache entry opened for reading: its metadata, and `file` positioned at the audio."""

    file: BinaryIO
    output_format: str
    request_id: str | None
    character_cost: int | None
    size: int
    """Bytes of audio left in `file`."""


class SectionCache:
    """Finished sections on disk. `root` defaults to ``cache_dir() / "sections"``.

    The cache is an optimisation: when an entry cannot be stored (a full disk, a cache dir
    under a file), `warn` is told once and the cache stops storing for this run; the
    conversion goes on without it.
    """

    def __init__(self, root: Path | None = None, *, warn: Callable[[str], None] | None = None
                 ) -> None:  # fmt: skip
        if root is None:
            from voxcli.dirs import cache_dir

            root = cache_dir() / "sections"
        self.root = root
        self._warn = warn
        self._broken = False
        self._lock = threading.Lock()

    def path(self) -> Path:
        """The folder holding the entries (it may not exist yet)."""
        return self.root

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{_SUFFIX}"

    def get(self, key: str) -> CachedSection | None:
        """The entry for `key`, or None when there is none (or it is damaged)."""
        entry = self.open_entry(key)
        if entry is None:
            return None
        with entry.file:
            audio = entry.file.read()
        return CachedSection(audio, entry.output_format, entry.request_id, entry.character_cost)

    def open_entry(self, key: str) -> OpenEntry | None:
        """The entry for `key` opened for reading (the audio is not loaded), or None.

        The caller closes ``entry.file``. A concurrent writer replacing the entry does not
        disturb a reader: the old file stays readable until closed.
        """
        path = self._file(key)
        try:
            f = path.open("rb")
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # "recently used": `prune` removes the least recently used first
        try:
            if f.readline(len(_MAGIC)) == _MAGIC:
                meta: dict[str, Any] = json.loads(f.readline(65536))
                size = os.fstat(f.fileno()).st_size - f.tell()
                if size == meta["bytes"]:
                    return OpenEntry(f, meta["output_format"], meta.get("request_id"),
                                     meta.get("character_cost"), size)  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            pass
        f.close()
        return None

    def put(self, key: str, entry: CachedSection) -> None:
        """Store `entry` under `key` atomically (temporary file + rename); never raises OSError
        (see the class docstring)."""
        if self._broken:
            return
        try:
            self._put(key, entry)
        except OSError as exc:
            with self._lock:
                if self._broken:
                    return
                self._broken = True
            if self._warn is not None:
                reason = (exc.strerror or str(exc)).lower()
                self._warn(f"cannot store finished sections in {self.root} ({reason}); "
                           "converting without the cache: an interrupted run will convert "
                           "them again")  # fmt: skip

    def _put(self, key: str, entry: CachedSection) -> None:
        meta = {
            "bytes": len(entry.audio),
            "output_format": entry.output_format,
            "request_id": entry.request_id,
            "character_cost": entry.character_cost,
        }
        final = self._file(key)
        # Private like the rest of the cache: responses are the user's (converted) voice.
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        final.parent.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfiles.make(final.parent, key[:16], ".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + json.dumps(meta).encode() + b"\n")
                f.write(entry.audio)
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        finally:
            tempfiles.forget(tmp)

    def clear(self) -> tuple[int, int]:
        """Delete every entry (and stray temporary files); return ``(files, bytes)`` removed."""
        files = size = 0
        if not self.root.is_dir():
            return 0, 0
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_dir():
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            with contextlib.suppress(OSError):
                length = path.stat().st_size
                path.unlink()
                files, size = files + 1, size + length
        return files, size

    def prune(self, max_bytes: int) -> tuple[int, int]:
        """Delete the least recently used entries until the cache holds at most `max_bytes`.

        Returns ``(files, bytes)`` removed. Run after a successful conversion, so the entries
        an interrupted run needs are the newest and the last to go.
        """
        entries = []
        for path in self.root.glob(f"*/*{_SUFFIX}") if self.root.is_dir() else []:
            with contextlib.suppress(OSError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        files = removed = 0
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total - removed <= max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                files, removed = files + 1, removed + size
        return files, removed
