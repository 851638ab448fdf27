"""The long-audio runner: plan sections, convert them concurrently, stitch, write once.

`make_plan` cuts the input at pauses (`voxcli.audio.plan`). `convert_long` then works through
the plan with a small thread pool. Each worker reads its section's upload span from disk (never
the whole input), encodes it losslessly (16-bit FLAC, or raw 16 kHz PCM with `input_pcm`), and
looks it up in the section cache before asking the backend. Every section is requested with the
same voice, model, seed and settings, as PCM at the output's rate, so nothing lossy is ever
concatenated. The main thread takes the answers in plan order, decodes them, locks each to its
upload's length, crossfades neighbours (`voxcli.audio.stitch`) and encodes the result once
(`voxcli.audio.sink`), block by block.

Memory stays bounded by a few sections whatever the input length: at most ``jobs + 1`` sections
are in flight or waiting, and audio moves through the stitcher in pieces of a few seconds.

When the service refuses the PCM rate for the account's tier, the run falls back once to a
format every tier may request (`voxcli.audio.formats.tier_fallback`), remembers it for the
remaining sections, and tells the reporter. A section that fails after the backend's retries
fails the run with its time range in the message; sections already converted stay cached, so
a rerun with the same settings only converts what is missing.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from voxcli.audio import io
from voxcli.audio.formats import OutputPlan, parse_format, tier_fallback
from voxcli.audio.plan import Plan, Section, energy_profile, plan_sections
from voxcli.audio.sink import open_sink
from voxcli.audio.stitch import Stitcher
from voxcli.backends.base import Backend, ConvertRequest, Upload
from voxcli.cache import CachedSection, SectionCache, section_key
from voxcli.errors import TierError, VoxError
from voxcli.progress import Reporter

#: Input read per disk access while encoding an upload, and output decoded per stitching step.
_PIECE_SECONDS = 10.0


@dataclass
class LongResult:
    """What a long conversion did; `to_json` goes into `convert --json` under ``sections``."""

    plan: Plan
    output_format: str
    """The format the sections were requested in (after any tier fallback)."""
    output_seconds: float
    drift_ms: list[float] = field(default_factory=list)
    section_request_ids: list[str | None] = field(default_factory=list)
    section_cached: list[bool] = field(default_factory=list)
    character_cost: int = 0
    """Characters billed by this run's requests (cached sections cost nothing now)."""

    @property
    def request_ids(self) -> list[str]:
        """Request ids of every section that has one, in plan order."""
        return [r for r in self.section_request_ids if r]

    @property
    def cached(self) -> int:
        return sum(self.section_cached)

    @property
    def converted(self) -> int:
        return len(self.section_cached) - self.cached

    def to_json(self) -> dict[str, Any]:
        plan = self.plan.to_json()
        for entry, drift, rid, cached in zip(plan["sections"], self.drift_ms,
                                             self.section_request_ids, self.section_cached,
                                             strict=True):  # fmt: skip
            entry.update(drift_ms=round(drift, 2), request_id=rid, cached=cached)
        return {**plan, "output_format": self.output_format, "output_seconds":
                round(self.output_seconds, 3), "character_cost": self.character_cost,
                "cached": self.cached, "converted": self.converted}  # fmt: skip


def make_plan(
    source: Path, info: io.AudioInfo, *, max_section: float = 290.0, input_pcm: bool = False
) -> Plan:
    """Plan the sections of `source`, streaming it once from disk to measure its energy.

    The 50 MB guard assumes the upload's worst case: raw 16 kHz PCM (32 kB/s) with `input_pcm`,
    else 16-bit mono FLAC at the input's rate (never much above 2 bytes per frame).
    """
    bytes_per_second = 32_000.0 if input_pcm else 2.1 * info.sample_rate
    profile = energy_profile(source)
    return plan_sections(profile, max_section=max_section, bytes_per_second=bytes_per_second)


def clock(seconds: float) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s``) for error messages and notices."""
    minutes, secs = divmod(round(seconds, 1), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


def backend_identity(backend: Backend) -> str:
    """What, besides the request, decides a backend's answer: its name and where it lives."""
    return f"{backend.name} {getattr(backend, 'base_url', '')}".strip()


def read_upload(source: Path, section: Section, rate: int, *, input_pcm: bool) -> Upload:
    """Read `section`'s upload span (frames at `rate`, the file's rate) from disk and encode it
    losslessly for the request."""
    duration = section.upload_frames / rate
    if input_pcm:
        samples, rate = io.read(source, section.upload_start, section.upload_end)
        data = io.to_pcm16(io.resample(samples, rate, 16000))
        return Upload(data, "section.pcm", "application/octet-stream", duration, "pcm_s16le_16")
    import io as stdio

    buffer = stdio.BytesIO()
    step = int(_PIECE_SECONDS * rate)
    with io.open_writer(buffer, rate, "flac") as writer:
        for start in range(section.upload_start, section.upload_end, step):
            samples, _ = io.read(source, start, min(start + step, section.upload_end))
            # Quantise exactly as PCM is decoded, so 16-bit input goes up bit for bit.
            writer.write(np.frombuffer(io.to_pcm16(samples), dtype="<i2"))
    return Upload(buffer.getvalue(), "section.flac", "audio/flac", duration)


@dataclass
class _Done:
    request_id: str | None
    character_cost: int | None
    cached: bool


class _Runner:
    """State shared by the workers of one `convert_long` call."""

    def __init__(self, source: Path, input_rate: int, backend: Backend, request: ConvertRequest,
                 output: OutputPlan, rate: int, *, input_pcm: bool, stream: bool,
                 cache: SectionCache | None) -> None:  # fmt: skip
        self.source, self.input_rate = source, input_rate
        self.backend, self.request = backend, request
        self.input_pcm, self.stream, self.cache = input_pcm, stream, cache
        self.format = f"pcm_{rate}"
        # A PCM rate the user pinned with -f fails like a single request would; voxcli's own
        # choice of PCM (for mp3, opus, ... outputs) may fall back.
        pinned = output.pinned and output.request.is_lossless
        self.may_fall_back = not (pinned and output.request.sample_rate == rate)
        self.fell_back = False
        self._notices: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def key(self, upload: Upload, output_format: str) -> str:
        identity = backend_identity(self.backend)
        return section_key(upload, self.request, output_format=output_format,
                           backend=self.backend.name, identity=identity)  # fmt: skip

    def work(self, section: Section, out: queue.Queue[Any]) -> None:
        """Convert one section, putting ``format, chunk..., _Done`` (or an error) on `out`."""
        try:
            if self.stop.is_set():
                return
            upload = read_upload(self.source, section, self.input_rate, input_pcm=self.input_pcm)
            upload.check_limits()
            if not self._from_cache(upload, out):
                self._convert(upload, out)
        except BaseException as exc:  # handed to the main thread, which raises it
            out.put(exc)

    def _from_cache(self, upload: Upload, out: queue.Queue[Any]) -> bool:
        if self.cache is None:
            return False
        with self._lock:
            formats = [self.format] if self.fell_back else [self.format, self._fallback()]
        for fmt in formats:
            entry = self.cache.get(self.key(upload, fmt))
            if entry is not None:
                out.put(entry.output_format)
                out.put(entry.audio)
                out.put(_Done(entry.request_id, entry.character_cost, cached=True))
                return True
        return False

    def _convert(self, upload: Upload, out: queue.Queue[Any]) -> None:
        while True:
            fmt = self.format
            try:
                entry = self._request(upload, replace(self.request, output_format=fmt), out)
            except TierError as exc:
                self._fall_back(fmt, exc)
                continue
            if self.cache is not None:
                self.cache.put(self.key(upload, fmt), entry)
            out.put(_Done(entry.request_id, entry.character_cost, cached=False))
            return

    def _request(self, upload: Upload, request: ConvertRequest, out: queue.Queue[Any]
                 ) -> CachedSection:  # fmt: skip
        """One conversion (the backend retries); its audio goes to `out` as it arrives."""
        if not self.stream:
            result = self.backend.convert(upload, request)
            out.put(result.output_format)
            out.put(result.audio)
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

    def _fallback(self) -> str:
        return tier_fallback(self.format, streaming=self.stream)

    def _fall_back(self, failed: str, exc: TierError) -> None:
        with self._lock:
            if self.format != failed:  # another worker already fell back
                return
            if self.fell_back or not self.may_fall_back:
                raise exc
            self.format, self.fell_back = self._fallback(), True
            self._notices.append(f"{failed} needs a higher subscription tier; "
                                f"converting sections as {self.format} instead")  # fmt: skip


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


def convert_long(
    source: Path,
    info: io.AudioInfo,
    plan: Plan,
    backend: Backend,
    request: ConvertRequest,
    output: OutputPlan,
    target: BinaryIO,
    *,
    jobs: int = 2,
    input_pcm: bool = False,
    cache: SectionCache | None,
    reporter: Reporter,
    stream: bool = False,
    on_audio: Callable[[io.Samples, int], None] | None = None,
) -> LongResult:
    """Convert `source` section by section into `target`, in `output`'s format.

    `jobs` sections are converted at once (the backend may throttle further). `on_audio` gets
    every finished block of output at the output's rate (for playback while converting).
    Raises the first failing section's error, with the section's time range prefixed.
    """
    sink = open_sink(target, output)
    rate = sink.sample_rate
    runner = _Runner(source, plan.sample_rate, backend, request, output, rate,
                     input_pcm=input_pcm, stream=stream, cache=cache)  # fmt: skip
    stitcher = Stitcher(plan.at_rate(rate))
    result = LongResult(plan, runner.format, stitcher.plan.frames / rate)

    def emit(blocks: list[io.Samples]) -> None:
        for block in blocks:
            sink.write(block)
            if on_audio is not None:
                on_audio(block, rate)

    pending: deque[tuple[Section, queue.Queue[Any], Future[None]]] = deque()
    sections = iter(plan.sections)
    pool = ThreadPoolExecutor(max(1, jobs), thread_name_prefix="voxcli-section")
    reporter.start(len(plan.sections), "sections")
    try:
        while True:
            while len(pending) < max(1, jobs) + 1 and (section := next(sections, None)):
                out: queue.Queue[Any] = queue.Queue()
                pending.append((section, out, pool.submit(runner.work, section, out)))
            if not pending:
                break
            section, out, _ = pending.popleft()
            try:
                done = _stitch_section(out, stitcher, rate, emit)
            except VoxError as exc:
                span = f"{clock(plan.seconds(section.start))}-{clock(plan.seconds(section.end))}"
                raise exc.with_context(f"section {section.index + 1} ({span})") from exc
            for notice in runner.take_notices():
                reporter.notice(notice)
            result.section_request_ids.append(done.request_id)
            result.section_cached.append(done.cached)
            if not done.cached:
                result.character_cost += done.character_cost or 0
            reporter.advance()
            # NOTE: httpx responses are reference cycles (Response <-> its BoundSyncStream), so
            # each section's body (tens of MB) is freed only when the cyclic collector runs,
            # which the few allocations per section rarely trigger: without this, RSS grows
            # with the input's length (565 MB for 3 hours instead of ~200 MB).
            gc.collect()
        sink.close()
    except BaseException as exc:
        runner.stop.set()
        # Let sections already in flight finish into the cache, unless the user interrupted.
        pool.shutdown(wait=isinstance(exc, Exception), cancel_futures=True)
        with contextlib.suppress(Exception):
            sink.close()  # the caller discards the output; just release the encoder
        raise
    finally:
        reporter.finish()
    pool.shutdown()
    result.output_format = runner.format
    result.drift_ms = stitcher.drift_ms
    return result


def _stitch_section(
    out: queue.Queue[Any],
    stitcher: Stitcher,
    rate: int,
    emit: Callable[[list[io.Samples]], None],
) -> _Done:
    """Feed one section's answer from `out` into the stitcher as it arrives."""
    fmt = None
    direct = False  # PCM at the output rate: decoded and stitched piece by piece
    carry = b""
    body: list[bytes] = []
    while True:
        item = out.get()
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, _Done):
            break
        if isinstance(item, str):
            fmt = parse_format(item)
            direct = fmt.codec == "pcm" and fmt.sample_rate == rate
            continue
        if not direct:
            body.append(item)
            continue
        for piece in _pieces(item, int(_PIECE_SECONDS * rate) * 2):
            data = carry + piece
            usable = len(data) - len(data) % 2
            carry = data[usable:]
            emit(stitcher.feed(io.from_pcm16(data[:usable])))
    if body and fmt is not None:
        samples, got_rate = io.decode(b"".join(body), fmt)
        emit(stitcher.feed(io.resample(samples, got_rate, rate)))
    emit(stitcher.end_section())
    return item
