"""The exemplar correction: a local, phone-class mean shift toward the target's frames.

Global mean/variance normalisation moves the average timbre only. For every input frame this
module finds its nearest neighbours among the target's codebook frames and among the input's
own frames (both within the frame's voicing class, compared on speaker-normalised features)
and returns ``mean(target neighbours) - mean(own neighbours)``: the difference between how the
target and the (already normalised) source realise that kind of sound. Adding it keeps each
frame's own deviation from its class, which is what carries the words; copying target frames
instead would throw that away.

Cost is bounded: query frames are processed in blocks, and a frame's own neighbours are
searched only within `window` frames of its block, so memory grows linearly with the input.
When the whole input fits in one window the result is the same as an exhaustive search.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Neighbours averaged on each side.
K_NEIGHBOURS = 32
#: Frames each side of a block searched for the input's own neighbours (50 s at 5 ms).
SELF_WINDOW = 10000
#: Query frames per block. A block's distances to its own candidates take about
#: ``BLOCK x 2 x SELF_WINDOW x 12`` bytes (float32 distances and the int64 selection): 30 MB.
BLOCK = 128


def exemplar_correction(
    query: Array,
    query_voiced: NDArray[np.bool_],
    mapped: Array,
    db_features: Array,
    db_frames: Array,
    db_voiced: NDArray[np.bool_],
    *,
    k: int = K_NEIGHBOURS,
    window: int = SELF_WINDOW,
    block: int = BLOCK,
) -> Array:
    """Per-frame correction ``(frames, dims)`` to add to `mapped` (see the module docstring).

    `query` and `db_features` are the matching features of the input and codebook frames
    (each z-scored with its own speaker's statistics); `mapped` are the input frames after
    global normalisation and `db_frames` the codebook's raw frames, both ``(n, dims)``.
    """
    delta = np.zeros_like(mapped)
    # float32 features (and their squared norms) once per class: every block reads them.
    query32 = query.astype(np.float32)
    for voiced in (True, False):
        rows = np.flatnonzero(query_voiced == voiced)
        if len(rows) == 0:
            continue
        db_rows = np.flatnonzero(db_voiced == voiced)
        if len(db_rows) == 0:
            db_rows = np.arange(len(db_frames))
        book = _Candidates(db_features[db_rows].astype(np.float32), db_frames[db_rows])
        own = _Candidates(query32[rows], mapped[rows])
        for start in range(0, len(rows), block):
            stop = min(len(rows), start + block)
            points = own.features[start:stop]
            # The input's own candidates: same class, within `window` frames of this block.
            lo = np.searchsorted(rows, rows[start] - window)
            hi = np.searchsorted(rows, rows[stop - 1] + window, side="right")
            target_mean = _neighbour_mean(points, book, k)
            own_mean = _neighbour_mean(points, own.part(lo, hi), k)
            delta[rows[start:stop]] = target_mean - own_mean
    return delta


class _Candidates:
    """Frames to search: float32 features, their squared norms, and the values to average."""

    def __init__(
        self, features: NDArray[np.float32], values: Array, norms: NDArray[np.float32] | None = None
    ) -> None:
        self.features, self.values = features, values
        self.norms = (features**2).sum(axis=1) if norms is None else norms

    def part(self, lo: int, hi: int) -> _Candidates:
        """Candidates lo..hi (views: nothing is copied)."""
        return _Candidates(self.features[lo:hi], self.values[lo:hi], self.norms[lo:hi])


def _neighbour_mean(points: NDArray[np.float32], candidates: _Candidates, k: int) -> Array:
    """Mean of the candidates' values over each point's `k` nearest candidates (Euclidean)."""
    values = candidates.values
    k = min(k, len(values))
    if k == len(values):
        return np.broadcast_to(values.mean(axis=0), (len(points), values.shape[1])).copy()
    # float32 distances halve the cost of the selection, which dominates this module.
    dist = (
        (points**2).sum(axis=1)[:, None]
        + candidates.norms[None, :]
        - 2.0 * points @ candidates.features.T
    )
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    return np.asarray(values[nearest].mean(axis=1), dtype=np.float64)


def smooth(values: Array, frames: int) -> Array:
    """Centred moving average over `frames` frames along axis 0 (edges use the nearest values)."""
    if frames <= 1 or len(values) < 2:
        return values
    pad = frames // 2
    padded = np.pad(values, ((pad, frames - 1 - pad), (0, 0)), mode="edge")
    cumsum = np.cumsum(padded, axis=0)
    cumsum = np.vstack([np.zeros((1, values.shape[1])), cumsum])
    return (cumsum[frames:] - cumsum[:-frames]) / frames
