"""Bound (C) in numpy, for concrete schedules where a compilation would cost more than the
evaluation: XLA compiles the JAX kernel anew for every length (about 0.3 s each), which every
first call of a solver at a new T used to wait for. Same formula in float64 (tail sums by the
package's one policy, all terms ≥ 0, so no cancellation); it agrees with the JAX path to
rounding (tests/bounds/test_host_paths.py). No JAX here: the newton solver evaluates its
bound with it too, without loading JAX.
"""

from __future__ import annotations

import numpy as np

from schedopt._sums import running_sums
from schedopt._sums import tail_sums

# Up to this length a concrete call evaluates in numpy (0.1 ms at 10³, 1 ms at 10⁵); above it
# the compiled path is several times faster per call and its compilation is paid once per T.
HOST_MAX = 1 << 16


def last_value_and_grad_numpy(eta, D2, G2, grad=True):
    """Bound (C) and its gradient in η (docs/math.md §2, §4.3) for float64 numpy arrays.

    ``G2`` is a scalar or a per-step array. Returns ``(value, gradient)`` (the gradient None
    when ``grad`` is False); ``(+∞, zeros)`` when ``η_T = 0``, as the JAX path.
    """
    if not eta[-1] > 0:
        return float("inf"), (np.zeros(eta.shape[0]) if grad else None)
    value, d, _ = value_grad_tails(eta, D2, G2, grad=grad)
    return value, d


def value_grad_tails(eta, D2, G2, grad=True):
    """``last_value_and_grad_numpy`` for η_T > 0, with the tail sums S_t = η_{t:T} it forms
    (the pooled Newton of ``solvers._newton_pool`` reuses them for its Hessian)."""
    T = eta.shape[0]
    S = tail_sums(eta)                             # S_t = η_{t:T}; S_{t+1} > 0 for t < T
    r = np.empty(T)
    np.divide(eta[:-1], S[1:], out=r[:-1])         # η_t / S_{t+1}
    r[-1] = 1.0
    G2r = G2 * r
    # np.sum, not np.dot: OpenBLAS splits a long dot product over its threads, so its
    # rounding depended on the number of CPUs (issue 21); numpy's pairwise sum does not.
    value = 0.5 * D2 / S[0] + 0.5 * float(np.sum(G2r * eta))
    if not grad:
        return value, None, S
    # ∂/∂η_k = G_k²r_k − Σ_{t<k} ½G_t²r_t² − D²/(2S_1²), with ½G_T² for k = T.
    before = np.empty(T)
    before[0] = 0.0
    before[1:] = running_sums(0.5 * G2r[:-1] * r[:-1])
    d = G2r - before
    d[-1] -= 0.5 * (G2 if np.ndim(G2) == 0 else G2[-1])
    d -= 0.5 * D2 / (S[0] * S[0])
    return value, d, S
