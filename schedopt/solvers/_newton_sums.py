"""Accurate running sums and bound (C) in numpy, shared by the ``newton`` solver's modules."""

from __future__ import annotations

import numpy as np

from schedopt._sums import running_sums  # noqa: F401  (re-exported for newton's modules)
from schedopt._sums import tail_sums


def bound(problem, eta: np.ndarray) -> float:
    """Bound (C) at eta (THEORY §2) in numpy float64; equals ``problem.bound(eta)`` without
    the JAX dispatch, which compiles anew for every schedule length."""
    S = tail_sums(eta)
    if not eta[-1] > 0:
        return float("inf")
    G2 = problem.G2
    terms = 0.5 * np.sum(G2[:-1] * eta[:-1] * (eta[:-1] / S[1:]))
    return float(0.5 * problem.D**2 / S[0] + terms + 0.5 * G2[-1] * eta[-1])
