"""One conversion's run: checks, voice, output plan, the pipeline, and committing the output.

`run_conversion` is the one function `convert`, `batch` and `record --convert` call. The order
matters for users: everything that can fail for free (bad values, an output format that does
not fit the output's name, a missing or undecodable input, an existing output, an unknown voice
or model) fails before any audio is uploaded. The result is written through a temporary file
and renamed into place only when complete (`voxcli.audio.output.Destination`), so an error or
an interruption leaves nothing that looks finished.

The core never prints: progress and notices go to the `Reporter`; the caller renders the
returned `ConvertOutcome`.
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from voxcli.convert.job import ConvertJob, ConvertSettings
from voxcli.errors import InputError

if TYPE_CHECKING:
    from voxcli.audio.formats import OutputPlan
    from voxcli.audio.playback import Player
    from voxcli.audio.source import Opened
    from voxcli.backends.base import Backend, ConvertRequest, Voice
    from voxcli.convert.pipeline import Result
    from voxcli.progress import Reporter


@dataclass(frozen=True)
class Target:
    """What every file of a run is converted into: the voice and the request (resolved once)."""

    voice: Voice
    request: ConvertRequest
    """The request's fields; `output_format` is set per output."""


@dataclass
class ConvertOutcome:
    """What one conversion did; `to_json` is `convert --json`."""

    output: Path | None
    """The file written or skipped; None for stdout or play-only."""
    to_stdout: bool
    skipped: bool
    backend: str
    voice: Voice
    request: ConvertRequest
    result: Result | None = None
    """None when skipped."""
    ignored: dict[str, str] = field(default_factory=dict)
    """Options the backend does not honour, and why (`Backend.ignored`)."""

    @property
    def shown(self) -> str | None:
        """The output as the user names it: a path, ``-`` for stdout, None when only played."""
        if self.output is not None:
            return str(self.output)
        return "-" if self.to_stdout else None

    def to_json(self) -> dict[str, Any]:
        if self.skipped:
            return {"output": self.shown, "skipped": True}
        assert self.result is not None
        settings = self.request.voice_settings
        data = {
            "output": self.shown,
            "backend": self.backend,
            "voice_id": self.voice.voice_id,
            "voice_name": self.voice.name,
            "model": self.request.model_id,
            "seed": self.request.seed,
            "voice_settings": None if settings is None else settings.to_dict(),
            "ignored_options": dict(self.ignored),
        }
        return data | self.result.to_json()


def output_plan(job: ConvertJob) -> OutputPlan:
    """What to request and how to write it, from `-f` and the output's name (`InputError` if
    they disagree, or if the streaming endpoint lacks the format)."""
    from voxcli.audio import formats

    requested = job.settings.output_format
    if job.play_only:
        # Nothing is written: ask for PCM so playback can start with the first bytes.
        plan = formats.OutputPlan(
            formats.parse_format(requested or "pcm_24000"), "asis", requested is not None
        )
    elif job.output is None and job.input != "-":
        # The name voxcli will choose decides, as -o would (a video stays a video).
        suffix = formats.default_output_suffix(job.input, requested)
        plan = formats.plan_output(f"out{suffix}", requested)
    else:
        plan = formats.plan_output(job.output, requested)
    fmt = plan.request
    if job.settings.stream and fmt.name not in formats.STREAM_FORMATS and fmt.codec == "wav":
        raise InputError(
            f"the streaming endpoint has no {fmt.name}",
            hint=f"use -f pcm_{fmt.sample_rate} (voxcli adds the WAV header)",
        )
    return plan


def resolve_target(settings: ConvertSettings, backend: Backend) -> Target:
    """The one voice `settings.voice` names on `backend`, and a model able to convert to it."""
    from voxcli.backends.base import ConvertRequest
    from voxcli.convert.pipeline import check_model
    from voxcli.voices import resolve_voice

    wanted = settings.voice or getattr(backend, "DEFAULT_VOICE", None)
    if not wanted:
        raise InputError(
            "no voice given",
            hint="pass --voice NAME (list them: voxcli voices) "
            "or set a default: voxcli config set voice NAME",
        )
    voice = resolve_voice(backend, wanted)
    request = ConvertRequest(
        voice_id=voice.voice_id,
        model_id=settings.model,
        seed=settings.seed,
        voice_settings=settings.voice_settings,
        remove_background_noise=settings.remove_background_noise,
        enable_logging=settings.enable_logging,
        latency=settings.latency,
    )
    check_model(backend, request.model_id)
    return Target(voice, request)


def default_output(source: Path, voice_name: str, plan: OutputPlan) -> Path:
    """``<stem>.<voice>.<ext>`` beside `source`."""
    from voxcli.audio.formats import output_extension

    slug = re.sub(r"[^a-z0-9]+", "-", voice_name.casefold()).strip("-") or "voice"
    return source.with_name(f"{source.stem}.{slug}{output_extension(plan)}")


def output_path(job: ConvertJob, voice_name: str, plan: OutputPlan) -> Path | None:
    """-o as given; None for stdout (or play-only); else `default_output` beside the input."""
    if job.play_only or job.output == "-":
        return None
    if job.output is not None:
        return Path(job.output)
    source = job.input_path()
    return None if source is None else default_output(source, voice_name, plan)


def run_conversion(
    job: ConvertJob,
    backend: Backend,
    *,
    target: Target | None = None,
    reporter: Reporter | None = None,
) -> ConvertOutcome:
    """Convert `job.input` into its output with `backend` and say what was done.

    `target` is the voice and request resolved once for a run of many files (`resolve_target`);
    without it, it is resolved here. Raises `VoxError`s; nothing partial is left behind.
    """
    from voxcli.audio.output import Destination, should_skip
    from voxcli.audio.source import open_audio
    from voxcli.convert import pipeline
    from voxcli.progress import NullReporter

    reporter = reporter or NullReporter()
    settings = job.settings
    plan = output_plan(job)
    with open_audio(job.input, audio_track=settings.audio_track, reporter=reporter) as opened:
        source, info = opened.path, opened.info
        plan = _keep_video(plan, opened, reporter)
        target = target or resolve_target(settings, backend)
        request = replace(target.request, output_format=plan.request.name)
        out_path = output_path(job, target.voice.name, plan)
        to_stdout = out_path is None and not job.play_only
        outcome = ConvertOutcome(out_path, to_stdout, False, backend.name, target.voice, request)
        outcome.ignored = backend.ignored(request)
        if outcome.ignored:
            reporter.notice(ignored_notice(backend.name, outcome.ignored))
        if to_stdout and sys.stdout.isatty():
            raise InputError(
                "refusing to write audio to a terminal",
                hint="redirect stdout (> out.mp3) or pass -o FILE",
            )
        if should_skip(out_path, settings.existing):
            outcome.skipped = True
            return outcome
        options = pipeline.Options(
            output=plan,
            input_pcm=settings.input_pcm,
            stream=settings.stream,
            jobs=settings.jobs,
            max_section=settings.max_section,
            use_cache=settings.use_cache,
            cache_max_bytes=settings.cache_max_bytes,
        )
        with ExitStack() as stack:
            # Opened before converting: no device fails before anything is uploaded.
            play = stack.enter_context(_player(plan, job)) if job.play else None
            target_file: BinaryIO
            if job.play_only:
                target_file = stack.enter_context(open(os.devnull, "wb"))
            else:
                # Bytes written front to back go straight to stdout (or a device, a FIFO);
                # anything an encoder must seek in (headers, the long path's MP3/Ogg sink)
                # is spooled first. Regular files are always written through a temp file.
                seekable = pipeline.needs_seekable_target(info, backend, options)
                dest = stack.enter_context(
                    Destination(out_path, existing=settings.existing, seekable=seekable)
                )
                target_file = dest.file
            outcome.result = pipeline.convert(
                source, info, backend, request, options, target_file,
                reporter=reporter, on_audio=play,
            )  # fmt: skip
            if not job.play_only:
                dest.commit()
    return outcome


def ignored_notice(backend: str, ignored: dict[str, str]) -> str:
    """One line naming the options a backend ignores, grouped by reason."""
    reasons: dict[str, list[str]] = {}
    for flag, why in ignored.items():
        reasons.setdefault(why, []).append(flag)
    parts = [f"{', '.join(flags)} ({why})" for why, flags in reasons.items()]
    return f"the {backend} backend ignores {'; '.join(parts)}"


def _keep_video(plan: OutputPlan, opened: Opened, reporter: Reporter) -> OutputPlan:
    """`plan` with the input's video copied around the converted voice, when both the input
    has a video and the output's container holds one (`voxcli.audio.media_sink`).

    Checked here, before anything is uploaded: a stream the output container cannot carry is
    an `InputError`.
    """
    from voxcli.audio.containers import Remux
    from voxcli.audio.formats import VIDEO_EXTENSIONS
    from voxcli.audio.media_sink import check_remux

    if f".{plan.container}" not in VIDEO_EXTENSIONS or opened.decoded is None:
        return plan
    if not opened.has_video:
        return plan
    track = opened.decoded
    remux = Remux(opened.original, track.track.index, track.start_seconds,
                  opened.info.duration_seconds)  # fmt: skip
    for notice in check_remux(remux, plan.container):
        reporter.notice(notice)
    return replace(plan, remux=remux)


def _player(plan: OutputPlan, job: ConvertJob) -> Player:
    """A player opened at the rate the audio will arrive at (Ogg Opus decodes at 48 kHz)."""
    from voxcli.audio.playback import Player

    fmt = plan.request
    if fmt.codec == "mp3" and job.settings.stream:
        import av  # noqa: F401 - loaded now, not while the first chunk waits to be decoded

    rate = 48000 if fmt.codec == "opus" else fmt.sample_rate
    return Player(job.output_device.spec, rate=rate, origin=job.output_device.origin)
