"""Import this first: it pins numpy's BLAS and OpenMP pools to one thread per process.

The benchmarks report CPU seconds of single-threaded runs and score pairs in parallel worker
processes. The libraries read these variables when numpy loads, so a script imports this module
before anything that imports numpy (behind an ``# isort: split``, so sorting keeps it first).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
