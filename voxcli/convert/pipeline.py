"""One conversion, end to end: input audio -> one request or many sections -> the output.

An input that fits in one request stays one request: the original file is uploaded as it is
(or as raw 16 kHz PCM with `--input-format pcm`) and the answer is written in the requested
format as received, without decoding and re-encoding (only a WAV/FLAC container is added around
PCM). Longer input goes through `voxcli.convert.sections` (plan -> concurrent sections -> stitch).

When voxcli chose the output format itself (from `-o`'s extension) and the account's tier
refuses it, the conversion falls back once to a format every tier may request, with a notice;
a format the user pinned with `-f` fails instead (exit 5, with a suggestion).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from voxcli.audio import io
from voxcli.audio.formats import OutputPlan, fallback_for, parse_format
from voxcli.backends.base import (
    MAX_UPLOAD_BYTES,
    Backend,
    ConvertRequest,
    ConvertResult,
    Upload,
)
from voxcli.convert.answers import AudioCallback, keeping, write_answer, write_stream, write_whole
from voxcli.convert.cache import CachedSection, SectionCache, section_key
from voxcli.convert.section_worker import backend_identity
from voxcli.errors import ServiceError, TierError
from voxcli.progress import NullReporter, Reporter

#: Models documented as able to convert voices (reference §1); others are checked with the service.
VOICE_CONVERSION_MODELS = ("eleven_multilingual_sts_v2", "eleven_english_sts_v2")


#: Formats the API is known to take as uploads without conversion; others are sent as FLAC.
_UPLOADABLE = {
    "WAV": "audio/wav",
    "FLAC": "audio/flac",
    "MP3": "audio/mpeg",
    "OGG": "audio/ogg",
    "AIFF": "audio/aiff",
}


@dataclass(frozen=True)
class Options:
    """How to run one conversion (everything except the request and the audio)."""

    output: OutputPlan
    input_pcm: bool = False
    stream: bool = False
    jobs: int | None = None
    """Sections converted at once, at most; `None`: as many as the backend allows (auto)."""
    max_section: float = 290.0
    use_cache: bool = True
    cache_max_bytes: int | None = 2_000_000_000
    """After the conversion, the section cache is pruned to this size (LRU); None: not pruned
    here (a batch prunes once, at its end)."""


@dataclass
class Result:
    """What one conversion did; `to_json` is the core of `convert --json`."""

    output_format: str
    duration_seconds: float
    request_ids: list[str] = field(default_factory=list)
    character_cost: int | None = None
    """Characters billed by this run's requests (answers from the cache cost nothing now)."""
    cached: int = 0
    """Requests answered from the cache instead of being sent."""
    long: Any = None
    """The `LongResult` when the input went through sections, else None."""

    @property
    def requests(self) -> int:
        """Requests this conversion needed (sent or answered from the cache)."""
        return self.long.converted + self.long.cached if self.long is not None else 1

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "output_format": self.output_format,
            "duration_seconds": round(self.duration_seconds, 3),
            "request_id": self.request_ids[0] if len(self.request_ids) == 1 else None,
            "request_ids": self.request_ids,
            "character_cost": self.character_cost,
            "cached": self.cached,
        }
        if self.long is not None:
            data["sections"] = self.long.to_json()
        return data


def check_model(backend: Backend, model_id: str) -> None:
    """Refuse, before uploading, a model the service does not have or that cannot convert voices."""
    if model_id in VOICE_CONVERSION_MODELS:
        return
    models = backend.models()
    able = [m.model_id for m in models if m.can_do_voice_conversion]
    for model in models:
        if model.model_id == model_id:
            if model.can_do_voice_conversion:
                return
            raise ServiceError(
                f"model {model_id} cannot do voice conversion",
                hint=f"use one of: {', '.join(able)}",
            )
    raise ServiceError(f"unknown model {model_id!r}", hint=f"use one of: {', '.join(able)}")


def make_upload(path: Path, info: io.AudioInfo, *, input_pcm: bool) -> Upload:
    """The audio part for a whole-file request.

    The original bytes go up untouched when the API takes the format and they are under
    50 MB; otherwise the audio is sent as mono FLAC. `input_pcm` sends raw 16 kHz PCM instead.
    """
    if input_pcm:
        pcm = io.read_pcm16k(path)
        return Upload(
            pcm, "audio.pcm", "application/octet-stream", info.duration_seconds, "pcm_s16le_16"
        )
    content_type = _UPLOADABLE.get(info.format)
    if content_type and path.stat().st_size < MAX_UPLOAD_BYTES:
        suffix = info.format.lower()
        return Upload(path.read_bytes(), f"audio.{suffix}", content_type, info.duration_seconds)
    samples, rate = io.read(path)
    return Upload(io.encode_flac(samples, rate), "audio.flac", "audio/flac", info.duration_seconds)


def fits_one_request(info: io.AudioInfo, backend: Backend, options: Options) -> bool:
    """True when the input goes up as one request (else it is split into sections)."""
    return info.duration_seconds <= min(options.max_section, backend.max_section_seconds)


def needs_seekable_target(info: io.AudioInfo, backend: Backend, options: Options) -> bool:
    """True when the output cannot be written strictly front to back (e.g. into a pipe).

    Bytes go straight through for raw codecs (pcm, ulaw, alaw), which have no header, and for
    a single request written as received. Everything else is written by a libsndfile encoder
    (a WAV/FLAC container, or the long path's MP3/Ogg/WAV sink), which seeks to rewrite headers.
    """
    plan = options.output
    if plan.container != "asis":
        return True
    return not (plan.request.is_raw or fits_one_request(info, backend, options))


def convert(
    source: Path,
    info: io.AudioInfo,
    backend: Backend,
    request: ConvertRequest,
    options: Options,
    target: BinaryIO,
    *,
    reporter: Reporter | None = None,
    on_audio: AudioCallback | None = None,
) -> Result:
    """Convert `source` into `target` (a binary file) and say what was done."""
    reporter = reporter or NullReporter()
    cache = SectionCache(warn=reporter.notice) if options.use_cache else None
    result = _convert(source, info, backend, request, options, target, reporter, on_audio, cache)
    if cache is not None and options.cache_max_bytes is not None:
        cache.prune(options.cache_max_bytes)
    return result


def _convert(
    source: Path,
    info: io.AudioInfo,
    backend: Backend,
    request: ConvertRequest,
    options: Options,
    target: BinaryIO,
    reporter: Reporter,
    on_audio: AudioCallback | None,
    cache: SectionCache | None,
) -> Result:
    if fits_one_request(info, backend, options):
        upload = make_upload(source, info, input_pcm=options.input_pcm)
        upload.check_limits()
        upload = replace(upload, progress=partial(reporter.activity, 0))
        reporter.start(info.duration_seconds, f"converting {info.duration_seconds:.1f} s")
        try:
            result = _request_single(
                upload, info, backend, request, options, target, reporter, on_audio, cache
            )
            reporter.advance(info.duration_seconds)
            return result
        finally:
            reporter.finish()
    from voxcli.convert import sections

    max_section = min(options.max_section, backend.max_section_seconds)
    plan = sections.make_plan(source, info, max_section=max_section, input_pcm=options.input_pcm)
    long = sections.convert_long(
        source,
        info,
        plan,
        backend,
        request,
        options.output,
        target,
        jobs=options.jobs,
        input_pcm=options.input_pcm,
        cache=cache,
        reporter=reporter,
        stream=options.stream,
        on_audio=on_audio,
    )
    return Result(
        output_format=options.output.request.name,
        duration_seconds=info.duration_seconds,
        request_ids=list(long.request_ids),
        character_cost=long.character_cost,
        cached=long.cached,
        long=long,
    )


def _request_single(
    upload: Upload,
    info: io.AudioInfo,
    backend: Backend,
    request: ConvertRequest,
    options: Options,
    target: BinaryIO,
    reporter: Reporter,
    on_audio: AudioCallback | None,
    cache: SectionCache | None,
) -> Result:
    """One request (with the once-per-run tier fallback), answered from the cache if it can be.

    A finished answer is cached before it is written out, so a rerun after an interruption
    (even SIGKILL) never pays for it again.
    """
    fmt = options.output.request
    identity = backend_identity(backend, request) if cache is not None else ""
    while True:
        attempt = replace(request, output_format=fmt.name)
        key = (
            section_key(
                upload, attempt, output_format=fmt.name, backend=backend.name, identity=identity
            )
            if cache is not None
            else ""
        )
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            answer = ConvertResult(hit.audio, fmt.name, hit.request_id, hit.character_cost)
            write_answer(answer, fmt, options.output, target, on_audio, stream=options.stream)
            ids = [hit.request_id] if hit.request_id else []
            return Result(fmt.name, info.duration_seconds, ids, 0, cached=1)
        try:
            if options.stream:
                with backend.convert_stream(upload, attempt) as stream:
                    kept: list[bytes] = []
                    write_stream(keeping(stream, kept), fmt, options.output, target, on_audio)
                    answer = ConvertResult(
                        b"".join(kept), fmt.name, stream.request_id, stream.character_cost
                    )
            else:
                answer = backend.convert(upload, attempt)
                if cache is not None:
                    cache.put(
                        key,
                        CachedSection(
                            answer.audio, fmt.name, answer.request_id, answer.character_cost
                        ),
                    )
                write_whole(answer, fmt, options.output, target, on_audio)
        except TierError:
            name = fallback_for(fmt.name, options.output, streaming=options.stream)
            if name is None or fmt.name != options.output.request.name:
                raise  # pinned, or already fell back once
            fallback = parse_format(name)
            reporter.notice(
                f"{fmt.name} needs a higher subscription tier; using {fallback.name} instead"
            )
            fmt = fallback
            continue
        if options.stream and cache is not None:
            cache.put(
                key, CachedSection(answer.audio, fmt.name, answer.request_id, answer.character_cost)
            )
        ids = [answer.request_id] if answer.request_id else []
        return Result(fmt.name, info.duration_seconds, ids, answer.character_cost)
