"""Order statistics and running filters over 1-D arrays, with numpy's core only.

The engine needs three small filters (F0 clean-up and the peak limiter). They used to come from
`scipy.ndimage`, whose import alone cost 0.3 s of every conversion's start-up; these give the
same values (the median and minimum exactly, the mean to rounding) with numpy alone. Edges are
extended with the nearest value.

`percentile` and `median` give exactly `numpy.percentile`'s and `numpy.median`'s values (linear
interpolation), without their first-call import of `numpy.ma` (40-80 ms of every start-up).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Array = NDArray[np.float64]


def _padded(values: NDArray[np.generic], size: int) -> NDArray[np.generic]:
    """`values` extended by the nearest value so that window ``i`` is centred on element ``i``
    (``size // 2`` before, the rest after: `scipy.ndimage`'s placement for ``mode="nearest"``)."""
    before = size // 2
    return np.pad(values, (before, size - 1 - before), mode="edge")


def running_median(values: NDArray[np.generic], size: int) -> NDArray[np.generic]:
    """Median of each centred window of `size` (odd) elements; same dtype and length out."""
    if size <= 1 or len(values) == 0:
        return values.copy()
    # Partitioning a copy of the windows: the middle element of an odd window is its median.
    windows = np.array(sliding_window_view(_padded(values, size), size))
    return np.asarray(np.partition(windows, size // 2, axis=1)[:, size // 2], dtype=values.dtype)


def running_min(values: Array, size: int) -> Array:
    """Minimum of each centred window of `size` elements, in O(n) whatever the size.

    Van Herk / Gil-Werman: within blocks of `size`, a window is covered by the suffix minimum
    of one block and the prefix minimum of the next, so no window is scanned element by element.
    """
    if size <= 1 or len(values) == 0:
        return values.copy()
    padded = _padded(values, size)
    blocks = -(-len(padded) // size)
    full = np.pad(padded, (0, blocks * size - len(padded)), mode="edge").reshape(blocks, size)
    prefix = np.minimum.accumulate(full, axis=1).ravel()
    suffix = np.minimum.accumulate(full[:, ::-1], axis=1)[:, ::-1].ravel()
    n = len(values)
    return np.minimum(suffix[:n], prefix[size - 1 : size - 1 + n])


def running_mean(values: Array, size: int) -> Array:
    """Mean of each centred window of `size` elements (a cumulative sum: O(n))."""
    if size <= 1 or len(values) == 0:
        return values.copy()
    cumsum = np.concatenate([[0.0], np.cumsum(_padded(values, size), dtype=np.float64)])
    return np.asarray((cumsum[size:] - cumsum[:-size]) / size, dtype=np.float64)


def percentile(values: NDArray[np.floating], q: float) -> float:
    """The `q`-th percentile (0-100) of `values`, as ``numpy.percentile`` computes it."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if len(flat) == 0:
        raise ValueError("percentile of an empty array")
    position = (len(flat) - 1) * (q / 100.0)
    below = int(np.floor(position))
    above = min(below + 1, len(flat) - 1)
    ordered = np.partition(flat, [below, above])
    low, high = float(ordered[below]), float(ordered[above])
    fraction = position - below
    # numpy's interpolation, which is exact at both ends: from below, or back from above.
    step = high - low
    return high - step * (1.0 - fraction) if fraction >= 0.5 else low + step * fraction


def median(values: NDArray[np.floating]) -> float:
    """The median of `values`, as ``numpy.median`` computes it."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if len(flat) == 0:
        raise ValueError("median of an empty array")
    half = len(flat) // 2
    if len(flat) % 2:
        return float(np.partition(flat, half)[half])
    ordered = np.partition(flat, [half - 1, half])
    return float((ordered[half - 1] + ordered[half]) / 2.0)
