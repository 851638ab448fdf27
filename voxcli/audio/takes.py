"""Where the takes of one `voxcli record` run live on disk, until one is kept.

The first take is written straight to the target when the target does not exist, so a take
that is killed is where the user asked for it. Every other take (a redo, or any take while the
target holds a file that may only be replaced on keeping) goes to a visible sibling,
``<stem>.take-XXXXXXXX.wav``. Takes form a stack: "redo" pushes a new one, "discard" drops the
newest and returns to the one before, "keep" moves the newest onto the target and deletes the
others. So a redo never loses the previous take until a new one is kept, and the existing
target is replaced only when a take is kept (and only with ``--overwrite``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from voxcli.errors import InputError, OutputExistsError


def check_target(target: Path, *, overwrite: bool) -> None:
    """Refuse a target that cannot hold a WAV take, or that exists without `overwrite`."""
    if target.suffix.lower() != ".wav":
        raise InputError(
            f"record writes WAV files, not {target.suffix or 'files without an extension'}",
            hint=f"use -o {target.with_suffix('.wav').name} (convert it afterwards if needed)",
        )
    if target.is_dir():
        raise InputError(f"{target} is a directory", hint="give a file name: -o take.wav")
    if not target.parent.is_dir():
        raise InputError(
            f"the folder {target.parent} does not exist",
            hint="create it first, or choose another -o",
        )
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{target} exists", hint="pass --overwrite (-y) to replace it, or choose another -o"
        )


class Takes:
    """The stack of takes for one target file."""

    def __init__(self, target: Path, *, overwrite: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        self._stack: list[Path] = []

    @property
    def current(self) -> Path | None:
        """The newest take not discarded, if any."""
        return self._stack[-1] if self._stack else None

    @property
    def count(self) -> int:
        return len(self._stack)

    def new(self) -> tuple[Path, BinaryIO]:
        """Create the file for a new take and return its path and open binary file."""
        if not self._stack and not self.target.exists():
            try:
                file = open(self.target, "xb")  # noqa: SIM115 - the recording owns and closes it
            except FileExistsError:
                raise OutputExistsError(
                    f"{self.target} appeared while starting", hint="choose another -o"
                ) from None
            except OSError as exc:
                raise InputError(f"cannot create {self.target}: {exc.strerror}") from exc
            path = self.target
        else:
            fd, name = tempfile.mkstemp(
                prefix=f"{self.target.stem}.take-", suffix=".wav", dir=self.target.parent
            )
            file = os.fdopen(fd, "w+b")
            path = Path(name)
        self._stack.append(path)
        return path, file

    def keep(self) -> Path:
        """Move the newest take onto the target and delete the other takes."""
        assert self._stack, "no take to keep"
        newest = self._stack.pop()
        if newest != self.target:
            os.replace(newest, self.target)
        for older in self._stack:
            if older != self.target:
                older.unlink(missing_ok=True)
        self._stack = []
        return self.target

    def discard(self) -> Path | None:
        """Delete the newest take; return the take before it (now current), if any."""
        assert self._stack, "no take to discard"
        self._stack.pop().unlink(missing_ok=True)
        return self.current

    def left_behind(self) -> list[Path]:
        """The takes still on disk, oldest first (for a run that ends without keeping)."""
        return list(self._stack)
