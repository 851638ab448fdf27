"""`--shard K/N` and `--shard auto`: deterministic, stable shards."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from voxcli.convert.batch.shard import Shard, parse_shard
from voxcli.errors import InputError

FILES = [PurePosixPath(f"talks/{n:04d}.wav") for n in range(300)]


def test_shards_cover_every_file_exactly_once() -> None:
    shards = [Shard(k, 3) for k in (1, 2, 3)]
    owners = [[s for s in shards if s.takes(f)] for f in FILES]
    assert all(len(o) == 1 for o in owners)
    sizes = [sum(1 for f in FILES if s.takes(f)) for s in shards]
    assert min(sizes) > 70  # about a third each


def test_adding_a_file_moves_no_other_file() -> None:
    shard = Shard(2, 4)
    before = {f for f in FILES if shard.takes(f)}
    after = {f for f in [*FILES, PurePosixPath("talks/new.wav")] if shard.takes(f)}
    assert after - {PurePosixPath("talks/new.wav")} == before


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, Shard(1, 3)),  # GitLab counts from 1
        ({"CI_NODE_TOTAL": "1"}, Shard(1, 1)),  # GitLab without parallel:
        ({"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "4"}, Shard(1, 4)),  # from 0
        ({"BUILDKITE_PARALLEL_JOB": "2", "BUILDKITE_PARALLEL_JOB_COUNT": "3"}, Shard(3, 3)),
    ],
)
def test_auto_reads_the_ci_variables(environ: dict[str, str], expected: Shard) -> None:
    assert parse_shard("auto", environ) == expected


def test_auto_outside_a_ci_fails_clearly() -> None:
    with pytest.raises(InputError, match="no CI parallelism variables") as caught:
        parse_shard("auto", {})
    assert caught.value.hint is not None and "--shard K/N" in caught.value.hint


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1-3"])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_shard(text, {})


def test_k_of_n() -> None:
    assert parse_shard(" 2 / 5 ", {}) == Shard(2, 5)
    assert str(Shard(2, 5)) == "2/5"
