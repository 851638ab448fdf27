"""One `voxcli batch` run, step by step, for the CLI to drive and render.

    session = BatchSession(options)          # discover, shard, check the layout (no backend)
    session.plan(backend, reporter)          # voice, settings hash, skip or convert, durations
    session.check_credits(backend)           # estimate against the remaining quota / budget
    summary = session.run(backend, events)   # the runner, then the summary

Every step that can refuse does so before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from voxcli.convert.batch import discover, manifest
from voxcli.convert.batch.plan import Mode, Task, decide, output_rel, settings_hash
from voxcli.convert.batch.shard import Shard, parse_shard
from voxcli.convert.batch.summary import Summary, from_results, skipped_row
from voxcli.convert.dryrun import estimate_credits
from voxcli.convert.job import ConvertSettings
from voxcli.errors import AuthError, InputError, QuotaError

if TYPE_CHECKING:
    from voxcli.audio.formats import OutputPlan
    from voxcli.backends.base import Backend
    from voxcli.convert.batch.runner import Events, Executor, Runner
    from voxcli.convert.run import Target
    from voxcli.progress import Reporter


@dataclass(frozen=True)
class BatchOptions:
    """A parsed `voxcli batch` command line."""

    inputs: tuple[str, ...]
    out_dir: Path
    settings: ConvertSettings
    listed: tuple[str, ...] = ()
    """Paths from `--input-list` (already read)."""
    recursive: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extension: str | None = None
    """The outputs' extension (``--ext``); None: from `-f`, else ``.mp3``."""
    mode: Mode = Mode.SKIP_EXISTING
    manifest: Path | None = None
    shard: str | None = None
    fail_fast: bool = False
    allow_partial: bool = False
    max_credits: int | None = None
    workers: int | None = None
    """Local engine: worker processes (None: one per core)."""
    quality: str = "default"
    strength: float | None = None


class BatchSession:
    """See the module docstring."""

    def __init__(self, options: BatchOptions, environ: dict[str, str] | None = None) -> None:
        import os

        from voxcli.audio.formats import INPUT_EXTENSIONS

        self.options = options
        self.shard: Shard | None = (
            parse_shard(options.shard, os.environ if environ is None else environ)
            if options.shard
            else None
        )
        options.settings.check()
        filters = discover.Filters(INPUT_EXTENSIONS, options.include, options.exclude)
        found = discover.discover(
            options.inputs,
            out_dir=options.out_dir,
            listed=options.listed,
            recursive=options.recursive,
            filters=filters,
        )
        self.found = len(found)
        self.items = [i for i in found if self.shard is None or self.shard.takes(i.rel)]
        self.suffixes = [_suffix(options, item.rel.name) for item in self.items]
        self.plans = {suffix: _plan(options, suffix) for suffix in set(self.suffixes)}
        self.keys = [
            output_rel(i, x).as_posix() for i, x in zip(self.items, self.suffixes, strict=True)
        ]
        self.outputs = [options.out_dir / key for key in self.keys]
        discover.check_layout(self.items, options.out_dir, self.outputs)
        self.manifest_path = options.manifest or manifest.default_path(
            options.out_dir, str(self.shard) if self.shard and self.shard.total > 1 else None
        )
        self.tasks: list[Task] = []
        self.target: Target | None = None
        self.budget: int | None = None
        self.runner: Runner | None = None
        self.on_runner: Callable[[Runner], None] | None = None
        """Called with the runner before it starts (e.g. to attach a live display)."""

    @property
    def shard_text(self) -> str | None:
        return str(self.shard) if self.shard is not None else None

    def plan(self, backend: Backend, reporter: Reporter | None = None) -> list[Task]:
        """Resolve the voice once, then decide every file (see `voxcli.convert.batch.plan`)."""
        from voxcli import tempfiles
        from voxcli.convert.cache import SectionCache
        from voxcli.convert.run import resolve_target

        self.target = resolve_target(self.options.settings, backend)
        hashes = {
            suffix: settings_hash(self.target, backend, plan, self.options.settings)
            for suffix, plan in self.plans.items()
        }
        paths = [*manifest.manifests_in(self.options.out_dir), self.manifest_path]
        records = manifest.latest(manifest.read_records(dict.fromkeys(paths)))
        self.tasks = decide(
            self.items,
            self.outputs,
            self.keys,
            records,
            mode=self.options.mode,
            settings=[hashes[suffix] for suffix in self.suffixes],
        )
        # Left by a run that was killed (SIGKILL): never mistaken for results, now removed.
        tempfiles.remove_stale(self.options.out_dir)
        if self.options.settings.use_cache:
            tempfiles.remove_stale(SectionCache().root)
        _probe(t for t in self.tasks if t.convert)
        return self.tasks

    @property
    def to_convert(self) -> list[Task]:
        return [t for t in self.tasks if t.convert]

    def estimated_credits(self, backend: Backend) -> int:
        """ElevenLabs credits the files to convert would cost (0 on the local engine)."""
        if backend.name == "local":
            return 0
        return sum(estimate_credits(t.duration or 0.0) for t in self.to_convert)

    def check_credits(self, backend: Backend, reporter: Reporter) -> None:
        """Refuse (exit 7) a batch that would exceed the remaining quota or `--max-credits`,
        unless `--allow-partial` (then convert what fits, in order)."""
        estimate = self.estimated_credits(backend)
        limits: list[tuple[int, str]] = []
        if self.options.max_credits is not None:
            limits.append((self.options.max_credits, "--max-credits"))
        subscription = getattr(backend, "subscription", None)
        if estimate and subscription is not None:
            try:
                remaining = subscription().remaining
            except AuthError as exc:  # a key without user_read: the service still converts
                reporter.notice(f"cannot read the remaining credits ({exc}); not checked")
            else:
                limits.append((remaining, "the account's remaining credits"))
        for limit, name in limits:
            if estimate > limit and not self.options.allow_partial:
                raise QuotaError(
                    f"the batch needs about {estimate:,} credits; {name} allow {limit:,}",
                    hint="convert fewer files (--shard, --include), or pass --allow-partial "
                    "to convert what fits",
                )
        if limits:
            self.budget = min(limit for limit, _ in limits)

    def run(self, backend: Backend, events: Events) -> Summary:
        """Convert the files to convert; skipped ones are reported with their reason."""
        from voxcli.convert.batch.runner import Runner
        from voxcli.convert.cache import SectionCache

        assert self.target is not None, "plan() first"
        started = time.monotonic()
        writer = manifest.ManifestWriter(self.manifest_path)
        for task in self.tasks:
            if not task.convert and task.reason.startswith("output exists"):
                # Not silent: the reason stays in the manifest for `batch report` too.
                writer.append(
                    {
                        "output": task.key,
                        "input": str(task.item.source),
                        "settings": task.settings,
                        "shard": self.shard_text,
                        "status": "skipped",
                        "reason": task.reason,
                    }
                )
        executor = self._executor(backend) if self.to_convert else _Idle()
        self.runner = Runner(
            self.to_convert,
            executor,
            writer,
            events,
            shard=self.shard_text,
            fail_fast=self.options.fail_fast,
            budget=self.budget,
        )
        if self.on_runner is not None:
            self.on_runner(self.runner)
        results = self.runner.run()
        settings = self.options.settings
        if settings.use_cache:
            SectionCache().prune(settings.cache_max_bytes or 0)
        summary = from_results(results, shard=self.shard_text)
        summary.files = [
            *(skipped_row(t.key, t.item.source, t.reason) for t in self.tasks if not t.convert),
            *summary.files,
        ]
        summary.files.sort(key=lambda row: row["output"])
        if self.runner.stop is not None:
            summary.stopped, summary.stop_status = self.runner.stop.reason, self.runner.stop.status
        summary.wall_seconds = time.monotonic() - started
        return summary

    def _executor(self, backend: Backend) -> Executor:
        from voxcli.convert.batch import executors

        per_file = replace(self.options.settings, cache_max_bytes=None, stream=False)
        assert self.target is not None
        if backend.name == "local":
            from voxcli import dirs

            setup = executors.EngineSetup(
                per_file,
                self.target,
                self.options.quality,
                self.options.strength,
                str(dirs.data_dir()),
            )
            workers = self.options.workers or executors.default_workers()
            return executors.ProcessExecutor(setup, workers=workers)
        # One pool of request slots for every file: started once from --jobs N (a ceiling) or
        # the account (auto), at this shard's share of it; each long file's sections then ask
        # for the same and change nothing.
        shares = self.shard.total if self.shard is not None else 1
        backend.configure_concurrency(self.options.workers, shares=shares)
        per_file = replace(per_file, jobs=self.options.workers)
        return executors.ThreadExecutor(
            backend, self.target, per_file, ceiling=self.options.workers
        )


def _suffix(options: BatchOptions, name: str) -> str:
    """The output extension for an input called `name`: `--ext`, else the rule `convert`
    uses for its default names (a video stays a video unless a format was chosen)."""
    from voxcli.audio.formats import default_output_suffix

    if options.extension:
        return options.extension if options.extension.startswith(".") else f".{options.extension}"
    return default_output_suffix(name, options.settings.output_format)


def _plan(options: BatchOptions, suffix: str) -> OutputPlan:
    """What outputs ending in `suffix` request and how they are written (may refuse, exit 4)."""
    from voxcli.audio.formats import plan_output

    return plan_output(f"out{suffix}", options.settings.output_format)


def _probe(tasks: Iterable[Task]) -> None:
    """Each task's duration (for credits and progress); an unreadable file fails later, clearly."""
    from voxcli.audio import io

    for task in tasks:
        try:
            task.duration = io.probe(task.item.source).duration_seconds
        except (InputError, OSError):
            task.duration = None


class _Idle:
    """The executor of a run with nothing to convert (starts no worker)."""

    def capacity(self) -> int:
        return 0

    def stop_sending(self) -> None:
        pass

    def in_flight_requests(self) -> int:
        return 0

    def submit(self, task: Task, done: Callable[[object], None]) -> None:
        raise AssertionError("nothing to convert")

    def abandon(self) -> None:
        pass

    def close(self) -> None:
        pass
