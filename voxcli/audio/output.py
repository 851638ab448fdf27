"""Where results go: a file written through a temporary file and a rename, or stdout.

An interrupted or failed run never leaves a file that looks finished, and never replaces a file
the user did not ask to replace: the final rename is a hard link (which fails if the name exists)
unless overwriting was asked for. Standard output is spooled when the writer needs to seek (WAV
and FLAC headers, MP3 and Ogg encoders) and written through directly for raw streams; so is an
existing special file (``-o /dev/null``, a FIFO), which is written in place.
Paths the system refuses become one-line `InputError`s naming its reason.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from voxcli import tempfiles
from voxcli.errors import InputError, OutputExistsError, VoxError


class Existing(enum.Enum):
    """What to do when the output file already exists."""

    REFUSE = "refuse"
    """Fail with `OutputExistsError` (exit 4): the default."""
    SKIP = "skip"
    """Do nothing and succeed (`--no-overwrite/-n`)."""
    OVERWRITE = "overwrite"
    """Replace it (`--overwrite/-y`)."""


def _cannot_write(path: Path, exc: OSError) -> InputError:
    """The one-line error for an output path the system refuses (exc.strerror says why)."""
    reason = (exc.strerror or str(exc)).lower()
    return InputError(f"cannot write {path}: {reason}", hint="choose another -o")


def _write_failed(path: Path | None, exc: OSError) -> InputError:
    """The one-line error for a write that failed part-way (a full disk, a quota, an I/O error)."""
    name = "stdout" if path is None else str(path)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InputError(
            f"no space left on device while writing {name}",
            hint="free some space there or choose another -o (nothing partial was left behind)",
        )
    reason = (exc.strerror or str(exc)).lower()
    return InputError(f"cannot write {name}: {reason}", hint="check the disk, or choose another -o")


class _Guarded:
    """A binary file that remembers the first OSError its writes raised.

    NOTE: encoders writing through Python file objects (libsndfile's virtual I/O, used by
    soundfile) swallow the OSError and fail later with an unrelated error (soundfile asserts
    on the short write), so the cause is kept here and reported in its place.
    """

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._file.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise

    def __getattr__(self, name: str) -> object:
        return getattr(self._file, name)


def is_special(path: Path) -> bool:
    """True when `path` exists and is neither a regular file nor a folder (a device, a FIFO).

    Such outputs are written in place: they are not a user's file to protect or replace.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def should_skip(path: Path | None, existing: Existing) -> bool:
    """Check the output before any work: True to skip, `OutputExistsError` to refuse.

    Called before uploading anything, so a refusal costs nothing.
    """
    if path is None:
        return False
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:  # a file used as a folder, a name too long, ...
        raise _cannot_write(path, exc) from exc
    if stat.S_ISDIR(mode):
        raise InputError(f"{path} is a directory", hint="give a file name with -o")
    if not stat.S_ISREG(mode):
        return False  # /dev/null, /dev/stdout, a FIFO: written in place
    if existing is Existing.SKIP:
        return True
    if existing is Existing.REFUSE:
        raise OutputExistsError(
            f"{path} already exists",
            hint="pass --overwrite (-y) to replace it, --no-overwrite (-n) to skip, or choose -o",
        )
    return False


class Destination:
    """A binary output, committed only on success.

    ``path=None`` means standard output. Use as a context manager: `file` is where to write;
    call `commit()` when the result is complete. Leaving the block without `commit()` (an error,
    Ctrl-C) deletes the temporary file and writes nothing to stdout that was spooled.

    Standard output and an existing special file (``/dev/null``, a FIFO) are streams: written
    in place, directly when the writer does not need to seek (``seekable=False``), else
    through a spool copied at `commit()`. A regular file always gets a seekable temp file.
    """

    def __init__(self, path: Path | None, *, existing: Existing, seekable: bool = True) -> None:
        self.path = path
        self.existing = existing
        self._seekable = seekable
        self._tmp: Path | None = None
        self._file: BinaryIO | None = None
        self._stream: BinaryIO | None = None
        """Standard output or a special file: written in place."""
        self._committed = False
        self._guarded: _Guarded | None = None

    @property
    def file(self) -> BinaryIO:
        """The file to write the result into."""
        assert self._guarded is not None, "use Destination as a context manager"
        return self._guarded  # type: ignore[return-value] - a BinaryIO by delegation

    def __enter__(self) -> Self:
        if self.path is None:
            self._stream = sys.stdout.buffer
        elif is_special(self.path):
            try:
                self._stream = open(self.path, "wb")  # noqa: SIM115 - closed in commit/__exit__
            except OSError as exc:
                raise _cannot_write(self.path, exc) from exc
            if self._stream.isatty():  # e.g. -o /dev/stdout or -o /dev/tty in a terminal
                self._close_stream()
                raise InputError(
                    "refusing to write audio to a terminal",
                    hint="redirect stdout (> out.mp3) or pass -o FILE",
                )
        if self._stream is not None:
            if self._seekable:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in commit/__exit__
            else:
                self._file = self._stream
            self._guarded = _Guarded(self._file)
            return self
        assert self.path is not None  # a None path is stdout, a stream
        directory = self.path.parent
        try:
            fd, self._tmp = tempfiles.make(directory, self.path.name, ".part")
        except FileNotFoundError as exc:
            if directory.is_dir():  # e.g. /proc: the folder is there but takes no new files
                raise _cannot_write(self.path, exc) from exc
            raise InputError(
                f"cannot write {self.path}: the folder {directory} does not exist",
                hint="create the folder first or choose another -o",
            ) from exc
        except PermissionError as exc:
            raise InputError(
                f"cannot write into {directory}: permission denied", hint="choose another -o"
            ) from exc
        except OSError as exc:
            raise _cannot_write(self.path, exc) from exc
        self._file = os.fdopen(fd, "w+b")
        self._guarded = _Guarded(self._file)
        return self

    def commit(self) -> None:
        """Publish the result: rename the temp file into place, or copy the spool to the stream."""
        try:
            self._publish()
        except OSError as exc:
            raise _write_failed(self.path, exc) from exc

    def _publish(self) -> None:
        assert self._file is not None, "use Destination as a context manager"
        file = self._file
        if self._stream is not None:
            if file is not self._stream:
                file.seek(0)
                shutil.copyfileobj(file, self._stream)
                file.close()
            self._stream.flush()
            self._close_stream()
            self._committed = True
            return
        assert self._tmp is not None and self.path is not None
        file.flush()
        os.fsync(file.fileno())
        file.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self._tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        if self.existing is Existing.OVERWRITE:
            os.replace(self._tmp, self.path)
        else:
            try:
                os.link(self._tmp, self.path)  # fails if the name appeared meanwhile: no clobbering
            except FileExistsError as exc:
                raise OutputExistsError(
                    f"{self.path} appeared while converting; left it untouched",
                    hint="pass --overwrite (-y) to replace it",
                ) from exc
            except OSError:
                # Filesystems without hard links: check-then-rename is the best available.
                if self.path.exists():
                    raise OutputExistsError(f"{self.path} already exists") from None
                os.replace(self._tmp, self.path)
            else:
                self._tmp.unlink()
        tempfiles.forget(self._tmp)
        self._tmp = None
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._committed:
            return
        with contextlib.suppress(OSError):  # closing flushes: a full disk fails again here
            if self._file is not None and self._file is not self._stream:
                self._file.close()
            self._close_stream()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            tempfiles.forget(self._tmp)
        failed = self._guarded.error if self._guarded is not None else None
        if failed is not None and isinstance(exc, Exception) and not isinstance(exc, VoxError):
            raise _write_failed(self.path, failed) from exc

    def _close_stream(self) -> None:
        if self._stream is not None and self._stream is not sys.stdout.buffer:
            self._stream.close()
