"""Run a solver loop with BLAS limited to one thread.

The solvers' BLAS and LAPACK calls are on long vectors or narrow bands, where OpenBLAS's
threads only synchronise: when the cores are busy, one thread was measured 1.5–1.8× faster for
newton and 5.8× for lbfgsb at T = 10⁵ (issue 14). threadpoolctl changes the limit for the
process while the block runs and restores it after.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def single_blas_thread():
    """Limit BLAS to one thread inside the block; a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                      # an optional speed-up, never a requirement
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
