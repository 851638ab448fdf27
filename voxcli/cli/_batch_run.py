"""`voxcli batch` once Typer has parsed the arguments: flags -> `BatchSession` -> rendering.

Parsing and rendering only; the batch itself is `voxcli.convert.batch`. Exit statuses
(DESIGN §4): 0 every file done or skipped, 9 some failed (each listed), 7 quota or credit
budget, 3 authentication, 4 bad invocation, 130/143 interrupted, 1 a bug.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcli.cli import _options as opt
from voxcli.cli._console import err, out, print_json
from voxcli.errors import AuthError, ExitStatus, InputError, PartialError, QuotaError, Terminated

if TYPE_CHECKING:
    from voxcli.backends.base import Backend
    from voxcli.convert.batch.session import BatchSession
    from voxcli.convert.batch.summary import Summary


@dataclass(frozen=True)
class BatchArgs:
    """The parsed command line of `voxcli batch`."""

    output_dir: Path
    inputs: list[str] | None
    input_list: str | None
    recursive: bool
    include: list[str] | None
    exclude: list[str] | None
    ext: str | None
    voice: str | None
    model: str | None
    output_format: str | None
    seed: int | None
    latency: int | None
    input_format: opt.InputFormat
    settings: str | None
    expressive: bool
    stability: float | None
    similarity_boost: float | None
    style: float | None
    speaker_boost: bool | None
    speed: float | None
    remove_background_noise: bool
    no_logging: bool
    backend: str | None
    base_url: str | None
    retries: int | None
    jobs: str
    max_section: float
    no_cache: bool
    quality: opt.Quality
    strength: float | None
    skip_existing: bool
    overwrite: bool
    retry_failed: bool
    manifest: Path | None
    shard: str | None
    fail_fast: bool
    dry_run: bool
    allow_partial: bool
    max_credits: int | None
    json_output: bool
    quiet: bool

    @property
    def input_pcm(self) -> bool:
        return self.input_format is opt.InputFormat.pcm


def _jobs(text: str) -> int | None:
    """``auto`` -> None, else a whole number from 1 to 64."""
    if text.strip().lower() == "auto":
        return None
    if text.strip().isdigit() and 1 <= int(text) <= 64:
        return int(text)
    raise InputError(
        f"--jobs must be auto or a number from 1 to 64, not {text!r}",
        hint="auto follows the account's limit (ElevenLabs) or the cores (local)",
    )


def _mode(a: BatchArgs) -> Any:
    from voxcli.convert.batch.plan import Mode

    chosen = [f for f, on in (("--skip-existing", a.skip_existing), ("--overwrite", a.overwrite),
                              ("--retry-failed", a.retry_failed)) if on]  # fmt: skip
    if len(chosen) > 1:
        raise InputError(f"{' and '.join(chosen)} cannot be combined", hint="choose one")
    if a.overwrite:
        return Mode.OVERWRITE
    return Mode.RETRY_FAILED if a.retry_failed else Mode.SKIP_EXISTING


def _listed(source: str | None) -> tuple[str, ...]:
    if source is None:
        return ()
    if source == "-":
        if sys.stdin.isatty():
            raise InputError("--input-list -: stdin is a terminal",
                             hint="pipe the list in, e.g. find in -name '*.wav' | voxcli batch "
                             "--input-list - -o out")  # fmt: skip
        return tuple(sys.stdin.read().splitlines())
    try:
        return tuple(Path(source).read_text().splitlines())
    except OSError as exc:
        raise InputError(
            f"cannot read --input-list {source}: {(exc.strerror or str(exc)).lower()}",
            hint="check the path",
        ) from exc


def run_batch(a: BatchArgs) -> None:
    """Validate, plan and run a batch, then report it and exit with its status."""
    from voxcli import config as cfg
    from voxcli.audio.output import Existing
    from voxcli.cli._backend import open_backend
    from voxcli.cli._console import RichReporter
    from voxcli.cli._convert_flags import config_flags, conversion_settings
    from voxcli.convert.batch.session import BatchOptions, BatchSession

    if not a.inputs and a.input_list is None:
        raise InputError("no input given", hint="give files, folders or --input-list FILE")
    if a.max_credits is not None and a.max_credits < 0:
        raise InputError("--max-credits must be at least 0", hint="e.g. --max-credits 50000")
    jobs, mode = _jobs(a.jobs), _mode(a)
    listed = _listed(a.input_list)
    conf = cfg.load(config_flags(a, jobs=None))
    settings = conversion_settings(a, conf, existing=Existing.REFUSE)
    options = BatchOptions(
        inputs=tuple(a.inputs or ()), out_dir=a.output_dir, settings=settings, listed=listed,
        recursive=a.recursive, include=tuple(a.include or ()), exclude=tuple(a.exclude or ()),
        extension=a.ext, mode=mode, manifest=a.manifest, shard=a.shard, fail_fast=a.fail_fast,
        allow_partial=a.allow_partial, max_credits=a.max_credits, workers=jobs,
        quality=a.quality.value, strength=a.strength,
    )  # fmt: skip
    session = BatchSession(options)
    reporter = RichReporter(quiet=a.quiet)
    backend, conf = open_backend(conf=conf, reporter=reporter, quality=a.quality.value,
                                 strength=a.strength)  # fmt: skip
    with backend:
        session.plan(backend, reporter)
        if a.dry_run:
            _print_dry_run(session, backend, json_output=a.json_output)
            return
        session.check_credits(backend, reporter)
        summary = _run(session, backend, a)
    _finish(summary, a, billed=backend.name != "local")


def _run(session: BatchSession, backend: Backend, a: BatchArgs) -> Summary:
    from rich.live import Live

    from voxcli.cli._batch_view import BatchEvents, LiveStatus

    billed = backend.name != "local"
    events = BatchEvents(quiet=a.quiet, billed=billed)
    try:
        if a.quiet or not err.is_terminal or not session.to_convert:
            return session.run(backend, events)
        events.live = True
        with Live(console=err, refresh_per_second=4, transient=True) as live:
            session.on_runner = lambda runner: live.update(
                LiveStatus(runner.progress, billed=billed)
            )
            return session.run(backend, events)
    except (KeyboardInterrupt, Terminated) as exc:
        status = ExitStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else \
            ExitStatus.TERMINATED  # fmt: skip
        runner = session.runner
        done = runner.progress.files_done if runner is not None else 0
        err.print(
            f"[bold red]{'interrupted' if status == 130 else 'terminated'}[/]: "
            f"{done} file(s) finished; rerun the same command to convert the rest"
        )
        sys.stdout.flush()
        sys.stderr.flush()
        # NOTE: threads may still be inside a request or numpy: exit without waiting for them
        # (their temporary files are already gone, and no new one can be made).
        os._exit(int(status))


def _finish(summary: Summary, a: BatchArgs, *, billed: bool) -> None:
    from voxcli.cli._batch_view import summary_lines

    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as step_summary:
            step_summary.write(summary.markdown())
    if a.json_output:
        print_json(summary.to_json())
    if not a.quiet or summary.failed:
        for line in summary_lines(summary, billed=billed):
            err.print(line)
    status = summary.exit_status()
    if status is ExitStatus.SUCCESS:
        return
    if status is ExitStatus.ERROR:
        bug = next(f for f in summary.failed if (f.get("error") or {}).get("exit") == 1)
        err.print(bug["error"].get("traceback") or "")
        raise SystemExit(int(status))
    hint = "rerun the same command: finished files are skipped, the rest converted"
    if status is ExitStatus.QUOTA:
        raise QuotaError(f"stopped: {summary.stopped}", hint=hint)
    if status is ExitStatus.CONFIG:
        raise AuthError(
            f"stopped: {summary.stopped}",
            hint="check the API key (voxcli config show), then " + hint,
        )
    raise PartialError(
        f"{len(summary.failed)} of {len(summary.files)} file(s) failed",
        hint=hint + " (--retry-failed: only the failures)",
    )


def _print_dry_run(session: BatchSession, backend: Backend, *, json_output: bool) -> None:
    from voxcli.cli._batch_view import plan_table
    from voxcli.convert.dryrun import estimate_credits

    billed = backend.name != "local"
    tasks = session.tasks
    convert = session.to_convert
    credits = session.estimated_credits(backend)
    seconds = sum(t.duration or 0.0 for t in convert)
    if json_output:
        print_json({
            "files": len(tasks), "convert": len(convert), "skip": len(tasks) - len(convert),
            "audio_seconds": round(seconds, 3), "estimated_credits": credits,
            "shard": session.shard_text, "found": session.found,
            "tasks": [{"output": t.key, "input": str(t.item.source),
                       "action": "convert" if t.convert else "skip", "reason": t.reason,
                       "duration": t.duration,
                       "estimated_credits": estimate_credits(t.duration or 0.0)
                       if billed and t.convert else 0} for t in tasks],
        })  # fmt: skip
        return
    out.print(plan_table(tasks, billed=billed))
    cost = f"about {credits:,} credits (1,000 per minute)" if billed else "no credits (local)"
    out.print(f"{len(convert)} to convert ({seconds / 60:.1f} min of audio), "
              f"{len(tasks) - len(convert)} to skip; {cost}")  # fmt: skip


def run_report(manifests: list[Path], *, json_output: bool, markdown: bool) -> None:
    """Merge manifests and print the summary; exit 9 if any file failed or never finished."""
    from voxcli.cli._batch_view import summary_lines
    from voxcli.convert.batch.summary import from_manifests

    summary = from_manifests(manifests)
    if json_output:
        print_json(summary.to_json())
    elif markdown:
        sys.stdout.write(summary.markdown("voxcli batch report"))
    else:
        for line in summary_lines(summary, billed=summary.credits > 0):
            out.print(line)
    if summary.failed:
        raise PartialError(
            f"{len(summary.failed)} of {len(summary.files)} file(s) failed",
            hint="rerun the batch (with the same --shard) to retry them",
        )
