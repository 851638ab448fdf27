"""Batch over memos and videos: videos stay videos, memos become the chosen audio format."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.batch.conftest import make_tree
from tests.cli.helpers import conversions
from tests.cli.test_video import assert_same_video
from tests.support.media import write_media
from tests.support.server import VOICE_ID
from voxcli.cli import app
from voxcli.server import ApiServer

runner = CliRunner()


def test_a_folder_of_videos_and_memos_is_mirrored_kind_for_kind(
    identity: ApiServer, tmp_path: Path
) -> None:
    root = tmp_path / "in"
    make_tree(root, ["talks/intro.wav"])
    write_media(root / "talks" / "demo.mp4", "mp4")
    (root / "memos").mkdir()
    write_media(root / "memos" / "idea.m4a", "m4a")
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(root), "-r", "-o", str(out), "-v", VOICE_ID,
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    outputs = sorted(row["output"] for row in json.loads(result.stdout)["results"])
    assert outputs == ["memos/idea.mp3", "talks/demo.mp4", "talks/intro.mp3"]
    assert_same_video(root / "talks" / "demo.mp4", out / "talks" / "demo.mp4", "mp4")
    assert len(conversions(identity)) == 3

    # A chosen audio format gives audio only, for videos too.
    audio_only = runner.invoke(app, ["batch", str(root), "-r", "-o", str(tmp_path / "audio"),
                                     "-v", VOICE_ID, "--ext", "wav"])  # fmt: skip
    assert audio_only.exit_code == 0, audio_only.output
    assert sorted(p.name for p in (tmp_path / "audio").rglob("*.wav")) == [
        "demo.wav",
        "idea.wav",
        "intro.wav",
    ]
