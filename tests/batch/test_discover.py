"""Which files a batch takes and where their outputs go (`voxcli.convert.batch.discover`)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from tests.batch.conftest import make_tree
from voxcli.audio.formats import INPUT_EXTENSIONS
from voxcli.convert.batch.discover import Filters, Item, check_layout, discover
from voxcli.errors import InputError

AUDIO = Filters(INPUT_EXTENSIONS)


def rels(items: list[Item]) -> list[str]:
    return [i.rel.as_posix() for i in items]


def test_a_folder_is_mirrored_and_only_audio_is_taken(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert rels(discover([str(tree)], out_dir=out, filters=AUDIO)) == ["a.wav", "b.wav"]
    found = discover([str(tree)], out_dir=out, filters=AUDIO, recursive=True)
    assert rels(found) == ["a.wav", "b.wav", "talks/c.wav"]


def test_globs_are_relative_to_their_folder_part(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    found = discover([f"{tree}/**/*.wav"], out_dir=out, filters=AUDIO)
    assert rels(found) == ["a.wav", "b.wav", "talks/c.wav"]
    assert rels(discover([f"{tree}/t*/*.wav"], out_dir=out, filters=AUDIO)) == ["talks/c.wav"]


def test_a_named_file_is_taken_whatever_its_extension(tree: Path, tmp_path: Path) -> None:
    found = discover([str(tree / "notes.txt")], out_dir=tmp_path / "out", filters=AUDIO)
    assert found == [Item(tree / "notes.txt", PurePosixPath("notes.txt"))]


def test_listed_paths_mirror_their_path_below_the_current_folder(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    listed = ["in/a.wav", str(tree / "talks" / "c.wav"), "in/notes.txt", ""]
    found = discover([], out_dir=tmp_path / "out", listed=listed, filters=AUDIO)
    assert rels(found) == ["in/a.wav", "in/talks/c.wav"]


def test_include_replaces_the_extension_filter_and_exclude_removes(
    tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    notes = Filters(INPUT_EXTENSIONS, include=("*.txt",))
    assert rels(discover([str(tree)], out_dir=out, filters=notes)) == ["notes.txt"]
    no_talks = Filters(INPUT_EXTENSIONS, exclude=("talks/*", "b.*"))
    found = discover([str(tree)], out_dir=out, filters=no_talks, recursive=True)
    assert rels(found) == ["a.wav"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "input missing not found"),
        (["in/*.flac"], "matches no files"),
    ],
)
def test_missing_inputs_are_refused(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        discover(args, out_dir=tmp_path / "out", filters=AUDIO)


def test_an_output_folder_the_scan_would_reach_is_refused(tree: Path) -> None:
    with pytest.raises(InputError, match="inside the input"):
        discover([str(tree)], out_dir=tree, filters=AUDIO)
    with pytest.raises(InputError, match="inside the input"):
        discover([str(tree)], out_dir=tree / "converted", filters=AUDIO, recursive=True)
    # Not recursive: the outputs in a subfolder are never scanned.
    assert discover([str(tree)], out_dir=tree / "converted", filters=AUDIO)


def test_two_inputs_for_one_output_are_refused(tmp_path: Path) -> None:
    a, b = make_tree(tmp_path, ["x/take.wav", "y/take.wav"])
    items = discover([str(a), str(b)], out_dir=tmp_path / "out", filters=AUDIO)
    outputs = [tmp_path / "out" / "take.mp3"] * 2
    with pytest.raises(InputError, match="would both be written to"):
        check_layout(items, tmp_path / "out", outputs)


def test_an_output_escaping_through_a_symlink_is_refused(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", out / "talks")
    items = discover([str(tree)], out_dir=out, filters=AUDIO, recursive=True)
    outputs = [out / i.rel.with_suffix(".mp3") for i in items]
    with pytest.raises(InputError, match="outside"):
        check_layout(items, out, outputs)


def test_an_input_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    (inside,) = make_tree(tmp_path / "out", ["old.wav"])
    items = discover([str(inside)], out_dir=tmp_path / "out", filters=AUDIO)
    with pytest.raises(InputError, match="inside the output folder"):
        check_layout(items, tmp_path / "out", [tmp_path / "out" / "old.mp3"])
