"""One BLAS thread while the engine converts.

The engine's matrix products are small (a block of frames against the codebook, a block of
envelopes against the mel basis): a second OpenBLAS thread only adds hand-over and busy-waiting.
On a 60 s input at 16 kHz, `--quality fast`, numpy's default of one thread per core cost 1.5 CPU
seconds and 1 s of wall time on two cores, and it took a core from any other conversion running
beside it (`batch`, `serve`, sections). The output is the same either way.

The limit is process-wide (BLAS has one pool), so concurrent conversions share one counted
hold: the first sets it, the last one out restores what was there before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.Lock()
_holders = 0
_limiter: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with BLAS limited to one thread (see the module docstring)."""
    global _holders, _limiter
    with _LOCK:
        if _holders == 0:
            from threadpoolctl import threadpool_limits

            _limiter = threadpool_limits(limits=1, user_api="blas")
        _holders += 1
    try:
        yield
    finally:
        with _LOCK:
            _holders -= 1
            if _holders == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None
