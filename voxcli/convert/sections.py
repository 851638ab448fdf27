"""The long-audio runner: plan sections, convert them concurrently, stitch, write once.

`make_plan` cuts the input at pauses (`voxcli.audio.plan`). `convert_long` then works through
the plan with a small thread pool. Each worker reads its section's upload span from disk (never
the whole input), encodes it losslessly (16-bit FLAC, or raw 16 kHz PCM with `input_pcm`), and
looks it up in the section cache before asking the backend. Every section is requested with the
same voice, model, seed and settings, as PCM at the output's rate, so nothing lossy is ever
concatenated. The main thread takes the answers in plan order, decodes them, locks each to its
upload's length, crossfades neighbours (`voxcli.audio.stitch`) and encodes the result once
(`voxcli.audio.sink`), block by block.

Memory stays bounded by a few sections whatever the input length: at most ``2 x limit``
sections are under way at once -- `limit` requests in flight, up to `limit` uploads read and
encoded ahead so freed request slots are used at once, and finished sections waiting on disk for
their turn -- and audio moves through the stitcher in pieces of a few seconds. The limit is
``--jobs N``, or with ``--jobs auto`` what the backend allows at that moment (for ElevenLabs,
the account's concurrency as the service reports it: `voxcli.backends.concurrency`), so the
window grows and shrinks with it. The workers live in `voxcli.convert.section_worker`.

When the service refuses the PCM rate for the account's tier, the run falls back once to a
format every tier may request (`voxcli.audio.formats.fallback_for`), remembers it for the
remaining sections, and tells the reporter. A section that fails after the backend's retries
fails the run with its time range in the message; sections already converted stay cached, so
a rerun with the same settings only converts what is missing.
"""

from __future__ import annotations

import contextlib
import queue
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from voxcli.audio import io
from voxcli.audio.formats import OutputFormat, OutputPlan, parse_format
from voxcli.audio.plan import Plan, Section, energy_profile, plan_sections
from voxcli.audio.sink import open_sink
from voxcli.audio.stitch import Stitcher
from voxcli.backends.base import Backend, ConvertRequest
from voxcli.backends.concurrency import MAX_JOBS
from voxcli.convert.cache import SectionCache
from voxcli.convert.section_worker import PIECE_SECONDS, Done, SectionWorker, section_limit
from voxcli.errors import NotSentError, VoxError
from voxcli.progress import Reporter
from voxcli.timefmt import clock


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


def convert_long(
    source: Path,
    info: io.AudioInfo,
    plan: Plan,
    backend: Backend,
    request: ConvertRequest,
    output: OutputPlan,
    target: BinaryIO,
    *,
    jobs: int | None = None,
    input_pcm: bool = False,
    cache: SectionCache | None,
    reporter: Reporter,
    stream: bool = False,
    on_audio: Callable[[io.Samples, int], None] | None = None,
) -> LongResult:
    """Convert `source` section by section into `target`, in `output`'s format.

    At most `jobs` sections are converted at once; `None` (``--jobs auto``) lets the backend
    decide (`Backend.configure_concurrency`). `on_audio` gets every finished block of output at
    the output's rate (for playback while converting). Raises the first failing section's
    error, with the section's time range prefixed.
    """
    if plan.sample_rate != info.sample_rate:
        raise ValueError(f"the plan is at {plan.sample_rate} Hz, {source} at {info.sample_rate}")
    backend.configure_concurrency(None if jobs is None else max(1, jobs))
    sink = open_sink(target, output)
    rate = sink.sample_rate
    worker = SectionWorker(source, plan.sample_rate, backend, request, output, rate,
                           input_pcm=input_pcm, stream=stream, cache=cache,
                           activity=reporter.activity)  # fmt: skip
    stitcher = Stitcher(plan.at_rate(rate))
    result = LongResult(plan, worker.format, stitcher.plan.frames / rate)

    def emit(blocks: list[io.Samples]) -> None:
        for block in blocks:
            sink.write(block)
            if on_audio is not None:
                on_audio(block, rate)

    pending: deque[tuple[Section, queue.Queue[Any]]] = deque()
    sections = iter(plan.sections)
    # Threads start only as sections are submitted, so the pool is as large as the window gets.
    pool = ThreadPoolExecutor(2 * MAX_JOBS, thread_name_prefix="voxcli-section")
    reporter.start(plan.frames / plan.sample_rate, f"converting {len(plan.sections)} sections")
    failed = "the conversion"
    try:
        while True:
            window = 2 * section_limit(backend)
            while len(pending) < window and (section := next(sections, None)):
                out: queue.Queue[Any] = queue.Queue()
                pool.submit(worker.work, section, out)
                pending.append((section, out))
            if not pending:
                break
            section, out = pending.popleft()
            try:
                done = _stitch_section(out, stitcher, rate, emit)
            except VoxError as exc:
                span = f"{clock(plan.seconds(section.start))}-{clock(plan.seconds(section.end))}"
                failed = f"section {section.index + 1} ({span})"
                if isinstance(exc, NotSentError) and exc.cause is not None:
                    # This section waited for a slot while a later one met the refusal that
                    # stopped the run (quota, key): that refusal is the run's error.
                    raise exc.cause.with_context(failed) from exc
                raise exc.with_context(failed) from exc
            for notice in worker.take_notices():
                reporter.notice(notice)
            result.section_request_ids.append(done.request_id)
            result.section_cached.append(done.cached)
            if not done.cached:
                result.character_cost += done.character_cost or 0
            reporter.activity(section.index, None)
            reporter.advance(plan.seconds(section.end) - plan.seconds(section.start))
        sink.close()
    except BaseException as exc:
        # Let requests in flight finish into the cache, unless the user interrupted: then
        # abandon them (their threads are daemons) so Ctrl-C exits at once.
        interrupted = not isinstance(exc, Exception)
        worker.abort(abandon=interrupted)
        in_flight = worker.slots.held
        if in_flight and not interrupted:
            # The wait can take minutes: say at once why nothing seems to happen.
            reporter.notice(
                f"{failed} failed; waiting for {in_flight} request(s) in flight to finish "
                "so a rerun can reuse them (Ctrl-C stops now)"
            )
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        _discard(pending)
        with contextlib.suppress(Exception):
            sink.abort()  # the caller discards the output; just release the encoder
        raise
    finally:
        reporter.finish()
    pool.shutdown()
    result.output_format = worker.format
    result.drift_ms = stitcher.drift_ms
    return result


def _stitch_section(
    out: queue.Queue[Any],
    stitcher: Stitcher,
    rate: int,
    emit: Callable[[list[io.Samples]], None],
) -> Done:
    """Feed one section's answer from `out` into the stitcher as it arrives.

    The answer is a format name, then the body as streamed chunks (bytes) or as one file, then
    `Done`. PCM at the output rate is decoded and stitched a few seconds at a time; anything
    else (a tier fallback's rate) is decoded and resampled whole.
    """
    answer = _Answer(out, int(PIECE_SECONDS * rate) * 2)
    fmt = answer.format()
    if fmt.codec == "pcm" and fmt.sample_rate == rate:
        for samples in io.pcm16_chunks(answer.pieces()):
            emit(stitcher.feed(io.int16_to_float(samples)))
    elif body := b"".join(answer.pieces()):
        decoded, got_rate = io.decode(body, fmt)
        emit(stitcher.feed(io.resample(decoded, got_rate, rate)))
    emit(stitcher.end_section())
    assert answer.done is not None
    return answer.done


class _Answer:
    """One section's answer read from its queue: `format()`, then `pieces()`, then `done`.

    An exception the worker put on the queue is raised where it is met.
    """

    def __init__(self, out: queue.Queue[Any], piece_bytes: int) -> None:
        self._out = out
        self._piece_bytes = piece_bytes
        self.done: Done | None = None

    def _next(self) -> Any:
        item = self._out.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def format(self) -> OutputFormat:
        """The format of the body (the answer's first item)."""
        item = self._next()
        if not isinstance(item, str):
            raise TypeError(f"a section's answer starts with its format, not {item!r}")
        return parse_format(item)

    def pieces(self) -> Iterator[bytes]:
        """The body in pieces of at most `piece_bytes`, until `Done` (kept in `done`)."""
        while not isinstance(item := self._next(), Done):
            yield from _pieces(item, self._piece_bytes)
        self.done = item


def _pieces(item: bytes | BinaryIO, size: int) -> Iterator[bytes]:
    """`item` (bytes, or a file that is read to its end and closed) in pieces of `size` bytes."""
    if isinstance(item, bytes):
        view = memoryview(item)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    with item:
        while piece := item.read(size):
            yield piece


def _discard(pending: deque[tuple[Section, queue.Queue[Any]]]) -> None:
    """Close the files of sections that were converted but will not be stitched."""
    for _, out in pending:
        while not out.empty():
            item = out.get_nowait()
            if hasattr(item, "close"):
                item.close()
