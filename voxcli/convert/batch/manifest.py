"""The batch manifest: one JSON line per event, appended atomically, read back on a rerun.

Like yt-dlp's ``--download-archive`` and GNU parallel's ``--joblog``, the manifest is what
makes a rerun cheap: a file whose output exists and was converted with the same settings from
the same input is skipped without reading its audio. Each line is one record::

    {"v": 1, "output": "talks/a.mp3", "input": "in/talks/a.wav", "size": 640044,
     "mtime_ns": ..., "sha256": "...", "settings": "<hash>", "status": "done",
     "duration": 20.0, "request_ids": [...], "credits": 334, "cached": 0, "error": null,
     "shard": "1/3", "at": "2026-12-06T03:00:00Z"}

``status`` is ``started`` (written before the first request), ``done``, ``failed`` (with
``error``: the exit status class, the kind, the message and the hint) or ``skipped`` (with a
``reason``). The latest record of an output wins. A line is written with one ``write(2)`` on a
file opened ``O_APPEND``, so concurrent writers (shards sharing a folder) never interleave
and a killed process leaves at most one incomplete last line, which readers ignore.

By default each shard writes its own file (``.voxcli-manifest.jsonl``, or
``.voxcli-manifest.K-of-N.jsonl`` with ``--shard K/N``), so CI artifacts from several machines
never collide; a rerun reads every ``.voxcli-manifest*.jsonl`` in OUT_DIR.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voxcli.errors import InputError

PREFIX = ".voxcli-manifest"
SUFFIX = ".jsonl"
VERSION = 1

Record = dict[str, Any]


def default_path(out_dir: Path, shard: str | None) -> Path:
    """Where a run writes its manifest (``K/N`` shards get their own file)."""
    tag = f".{shard.replace('/', '-of-')}" if shard else ""
    return out_dir / f"{PREFIX}{tag}{SUFFIX}"


def read_records(paths: Iterable[Path]) -> Iterator[Record]:
    """Every complete record in `paths`, file by file, in the order written.

    Missing files are skipped; an incomplete or damaged line (a writer killed mid-line) is
    ignored. An unreadable manifest is an `InputError`.
    """
    for path in paths:
        try:
            with path.open("rb") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputError(
                f"cannot read the manifest {path}: {(exc.strerror or str(exc)).lower()}",
                hint="check its permissions, or pass another --manifest",
            ) from exc
        for line in lines:
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and isinstance(record.get("output"), str):
                    yield record


def latest(records: Iterable[Record]) -> dict[str, Record]:
    """The last record of each output."""
    found: dict[str, Record] = {}
    for record in records:
        found[record["output"]] = record
    return found


def manifests_in(out_dir: Path) -> list[Path]:
    """The manifests a run in `out_dir` left (its own and other shards')."""
    if not out_dir.is_dir():
        return []
    return sorted(out_dir.glob(f"{PREFIX}*{SUFFIX}"))


class ManifestWriter:
    """Appends records to one manifest file; each `append` is one atomic line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(
                f"cannot write the manifest {path}: {(exc.strerror or str(exc)).lower()}",
                hint="choose another -o or --manifest",
            ) from exc

    def append(self, record: Mapping[str, Any]) -> None:
        """Write `record` as one line (with the format version and a UTC timestamp)."""
        if self._fd is None:
            return
        stamped = {"v": VERSION, **record, "at": _now()}
        line = json.dumps(stamped, separators=(",", ":"), ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode())

    def close(self) -> None:
        """Flush to disk and close (safe to call twice)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class InputIdentity:
    """What identifies an input's content: its size, modification time and SHA-256."""

    size: int
    mtime_ns: int
    sha256: str | None = None
    """Computed only when needed (see `same_input`)."""

    @classmethod
    def of(cls, path: Path, *, digest: bool = False) -> InputIdentity:
        stat = path.stat()
        return cls(stat.st_size, stat.st_mtime_ns, sha256_of(path) if digest else None)

    def fields(self) -> dict[str, Any]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256}


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's content, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def same_input(record: Mapping[str, Any], path: Path) -> bool:
    """True when `path` still holds the content `record` was made from.

    Size and modification time that match are trusted (as rsync and make do); a file that
    was only touched is recognised by its SHA-256.
    """
    try:
        now = InputIdentity.of(path)
    except OSError:
        return False
    if record.get("size") != now.size:
        return False
    if record.get("mtime_ns") == now.mtime_ns:
        return True
    return record.get("sha256") is not None and record.get("sha256") == sha256_of(path)
