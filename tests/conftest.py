"""Shared fixtures: every test runs with its own config, cache and data dirs and no proxies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
