"""The contract every voice-conversion backend implements, and the values it exchanges.

A backend turns one upload (at most 300 s) into converted audio in a requested output format.
It knows nothing about files, sections or the terminal: the pipeline splits long input and
stitches results; the CLI renders. Backends raise only `VoxError` subclasses; anything else
is a bug.

Two built-ins implement it: `elevenlabs` (the HTTP API) and `local` (the offline engine).
`voxcli.server` puts any backend behind the ElevenLabs HTTP contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

from voxcli.backends.voice_settings import VoiceSettings, check_latency, check_seed
from voxcli.errors import InputError

DEFAULT_MODEL = "eleven_multilingual_sts_v2"
MAX_UPLOAD_SECONDS = 300.0
#: "must be less than 50mb" (reference §7); whether MB means 10**6 or 2**20 is not documented,
#: so voxcli takes the smaller reading.
MAX_UPLOAD_BYTES = 50_000_000

FileFormat = Literal["pcm_s16le_16", "other"]
#: Receives what a request is doing and its fraction done, when known (see `Upload.report`).
Progress = Callable[[str, "float | None"], None]


@dataclass(frozen=True)
class Voice:
    """A target voice a backend can convert into."""

    voice_id: str
    """Stable identifier; what the API takes in its path."""
    name: str
    category: str = ""
    """``premade``, ``cloned``, ``generated``, ... (API) or ``builtin``/``user`` (local)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Free-form labels such as gender, accent, age."""
    description: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Backend-specific extras shown by `voices show` (e.g. a local profile's statistics)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the shape `voxcli voices --json` prints)."""
        data = asdict(self)
        data["labels"] = dict(self.labels)
        data["details"] = dict(self.details)
        return data


@dataclass(frozen=True)
class Model:
    """A model the service offers."""

    model_id: str
    name: str
    can_do_voice_conversion: bool
    description: str = ""
    languages: Sequence[str] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["languages"] = list(self.languages)
        return data


@dataclass(frozen=True)
class ConvertRequest:
    """Everything except the audio that determines one conversion."""

    voice_id: str
    model_id: str = DEFAULT_MODEL
    output_format: str = "mp3_44100_128"
    seed: int | None = None
    voice_settings: VoiceSettings | None = None
    remove_background_noise: bool = False
    enable_logging: bool = True
    latency: int | None = None
    """`optimize_streaming_latency` 0..4 (deprecated upstream)."""

    def __post_init__(self) -> None:
        check_seed(self.seed)
        check_latency(self.latency)

    def cache_fields(self) -> dict[str, Any]:
        """Every field that changes the result, as plain JSON data (for cache keys)."""
        data = asdict(self)
        data["voice_settings"] = (
            None if self.voice_settings is None else self.voice_settings.to_dict()
        )
        data.pop("enable_logging")  # changes retention upstream, not the audio
        return data


@dataclass(frozen=True)
class Upload:
    """The audio part of one request."""

    data: bytes
    filename: str
    content_type: str
    duration_seconds: float
    file_format: FileFormat = "other"
    """``pcm_s16le_16`` for raw 16 kHz mono 16-bit PCM (lower latency upstream)."""
    progress: Progress | None = field(default=None, compare=False, repr=False)
    """Where the backend says what this upload's request is doing (`report`); not part of
    what is converted (cache keys ignore it)."""

    def report(self, what: str, fraction: float | None = None) -> None:
        """Say what the request is doing now ("uploading", "converting", "receiving")."""
        if self.progress is not None:
            self.progress(what, fraction)

    def check_limits(self) -> None:
        """Refuse uploads the API would refuse: over 300 s or not under 50 MB."""
        if self.duration_seconds > MAX_UPLOAD_SECONDS + 1e-6:
            raise InputError(
                f"the audio is {self.duration_seconds:.1f} s long; one request takes at most "
                f"{MAX_UPLOAD_SECONDS:.0f} s",
                hint="voxcli splits long input into sections; check --max-section (at most 300)",
            )
        if len(self.data) >= MAX_UPLOAD_BYTES:
            raise InputError(
                f"the upload is {len(self.data) / 1e6:.1f} MB; the API takes less than 50 MB",
                hint="use --input-format pcm (16 kHz PCM) or a compressed input",
            )


@dataclass(frozen=True)
class ConvertResult:
    """Converted audio as the backend returned it, with the response's metadata."""

    audio: bytes
    output_format: str
    request_id: str | None = None
    character_cost: int | None = None


class AudioStream:
    """Chunks of converted audio, with the response metadata known once headers arrived."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        *,
        output_format: str,
        request_id: str | None = None,
        character_cost: int | None = None,
    ) -> None:
        self._chunks = chunks
        self.output_format = output_format
        self.request_id = request_id
        self.character_cost = character_cost

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


class Backend(ABC):
    """Turns speech in one voice into the same speech in another."""

    name: ClassVar[str]
    """Registry key, as typed after `--backend`."""

    max_section_seconds: ClassVar[float] = MAX_UPLOAD_SECONDS
    """Longest input this backend should get in one call; longer input is split into sections
    no longer than this (the local engine's memory grows with the input's length)."""

    auto_jobs: ClassVar[int] = 2
    """Conversions at once under ``--jobs auto`` when the backend learns nothing better (the
    local engine is CPU-bound in one process)."""
    _jobs: int | None = None

    def configure_concurrency(self, jobs: int | None, *, shares: int = 1) -> None:
        """Allow `jobs` conversions at once; `None` (``--jobs auto``) lets the backend decide.

        The default keeps `jobs` (auto: `auto_jobs`); the ElevenLabs backend follows the
        account's limit instead, and starts at a `shares`-th of it when that many processes
        share the account. Calling it again with the same value changes nothing.
        """
        self._jobs = jobs

    @property
    def concurrency_limit(self) -> int:
        """Conversions to run at once now: what sizes the windows of prepared uploads."""
        return self._jobs or self.auto_jobs

    @abstractmethod
    def voices(self) -> list[Voice]:
        """Return the voices this backend offers."""

    @abstractmethod
    def models(self) -> list[Model]:
        """Return the models this backend offers."""

    @abstractmethod
    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        """Convert one upload (at most 300 s) and return the whole result."""

    def cache_identity(self, request: ConvertRequest) -> dict[str, object]:
        """What, besides the upload and `request`, decides this backend's answer.

        Folded into the section cache's key, so a changed setting or voice never reuses stale
        sections. Values must be JSON-serialisable. The default: nothing else.
        """
        return {}

    def ignored(self, request: ConvertRequest) -> dict[str, str]:
        """Options set in `request` that this backend does not honour: ``{flag: why}``.

        The CLI says so once, so no option is silently ignored. The default: none.
        """
        return {}

    @contextmanager
    def convert_stream(self, upload: Upload, request: ConvertRequest) -> Iterator[AudioStream]:
        """Convert one upload and yield its audio as chunks arrive.

        The default converts the whole upload and yields it as one chunk; backends with a
        streaming endpoint override this.
        """
        result = self.convert(upload, request)
        yield AudioStream(
            iter([result.audio]),
            output_format=result.output_format,
            request_id=result.request_id,
            character_cost=result.character_cost,
        )

    @abstractmethod
    def add_voice(
        self,
        name: str,
        samples: Sequence[Path],
        *,
        description: str = "",
        labels: Mapping[str, str] | None = None,
        remove_background_noise: bool = False,
    ) -> Voice:
        """Create a voice from sample recordings (instant voice cloning / a local profile)."""

    def remove_voice(self, voice_id: str) -> None:
        """Delete a voice this backend created. Backends that cannot, refuse."""
        raise InputError(f"the {self.name} backend cannot remove voices")

    def close(self) -> None:  # noqa: B027 - optional hook with a do-nothing default
        """Release connections. The default holds nothing."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
