"""Take files: a redo never loses the previous take until a new one is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxcli.audio.takes import Takes, check_target
from voxcli.errors import InputError, OutputExistsError


def record(takes: Takes, content: bytes) -> Path:
    path, file = takes.new()
    with file:
        file.write(content)
    return path


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_first_take_goes_straight_to_the_target(tmp_path: Path) -> None:
    takes = Takes(tmp_path / "take.wav", overwrite=False)
    assert record(takes, b"one") == tmp_path / "take.wav"
    assert takes.keep() == tmp_path / "take.wav"
    assert files(tmp_path) == {"take.wav": b"one"}


def test_redo_keeps_every_earlier_take_until_one_is_kept(tmp_path: Path) -> None:
    takes = Takes(tmp_path / "take.wav", overwrite=False)
    record(takes, b"one")
    second = record(takes, b"two")
    third = record(takes, b"three")
    assert second.parent == third.parent == tmp_path and second != third
    assert sorted(files(tmp_path).values()) == [b"one", b"three", b"two"]
    assert takes.discard() == second  # back to the second take; the first is still there
    assert sorted(files(tmp_path).values()) == [b"one", b"two"]
    takes.keep()
    assert files(tmp_path) == {"take.wav": b"two"}


def test_discarding_the_only_take_leaves_nothing(tmp_path: Path) -> None:
    takes = Takes(tmp_path / "take.wav", overwrite=False)
    record(takes, b"one")
    assert takes.discard() is None
    assert files(tmp_path) == {}


def test_an_existing_target_is_replaced_only_when_a_take_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "take.wav"
    target.write_bytes(b"old")
    takes = Takes(target, overwrite=True)
    record(takes, b"new")
    assert files(tmp_path)["take.wav"] == b"old"
    assert takes.left_behind()[0] != target
    takes.keep()
    assert files(tmp_path) == {"take.wav": b"new"}


def test_the_target_is_checked_before_recording(tmp_path: Path) -> None:
    (tmp_path / "take.wav").write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="exists"):
        check_target(tmp_path / "take.wav", overwrite=False)
    check_target(tmp_path / "take.wav", overwrite=True)
    with pytest.raises(InputError, match="WAV"):
        check_target(tmp_path / "take.mp3", overwrite=False)
    with pytest.raises(InputError, match="does not exist"):
        check_target(tmp_path / "missing" / "take.wav", overwrite=False)
