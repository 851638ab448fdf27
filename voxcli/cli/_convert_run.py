"""`voxcli convert` once Typer has parsed the arguments: flags -> a `ConvertJob` -> the core.

Parsing and rendering only: the conversion itself (checks, voice, output plan, pipeline,
commit) is `voxcli.convert.run.run_conversion`, shared with `batch` and `record --convert`.
Everything that can fail for free fails before any audio is uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voxcli.cli._console import RichReporter, notice, out, print_json
from voxcli.cli._convert_flags import config_flags, conversion_settings
from voxcli.errors import InputError

if TYPE_CHECKING:
    from voxcli.config import Config
    from voxcli.convert.job import ConvertJob


@dataclass(frozen=True)
class ConvertArgs:
    """The parsed command line of `voxcli convert`."""

    input: str
    output: str | None
    voice: str | None
    model: str | None
    output_format: str | None
    seed: int | None
    latency: int | None
    input_pcm: bool
    settings: str | None
    expressive: bool
    stability: float | None
    similarity_boost: float | None
    style: float | None
    speaker_boost: bool | None
    speed: float | None
    remove_background_noise: bool
    no_logging: bool
    stream: bool
    play: bool
    output_device: str | None
    backend: str | None
    base_url: str | None
    retries: int | None
    jobs: str | None
    max_section: float
    dry_run: bool
    no_cache: bool
    quality: str
    strength: float | None
    overwrite: bool | None
    json_output: bool
    quiet: bool
    audio_track: int = 1
    """`--audio-track` (only `convert` has it: a take has one track)."""


def run_convert(a: ConvertArgs) -> None:
    """Validate, plan, convert and report one conversion."""
    from voxcli import config as cfg
    from voxcli.audio.output import Existing
    from voxcli.convert.job import ConvertJob, ConvertSettings

    # The checks that need no configuration come first (seed, latency, --max-section).
    ConvertSettings(
        seed=a.seed, latency=a.latency, max_section=a.max_section, audio_track=a.audio_track
    ).check()
    if (
        a.json_output
        and not a.dry_run
        and ConvertJob(a.input, a.output, play=a.play).audio_to_stdout()
    ):
        raise InputError(
            "--json cannot share stdout with the audio",
            hint="--json needs -o FILE: stdout carries the audio",
        )
    conf = cfg.load({**config_flags(a, jobs=a.jobs), "output_device": a.output_device})
    if a.output_device is not None and not a.play:
        raise InputError("--output-device is for --play", hint="add --play, or leave it out")
    from voxcli.audio.devices import DeviceChoice

    existing = {True: Existing.OVERWRITE, False: Existing.SKIP, None: Existing.REFUSE}
    settings = conversion_settings(
        a, conf, existing=existing[a.overwrite], stream=a.stream, audio_track=a.audio_track
    )
    device = DeviceChoice(conf["output_device"], conf.origin("output_device"))
    job = ConvertJob(a.input, a.output, settings, a.play, device)
    if a.dry_run:
        _dry_run(a, job, conf)
    else:
        _convert(a, job, conf)


def _convert(a: ConvertArgs, job: ConvertJob, conf: Config) -> None:
    from voxcli.cli._backend import open_backend
    from voxcli.convert.run import output_plan, run_conversion

    output_plan(job)  # a format that does not fit the output's name fails before the backend
    reporter = RichReporter(quiet=a.quiet)
    backend, conf = open_backend(
        conf=conf, reporter=reporter, quality=a.quality, strength=a.strength
    )
    with backend:
        outcome = run_conversion(job, backend, reporter=reporter)
    if a.json_output:
        print_json(outcome.to_json())
    elif outcome.skipped:
        if not a.quiet:
            notice(f"{outcome.output} exists; skipped (--no-overwrite)")
    elif outcome.shown not in (None, "-"):
        out.print(outcome.shown)


def _dry_run(a: ConvertArgs, job: ConvertJob, conf: Config) -> None:
    """The section plan and, for ElevenLabs, the credits it would cost."""
    from voxcli.audio.source import open_audio
    from voxcli.backends import backend_class
    from voxcli.convert.dryrun import dry_run
    from voxcli.convert.run import output_plan

    output_plan(job)
    name = conf.backend()[0]
    with open_audio(job.input, audio_track=a.audio_track) as opened:
        source, info = opened.path, opened.info
        limit = min(a.max_section, backend_class(name).max_section_seconds)
        # The local engine runs offline: it costs no ElevenLabs credits.
        planned = dry_run(
            source, info, max_section=limit, input_pcm=a.input_pcm, billed=name != "local"
        )
    if a.json_output:
        print_json(planned.to_json())
        return
    from voxcli.cli._render import plan_table

    out.print(plan_table(planned.plan))
    if limit < a.max_section:
        out.print(
            f"the {name} backend converts at most {limit:g} s per request (its memory grows "
            f"with the input), so sections are at most {limit:g} s long"
        )
    cost = (
        f"estimated cost {planned.estimated_credits:,} credits (1,000 per minute)"
        if planned.billed
        else "no credits: offline local engine"
    )
    out.print(
        f"{len(planned.plan['sections'])} request(s) for {planned.duration_seconds:.1f} s of "
        "audio; " + cost
    )
