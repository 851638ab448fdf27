"""What `voxcli convert` does once Typer has parsed the arguments.

Order matters for users: everything that can fail for free (bad values, missing input, an
existing output, an unknown voice or model) fails before any audio is uploaded.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from voxcli.cli._console import RichReporter, notice, out, print_json
from voxcli.errors import InputError

if TYPE_CHECKING:
    from voxcli.audio.devices import Player
    from voxcli.audio.formats import OutputPlan
    from voxcli.audio.io import AudioInfo
    from voxcli.audio.output import Existing
    from voxcli.backends.base import VoiceSettings
    from voxcli.config import Config


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
    backend: str | None
    base_url: str | None
    retries: int | None
    jobs: int | None
    max_section: float
    dry_run: bool
    no_cache: bool
    quality: str
    strength: float | None
    overwrite: bool | None
    json_output: bool
    quiet: bool


def build_settings(a: ConvertArgs) -> VoiceSettings | None:
    """Voice settings: the --expressive preset, then --settings JSON, then individual flags."""
    from voxcli.backends.base import EXPRESSIVE, VoiceSettings

    merged = EXPRESSIVE if a.expressive else VoiceSettings()
    if a.settings:
        merged = merged.merged(VoiceSettings.from_json(a.settings))
    flags = VoiceSettings(a.stability, a.similarity_boost, a.style, a.speaker_boost, a.speed)
    flags.validate()
    merged = merged.merged(flags)
    return None if merged.is_empty() else merged


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "voice"


def run_convert(a: ConvertArgs) -> None:
    """Validate, plan, convert and report one conversion."""
    from voxcli import config as cfg
    from voxcli.audio import formats
    from voxcli.audio.output import Existing
    from voxcli.audio.source import open_input
    from voxcli.backends.base import check_latency, check_seed

    check_seed(a.seed)
    check_latency(a.latency)
    if not 1.0 <= a.max_section <= 300.0:
        raise InputError(
            f"--max-section must be from 1 to 300 seconds, not {a.max_section:g}",
            hint="the service takes at most 300 s per request; the default is 290",
        )
    if a.json_output and not a.dry_run and _audio_to_stdout(a):
        raise InputError(
            "--json cannot share stdout with the audio",
            hint="--json needs -o FILE: stdout carries the audio",
        )
    conf = cfg.load(_flags(a))
    settings = build_settings(a)
    existing = {True: Existing.OVERWRITE, False: Existing.SKIP, None: Existing.REFUSE}[a.overwrite]
    requested = conf["output_format"]
    if a.play and a.output is None:
        # Nothing is written: ask for PCM so playback can start with the first bytes.
        plan = formats.OutputPlan(
            formats.parse_format(requested or "pcm_24000"), "asis", requested is not None
        )
    else:
        plan = formats.plan_output(a.output, requested)
    if a.stream and plan.request.name not in formats.STREAM_FORMATS and plan.request.codec == "wav":
        raise InputError(
            f"the streaming endpoint has no {plan.request.name}",
            hint=f"use -f pcm_{plan.request.sample_rate} (voxcli adds the WAV header)",
        )
    with open_input(a.input) as source:
        from voxcli.audio import io

        info = io.probe(source)
        if a.dry_run:
            from voxcli.backends import backend_class

            name = conf.backend()[0]
            limit = min(a.max_section, backend_class(name).max_section_seconds)
            _print_dry_run(source, info, a, limit, billed=name != "local")
            return
        _convert(a, conf, settings, plan, existing, source, info)


def _audio_to_stdout(a: ConvertArgs) -> bool:
    """True when the converted audio goes to stdout (``-o -``, or stdin input without -o)."""
    if a.output is None:
        return a.input == "-" and not a.play
    return a.output == "-"


def _flags(a: ConvertArgs) -> dict[str, object | None]:
    return {
        "voice": a.voice,
        "model": a.model,
        "output_format": a.output_format,
        "backend": a.backend,
        "base_url": a.base_url,
        "retries": a.retries,
        "jobs": a.jobs,
    }


def _convert(
    a: ConvertArgs,
    conf: Config,
    settings: VoiceSettings | None,
    plan: OutputPlan,
    existing: Existing,
    source: Path,
    info: AudioInfo,
) -> None:
    from voxcli import pipeline
    from voxcli.audio.output import Destination, should_skip
    from voxcli.backends.base import ConvertRequest
    from voxcli.cli._backend import open_backend
    from voxcli.voices import resolve_voice

    reporter = RichReporter(quiet=a.quiet)
    backend, conf = open_backend(
        conf=conf, reporter=reporter, quality=a.quality, strength=a.strength
    )
    name = backend.name
    with backend:
        wanted = conf["voice"] or getattr(backend, "DEFAULT_VOICE", None)
        if not wanted:
            raise InputError(
                "no voice given",
                hint="pass --voice NAME (list them: voxcli voices) "
                "or set a default: voxcli config set voice NAME",
            )
        voice = resolve_voice(backend, wanted)
        request = ConvertRequest(
            voice_id=voice.voice_id,
            model_id=conf["model"],
            output_format=plan.request.name,
            seed=a.seed,
            voice_settings=settings,
            remove_background_noise=a.remove_background_noise,
            enable_logging=not a.no_logging,
            latency=a.latency,
        )
        pipeline.check_model(backend, request.model_id)
        play_only = a.play and a.output is None
        out_path = None if play_only else _output_path(a, voice.name, plan)
        to_stdout = out_path is None and not play_only
        if to_stdout and sys.stdout.isatty():
            raise InputError(
                "refusing to write audio to a terminal",
                hint="redirect stdout (> out.mp3) or pass -o FILE",
            )
        if should_skip(out_path, existing):
            if a.json_output:
                print_json({"output": str(out_path), "skipped": True})
            elif not a.quiet:
                notice(f"{out_path} exists; skipped (--no-overwrite)")
            return
        options = pipeline.Options(
            output=plan,
            input_pcm=a.input_pcm,
            stream=a.stream,
            jobs=conf["jobs"],
            max_section=a.max_section,
            use_cache=not a.no_cache,
            cache_max_bytes=conf["cache_max_mb"] * 1_000_000,
        )
        target: BinaryIO
        with ExitStack() as stack:
            # Opened before converting: no device fails before anything is uploaded.
            play = stack.enter_context(_player(plan)) if a.play else None
            if play_only:
                target = stack.enter_context(open(os.devnull, "wb"))
            else:
                # Bytes written front to back go straight to stdout (or a device, a FIFO);
                # anything an encoder must seek in (headers, the long path's MP3/Ogg sink)
                # is spooled first. Regular files are always written through a temp file.
                seekable = pipeline.needs_seekable_target(info, backend, options)
                dest = stack.enter_context(
                    Destination(out_path, existing=existing, seekable=seekable)
                )
                target = dest.file
            result = pipeline.convert(
                source, info, backend, request, options, target, reporter=reporter, on_audio=play
            )
            if not play_only:
                dest.commit()
    shown = None if play_only else ("-" if out_path is None else str(out_path))
    if a.json_output:
        data = {
            "output": shown,
            "backend": name,
            "voice_id": voice.voice_id,
            "voice_name": voice.name,
            "model": request.model_id,
            "seed": request.seed,
            "voice_settings": None if settings is None else json.loads(settings.to_json()),
        }
        print_json(data | result.to_json())
    elif shown not in (None, "-"):
        out.print(shown)


def _player(plan: OutputPlan) -> Player:
    """A player opened at the rate the audio will arrive at (Ogg Opus decodes at 48 kHz)."""
    from voxcli.audio.devices import Player

    fmt = plan.request
    return Player(rate=48000 if fmt.codec == "opus" else fmt.sample_rate)


def _output_path(a: ConvertArgs, voice_name: str, plan: OutputPlan) -> Path | None:
    """-o as given; None for stdout; else `<stem>.<voice>.<ext>` beside the input."""
    from voxcli.audio.formats import output_extension

    if a.output == "-":
        return None
    if a.output is not None:
        return Path(a.output)
    if a.input == "-":
        return None
    source = Path(a.input)
    return source.with_name(f"{source.stem}.{_slug(voice_name)}{output_extension(plan)}")


def _print_dry_run(
    source: Path, info: AudioInfo, a: ConvertArgs, max_section: float, *, billed: bool
) -> None:
    """The section plan and, for ElevenLabs (`billed`), the credits it would cost."""
    from voxcli import sections

    # The local engine runs offline: it costs no ElevenLabs credits.
    credits = math.ceil(info.duration_seconds / 60.0 * 1000.0) if billed else 0
    if info.duration_seconds <= max_section:
        whole = {
            "index": 0,
            "start_seconds": 0.0,
            "end_seconds": round(info.duration_seconds, 3),
            "cut_forced": False,
            "pause_seconds": 0.0,
        }
        plan_json: dict[str, Any] = {
            "duration_seconds": round(info.duration_seconds, 3),
            "sections": [whole],
        }
    else:
        plan_json = sections.make_plan(
            source, info, max_section=max_section, input_pcm=a.input_pcm
        ).to_json()
    if a.json_output:
        print_json(
            {
                "duration_seconds": round(info.duration_seconds, 3),
                "estimated_credits": credits,
                "plan": plan_json,
            }
        )
        return
    from voxcli.cli._render import plan_table

    out.print(plan_table(plan_json))
    cost = (
        f"estimated cost {credits:,} credits (1,000 per minute)"
        if billed
        else "no credits: offline local engine"
    )
    out.print(
        f"{len(plan_json['sections'])} request(s) for {info.duration_seconds:.1f} s of audio; "
        + cost
    )
