"""Shared fixtures: every test runs with its own config, cache and data dirs and no proxies;
`api` and `identity` are the contract server on 127.0.0.1 that voxcli is pointed at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.server import TEST_KEY
from tests.support.transform_backend import Transform, TransformBackend
from voxcli.server import ApiServer


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point voxcli at per-test dirs and strip anything from the outer environment that leaks in.

    Proxy variables matter: httpx sends even 127.0.0.1 through ``HTTP_PROXY`` unless
    ``NO_PROXY`` lists it.
    """
    for name in list(os.environ):
        if (
            name.startswith("VOXCLI_")
            or name == "ELEVENLABS_API_KEY"
            or name.lower() in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VOXCLI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOXCLI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOXCLI_DATA_DIR", str(tmp_path / "data"))
    # Retries back off from 10 ms instead of 1 s so retry tests take milliseconds.
    monkeypatch.setenv("VOXCLI_RETRY_BACKOFF", "0.01")


@contextmanager
def contract_server(monkeypatch: pytest.MonkeyPatch, transform: Transform) -> Iterator[ApiServer]:
    """A server speaking the ElevenLabs contract and applying `transform`; voxcli is pointed at
    it as a user would (ELEVENLABS_API_KEY, VOXCLI_BASE_URL), and it requires the key."""
    with ApiServer(TransformBackend(transform), api_key=TEST_KEY) as server:
        monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
        monkeypatch.setenv("VOXCLI_BASE_URL", server.url)
        yield server


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The contract server inverting polarity (an answer is never mistaken for the upload)."""
    with contract_server(monkeypatch, "invert") as server:
        yield server


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The contract server answering with the upload itself (outputs must equal inputs)."""
    with contract_server(monkeypatch, "identity") as server:
        yield server
