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
    return _chosen("VOXCLI_CONFIG_DIR", "user_config_path", environ)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache dir (voice list, finished sections): `VOXCLI_CACHE_DIR`, else platformdirs'."""
    return _chosen("VOXCLI_CACHE_DIR", "user_cache_path", environ)


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data dir (local voice profiles): `VOXCLI_DATA_DIR`, else platformdirs'."""
    return _chosen("VOXCLI_DATA_DIR", "user_data_path", environ)


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``config.toml`` in `config_dir`."""
    return config_dir(environ) / "config.toml"


def _chosen(variable: str, platform_path: str, environ: Mapping[str, str] | None) -> Path:
    """`variable` from `environ` (default: the process's) when set, else platformdirs'
    `platform_path` for voxcli (no app author: one folder, not a vendor's subfolder)."""
    env = os.environ if environ is None else environ
    if env.get(variable):
        return Path(env[variable])
    import platformdirs

    return Path(getattr(platformdirs, platform_path)("voxcli", appauthor=False))
