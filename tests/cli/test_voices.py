"""`voxcli voices` and `voxcli models` against the contract server, and local voices offline."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf
from typer.testing import CliRunner

from tests.support.long_speech import long_speech
from tests.support.server import VOICE_ID
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()


def test_voices_table_lists_names_ids_and_labels(api: ApiServer) -> None:
    result = runner.invoke(app, ["voices"])
    assert result.exit_code == 0, result.output
    rachel = next(line for line in result.stdout.splitlines() if line.startswith("Rachel"))
    assert VOICE_ID in rachel and "premade" in rachel and "female" in rachel


def test_voices_json_search_and_category(api: ApiServer) -> None:
    everything = json.loads(runner.invoke(app, ["voices", "--json"]).stdout)
    assert {v["name"] for v in everything} == {"Rachel", "Alex", "alex", "Adam"}
    found = json.loads(runner.invoke(app, ["voices", "--json", "--search", "BRIT"]).stdout)
    assert [v["voice_id"] for v in found] == ["AlexClonedVoice00001"]  # matched on a label
    cloned = json.loads(runner.invoke(app, ["voices", "--json", "--category", "CLONED"]).stdout)
    assert [v["name"] for v in cloned] == ["Alex"]


def test_the_voice_list_is_cached(api: ApiServer) -> None:
    runner.invoke(app, ["voices"])
    runner.invoke(app, ["voices", "--json"])
    assert [r.path for r in api.requests if r.path.startswith("/v2/voices")] == ["/v2/voices"]


def test_voices_show_by_name_and_by_id(api: ApiServer) -> None:
    by_name = runner.invoke(app, ["voices", "show", "rachel", "--json"])
    assert json.loads(by_name.stdout)["voice_id"] == VOICE_ID
    by_id = runner.invoke(app, ["voices", "show", VOICE_ID])
    assert by_id.exit_code == 0 and "Calm young American woman." in by_id.stdout
    ambiguous = runner.invoke(app, ["voices", "show", "alex"])
    assert ambiguous.exit_code == 4 and "AlexGeneratedVoice01" in ambiguous.stderr


def test_voices_add_clones_and_remove_deletes(api: ApiServer, speech: Path) -> None:
    added = runner.invoke(
        app, ["voices", "add", "Narrator", str(speech), str(speech), "--description", "mine"]
    )
    assert added.exit_code == 0, added.output
    voice_id = added.stdout.strip()
    [request] = [r for r in api.requests if r.path == "/v1/voices/add"]
    assert request.form["name"] == "Narrator" and request.form["description"] == "mine"
    assert [f.name for f in request.files] == ["files", "files"]
    listed = json.loads(runner.invoke(app, ["voices", "--json"]).stdout)
    assert voice_id in {v["voice_id"] for v in listed}  # adding invalidated the cache
    removed = runner.invoke(app, ["voices", "remove", "Narrator"])
    assert removed.exit_code == 0 and removed.stdout.strip() == voice_id
    missing = runner.invoke(app, ["voices", "add", "X", str(speech.with_name("nope.wav"))])
    assert missing.exit_code == 4


def test_models_mark_voice_conversion(api: ApiServer) -> None:
    table = runner.invoke(app, ["models"])
    assert table.exit_code == 0
    line = next(r for r in table.stdout.splitlines() if r.startswith("eleven_multilingual_v2 "))
    assert " no " in line
    models = json.loads(runner.invoke(app, ["models", "--json"]).stdout)
    able = sorted(m["model_id"] for m in models if m["can_do_voice_conversion"])
    assert able == ["eleven_english_sts_v2", "eleven_multilingual_sts_v2"]


def test_local_voices_add_show_convert_remove(tmp_path: Path) -> None:
    builtin = json.loads(runner.invoke(app, ["voices", "--json", "-q"]).stdout)
    assert {"sally", "karl", "ken"} <= {v["voice_id"] for v in builtin}
    reference = long_speech(tmp_path / "reference.wav", 0.4, voice="en-us+f3")
    added = runner.invoke(app, ["voices", "-q", "add", "My Voice", str(reference)])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "my-voice"
    shown = json.loads(runner.invoke(app, ["voices", "-q", "show", "my voice", "--json"]).stdout)
    assert shown["category"] == "user" and shown["details"]
    source = long_speech(tmp_path / "talk.wav", 0.1)
    out = tmp_path / "talk.out.wav"
    converted = runner.invoke(
        app, ["convert", str(source), "-v", "My Voice", "-o", str(out), "--quality", "fast", "-q"]
    )
    assert converted.exit_code == 0, converted.output
    assert abs(sf.info(str(out)).duration - sf.info(str(source)).duration) <= 0.010
    assert runner.invoke(app, ["voices", "-q", "remove", "my-voice"]).exit_code == 0
    gone = runner.invoke(app, ["voices", "-q", "show", "my-voice"])
    assert gone.exit_code == 4
