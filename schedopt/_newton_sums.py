"""Accurate running sums and bound (C) in numpy, shared by the ``newton`` solver's modules."""

from __future__ import annotations

import numpy as np


def running_sums(v: np.ndarray, block: int = 1024) -> np.ndarray:
    """v_1, v_1 + v_2, …. np.cumsum's rounding grows like n·ε (1e-11 at T = 10⁶); summing
    within blocks and then over block totals keeps it near (block + n/block)·ε."""
    n = v.size
    if n <= block:
        return np.cumsum(v)
    rows = -(-n // block)
    padded = np.zeros(rows * block)
    padded[:n] = v
    within = np.cumsum(padded.reshape(rows, block), axis=1)
    within[1:] += np.cumsum(within[:-1, -1])[:, None]
    return within.ravel()[:n]


def tail_sums(eta: np.ndarray) -> np.ndarray:
    """x_i = η_{i:n}, the tail-sum coordinates (THEORY §4.3)."""
    return running_sums(eta[::-1])[::-1]


def bound(problem, eta: np.ndarray) -> float:
    """Bound (C) at eta (THEORY §2) in numpy float64; equals ``problem.bound(eta)`` without
    the JAX dispatch, which compiles anew for every schedule length."""
    S = tail_sums(eta)
    if not eta[-1] > 0:
        return float("inf")
    G2 = problem.G2
    terms = 0.5 * np.sum(G2[:-1] * eta[:-1] * (eta[:-1] / S[1:]))
    return float(0.5 * problem.D**2 / S[0] + terms + 0.5 * G2[-1] * eta[-1])
