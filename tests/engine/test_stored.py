"""Stored profiles read without the engine: the same numbers, the same refusals."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.engine.conftest import BUILTIN
from voxcli.engine import VoiceProfile
from voxcli.engine.stored import FORMAT_VERSION, read_stored
from voxcli.errors import InputError


@pytest.mark.parametrize("name", ["sally", "karl", "ken"])
def test_builtin_summaries_equal_the_loaded_profiles(name: str) -> None:
    data = (BUILTIN / f"{name}.npz").read_bytes()
    profile = VoiceProfile.from_bytes(data)
    stored = read_stored(io.BytesIO(data))
    assert stored.summary() == profile.summary()
    assert stored.metadata == dict(profile.metadata)


def test_built_profile_summary_and_metadata_round_trip(female_profile: VoiceProfile) -> None:
    labelled = female_profile.with_metadata(labels={"gender": "female"}, description="é")
    stored = read_stored(io.BytesIO(labelled.to_bytes()))
    assert stored.summary() == labelled.summary()
    assert stored.metadata == dict(labelled.metadata)


def test_damaged_foreign_and_newer_files_are_refused_as_from_bytes_does(
    female_profile: VoiceProfile,
) -> None:
    data = female_profile.to_bytes()
    for bad in (b"nope", data[: len(data) // 2], b"PK\x05\x06" + bytes(18)):
        with pytest.raises(InputError, match="damaged"):
            read_stored(io.BytesIO(bad))
    with np.load(io.BytesIO(data)) as npz:
        arrays = dict(npz)
    for change in ({"version": np.int64(FORMAT_VERSION + 1)}, {"f0": np.zeros(2)}):
        buffer = io.BytesIO()
        np.savez(buffer, **{**arrays, **change})
        with pytest.raises(InputError, match="format|damaged") as info:
            read_stored(io.BytesIO(buffer.getvalue()))
        assert info.value.hint and "voices add" in info.value.hint
    missing = io.BytesIO()
    np.savez(missing, **{k: v for k, v in arrays.items() if k != "codebook"})
    with pytest.raises(InputError, match="damaged"):
        read_stored(io.BytesIO(missing.getvalue()))


def test_listing_local_voices_loads_neither_numpy_nor_the_engine(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from voxcli.backends.local import LocalBackend\n"
        f"voices = LocalBackend(data_dir=Path({str(tmp_path)!r})).voices()\n"
        "assert {'sally', 'karl', 'ken'} <= {v.voice_id for v in voices}\n"
        "assert all(v.details['codebook_frames'] > 0 for v in voices)\n"
        "heavy = {'numpy', 'pyworld', 'soxr', 'scipy', 'voxcli.engine.profile'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
