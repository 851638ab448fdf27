"""The batch's main loop: feed files to an executor, record each result, stop when it must.

The loop runs on the main thread, so Ctrl-C (KeyboardInterrupt) and SIGTERM
(`voxcli.errors.Terminated`) arrive here. Files are started while the executor has room
(`Executor.capacity`: for a remote backend, the request slots the account allows plus one
file being prepared; for the local engine, one per worker process). Each start is recorded in
the manifest (``started``) before anything is sent, each end (``done``/``failed``) as soon
as it is known.

When to stop scheduling (files not started are recorded ``skipped`` with the reason):

- quota exhausted (exit 7) or the `max_credits` budget reached: requests in flight finish;
- an authentication failure (exit 3): at once, nothing more can succeed;
- any failure with `fail_fast`: requests in flight finish;
- SIGINT/SIGTERM: the executor abandons what is in flight, every temporary file is removed,
  the manifest is flushed, and the interrupt propagates (exit 130/143).
"""

from __future__ import annotations

import queue
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from voxcli import tempfiles
from voxcli.convert.batch.manifest import ManifestWriter
from voxcli.convert.batch.plan import Task
from voxcli.convert.batch.work import FileResult
from voxcli.convert.dryrun import estimate_credits
from voxcli.errors import ExitStatus


class Executor(Protocol):
    """Runs files' conversions somewhere (threads, worker processes)."""

    def capacity(self) -> int:
        """How many files may be in flight now."""

    def in_flight_requests(self) -> int:
        """Requests (or local conversions) being worked on now, for progress."""

    def submit(self, task: Task, done: Callable[[FileResult], None]) -> None:
        """Start converting `task`; call `done` (from any thread) with its result."""

    def stop_sending(self) -> None:
        """Send no more requests: files waiting for a slot end as not sent."""

    def abandon(self) -> None:
        """Stop everything now (an interrupt): nothing more may be written."""

    def close(self) -> None:
        """Everything submitted has finished: release the workers."""


class Events(Protocol):
    """What the runner tells the CLI (the core never prints)."""

    def notice(self, message: str) -> None:
        """A one-line message worth showing."""

    def finished(self, result: FileResult) -> None:
        """A file is done, failed, or will not be sent."""


@dataclass
class Progress:
    """Where the batch stands, for a live display."""

    files_total: int
    audio_total: float
    files_done: int = 0
    failed: int = 0
    audio_done: float = 0.0
    credits: int = 0
    in_flight: int = 0
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class Stop:
    """Why scheduling stopped early (None in `Runner.stop` while it has not)."""

    status: ExitStatus
    reason: str


class Runner:
    """Runs `tasks` (all to be converted) through `executor`; see the module docstring."""

    def __init__(
        self,
        tasks: list[Task],
        executor: Executor,
        writer: ManifestWriter,
        events: Events,
        *,
        shard: str | None,
        fail_fast: bool = False,
        budget: int | None = None,
    ) -> None:
        self.tasks = tasks
        self.executor = executor
        self.writer = writer
        self.events = events
        self.shard = shard
        self.fail_fast = fail_fast
        self.budget = budget
        """At most this many credits (estimated before, billed after) for this run."""
        self.results: list[FileResult] = []
        self.stop: Stop | None = None
        self.progress = Progress(len(tasks), sum(t.duration or 0.0 for t in tasks))
        self._done: queue.Queue[FileResult] = queue.Queue()
        self._reserved: dict[str, int] = {}
        self._said: set[str] = set()

    def run(self) -> list[FileResult]:
        """Convert every task (or stop early); return the results, in the order they ended."""
        pending = deque(self.tasks)
        in_flight = 0
        try:
            while pending or in_flight:
                while pending and self.stop is None and in_flight < self.executor.capacity():
                    task = pending.popleft()
                    if not self._affordable(task):
                        pending.appendleft(task)
                        break
                    self._start(task)
                    in_flight += 1
                if self.stop is not None and pending:
                    self._not_sent(pending)
                    pending.clear()
                if not in_flight:
                    continue
                try:
                    result = self._done.get(timeout=0.25)
                except queue.Empty:
                    self.progress.in_flight = self.executor.in_flight_requests()
                    continue
                in_flight -= 1
                self._finish(result)
        except BaseException:
            # An interrupt (or a bug): abandon what is in flight, leave no temporary file.
            self.executor.abandon()
            tempfiles.abandon_all()
            self.writer.close()
            raise
        self.executor.close()
        self.writer.close()
        return self.results

    def _affordable(self, task: Task) -> bool:
        if self.budget is None:
            return True
        cost = estimate_credits(task.duration or 0.0)
        if self.progress.credits + sum(self._reserved.values()) + cost <= self.budget:
            return True
        self.stop = Stop(ExitStatus.QUOTA, f"the credit budget ({self.budget:,}) is reached")
        return False

    def _start(self, task: Task) -> None:
        from voxcli.convert.batch.manifest import InputIdentity

        identity = {}
        try:
            identity = InputIdentity.of(task.item.source).fields()
        except OSError:
            pass  # the conversion reports it
        self.writer.append(
            {
                "output": task.key,
                "input": str(task.item.source),
                **identity,
                "settings": task.settings,
                "shard": self.shard,
                "status": "started",
            }
        )
        if self.budget is not None:
            self._reserved[task.key] = estimate_credits(task.duration or 0.0)
        self.executor.submit(task, self._done.put)

    def _finish(self, result: FileResult) -> None:
        if result.status == "skipped" and self.stop is not None:
            result.reason = f"not sent: {self.stop.reason}"
        for notice in result.notices:
            if notice not in self._said:  # the same notice from every file: say it once
                self._said.add(notice)
                self.events.notice(notice)
        self._reserved.pop(result.key, None)
        self.writer.append(result.record(self.shard))
        self.results.append(result)
        progress = self.progress
        progress.files_done += 1
        progress.credits += result.credits
        progress.audio_done += result.duration or 0.0
        progress.in_flight = self.executor.in_flight_requests()
        if result.status == "failed":
            progress.failed += 1
            self._maybe_stop(result)
        self.events.finished(result)

    def _maybe_stop(self, result: FileResult) -> None:
        assert result.error is not None
        status = result.error.exit
        if self.stop is not None:
            return
        if status == ExitStatus.QUOTA:
            self.stop = Stop(ExitStatus.QUOTA, "the account's quota is exhausted")
        elif status == ExitStatus.CONFIG:
            self.stop = Stop(ExitStatus.CONFIG, result.error.message)
        elif self.fail_fast:
            self.stop = Stop(ExitStatus.PARTIAL, "a file failed (--fail-fast)")
        if self.stop is not None:
            self.executor.stop_sending()
            self.events.notice(f"stopping: {self.stop.reason}; requests in flight finish")

    def _not_sent(self, pending: deque[Task]) -> None:
        assert self.stop is not None
        for task in pending:
            result = FileResult(
                task.key,
                str(task.item.source),
                str(task.output),
                "skipped",
                task.settings,
                reason=f"not sent: {self.stop.reason}",
                duration=task.duration,
            )
            self.writer.append(result.record(self.shard))
            self.results.append(result)
            self.events.finished(result)
