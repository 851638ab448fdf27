"""Where a batch's files are converted: threads for a remote backend, processes for the engine.

`ThreadExecutor`: one daemon thread per file in flight, all sharing one backend and so one
pool of request slots (`ElevenLabsBackend.limiter`): sections of every file, long or short,
queue for the same slots. It keeps as many files in flight as the account allows requests,
plus a couple being prepared. Daemon threads never hold the process back once it is told to
stop.

`ProcessExecutor`: the local engine is CPU-bound and holds the GIL, so files are converted in
worker processes (`voxcli.convert.batch.local_worker`), one per core by default, each loading
the engine and the voice once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voxcli.convert.batch.plan import Task
from voxcli.convert.batch.work import FileResult, convert_task, failed_task

if TYPE_CHECKING:
    from voxcli.backends.base import Backend
    from voxcli.convert.job import ConvertSettings
    from voxcli.convert.run import Target


#: Files prepared beyond the request slots (see `ThreadExecutor.capacity`).
PREPARED = 2


class ThreadExecutor:
    """Files converted on threads through one shared backend."""

    def __init__(
        self, backend: Backend, target: Target, settings: ConvertSettings, *, ceiling: int | None
    ) -> None:
        self.backend = backend
        self.target = target
        self.settings = settings
        self.ceiling = ceiling
        self._lock = threading.Lock()
        self._files = 0
        limiter = getattr(backend, "limiter", None)
        if limiter is not None:
            limiter.stop_on_refusal = True

    def _slots(self) -> int:
        limiter = getattr(self.backend, "limiter", None)
        limit = limiter.limit if limiter is not None else None
        if limit is None:
            limit = self.ceiling or self.settings.jobs or 2
        return max(1, limit)

    def capacity(self) -> int:
        # Two files beyond the request slots are read and prepared while the others are in
        # flight, so a freed slot is used at once (a shard that pauses between files loses
        # its slot to the other shards). They wait for a slot; `stop_sending` turns them away.
        return self._slots() + PREPARED

    def stop_sending(self) -> None:
        limiter = getattr(self.backend, "limiter", None)
        if limiter is not None:
            limiter.close()

    def in_flight_requests(self) -> int:
        limiter = getattr(self.backend, "limiter", None)
        if limiter is not None:
            return int(limiter.in_flight)
        with self._lock:
            return self._files

    def submit(self, task: Task, done: Callable[[FileResult], None]) -> None:
        def work() -> None:
            try:
                result = convert_task(
                    task, settings=self.settings, backend=self.backend, target=self.target
                )
            except BaseException as exc:  # tempfiles.Abandoned, or a bug outside convert_file
                result = failed_task(task, exc)
            finally:
                with self._lock:
                    self._files -= 1
            done(result)

        with self._lock:
            self._files += 1
        threading.Thread(target=work, name=f"voxcli-batch {task.key}", daemon=True).start()

    def abandon(self) -> None:
        pass  # daemon threads: the process exits without waiting for them

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class EngineSetup:
    """What a worker process needs to convert files on its own (picklable)."""

    settings: ConvertSettings
    target: Target
    quality: str
    strength: float | None
    data_dir: str


class ProcessExecutor:
    """Files converted by the local engine in `workers` processes."""

    def __init__(self, setup: EngineSetup, *, workers: int) -> None:
        import multiprocessing

        from voxcli.convert.batch import local_worker

        self.workers = max(1, workers)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            # NOTE: spawn, not fork: the parent has threads (the live display), and a forked
            # child of a threaded parent may deadlock.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=local_worker.start,
            initargs=(setup,),
        )
        self._lock = threading.Lock()
        self._files = 0

    def capacity(self) -> int:
        return self.workers + 1  # one queued, so a worker never waits for the main loop

    def stop_sending(self) -> None:
        pass  # the engine is local: nothing is sent or paid for

    def in_flight_requests(self) -> int:
        with self._lock:
            return min(self._files, self.workers)

    def submit(self, task: Task, done: Callable[[FileResult], None]) -> None:
        from voxcli.convert.batch import local_worker

        with self._lock:
            self._files += 1
        future = self._pool.submit(local_worker.convert, task)

        def finished(future: Future[FileResult]) -> None:
            with self._lock:
                self._files -= 1
            try:
                result = future.result()
            except BaseException as exc:  # a worker died (BrokenProcessPool) or was cancelled
                result = failed_task(task, exc)
            done(result)

        future.add_done_callback(finished)

    def abandon(self) -> None:
        # NOTE: ProcessPoolExecutor cannot stop running work before Python 3.14
        # (terminate_workers); its worker processes are reached through `_processes`.
        processes: dict[int, Any] = dict(getattr(self._pool, "_processes", None) or {})
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def default_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
