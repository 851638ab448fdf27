"""The worker side of the long-audio runner: one section from disk to converted audio.

`SectionWorker.work` runs on a pool thread for each section: it reads the section's upload
span from disk (never the whole input) and encodes it losslessly, looks the result up in the
section cache, and otherwise asks the backend, holding one of its request slots (as many as
`Backend.concurrency_limit` says at that moment: ``--jobs N``, or what the account allows). Whatever
comes back is handed to the main thread through a queue, in order: the format name, the body
(streamed chunks, or one file: a cache entry or a spool, so sections finished ahead of their
turn wait on disk rather than in memory), then `Done` -- or the exception that stopped it.

The tier fallback lives here too: the first 403 ``subscription_required`` switches every later
request to `voxcli.audio.formats.fallback_for`'s format, once, with a notice.
"""

from __future__ import annotations

import gc
import json
import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from voxcli.audio import io
from voxcli.audio.formats import OutputPlan, fallback_for
from voxcli.audio.plan import Section
from voxcli.backends.base import Backend, ConvertRequest, Upload
from voxcli.backends.concurrency import MAX_JOBS
from voxcli.convert.cache import CachedSection, SectionCache, section_key
from voxcli.errors import TierError

#: Input read per disk access while encoding an upload.
PIECE_SECONDS = 10.0


def backend_identity(backend: Backend, request: ConvertRequest) -> str:
    """What, besides the request, decides a backend's answer: its name, where it lives, and
    its own settings for this request (`Backend.cache_identity`, e.g. the local engine's
    strength and voice profile)."""
    place = f"{backend.name} {getattr(backend, 'base_url', '')}".strip()
    extra = backend.cache_identity(request)
    return f"{place} {json.dumps(extra, sort_keys=True)}" if extra else place


def read_upload(source: Path, section: Section, rate: int, *, input_pcm: bool) -> Upload:
    """Read `section`'s upload span from disk and encode it losslessly for the request.

    `rate` is the file's (and the plan's) sample rate. The upload is 16-bit mono FLAC, read
    `PIECE_SECONDS` at a time, or raw 16 kHz PCM with `input_pcm`.
    """
    duration = section.upload_frames / rate
    if input_pcm:
        data = io.read_pcm16k(source, section.upload_start, section.upload_end)
        return Upload(data, "section.pcm", "application/octet-stream", duration, "pcm_s16le_16")
    buffer = BytesIO()
    step = int(PIECE_SECONDS * rate)
    with io.open_writer(buffer, rate, "flac") as writer:
        for start in range(section.upload_start, section.upload_end, step):
            samples, _ = io.read(source, start, min(start + step, section.upload_end))
            # Quantise exactly as PCM is decoded, so 16-bit input goes up bit for bit.
            writer.write(np.frombuffer(io.to_pcm16(samples), dtype="<i2"))
    return Upload(buffer.getvalue(), "section.flac", "audio/flac", duration)


def section_limit(backend: Backend) -> int:
    """Requests one long conversion keeps in flight now: the backend's limit, at most 64."""
    return max(1, min(backend.concurrency_limit, MAX_JOBS))


class Stopped(Exception):
    """The run was abandoned before this section's request started."""


@dataclass
class Done:
    """The last item of a section's answer: its metadata."""

    request_id: str | None
    character_cost: int | None
    cached: bool


class OrderedSlots:
    """At most `limit()` requests at once, started in section order.

    Uploads are prepared ahead by several threads, which finish in any order; admitting them by
    section index keeps the head of the plan first, so output (and `--play`) starts as early as
    it can and finished sections never wait long for an earlier one. A section that needs no
    request (cached, failed, abandoned) passes its turn. `limit` is asked again on every
    release, turn and (as it may also rise between them) every `RECHECK_SECONDS`.
    """

    RECHECK_SECONDS = 0.2

    def __init__(self, limit: Callable[[], int], stop: threading.Event) -> None:
        self._limit = limit
        self._stop = stop
        self._held = 0
        self._next = 0
        self._passed: set[int] = set()
        self._cond = threading.Condition()

    def acquire(self, turn: int) -> None:
        """Wait for turn `turn` and a free slot; raise `Stopped` if the run is abandoned."""
        with self._cond:
            while not (self._stop.is_set() or (self._next == turn and self._held < self._limit())):
                self._cond.wait(self.RECHECK_SECONDS)
            if self._stop.is_set():
                raise Stopped
            self._held += 1
            self._advance()

    @property
    def held(self) -> int:
        """How many requests hold a slot right now (are in flight)."""
        with self._cond:
            return self._held

    def release(self) -> None:
        with self._cond:
            self._held -= 1
            self._cond.notify_all()

    def pass_turn(self, turn: int) -> None:
        """Turn `turn` needs no slot (or already had one): let the later ones go."""
        with self._cond:
            if turn >= self._next:
                self._passed.add(turn)
                while self._next in self._passed:
                    self._passed.discard(self._next)
                    self._next += 1
            self._cond.notify_all()

    def wake(self) -> None:
        """Wake every waiter (after the stop event was set)."""
        with self._cond:
            self._cond.notify_all()

    def _advance(self) -> None:
        self._next += 1
        while self._next in self._passed:
            self._passed.discard(self._next)
            self._next += 1
        self._cond.notify_all()


class SectionWorker:
    """What the pool threads of one `convert_long` call share; `work` converts one section."""

    def __init__(self, source: Path, input_rate: int, backend: Backend, request: ConvertRequest,
                 output: OutputPlan, rate: int, *, input_pcm: bool, stream: bool,
                 cache: SectionCache | None,
                 activity: Callable[[int, str | None, float | None], None] | None = None,
                 ) -> None:  # fmt: skip
        self.source, self.input_rate = source, input_rate
        self.activity = activity
        """What each section's request is doing (`Reporter.activity`, by section index)."""
        self.backend, self.request = backend, request
        self.identity = backend_identity(backend, request)  # once: it may hash a voice profile
        self.input_pcm, self.stream, self.cache = input_pcm, stream, cache
        self.format = f"pcm_{rate}"
        # A PCM rate the user pinned with -f fails like a single request would; voxcli's own
        # choice of PCM (for mp3, opus, ... outputs) may fall back, once.
        self.fallback = fallback_for(self.format, output, streaming=stream)
        self.fell_back = False
        self._notices: list[str] = []
        self.stop = threading.Event()
        """Set when the run failed: start no more requests."""
        self.abandon = threading.Event()
        """Set when the user interrupted: stop waiting for requests in flight too."""
        # The pool has more threads than request slots: they read and encode the next uploads
        # (or find them cached) while requests are in flight, so freed slots are used at once.
        self.slots = OrderedSlots(lambda: section_limit(backend), self.stop)
        self._lock = threading.Lock()

    def key(self, upload: Upload, output_format: str) -> str:
        return section_key(upload, self.request, output_format=output_format,
                           backend=self.backend.name, identity=self.identity)  # fmt: skip

    def abort(self, *, abandon: bool = False) -> None:
        """Start no more requests; with `abandon`, stop waiting for those in flight as well."""
        if abandon:
            self.abandon.set()
        self.stop.set()
        self.slots.wake()

    def work(self, section: Section, out: queue.Queue[Any]) -> None:
        """Convert one section, putting ``format, chunk..., Done`` (or an error) on `out`."""
        try:
            if self.stop.is_set():
                return
            upload = read_upload(self.source, section, self.input_rate, input_pcm=self.input_pcm)
            upload.check_limits()
            if self.activity is not None:
                upload = replace(upload, progress=partial(self.activity, section.index))
            if not self._from_cache(upload, out):
                self._convert(section.index, upload, out)
        except Stopped:
            return
        except BaseException as exc:  # handed to the main thread, which raises it
            out.put(exc)
        finally:
            self.slots.pass_turn(section.index)  # cached or failed: let the next one go

    def _from_cache(self, upload: Upload, out: queue.Queue[Any]) -> bool:
        if self.cache is None:
            return False
        with self._lock:
            formats = [self.format]
            if not self.fell_back and self.fallback is not None:
                formats.append(self.fallback)
        for fmt in formats:
            entry = self.cache.open_entry(self.key(upload, fmt))
            if entry is not None:
                out.put(entry.output_format)
                out.put(entry.file)  # read piece by piece by the main thread, which closes it
                out.put(Done(entry.request_id, entry.character_cost, cached=True))
                return True
        return False

    def _convert(self, index: int, upload: Upload, out: queue.Queue[Any]) -> None:
        self.slots.acquire(index)
        try:
            while True:
                fmt = self.format  # read once a slot is ours: a fallback may just have happened
                try:
                    entry = self._request(upload, replace(self.request, output_format=fmt), out)
                    break
                except TierError as exc:
                    self._fall_back(fmt, exc)
        finally:
            self.slots.release()
        key = self.key(upload, fmt)
        if self.cache is not None:
            self.cache.put(key, entry)
        if not self.stream:
            # Hand the body over on disk: sections that finish ahead of their turn then
            # wait as files, not as tens of MB of memory each.
            out.put(entry.output_format)
            out.put(self._spool(key, entry))
        out.put(Done(entry.request_id, entry.character_cost, cached=False))
        del entry
        # NOTE: an httpx response is a reference cycle (Response <-> its BoundSyncStream), so
        # its body (tens of MB) is freed only when the cyclic collector runs, which the few
        # allocations per section rarely trigger. Without this, RSS grew with the input's
        # length (565 MB for 3 hours) and with every extra job.
        gc.collect()

    def _spool(self, key: str, entry: CachedSection) -> BinaryIO:
        opened = self.cache.open_entry(key) if self.cache is not None else None
        if opened is not None:
            return opened.file
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the main thread
        spool.write(entry.audio)
        spool.seek(0)
        return spool

    def _request(self, upload: Upload, request: ConvertRequest, out: queue.Queue[Any]
                 ) -> CachedSection:  # fmt: skip
        """One conversion on a daemon thread, waited for until the run is abandoned.

        NOTE: the pool's own threads are joined at interpreter exit, and must be: a daemon
        thread killed inside numpy's C++ code aborts the process ("terminate called without an
        active exception"). The request itself is only HTTP (Python and socket calls), which a
        daemon thread may safely be killed in, so a Ctrl-C does not wait minutes for it.
        """
        outcome: list[tuple[bool, Any]] = []
        finished = threading.Event()

        def call() -> None:
            try:
                outcome.append((True, self._send(upload, request, out)))
            except BaseException as exc:  # re-raised on the pool thread below
                outcome.append((False, exc))
            finally:
                finished.set()

        threading.Thread(target=call, name="voxcli-request", daemon=True).start()
        while not finished.wait(0.2):
            if self.abandon.is_set():
                raise Stopped
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def _send(self, upload: Upload, request: ConvertRequest, out: queue.Queue[Any]
              ) -> CachedSection:  # fmt: skip
        """One conversion (the backend retries). Streamed audio goes to `out` as it arrives."""
        if not self.stream:
            result = self.backend.convert(upload, request)
            return CachedSection(result.audio, result.output_format, result.request_id,
                                 result.character_cost)  # fmt: skip
        with self.backend.convert_stream(upload, request) as stream:
            out.put(stream.output_format)
            chunks = []
            for chunk in stream:
                chunks.append(chunk)
                out.put(chunk)
        return CachedSection(b"".join(chunks), stream.output_format, stream.request_id,
                             stream.character_cost)  # fmt: skip

    def take_notices(self) -> list[str]:
        """Notices for the reporter (called from the main thread only)."""
        with self._lock:
            notices, self._notices = self._notices, []
        return notices

    def _fall_back(self, failed: str, exc: TierError) -> None:
        with self._lock:
            if self.format != failed:  # another worker already fell back
                return
            if self.fell_back or self.fallback is None:
                raise exc
            self.format, self.fell_back = self.fallback, True
            self._notices.append(f"{failed} needs a higher subscription tier; "
                                f"converting sections as {self.format} instead")  # fmt: skip
