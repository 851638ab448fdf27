"""An input voxcli may not read is reported as such, not as an unsupported audio file.

Tests usually run as root, whom file permissions do not stop; root is then run without the
capabilities that override them (setpriv, util-linux), so the permission check is real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voxcli.errors import ExitStatus

_SETPRIV = shutil.which("setpriv")
_AS_ROOT = os.geteuid() == 0


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m voxcli ARGS`, unable to read files its mode bits forbid, even as root."""
    command = [sys.executable, "-m", "voxcli", *args]
    if _AS_ROOT:
        assert _SETPRIV is not None
        command = [_SETPRIV, "--bounding-set", "-dac_override,-dac_read_search", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


pytestmark = pytest.mark.skipif(
    _AS_ROOT and _SETPRIV is None,
    reason="running as root without setpriv: root reads any file, so nothing is unreadable",
)


def test_an_unreadable_file(tmp_path: Path, speech: Path) -> None:
    speech.chmod(0)
    done = run_unprivileged("convert", str(speech), "-v", "Rachel", "--dry-run")
    assert done.returncode == ExitStatus.INPUT, done.stderr
    assert done.stderr.splitlines()[0] == f"error: cannot read {speech}: permission denied"
    assert "hint: " in done.stderr and "Traceback" not in done.stderr


def test_a_file_in_a_folder_that_may_not_be_entered(tmp_path: Path, speech: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    inside = speech.rename(folder / speech.name)
    folder.chmod(0o600)
    try:
        done = run_unprivileged("convert", str(inside), "-v", "Rachel", "--dry-run")
    finally:
        folder.chmod(0o700)
    assert done.returncode == ExitStatus.INPUT, done.stderr
    assert done.stderr.splitlines()[0] == f"error: cannot read {inside}: permission denied"
    assert "Traceback" not in done.stderr
