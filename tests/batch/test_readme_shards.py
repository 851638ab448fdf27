"""The README's CI examples, run as written: the shards cover every file exactly once."""

from __future__ import annotations

import glob
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.batch.conftest import make_tree
from tests.cli.helpers import conversions
from voxcli.cli import app
from voxcli.server import ApiServer

README = Path(__file__).parents[2] / "README.md"
runner = CliRunner()


def readme_commands(ci: str) -> list[str]:
    """The `voxcli ...` command lines of the README's YAML block for `ci`."""
    text = README.read_text()
    start = text.index(f"{ci} (")
    block = text[text.index("```yaml", start) : text.index("```\n", text.index("```yaml", start))]
    return [m.strip() for m in re.findall(r"^\s*- (?:run: )?(voxcli .*)$", block, re.M)]


def invoke(command: str, env: dict[str, str] | None = None) -> object:
    words = shlex.split(command.split(">>")[0])
    assert words[0] == "voxcli"
    expanded = [m for w in words[1:] for m in (sorted(glob.glob(w)) if "*" in w else [w])]
    return runner.invoke(app, expanded, env=env)


@pytest.mark.parametrize("ci", ["GitHub Actions", "GitLab CI"])
def test_the_readme_shard_commands_cover_every_file_once(
    identity: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.chdir(tmp_path)
    names = [f"day{n % 4}/take{n:02d}.wav" for n in range(24)]
    make_tree(tmp_path / "recordings", names, seconds=0.5)
    convert, report = readme_commands(ci)
    assert "--shard" in convert and report.startswith("voxcli batch report")
    for shard in (1, 2, 3):
        if ci == "GitHub Actions":
            result = invoke(convert.replace("${{ matrix.shard }}", str(shard)))
        else:
            result = invoke(convert, env={"CI_NODE_INDEX": str(shard), "CI_NODE_TOTAL": "3"})
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]

    sent = conversions(identity)
    assert len(sent) == len(names)  # each file converted once, by exactly one shard
    outputs = sorted(p.relative_to(tmp_path / "converted").as_posix()
                     for p in (tmp_path / "converted").rglob("*.mp3"))  # fmt: skip
    assert outputs == sorted(n.replace(".wav", ".mp3") for n in names)
    manifests = sorted((tmp_path / "converted").glob(".voxcli-manifest*.jsonl"))
    assert [m.name for m in manifests] == [f".voxcli-manifest.{k}-of-3.jsonl" for k in (1, 2, 3)]
    owned = [{json.loads(line)["output"] for line in m.read_text().splitlines()}
             for m in manifests]  # fmt: skip
    assert sum(len(o) for o in owned) == len(names)

    merged = invoke(report.split(">>")[0].replace(" --markdown", "") + " --json")
    assert merged.exit_code == 0, merged.output  # type: ignore[attr-defined]
    summary = json.loads(merged.stdout)  # type: ignore[attr-defined]
    assert (summary["files"], summary["done"], summary["failed"]) == (len(names), len(names), 0)
