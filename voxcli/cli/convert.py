"""`voxcli convert`: one recording into another voice."""

from __future__ import annotations

from typing import Annotated

import typer

from voxcli.cli import _options as opt
from voxcli.cli._console import reported_errors

EXAMPLES = (
    (
        "voxcli convert talk.wav -o talk.out.wav",
        "Convert into the default voice (sally on the local engine, without an API key)",
    ),
    (
        "voxcli convert talk.wav -v Rachel -o talk.ogg",
        "Convert into an ElevenLabs voice, as Ogg Opus (the format follows the extension)",
    ),
    (
        "cat talk.wav | voxcli convert - -f wav_22050 > out.wav",
        "Read stdin, write stdout (a WAV at 22.05 kHz)",
    ),
)


def convert(
    input: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="Audio or video file to convert, or - to read it from stdin.",
            show_default=False,
        ),
    ],
    output: opt.Output = None,
    voice: opt.Voice = None,
    model: opt.Model = None,
    output_format: opt.OutputFormatOpt = None,
    seed: opt.Seed = None,
    latency: opt.Latency = None,
    input_format: opt.InputFormatOpt = opt.InputFormat.auto,
    audio_track: opt.AudioTrack = 1,
    settings: opt.Settings = None,
    expressive: opt.Expressive = False,
    stability: opt.Stability = None,
    similarity_boost: opt.SimilarityBoost = None,
    style: opt.Style = None,
    speaker_boost: opt.SpeakerBoost = None,
    speed: opt.Speed = None,
    remove_background_noise: opt.RemoveNoise = False,
    no_logging: opt.NoLogging = False,
    stream: opt.Stream = False,
    play: opt.Play = False,
    output_device: opt.OutputDevice = None,
    backend: opt.Backend = None,
    base_url: opt.BaseUrl = None,
    retries: opt.Retries = None,
    jobs: opt.Jobs = None,
    max_section: opt.MaxSection = 290.0,
    dry_run: opt.DryRun = False,
    no_cache: opt.NoCache = False,
    quality: opt.QualityOpt = opt.Quality.default,
    strength: opt.Strength = None,
    overwrite: opt.Overwrite = None,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
) -> None:
    """Convert a recording into another voice.

    Uses ElevenLabs speech-to-speech when an API key is configured, else the offline local engine.
    Input longer than --max-section is split at pauses, converted in parallel and stitched back.
    """
    # Loaded here, not at start-up: its dataclasses cost milliseconds `--help` need not pay.
    from voxcli.cli._convert_run import ConvertArgs, run_convert

    args = ConvertArgs(
        input=input,
        output=output,
        voice=voice,
        model=model,
        output_format=output_format,
        seed=seed,
        latency=latency,
        input_pcm=input_format is opt.InputFormat.pcm,
        audio_track=audio_track,
        settings=settings,
        expressive=expressive,
        stability=stability,
        similarity_boost=similarity_boost,
        style=style,
        speaker_boost=speaker_boost,
        speed=speed,
        remove_background_noise=remove_background_noise,
        no_logging=no_logging,
        stream=stream,
        play=play,
        output_device=output_device,
        backend=backend,
        base_url=base_url,
        retries=retries,
        jobs=jobs,
        max_section=max_section,
        dry_run=dry_run,
        no_cache=no_cache,
        quality=quality.value,
        strength=strength,
        overwrite=overwrite,
        json_output=json_output,
        quiet=quiet,
    )
    with reported_errors():
        run_convert(args)
