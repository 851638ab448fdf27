"""Where voxcli keeps its files: configuration, cache and data directories.

Each can be moved with an environment variable (``VOXCLI_CONFIG_DIR``, ``VOXCLI_CACHE_DIR``,
``VOXCLI_DATA_DIR``: tests and CI point them at a temporary folder); otherwise platformdirs
gives the platform's usual place (``~/.config/voxcli`` and so on on Linux). platformdirs is
imported only when asked, so commands that never touch these folders do not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The config dir: `VOXCLI_CONFIG_DIR`, else platformdirs'. It may not exist yet."""
    env = os.environ if environ is None else environ
    if env.get("VOXCLI_CONFIG_DIR"):
        return Path(env["VOXCLI_CONFIG_DIR"])
    import platformdirs

    return platformdirs.user_config_path("voxcli", appauthor=False)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache dir (voice list, finished sections): `VOXCLI_CACHE_DIR`, else platformdirs'."""
    env = os.environ if environ is None else environ
    if env.get("VOXCLI_CACHE_DIR"):
        return Path(env["VOXCLI_CACHE_DIR"])
    import platformdirs

    return platformdirs.user_cache_path("voxcli", appauthor=False)


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data dir (local voice profiles): `VOXCLI_DATA_DIR`, else platformdirs'."""
    env = os.environ if environ is None else environ
    if env.get("VOXCLI_DATA_DIR"):
        return Path(env["VOXCLI_DATA_DIR"])
    import platformdirs

    return platformdirs.user_data_path("voxcli", appauthor=False)


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    return config_dir(environ) / "config.toml"
