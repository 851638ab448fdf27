"""Settings from flags > environment > config file > defaults.

The config file is ``config.toml`` in the config dir (`voxcli.dirs`: `VOXCLI_CONFIG_DIR`, else
platformdirs' user config dir). It is written with mode 0600 because it may hold the API
key. Every value is resolved together with where it came from, so `voxcli config show` can
say so.

Directories are never created when reading; they are created (mode 0700) when writing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voxcli import dirs
from voxcli.backends.limits import MAX_JOBS
from voxcli.errors import ConfigError, InputError

Source = Literal["flag", "env", "file", "default"]

DEFAULT_BASE_URL = "https://api.elevenlabs.io"
BACKENDS = ("elevenlabs", "local")


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _api_key(value: object) -> str:
    text = _text(value)
    # httpx can only send header values in ASCII; a pasted key with smart quotes or spaces
    # inside would otherwise fail deep in the HTTP stack.
    if not text.isascii() or not text.isprintable() or any(c.isspace() for c in text):
        raise ValueError("an API key is printable ASCII without spaces (was it pasted whole?)")
    return text


def _backend(value: object) -> str:
    text = _text(value).lower()
    if text not in BACKENDS:
        raise ValueError(f"expected one of {', '.join(BACKENDS)}")
    return text


def _int(lo: int, hi: int) -> Callable[[object], int]:
    expected = f"expected a whole number from {lo} to {hi}"

    def parse(value: object) -> int:
        # NOTE: int() would take True and truncate 2.5; say what is wanted, not Python's words.
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(expected)
        try:
            number = value if isinstance(value, int) else float(value)
        except ValueError:
            raise ValueError(expected) from None
        if not lo <= number <= hi or not float(number).is_integer():
            raise ValueError(expected)
        return int(number)

    return parse


#: ``jobs = "auto"``: as many requests at once as the account allows.
AUTO = "auto"


def _jobs(value: object) -> int | str:
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    try:
        return _int(1, MAX_JOBS)(value)
    except (ValueError, TypeError):
        raise ValueError(f"expected auto or a whole number from 1 to {MAX_JOBS}") from None


def jobs_limit(value: int | str) -> int | None:
    """The `jobs` setting as the core takes it: a number, or `None` for ``auto``."""
    return None if value == AUTO else int(value)


def _float(lo: float, hi: float) -> Callable[[object], float]:
    expected = f"expected a number from {lo:g} to {hi:g}"

    def parse(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(expected)
        try:
            number = float(value)
        except ValueError:
            raise ValueError(expected) from None
        if not lo <= number <= hi:  # also refuses nan
            raise ValueError(expected)
        return number

    return parse


@dataclass(frozen=True)
class Setting:
    """One configurable value."""

    key: str
    parse: Callable[[object], Any]
    default: Any
    env: str | None = None
    secret: bool = False
    help: str = ""


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("api_key", _api_key, None, "ELEVENLABS_API_KEY", True, "ElevenLabs API key"),
        Setting("base_url", _text, DEFAULT_BASE_URL, "VOXCLI_BASE_URL", help="API base URL"),
        Setting(
            "backend",
            _backend,
            None,
            "VOXCLI_BACKEND",
            help="elevenlabs or local (default: elevenlabs when a key is set, else local)",
        ),
        Setting("voice", _text, None, "VOXCLI_VOICE", help="default voice name or id"),
        Setting("model", _text, "eleven_multilingual_sts_v2", help="default model id"),
        Setting("output_format", _text, None, help="default output format (else from -o)"),
        Setting("retries", _int(1, 20), 5, help="attempts per request, first included"),
        Setting(
            "retry_backoff",
            _float(0.0, 60.0),
            1.0,
            "VOXCLI_RETRY_BACKOFF",
            help="first retry delay in seconds (doubles, capped at 60)",
        ),
        Setting(
            "jobs",
            _jobs,
            AUTO,
            help="requests at once: auto (as many as the account allows) or 1..64 (a ceiling)",
        ),
        Setting(
            "input_device",
            _text,
            None,
            "VOXCLI_INPUT_DEVICE",
            help="recording device: index or part of its name (voxcli devices)",
        ),
        Setting(
            "output_device",
            _text,
            None,
            "VOXCLI_OUTPUT_DEVICE",
            help="playback device: index or part of its name (voxcli devices)",
        ),
        Setting(
            "cache_max_mb",
            _int(0, 10**7),
            2000,
            help="largest size of the finished-section cache; least recently used go first",
        ),
    )
}


def setting(key: str) -> Setting:
    """The `Setting` called `key`, or a `ConfigError` listing the known ones."""
    try:
        return SETTINGS[key]
    except KeyError:
        raise ConfigError(
            f"unknown setting {key!r}", hint=f"known settings: {', '.join(SETTINGS)}"
        ) from None


#: Settings whose bad value is a configuration problem (exit 3) even on the command line.
_CONFIG_KEYS = {"backend", "api_key"}


def parse_value(key: str, value: object, *, origin: str | None = None) -> Any:
    """Validate `value` for `key`.

    `origin` names the file or variable it came from (a `ConfigError`, exit 3); `None` means the
    command line, where a bad value is bad input (an `InputError`, exit 4) except for the
    backend and the key, which are configuration (DESIGN §4).
    """
    try:
        return setting(key).parse(value)
    except (ValueError, TypeError) as exc:
        shown = "the value" if setting(key).secret else repr(value)
        if origin is None:
            error = ConfigError if key in _CONFIG_KEYS else InputError
            raise error(
                f"invalid {key} {shown}: {exc}", hint=f"{key}: {setting(key).help}"
            ) from exc
        where = (
            f"fix or unset {origin}"
            if origin.startswith("$")
            else f"fix it there, or: voxcli config set {key} VALUE / voxcli config unset {key}"
        )
        raise ConfigError(f"invalid {key} in {origin}: {exc}", hint=where) from exc


def read_raw(path: Path) -> dict[str, Any]:
    """The config file's table as written, unvalidated (so `config set/unset` can repair it)."""
    import tomllib  # here, not at the top: `--help` reads no file

    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(
            f"cannot read config file [{path}]: {exc}", hint=f"fix it or remove it: rm {path}"
        ) from exc


def read_file(path: Path) -> dict[str, Any]:
    """Read and validate the config file; a missing file is an empty config."""
    data = read_raw(path)
    for key, value in data.items():
        if key not in SETTINGS:
            raise ConfigError(
                f"unknown setting {key!r} in [{path}]",
                hint=f"remove it with: voxcli config unset {key}",
            )
        data[key] = parse_value(key, value, origin=f"[{path}]")
    return data


def write_file(path: Path, data: Mapping[str, Any]) -> None:
    """Write the config file atomically with mode 0600 (it may hold the API key)."""
    import tomli_w

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            tomli_w.dump(dict(data), f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@dataclass(frozen=True)
class Resolved:
    """A value and where it came from."""

    value: Any
    source: Source


class Config:
    """Resolved settings. Build with `load`."""

    def __init__(self, values: Mapping[str, Resolved], path: Path) -> None:
        self._values = dict(values)
        self.path = path

    def __getitem__(self, key: str) -> Any:
        return self._values[key].value

    def source(self, key: str) -> Source:
        return self._values[key].source

    def origin(self, key: str) -> str | None:
        """Where a value came from, as messages name it: ``$VAR``, ``KEY in [file]``, or None
        for the command line or the default."""
        source = self.source(key)
        if source == "env":
            return f"${SETTINGS[key].env}"
        if source == "file":
            return f"{key} in [{self.path}]"
        return None

    def items(self) -> list[tuple[str, Resolved]]:
        return list(self._values.items())

    def backend(self) -> tuple[str, bool]:
        """The backend to use and whether it was chosen implicitly (no key -> local)."""
        if self["backend"] is not None:
            return self["backend"], False
        return ("elevenlabs", False) if self["api_key"] else ("local", True)


def load(
    flags: Mapping[str, object | None] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Resolve every setting: flag > environment > config file > default.

    `flags` maps setting keys to values given on the command line (`None` = not given).
    """
    env = os.environ if environ is None else environ
    path = dirs.config_path(env)
    file_values = read_file(path)
    given = flags or {}
    values: dict[str, Resolved] = {}
    for key, setting in SETTINGS.items():
        if given.get(key) is not None:
            values[key] = Resolved(parse_value(key, given[key]), "flag")
        elif setting.env and env.get(setting.env):
            values[key] = Resolved(
                parse_value(key, env[setting.env], origin=f"${setting.env}"), "env"
            )
        elif key in file_values:
            values[key] = Resolved(file_values[key], "file")
        else:
            values[key] = Resolved(setting.default, "default")
    return Config(values, path)


def redact(key: str, value: Any) -> str:
    """Display form of a value: secrets show only whether set and their last 4 characters."""
    if value is None:
        return "(not set)"
    if SETTINGS[key].secret:
        text = str(value)
        return f"set (…{text[-4:]})" if len(text) >= 8 else "set"
    return str(value)
