"""The `elevenlabs` backend: the ElevenLabs speech-to-speech API over httpx.

One `httpx.Client` per backend (one connection pool, shared by the pipeline's worker threads).
Conversions go to ``POST /v1/voice-changer/{voice_id}[/stream]``, the path the current official
SDK uses (reference §12). Every request goes through one `voxcli.backends.retry.Sender` (what is
retried and how long it waits are documented there) and every conversion holds a slot of
`limiter` (`voxcli.backends.concurrency`), whose limit follows the account's concurrency as the
service reports it. `configure_concurrency` sets where it starts: ``--jobs N`` (also a ceiling),
or with ``--jobs auto`` the subscription tier's documented limit.

Timeouts: connect 10 s; read, write and pool ``base_timeout + 2 x the upload's duration``
(60 s + 2x). The service converts faster than real time, so 2x covers processing plus a slow
upload of a 290 s section (640 s), while a stalled connection still fails within a minute or so.

Redirects are not followed: httpx would forward the ``xi-api-key`` header to wherever a redirect
points. Environment proxies (``HTTPS_PROXY``, ...) are used for https only: there the proxy
tunnels TLS (``CONNECT``) and never sees the key. A plain-http base URL (only ever loopback, see
`check_key_transport`) is reached directly, as through ``HTTP_PROXY`` the key would reach the
proxy in clear text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from voxcli import __version__
from voxcli.backends._http import KEY_HINT, check_key_transport, http_errors
from voxcli.backends._sending import upload_body
from voxcli.backends._subscription import Subscription, auto_start, subscription_from_json
from voxcli.backends._voices import (
    VoiceCache,
    all_voices,
    is_voice,
    model_from_json,
    voice_form,
    voice_from_json,
)
from voxcli.backends.base import (
    AudioStream,
    Backend,
    ConvertRequest,
    ConvertResult,
    Model,
    Upload,
    Voice,
)
from voxcli.backends.concurrency import Limiter
from voxcli.backends.retry import Answer, Backoff, Sender
from voxcli.config import DEFAULT_BASE_URL
from voxcli.errors import AuthError, ConfigError, ServiceError
from voxcli.progress import NullReporter, Reporter


class ElevenLabsBackend(Backend):
    """The ElevenLabs HTTP API (or anything speaking it, such as `voxcli serve`)."""

    name = "elevenlabs"
    base_timeout = 60.0
    """Seconds allowed for a response beyond 2 s per second of uploaded audio."""
    connect_timeout = 10.0

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        retries: int = 5,
        backoff: float = 1.0,
        cache_dir: Path | None = None,
        reporter: Reporter | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if retries < 1:
            raise ConfigError(f"retries must be at least 1, not {retries}", hint="use --retries 1")
        try:
            self._url = httpx.URL(base_url.rstrip("/"))
        except httpx.InvalidURL as exc:
            hint = "e.g. --base-url " + DEFAULT_BASE_URL
            raise ConfigError(f"invalid base URL {base_url!r}", hint=hint) from exc
        if self._url.scheme not in ("http", "https") or not self._url.host:
            raise ConfigError(
                f"invalid base URL {base_url!r}: expected http(s)://host[:port]",
                hint="e.g. --base-url " + DEFAULT_BASE_URL,
            )
        self.base_url = str(self._url)
        self._api_key = api_key or None
        self.retries = retries
        self._own_client = client is None
        self.limiter = Limiter()
        """Every conversion holds a slot; the limit follows the account's concurrency."""
        self._configured: tuple[int | None] | None = None
        self._configure_lock = threading.Lock()
        self._sender = Sender(
            client
            or httpx.Client(
                timeout=httpx.Timeout(self.base_timeout, connect=self.connect_timeout),
                follow_redirects=False,
                # NOTE: httpx has no implicit loopback bypass, so with trust_env an http base
                # URL would go through HTTP_PROXY with the key in clear text.
                trust_env=self._url.scheme == "https",
            ),
            attempts=retries,
            backoff=Backoff(base=backoff),
            limiter=self.limiter,
            reporter=reporter or NullReporter(),
            sleep=sleep,
            secret=self._api_key,
        )
        self._voices = VoiceCache(cache_dir, self.base_url, self._api_key)

    # -- concurrency ---------------------------------------------------------------------------

    def subscription(self) -> Subscription:
        """The account's plan and usage (``GET /v1/user/subscription``; a scoped key needs the
        ``user_read`` permission)."""
        data = self._json("reading the subscription", "/v1/user/subscription")
        return subscription_from_json(data)

    def configure_concurrency(self, jobs: int | None, *, shares: int = 1) -> None:
        """Start the limiter at `jobs` under a ceiling of `jobs`, or (`None`, ``--jobs auto``)
        at the subscription tier's documented concurrency with no ceiling of voxcli's own.

        Auto reads the subscription once. A key that may not read it (``user_read`` missing),
        a service that refuses the request, or a tier voxcli does not know starts at 2; either
        way the limit then follows the service's headers. `shares` processes that start
        together on one account (``--shard K/N``: N) each start at their share of it (at least
        1), so every one gets a slot in the first round and the headers can balance them.
        Calling again with the same `jobs` changes nothing (`shares` counts the first time),
        so every file of a batch may call it.
        """
        with self._configure_lock:
            if self._configured == (jobs,):
                return
            if jobs is not None:
                self.limiter.configure(start=max(1, jobs // max(1, shares)), ceiling=jobs)
            else:
                start = auto_start(self.subscription, self._sender.reporter.notice)
                self.limiter.configure(start=max(1, start // max(1, shares)), ceiling=None)
            self._configured = (jobs,)

    @property
    def max_concurrency(self) -> int | None:
        """The limiter's limit as configured or learned (`None`: nothing known yet)."""
        return self.limiter.limit

    @property
    def concurrency_limit(self) -> int:
        """Conversions allowed at once now (an int once `configure_concurrency` ran; before
        that, 2 until the service says otherwise)."""
        limit = self.limiter.limit
        return self.auto_jobs if limit is None else limit

    # -- requests ------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"user-agent": f"voxcli/{__version__}"}
        if self._api_key:
            check_key_transport(self._url)
            headers["xi-api-key"] = self._api_key
        elif self._url.host.endswith("elevenlabs.io"):
            raise AuthError("no ElevenLabs API key is set", hint=KEY_HINT)
        return headers

    def _build(
        self, method: str, path: str, *, timeout: httpx.Timeout | None = None, **kwargs: Any
    ) -> Callable[[], httpx.Request]:
        url = f"{self.base_url}{path}"
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        return lambda: self._sender.client.build_request(
            method, url, headers=self._headers(), **extra, **kwargs
        )

    def _json(self, action: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = self._sender.send(action, self._build("GET", path, params=params)).response
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceError(
                f"{action}: the answer is not JSON",
                hint="check that --base-url points at the ElevenLabs API",
            ) from exc

    # -- conversion ----------------------------------------------------------------------------

    def _timeout(self, duration_seconds: float) -> httpx.Timeout:
        return httpx.Timeout(
            self.base_timeout + 2.0 * duration_seconds, connect=self.connect_timeout
        )

    def _convert_build(
        self, upload: Upload, request: ConvertRequest, *, stream: bool
    ) -> Callable[[], httpx.Request]:
        upload.check_limits()
        path = f"/v1/voice-changer/{quote(request.voice_id, safe='')}"
        if stream:
            path += "/stream"
        params = {"output_format": request.output_format}
        if not request.enable_logging:
            params["enable_logging"] = "false"
        if request.latency is not None:
            params["optimize_streaming_latency"] = str(request.latency)
        data = {"model_id": request.model_id}
        if request.voice_settings is not None and not request.voice_settings.is_empty():
            data["voice_settings"] = request.voice_settings.to_json()
        if request.seed is not None:
            data["seed"] = str(request.seed)
        if request.remove_background_noise:
            data["remove_background_noise"] = "true"
        if upload.file_format == "pcm_s16le_16":
            data["file_format"] = "pcm_s16le_16"
        # The upload is in memory, so every attempt re-sends it whole.
        files = {"audio": (upload.filename, upload_body(upload), upload.content_type)}
        return self._build(
            "POST",
            path,
            params=params,
            data=data,
            files=files,
            timeout=self._timeout(upload.duration_seconds),
        )

    def convert(self, upload: Upload, request: ConvertRequest) -> ConvertResult:
        """Convert one upload with ``POST /v1/voice-changer/{voice_id}``."""
        build = self._convert_build(upload, request, stream=False)
        answer = self._sender.send(
            "converting", build, limited=True, output_format=request.output_format
        )
        response = answer.response
        return ConvertResult(
            response.content,
            request.output_format,
            request_id=response.headers.get("request-id"),
            character_cost=answer.header_int("character-cost"),
        )

    @contextmanager
    def convert_stream(self, upload: Upload, request: ConvertRequest) -> Iterator[AudioStream]:
        """Convert with ``POST .../stream``, yielding audio chunks as they arrive."""
        build = self._convert_build(upload, request, stream=True)
        answer = self._sender.send(
            "converting (streaming)",
            build,
            limited=True,
            stream=True,
            output_format=request.output_format,
        )
        with answer.stack:
            upload.report("receiving")
            yield AudioStream(
                self._chunks(answer),
                output_format=request.output_format,
                request_id=answer.response.headers.get("request-id"),
                character_cost=answer.header_int("character-cost"),
            )

    def _chunks(self, answer: Answer) -> Iterator[bytes]:
        if answer.first:
            yield answer.first
        assert answer.rest is not None
        with http_errors("receiving streamed audio", secret=self._api_key):
            for chunk in answer.rest:
                if chunk:
                    yield chunk

    # -- voices and models ---------------------------------------------------------------------

    def forget_voices(self) -> None:
        """Drop the cached voice list, so the next `voices()` asks the service."""
        self._voices.forget()

    def voices(self) -> list[Voice]:
        """All voices of the account (``GET /v2/voices``, every page), cached for 10 minutes."""
        with self._voices.lock:
            cached = self._voices.load()
            if cached is not None:
                return cached
            voices = all_voices(lambda params: self._json("listing voices", "/v2/voices", params))
            self._voices.store(voices)
            return voices

    def voice(self, voice_id: str) -> Voice:
        """One voice by id (``GET /v1/voices/{voice_id}``)."""
        data = self._json(f"looking up voice {voice_id}", f"/v1/voices/{quote(voice_id, safe='')}")
        if not is_voice(data):
            raise ServiceError(
                f"looking up voice {voice_id}: the answer has no voice_id",
                hint="check that --base-url points at the ElevenLabs API",
            )
        return voice_from_json(data)

    def models(self) -> list[Model]:
        """The service's models (``GET /v1/models``)."""
        data = self._json("listing models", "/v1/models")
        items = data if isinstance(data, list) else []
        return [model_from_json(i) for i in items if isinstance(i, dict) and "model_id" in i]

    def add_voice(
        self,
        name: str,
        samples: Sequence[Path],
        *,
        description: str = "",
        labels: Mapping[str, str] | None = None,
        remove_background_noise: bool = False,
    ) -> Voice:
        """Instant voice cloning (``POST /v1/voices/add``, one ``files`` part per sample).

        Not idempotent: only answers that mean "not done" (429, 503) and connections that
        never opened are retried, so a retry cannot create the voice twice.
        """
        data, files = voice_form(
            name,
            samples,
            description=description,
            labels=labels,
            remove_background_noise=remove_background_noise,
        )
        build = self._build(
            "POST", "/v1/voices/add", data=data, files=files, timeout=self._timeout(60.0)
        )
        response = self._sender.send(f"adding voice {name!r}", build, idempotent=False).response
        self.forget_voices()
        try:
            voice_id = str(response.json()["voice_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceError(
                f"adding voice {name!r}: the answer has no voice_id",
                hint="run voxcli voices to see whether it was created",
            ) from exc
        return Voice(voice_id, name, "cloned", dict(labels or {}), description)

    def remove_voice(self, voice_id: str) -> None:
        """Delete a voice (``DELETE /v1/voices/{voice_id}``)."""
        build = self._build("DELETE", f"/v1/voices/{quote(voice_id, safe='')}")
        self._sender.send(f"removing voice {voice_id}", build)
        self.forget_voices()

    def close(self) -> None:
        """Close the connection pool (unless the client was passed in)."""
        if self._own_client:
            self._sender.client.close()
