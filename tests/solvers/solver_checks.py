"""Checks shared by the first-order solver tests (test_lbfgsb.py, test_pgd.py).

The references are independent of the solvers under test: the exact recursion of docs/math.md §4.4
for unconstrained problems, and for constrained ones the KKT property of a convex problem
(docs/math.md §4.2): no feasible perturbation of the optimum lowers bound (C).
"""

from __future__ import annotations

import numpy as np

from schedopt import last_iterate_bound
from schedopt import optimal_schedule


def G_profiles(T: int, seed: int = 0) -> dict:
    """Scalar and per-step G: random, a warm-up spike, a slow drift."""
    rng = np.random.default_rng(seed + T)
    t = np.arange(T)
    return {
        "scalar": 1.7,
        "random": rng.uniform(0.5, 2.0, T),
        "spike": 1.0 + 9.0 * np.exp(-t / max(T / 50, 1.0)),
        "drift": np.exp(0.7 * t / T),
    }


def relative_gap(result, T: int, D, G) -> float:
    best = optimal_schedule(T, D, G, method="exact").bound
    return (result.bound - best) / best


def bound(eta, D, G) -> float:
    return float(last_iterate_bound(eta, D, G))


def perturbations(eta, *, free_from: int, ramp: int, monotone: bool, max_lr, rng,
                  count: int = 20, size: float = 1e-4):
    """Feasible schedules near eta that keep every constraint of the problem.

    The free values (from index ``free_from``) move by relative amounts up to ``size`` (in
    their decrements when monotone), are clipped to the box, and a linear ramp of ``ramp``
    steps before them is rebuilt on the new first free value.
    """
    eta = np.asarray(eta, dtype=np.float64)
    free = eta[free_from:]
    coeff = np.arange(1, ramp + 1) / (ramp + 1.0)
    for _ in range(count):
        factor = 1.0 + size * rng.uniform(-1.0, 1.0, free.shape)
        if monotone:
            drops = np.maximum(free - np.append(free[1:], 0.0), 0.0) * factor
            # Decrements that are 0 may also open up: a small positive one, always feasible.
            drops = np.where(drops == 0, size * free[-1] * rng.uniform(0, 1, free.shape), drops)
            new = np.cumsum(drops[::-1])[::-1]
        else:
            new = free * factor
        if max_lr is not None:
            new = np.minimum(new, max_lr)
        out = eta.copy()
        out[free_from:] = new
        if ramp:
            out[free_from - ramp:free_from] = coeff * new[0]
        yield out


def assert_kkt(result, D, G, **constraints):
    """No feasible perturbation lowers the bound beyond rounding (first-order optimality)."""
    rng = np.random.default_rng(7)
    here = bound(result.eta, D, G)
    for other in perturbations(result.eta, rng=rng, **constraints):
        assert bound(other, D, G) >= here * (1 - 1e-12), "a feasible perturbation lowers the bound"


# ----------------------------------------------------------------------------------------
# Checks run for each method
# ----------------------------------------------------------------------------------------

def check_unconstrained(method: str, T: int, G, D: float = 1.0):
    """Reaches the exact optimum to 1e-9 (issue 3 §3) and says it converged."""
    result = optimal_schedule(T, D, G, method=method)
    assert result.method == method and result.converged, result.message
    # converged=True is backed by a certified gap within tol = 1e-12 (issue 15 item 1)
    assert result.gap is not None and 0 <= result.gap <= 1e-12 * result.bound
    assert result.eta.shape == (T,) and result.eta.dtype == np.float64
    assert np.all(np.isfinite(result.eta)) and np.all(result.eta >= 0)
    gap = relative_gap(result, T, D, G)
    assert -1e-12 <= gap <= 1e-9, gap
    assert gap * result.bound <= result.gap + 1e-14 * result.bound, "certificate below the truth"
    assert result.bound == bound(result.eta, D, G)


def check_constrained(method: str, T: int, G, D: float = 1.0, *, monotone=False, max_lr=None,
                      warmup=None):
    """Constraints hold to 1e-12, the value is ≥ the unconstrained optimum, and KKT holds."""
    result = optimal_schedule(T, D, G, method=method, monotone=monotone, max_lr=max_lr,
                              warmup=warmup)
    assert result.converged, result.message
    assert result.gap is not None and 0 <= result.gap <= 1e-12 * result.bound
    eta = result.eta
    assert np.all(np.isfinite(eta)) and np.all(eta >= 0) and eta[-1] > 0
    unconstrained = optimal_schedule(T, D, G, method="exact").bound
    assert result.bound >= unconstrained * (1 - 1e-12)
    ramp = warmup if isinstance(warmup, int) else 0
    prefix = 0 if warmup is None or isinstance(warmup, int) else len(warmup)
    free_from = prefix + ramp
    if max_lr is not None:
        assert np.max(eta) <= max_lr * (1 + 1e-12)
    if prefix:
        np.testing.assert_array_equal(eta[:prefix], np.asarray(warmup, dtype=np.float64))
    if ramp:
        expected = np.arange(1, ramp + 1) / (ramp + 1.0) * eta[free_from]
        np.testing.assert_allclose(eta[:ramp], expected, rtol=1e-12, atol=0)
    if monotone:
        assert np.all(np.diff(eta[free_from:]) <= 1e-12 * eta[free_from])
    assert_kkt(result, D, G, free_from=free_from, ramp=ramp, monotone=monotone, max_lr=max_lr)
    return result


def check_deterministic(method: str):
    G = G_profiles(150)["random"]
    a = optimal_schedule(150, 1.0, G, method=method, max_lr=0.08)
    b = optimal_schedule(150, 1.0, G, method=method, max_lr=0.08)
    assert a.eta.tobytes() == b.eta.tobytes() and a.bound == b.bound
