"""Bound (C) of a ``Problem`` in numpy, for the ``newton`` solver's modules."""

from __future__ import annotations

import numpy as np

from schedopt.bounds._host import last_value_and_grad_numpy


def bound(problem, eta: np.ndarray) -> float:
    """Bound (C) at eta (docs/math.md §2) in numpy float64: the host path of
    ``last_iterate_bound``, without the JAX dispatch, which compiles anew for every length."""
    return float(last_value_and_grad_numpy(eta, problem.D**2, problem.G2, grad=False)[0])
