"""`--shard K/N`: a deterministic 1/N of a batch's files, for N CI machines.

A file belongs to shard ``1 + h mod N``, where ``h`` is a stable hash (SHA-256) of its relative
output path: independent of the order inputs are listed in, the same on every machine, and
adding a file never moves another one between shards.

``--shard auto`` reads the CI's own variables: GitLab's `parallel:` (``CI_NODE_INDEX``, from 1,
and ``CI_NODE_TOTAL``), CircleCI's `parallelism` (``CIRCLE_NODE_INDEX``, from 0, and
``CIRCLE_NODE_TOTAL``) and Buildkite's `parallelism` (``BUILDKITE_PARALLEL_JOB``, from 0, and
``BUILDKITE_PARALLEL_JOB_COUNT``). A GitLab job without `parallel:` has ``CI_NODE_TOTAL=1``
and no index: it is shard 1/1.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from voxcli.errors import InputError

#: (CI, index variable, total variable, the index of the first job).
CI_VARIABLES = (
    ("GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1),
    ("CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0),
    ("Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0),
)

_HINT = "use --shard K/N, e.g. --shard 1/3 for the first of three machines"


@dataclass(frozen=True)
class Shard:
    """Shard `index` (from 1) of `total`."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def takes(self, rel: PurePosixPath) -> bool:
        """True when the file whose output mirrors `rel` belongs to this shard."""
        digest = hashlib.sha256(rel.as_posix().encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.total == self.index - 1


def parse_shard(text: str, environ: Mapping[str, str]) -> Shard:
    """``K/N`` (1 <= K <= N), or ``auto`` from `environ` (`InputError` outside such a CI)."""
    if text.strip().lower() == "auto":
        return _from_ci(environ)
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise InputError(f"--shard must be K/N or auto, not {text!r}", hint=_HINT)
    return _checked(int(match[1]), int(match[2]), f"--shard {text}")


def _checked(index: int, total: int, origin: str) -> Shard:
    if total < 1 or not 1 <= index <= total:
        raise InputError(f"{origin}: the shard must be from 1 to N, and N at least 1", hint=_HINT)
    return Shard(index, total)


def _from_ci(environ: Mapping[str, str]) -> Shard:
    for ci, index_var, total_var, first in CI_VARIABLES:
        total = environ.get(total_var, "").strip()
        if not total:
            continue
        index = environ.get(index_var, "").strip()
        if not index and ci == "GitLab" and total == "1":
            return Shard(1, 1)  # a GitLab job without `parallel:`
        origin = f"--shard auto ({ci}: {index_var}={index!r}, {total_var}={total!r})"
        if not (index.isdigit() and total.isdigit()):
            raise InputError(f"{origin}: not whole numbers", hint=_HINT)
        return _checked(int(index) - first + 1, int(total), origin)
    names = ", ".join(f"{ci} {i}/{t}" for ci, i, t, _ in CI_VARIABLES)
    raise InputError(
        f"--shard auto found no CI parallelism variables ({names})",
        hint=_HINT + " (GitHub Actions: from the matrix, see README)",
    )
