"""voxcli's temporary files: named so nothing mistakes them for results, removable at any time.

Every temporary file voxcli writes next to a result (an output being written, a cache entry
being stored) is made here: hidden (a leading ``.``), with the writing process's id and a
``.part`` or ``.tmp`` suffix, e.g. ``.talk.mp3.voxcli-4242-k3j2.part``. That gives two ways
to clean up:

- `abandon_all`: the process is stopping (SIGINT, SIGTERM) while other threads may still be
  writing; it removes every temporary file it registered and refuses new ones (`Abandoned`),
  so none can appear afterwards;
- `remove_stale`: after a process was killed (SIGKILL), its files remain; a later run removes
  those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from pathlib import Path

_MARK = "voxcli-"
_STALE = re.compile(rf"^\..*\.{_MARK}(\d+)-[^./]*\.(part|tmp)$")

_lock = threading.Lock()
_open: set[Path] = set()
_abandoned = False


class Abandoned(BaseException):
    """The process is stopping: no new temporary file may be made (raised in other threads)."""


def make(directory: Path, name: str, suffix: str) -> tuple[int, Path]:
    """Create a temporary file for `name` in `directory`: ``(fd, path)``, opened for writing.

    `suffix` is ``.part`` (an output) or ``.tmp`` (a cache entry). OSErrors propagate.
    """
    # The name adds ~25 bytes: shorten it so any name the system takes works.
    prefix = f".{name[:100]}.{_MARK}{os.getpid()}-"
    with _lock:
        if _abandoned:
            raise Abandoned
        fd, made = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
        path = Path(made)
        _open.add(path)
    return fd, path


def forget(path: Path) -> None:
    """`path` was renamed into place or removed: it is no longer ours to clean up."""
    with _lock:
        _open.discard(path)


def abandon_all() -> int:
    """Remove every temporary file this process still has and refuse new ones; return how many."""
    global _abandoned
    with _lock:
        _abandoned = True
        removed = 0
        for path in _open:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        _open.clear()
    return removed


def remove_stale(folder: Path, *, recursive: bool = True) -> int:
    """Remove temporary files left in `folder` by voxcli processes that no longer run."""
    removed = 0
    if not folder.is_dir():
        return 0
    walker = os.walk(folder) if recursive else [(str(folder), [], os.listdir(folder))]
    for root, _, files in walker:
        for name in files:
            match = _STALE.match(name)
            if match and not _alive(int(match[1])):
                with contextlib.suppress(OSError):
                    (Path(root) / name).unlink()
                    removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
