"""`voxcli doctor` against the contract server and offline."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from tests.support.server import TEST_KEY
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()


def checks(output: str) -> dict[str, dict[str, object]]:
    return {c["check"]: c for c in json.loads(output)}


def test_ready_against_the_service(api: ApiServer) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    found = checks(result.stdout)
    assert found["service"]["ok"] and "eleven_multilingual_sts_v2" in str(
        found["service"]["detail"]
    )
    assert "…" in str(found["configuration"]["detail"]) and TEST_KEY not in result.stdout


def test_a_rejected_key_fails_with_the_auth_status(api: ApiServer) -> None:
    api.fail_next(401, "invalid_api_key")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 3
    assert "FAIL service" in result.stdout


def test_offline_without_a_key_checks_the_local_engine() -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    found = checks(result.stdout)
    assert "service" not in found
    assert found["backend"]["detail"].startswith("local")  # type: ignore[union-attr]
    assert found["local engine"]["ok"] and "sally" in str(found["local engine"]["detail"])
    assert result.exit_code == 0  # an audio device is optional


def test_doctor_names_the_containers_and_codecs_it_reads_and_writes() -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    media = checks(result.stdout)["media formats"]
    assert media["ok"], media
    detail = str(media["detail"])
    assert "reads MP4/M4A/MOV, Matroska/WebM" in detail
    assert "decodes AAC, Opus" in detail
    assert "writes .m4a .mp4 .m4v .mov .aac (AAC), .mkv .mka .webm (Opus)" in detail


def test_doctor_warns_when_pyav_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    result = runner.invoke(app, ["doctor", "--json"])
    media = checks(result.stdout)["media formats"]
    assert not media["ok"] and not media["required"]
    assert "PyAV is not installed" in str(media["detail"])
    assert result.exit_code == 0  # WAV, FLAC, MP3, Ogg and AIFF still work
