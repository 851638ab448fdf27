"""`voxcli batch` end to end through the CLI, against the contract server on 127.0.0.1.

The server converts by identity, so each output must equal its input (as 16-bit PCM).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner, Result

from tests.batch.conftest import make_tree
from tests.cli.helpers import conversions, leftovers
from tests.support.server import VOICE_ID
from voxcli.cli import app
from voxcli.errors import ExitStatus
from voxcli.server import ApiServer

runner = CliRunner()


def batch(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["batch", *args], input=stdin)


def same_audio(output: Path, source: Path) -> bool:
    got, rate = sf.read(str(output), dtype="int16")
    want, want_rate = sf.read(str(source), dtype="int16")
    return rate == want_rate and np.array_equal(got, want)


def records(out: Path) -> list[dict]:
    lines = (out / ".voxcli-manifest.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_tree_is_converted_mirrored_and_recorded(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = batch(
        str(tree), "-r", "-o", str(out), "-v", VOICE_ID, "--ext", "wav", "-f", "pcm_16000", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["files"], summary["done"], summary["failed"]) == (3, 3, 0)
    for rel in ("a", "b", "talks/c"):
        assert same_audio(out / f"{rel}.wav", tree / f"{rel}.wav")
    done = [r for r in records(out) if r["status"] == "done"]
    assert sorted(r["output"] for r in done) == ["a.wav", "b.wav", "talks/c.wav"]
    assert all(r["request_ids"] and r["sha256"] and r["settings"] for r in done)
    assert len(conversions(identity)) == 3
    assert leftovers(out) == [".voxcli-manifest.jsonl"]


def test_a_rerun_skips_finished_files_and_sends_nothing(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [str(tree), "-r", "-o", str(out), "-v", VOICE_ID]
    assert batch(*args).exit_code == 0
    sent = len(conversions(identity))
    again = batch(*args, "--json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert (summary["done"], summary["skipped"]) == (0, 3)
    assert {r["reason"] for r in summary["results"]} == {"done"}
    assert len(conversions(identity)) == sent


def test_other_settings_never_silently_overwrite_and_overwrite_redoes(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(str(tree), "-o", str(out), "-v", VOICE_ID).exit_code == 0
    before = (out / "a.mp3").read_bytes()
    other = batch(str(tree), "-o", str(out), "-v", VOICE_ID, "--seed", "7")
    assert other.exit_code == 0, other.output
    assert "output exists with other settings (--overwrite redoes it)" in other.stderr
    assert (out / "a.mp3").read_bytes() == before
    sent = len(conversions(identity))
    redo = batch(str(tree), "-o", str(out), "-v", VOICE_ID, "--seed", "7", "--overwrite")
    assert redo.exit_code == 0, redo.output
    assert len(conversions(identity)) == sent + 2
    assert [r.form.get("seed") for r in conversions(identity)[-2:]] == ["7", "7"]


def test_failures_are_listed_exit_9_and_retry_failed_redoes_only_them(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (tree / "broken.wav").write_bytes(b"RIFF not really a wave file")
    result = batch(str(tree), "-o", str(out), "-v", VOICE_ID)
    assert result.exit_code == ExitStatus.PARTIAL, result.output
    assert "failed:" in result.stderr and "broken.mp3" in result.stderr
    assert "error: 1 of 3 file(s) failed" in result.stderr
    assert (out / "a.mp3").exists() and not (out / "broken.mp3").exists()
    assert "Traceback" not in result.output

    make_tree(tree, ["broken.wav"], seconds=1.2)  # fixed (and unlike any other file)
    sent = len(conversions(identity))
    retry = batch(str(tree), "-o", str(out), "-v", VOICE_ID, "--retry-failed", "--json")
    assert retry.exit_code == 0, retry.output
    summary = json.loads(retry.stdout)
    assert (summary["done"], summary["skipped"]) == (1, 2)
    assert len(conversions(identity)) == sent + 1


def test_fail_fast_stops_scheduling(identity: ApiServer, tmp_path: Path) -> None:
    make_tree(tmp_path / "in", [f"{n:02d}.wav" for n in range(8)])
    identity.fail_next(400, "invalid_parameters", times=1, path="/voice-changer/")
    result = batch(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-v", VOICE_ID,
                   "--jobs", "1", "--fail-fast", "--json")  # fmt: skip
    assert result.exit_code == ExitStatus.PARTIAL, result.output
    summary = json.loads(result.stdout)
    assert summary["failed"] == 1 and summary["done"] < 7
    assert "(--fail-fast)" in summary["stopped"]
    assert len(conversions(identity)) < 8


def test_quota_stops_at_once_with_exit_7(identity: ApiServer, tmp_path: Path) -> None:
    make_tree(tmp_path / "in", [f"{n:02d}.wav" for n in range(6)])
    identity.fail_next(401, "quota_exceeded", times=100, path="/voice-changer/")
    result = batch(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-v", VOICE_ID,
                   "--jobs", "1", "--json")  # fmt: skip
    assert result.exit_code == ExitStatus.QUOTA, result.output
    summary = json.loads(result.stdout)
    assert summary["failed"] == 1 and summary["skipped"] == 5
    assert len(conversions(identity)) == 1
    assert "error: stopped: the account's quota is exhausted" in result.stderr


def test_a_bad_key_stops_with_exit_3(identity: ApiServer, tmp_path: Path) -> None:
    make_tree(tmp_path / "in", [f"{n:02d}.wav" for n in range(4)])
    result = runner.invoke(
        app,
        ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-v", VOICE_ID],
        env={"ELEVENLABS_API_KEY": "sk_wrong_key_0000000000"},
    )
    assert result.exit_code == ExitStatus.CONFIG, result.output
    assert "sk_wrong_key" not in result.output


def test_bad_invocations_exit_4_before_anything_is_sent(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    for args in (
        [str(tree / "missing.wav"), "-o", out],
        [str(tree), "-o", str(tree)],
        [str(tree), "-o", out, "--shard", "4/3"],
        [str(tree), "-o", out, "--overwrite", "--retry-failed"],
        [str(tree), "-o", out, "--jobs", "zero"],
        [str(tree), "-o", out, "--seed", "-1"],
    ):
        result = batch(*args, "-v", VOICE_ID)
        assert result.exit_code == ExitStatus.INPUT, (args, result.output)
        assert result.stderr.startswith("error: ") and "hint: " in result.stderr
    assert conversions(identity) == []


def test_dry_run_lists_and_estimates_without_sending(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = batch(str(tree), "-r", "-o", str(out), "-v", VOICE_ID, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert (plan["files"], plan["convert"]) == (3, 3)
    assert plan["estimated_credits"] == 3 * 17  # 1 s each: ceil(1000/60)
    assert conversions(identity) == [] and not out.exists()


def test_max_credits_refuses_up_front_and_allow_partial_converts_what_fits(
    identity: ApiServer, tmp_path: Path
) -> None:
    make_tree(tmp_path / "in", [f"{n:02d}.wav" for n in range(4)], seconds=3.0)  # 50 each
    args = [str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-v", VOICE_ID, "--jobs", "1"]
    refused = batch(*args, "--max-credits", "120")
    assert refused.exit_code == ExitStatus.QUOTA, refused.output
    assert "about 200 credits" in refused.stderr and "120" in refused.stderr
    assert conversions(identity) == []
    partial = batch(*args, "--max-credits", "120", "--allow-partial", "--json")
    assert partial.exit_code == ExitStatus.QUOTA, partial.output
    summary = json.loads(partial.stdout)
    assert summary["done"] == 2 and summary["credits"] <= 120
    assert len(conversions(identity)) == 2


def test_input_list_from_stdin_and_step_summary(
    identity: ApiServer, tree: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tree)
    step = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    result = batch("--input-list", "-", "-o", str(tmp_path / "out"), "-v", VOICE_ID,
                   stdin="a.wav\ntalks/c.wav\nnotes.txt\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "talks" / "c.mp3").exists()
    assert not (tmp_path / "out" / "b.mp3").exists()
    markdown = step.read_text()
    assert "| files | done | skipped | failed |" in markdown and "`talks/c.mp3`" in markdown


def test_plain_lines_per_file_when_not_a_terminal(
    identity: ApiServer, tree: Path, tmp_path: Path
) -> None:
    result = batch(str(tree), "-o", str(tmp_path / "out"), "-v", VOICE_ID)
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("done ")]
    assert len(lines) == 2 and any("a.mp3" in line for line in lines)
    assert result.stdout == ""


def test_local_engine_batch_in_worker_processes(tmp_path: Path) -> None:
    make_tree(tmp_path / "in", ["one.wav", "two.wav"], seconds=1.5)
    result = batch(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--ext", "wav", "--json",
                   "-j", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["done"] == 2 and summary["credits"] == 0
    for name in ("one", "two"):
        converted, rate = sf.read(str(tmp_path / "out" / f"{name}.wav"))
        assert rate == 44100 and len(converted) == int(1.5 * 44100)  # .wav: pcm_44100
    report = runner.invoke(app, ["batch", "report", str(tmp_path / "out/.voxcli-manifest.jsonl"),
                                 "--json"])  # fmt: skip
    assert report.exit_code == 0 and json.loads(report.stdout)["done"] == 2
