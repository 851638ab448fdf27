"""`voxcli config` and settings precedence (flag > environment > config file > default)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxcli import config as cfg
from voxcli.cli import app
from voxcli.errors import ConfigError, ExitStatus, InputError

runner = CliRunner()
KEY = "sk_0123456789abcdefWXYZ"


def config_file() -> Path:
    return Path(os.environ["VOXCLI_CONFIG_DIR"]) / "config.toml"


def test_set_writes_a_private_file_and_show_never_prints_the_key() -> None:
    result = runner.invoke(app, ["config", "set", "api_key"], input=KEY + "\n")
    assert result.exit_code == 0, result.output
    mode = stat.S_IMODE(config_file().stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(config_file().parent.stat().st_mode) == 0o700

    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 0, shown.output
    assert KEY not in shown.output + shown.stderr + result.output
    assert "…WXYZ" in shown.stdout
    row = next(line for line in shown.stdout.splitlines() if line.startswith("api_key"))
    assert "file" in row

    got = runner.invoke(app, ["config", "get", "api_key"])
    assert got.stdout.strip() == "set (…WXYZ)"


def test_show_json_reports_each_source(monkeypatch: pytest.MonkeyPatch) -> None:
    runner.invoke(app, ["config", "set", "jobs", "4"])
    monkeypatch.setenv("VOXCLI_VOICE", "Rachel")
    monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
    result = runner.invoke(app, ["config", "show", "--json"])
    data = json.loads(result.stdout)["settings"]
    assert data["jobs"] == {"value": 4, "source": "file", "env": None}
    assert data["voice"]["source"] == "env" and data["voice"]["value"] == "Rachel"
    assert data["model"]["source"] == "default"
    assert data["output_format"]["value"] is None
    assert data["api_key"]["value"] == "set (…WXYZ)"
    assert KEY not in result.stdout


def test_precedence_flag_over_env_over_file_over_default(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.write_file(config_file(), {"voice": "from-file", "base_url": "https://file.example"})
    monkeypatch.setenv("VOXCLI_VOICE", "from-env")
    conf = cfg.load({"voice": "from-flag"})
    assert (conf["voice"], conf.source("voice")) == ("from-flag", "flag")
    conf = cfg.load({})
    assert (conf["voice"], conf.source("voice")) == ("from-env", "env")
    assert (conf["base_url"], conf.source("base_url")) == ("https://file.example", "file")
    assert (conf["retries"], conf.source("retries")) == (5, "default")


def test_backend_defaults_to_local_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cfg.load().backend() == ("local", True)
    monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
    assert cfg.load().backend() == ("elevenlabs", False)
    assert cfg.load({"backend": "local"}).backend() == ("local", False)


def test_unset_removes_the_value() -> None:
    runner.invoke(app, ["config", "set", "voice", "Rachel"])
    assert runner.invoke(app, ["config", "get", "voice"]).stdout.strip() == "Rachel"
    assert runner.invoke(app, ["config", "unset", "voice"]).exit_code == 0
    unset = json.loads(runner.invoke(app, ["config", "get", "voice", "--json"]).stdout)
    assert unset["source"] == "default"
    assert unset["value"] == "sally"  # without a key: the local engine's default voice


def test_path_prints_the_file_location() -> None:
    result = runner.invoke(app, ["config", "path"])
    assert result.stdout.strip() == str(config_file())
    assert not config_file().exists()  # reading never creates anything


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["config", "get", "nope"], ExitStatus.CONFIG, "unknown setting 'nope'"),
        (["config", "set", "nope", "1"], ExitStatus.CONFIG, "unknown setting 'nope'"),
        (["config", "set", "jobs", "400"], ExitStatus.INPUT, "from 1 to 64"),
        (["config", "set", "backend", "openai"], ExitStatus.CONFIG, "elevenlabs, local"),
        (["config", "set", "api_key", "sk_“pasted”"], ExitStatus.CONFIG, "printable ASCII"),
    ],
)
def test_bad_settings_fail_with_one_line_and_a_hint(
    args: list[str], status: ExitStatus, message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == status, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error:")
    assert len(result.stderr.splitlines()) == 2 and "\nhint: " in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_broken_config_file_names_itself() -> None:
    config_file().parent.mkdir(parents=True)
    config_file().write_text("jobs = [unclosed\n")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == ExitStatus.CONFIG
    assert str(config_file()) in result.stderr
    assert "hint:" in result.stderr


def test_bad_values_in_file_and_env_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.write_file(config_file(), {"jobs": 0})
    with pytest.raises(ConfigError, match=r"invalid jobs in \["):
        cfg.load()
    cfg.write_file(config_file(), {})
    monkeypatch.setenv("VOXCLI_BACKEND", "nope")
    with pytest.raises(ConfigError, match=r"\$VOXCLI_BACKEND"):
        cfg.load()
    monkeypatch.delenv("VOXCLI_BACKEND")
    with pytest.raises(InputError):
        cfg.load({"retries": 0})


def test_set_and_unset_repair_a_file_that_no_longer_validates() -> None:
    config_file().parent.mkdir(parents=True)
    config_file().write_text('jobs = 0\nbogus = "x"\nvoice = "Rachel"\n')
    assert runner.invoke(app, ["config", "show"]).exit_code == ExitStatus.CONFIG
    assert runner.invoke(app, ["config", "unset", "bogus"]).exit_code == 0
    assert runner.invoke(app, ["config", "set", "jobs", "3"]).exit_code == 0
    shown = runner.invoke(app, ["config", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    settings = json.loads(shown.stdout)["settings"]
    assert settings["jobs"]["value"] == 3 and settings["voice"]["value"] == "Rachel"


def test_markup_in_values_is_shown_literally() -> None:
    result = runner.invoke(app, ["config", "set", "voice", "[bold red]x"])
    assert "[bold red]x" in result.stdout
    assert runner.invoke(app, ["config", "get", "voice"]).stdout.strip() == "[bold red]x"


def test_set_without_a_value_reads_stdin_and_refuses_empty() -> None:
    result = runner.invoke(app, ["config", "set", "api_key"], input="")
    assert result.exit_code == ExitStatus.INPUT
    assert not config_file().exists()
