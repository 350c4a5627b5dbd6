"""``method="newton"``: the barrier method in tail-sum coordinates (schedopt/_newton.py).

References independent of the solver: the exact recursion of docs/math.md §4.4 and its reference
table, the O(T²) form of bound (C) (docs/math.md §2, eq. avg-2-mid5), scipy's SLSQP on small
constrained problems, and the KKT property of a convex problem (docs/math.md §4.2): no feasible
schedule near the optimum has a lower bound.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from schedopt import last_iterate_bound
from schedopt import optimal_schedule


def profiles(T: int, seed: int = 0) -> dict:
    """Scalar and per-step G: random positive, a warm-up spike, a slow drift."""
    rng = np.random.default_rng(seed + T)
    t = np.arange(T)
    return {
        "scalar": 1.3,
        "random": rng.uniform(0.2, 3.0, T),
        "spike": 1.0 + 20.0 * np.exp(-t / max(T / 100, 1.0)),
        "drift": np.exp(-1.5 * t / T),
    }


def quadratic_form(eta, D, G) -> float:
    """Bound (C) in its O(T²) form before the sums are exchanged (docs/math.md §2)."""
    eta = np.asarray(eta, dtype=np.float64)
    G2 = np.broadcast_to(np.square(G), eta.shape)
    S = np.cumsum(eta[::-1])[::-1]
    w = G2 * eta**2
    tails = np.cumsum(w[::-1])[::-1]                    # Σ_{t≥k} G_t² η_t²
    inner = (1.0 / S[1:] - 1.0 / S[:-1]) * tails[:-1]
    return float(D**2 / (2 * S[0]) + tails[0] / (2 * S[0]) + 0.5 * np.sum(inner))


def bound_and_grad(eta, D, G2):
    """Bound (C) and its gradient in numpy (docs/math.md §2), for scipy."""
    S = np.cumsum(eta[::-1])[::-1]
    r = eta[:-1] / S[1:]
    value = D**2 / (2 * S[0]) + 0.5 * np.sum(G2[:-1] * eta[:-1] * r) + 0.5 * G2[-1] * eta[-1]
    sq = np.append(0.5 * G2[:-1] * r**2, 0.0)
    grad = np.append(G2[:-1] * r, 0.5 * G2[-1]) - (np.cumsum(sq) - sq) - D**2 / (2 * S[0] ** 2)
    return value, grad


# ---------------------------------------------------------------------------------------
# Unconstrained: newton against the exact recursion
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [1, 2, 3, 10, 257, 1000, 10_000])
@pytest.mark.parametrize("kind", ["scalar", "random", "spike", "drift"])
def test_unconstrained_matches_exact(T, kind):
    G = profiles(T)[kind]
    D = 0.7
    exact = optimal_schedule(T, D, G, method="exact")
    newton = optimal_schedule(T, D, G, method="newton")
    assert newton.converged, newton.message
    assert newton.method == "newton"
    assert abs(newton.bound - exact.bound) <= 1e-12 * exact.bound
    # The certificate covers the true distance to the optimum (up to rounding of the bound).
    assert 0.0 <= newton.gap <= 1e-12 * newton.bound
    assert newton.bound - exact.bound <= newton.gap + 1e-14 * exact.bound
    np.testing.assert_allclose(newton.eta, exact.eta, rtol=1e-4)


@pytest.mark.parametrize("T, value, first, before_last, last", [
    (2, 0.9101797211244548, 0.32179712645279, 0.32179712645279, 0.77688698701502),
    (10, 0.5780129504480603, 0.24763857816566, 0.09078753702265, 0.21918050317453),
    (100, 0.20011435821107343, 0.09809307344553, 0.00403013295304, 0.00972960163339),
    (1000, 0.0633219371216577, 0.03159762058118, 0.00012883009199, 0.00031102335532),
    (10_000, 0.020004716847491406, 0.01000035740875, 4.0657758235e-06, 9.8156511348e-06),
])
def test_reference_table(T, value, first, before_last, last):
    r = optimal_schedule(T, method="newton")
    assert r.bound == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(r.eta[[0, -2, -1]], [first, before_last, last], rtol=1e-8)


def test_bound_is_bound_c_of_eta():
    """The reported bound is bound (C) at the returned schedule: two independent forms."""
    G = profiles(300)["random"]
    for kwargs in ({}, {"monotone": True, "max_lr": 0.05, "warmup": 20}):
        r = optimal_schedule(300, 2.0, G, method="newton", **kwargs)
        assert r.bound == pytest.approx(float(last_iterate_bound(r.eta, 2.0, G)), rel=1e-13)
        assert r.bound == pytest.approx(quadratic_form(r.eta, 2.0, G), rel=1e-12)


# ---------------------------------------------------------------------------------------
# Constrained problems
# ---------------------------------------------------------------------------------------

CONSTRAINED = {
    "cap": dict(max_lr=0.08),
    "monotone": dict(monotone=True),
    "monotone+cap": dict(monotone=True, max_lr=0.08),
    "ramp": dict(warmup=15),
    "ramp+monotone+cap": dict(warmup=15, monotone=True, max_lr=0.1),
    "prefix+cap": dict(warmup=np.linspace(0.01, 0.06, 12), max_lr=0.07),
    "prefix+monotone": dict(warmup=np.array([0.0, 0.02, 0.2, 0.05]), monotone=True),
}


def check_feasible(eta, T, kwargs):
    assert eta.shape == (T,) and eta.dtype == np.float64
    assert np.all(np.isfinite(eta)) and np.all(eta >= 0) and eta[-1] > 0
    warmup = kwargs.get("warmup")
    W = 0 if warmup is None else (warmup if np.isscalar(warmup) else len(warmup))
    if warmup is not None and not np.isscalar(warmup):
        np.testing.assert_array_equal(eta[:W], warmup)
    elif W:
        np.testing.assert_allclose(eta[:W], np.arange(1, W + 1) / (W + 1) * eta[W], rtol=1e-12)
    if kwargs.get("max_lr") is not None:
        assert np.all(eta <= kwargs["max_lr"])
    if kwargs.get("monotone"):
        assert np.all(np.diff(eta[W:]) <= 0)


@pytest.mark.parametrize("T", [50, 2000])
@pytest.mark.parametrize("name", list(CONSTRAINED))
@pytest.mark.parametrize("kind", ["scalar", "spike", "drift"])
def test_constrained_feasible_and_certified(T, name, kind):
    kwargs = CONSTRAINED[name]
    G = profiles(T)[kind]
    r = optimal_schedule(T, 1.0, G, method="newton", **kwargs)
    assert r.converged, r.message
    check_feasible(r.eta, T, kwargs)
    assert 0.0 <= r.gap <= 1e-12 * r.bound
    # A constrained optimum is no better than the unconstrained one.
    free = optimal_schedule(T, 1.0, G, method="exact").bound
    assert r.bound >= free * (1 - 1e-14)


def feasible_points(eta, T, kwargs, rng, count):
    """Random schedules satisfying every constraint of the problem."""
    warmup = kwargs.get("warmup")
    W = 0 if warmup is None else (warmup if np.isscalar(warmup) else len(warmup))
    cap = kwargs.get("max_lr")
    for _ in range(count):
        kind = rng.integers(3)
        if kind == 0:                                # a nearby point, pushed inward
            free = eta[W:] * (1 + 0.1 * rng.uniform(-1, 1, T - W))
        elif kind == 1:                              # a random decreasing schedule
            free = np.sort(rng.uniform(0.001, 0.2, T - W))[::-1]
        else:                                        # the optimum, rescaled
            free = eta[W:] * rng.uniform(0.5, 1.5)
        if kwargs.get("monotone"):
            free = np.minimum.accumulate(free)
        if cap is not None:
            free = np.minimum(free, cap)
        if warmup is None:
            head = np.zeros(0)
        elif np.isscalar(warmup):
            head = np.arange(1, W + 1) / (W + 1) * free[0]
        else:
            head = np.asarray(warmup, dtype=np.float64)
        yield np.concatenate([head, free])


@pytest.mark.parametrize("name", list(CONSTRAINED))
def test_kkt_no_feasible_direction_descends(name):
    """Convexity: f(η + θ(ξ − η)) ≥ f* ≥ f(η) − gap for every feasible ξ and θ ∈ [0, 1]."""
    T = 120
    kwargs = CONSTRAINED[name]
    G = profiles(T)["random"]
    r = optimal_schedule(T, 1.0, G, method="newton", **kwargs)
    rng = np.random.default_rng(3)
    for xi in feasible_points(r.eta, T, kwargs, rng, count=30):
        for theta in (1e-1, 1e-3, 1e-6):
            moved = r.eta + theta * (xi - r.eta)
            assert quadratic_form(moved, 1.0, G) >= r.bound - r.gap - 1e-14 * r.bound


def slsqp(T, D, G, kwargs):
    """The same problem by scipy's SLSQP on the free steps, from linear decay."""
    G2 = np.broadcast_to(np.square(G), (T,)).astype(np.float64)
    warmup = kwargs.get("warmup")
    W = 0 if warmup is None else (warmup if np.isscalar(warmup) else len(warmup))
    n = T - W
    ramp = np.arange(1, W + 1) / (W + 1) if np.isscalar(warmup) else None
    prefix = None if warmup is None or np.isscalar(warmup) else np.asarray(warmup, float)

    def full(free):
        if ramp is not None:
            return np.concatenate([ramp * free[0], free])
        return free if prefix is None else np.concatenate([prefix, free])

    def fun(free):
        value, grad = bound_and_grad(full(free), D, G2)
        g = grad[W:].copy()
        if ramp is not None:
            g[0] += grad[:W] @ ramp
        return value, g

    cap = kwargs.get("max_lr")
    bounds = [(1e-12, cap)] * n
    constraints = []
    if kwargs.get("monotone"):
        A = np.eye(n)[:-1] - np.eye(n, k=1)[:-1]
        constraints.append({"type": "ineq", "fun": lambda v: A @ v, "jac": lambda v: A})
    x0 = 0.5 * (cap or 0.2) * np.arange(n, 0, -1) / n
    out = optimize.minimize(fun, x0, jac=True, method="SLSQP", bounds=bounds,
                            constraints=constraints,
                            options={"ftol": 1e-16, "maxiter": 3000})
    # SLSQP meets its constraints only to ~1e-10, which can be worth more than that in the
    # bound: make its answer feasible before comparing.
    free = np.clip(out.x, 0.0, cap)
    if kwargs.get("monotone"):
        free = np.minimum.accumulate(free)
    return quadratic_form(full(free), D, G)


@pytest.mark.parametrize("name", list(CONSTRAINED))
@pytest.mark.parametrize("kind", ["scalar", "random"])
def test_agrees_with_slsqp(name, kind):
    T = 40
    kwargs = CONSTRAINED[name]
    G = profiles(T)[kind]
    r = optimal_schedule(T, 1.0, G, method="newton", **kwargs)
    reference = slsqp(T, 1.0, G, kwargs)
    assert abs(r.bound - reference) <= 1e-8 * reference
    # The certificate: no feasible schedule beats the bound by more than the gap.
    assert r.bound - r.gap <= reference * (1 + 1e-14)


@settings(max_examples=15, deadline=None)
@given(T=st.integers(2, 60), scale=st.floats(1e-3, 1e3), seed=st.integers(0, 10_000),
       monotone=st.booleans(), capped=st.booleans())
def test_scaling_d_scales_the_optimum(T, scale, seed, monotone, capped):
    """(C) for (cD, G) at cη is c·(C) for (D, G) at η, so the optima scale the same way."""
    G = np.random.default_rng(seed).uniform(0.5, 2.0, T)
    cap = 0.6 / np.sqrt(T) if capped else None
    a = optimal_schedule(T, 1.0, G, method="newton", monotone=monotone, max_lr=cap)
    b = optimal_schedule(T, scale, G, method="newton", monotone=monotone,
                         max_lr=None if cap is None else scale * cap)
    assert a.converged and b.converged
    assert b.bound == pytest.approx(scale * a.bound, rel=3e-12)
    np.testing.assert_allclose(b.eta, scale * a.eta, rtol=1e-5, atol=1e-9 * scale * a.eta.max())


@pytest.mark.parametrize("T", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("monotone", [False, True])
@pytest.mark.parametrize("cap", [None, 1e-3, 0.3, 10.0])
@pytest.mark.parametrize("warmup", [None, "ramp", "prefix"])
def test_tiny_problems_every_constraint(T, monotone, cap, warmup):
    """Edge cases: one free step, a cap that binds everywhere or nowhere, G rising or falling."""
    if warmup is not None and T == 1:
        return
    warm = {None: None, "ramp": T - 1, "prefix": np.full(T - 1, min(0.2, cap or 0.2))}[warmup]
    kwargs = {"monotone": monotone, "max_lr": cap, "warmup": warm}
    for G in (1.0, np.linspace(3.0, 0.1, T), np.linspace(0.1, 3.0, T)):
        r = optimal_schedule(T, 1.0, G, method="newton", **kwargs)
        assert r.converged, r.message
        check_feasible(r.eta, T, {k: v for k, v in kwargs.items() if v is not None})
        assert r.bound >= optimal_schedule(T, 1.0, G, method="exact").bound * (1 - 1e-14)


# ---------------------------------------------------------------------------------------
# Honesty and determinism
# ---------------------------------------------------------------------------------------

def test_out_of_iterations_says_so():
    r = optimal_schedule(500, method="newton", monotone=True, max_lr=0.03, max_iter=3)
    assert not r.converged
    assert "max_iter = 3" in r.message
    assert r.iterations == 3
    assert np.all(np.isfinite(r.eta)) and np.isfinite(r.bound)
    check_feasible(r.eta, 500, {"monotone": True, "max_lr": 0.03})


def test_unreachable_tolerance_is_not_converged():
    r = optimal_schedule(200, method="newton", tol=1e-30, max_iter=60)
    assert not r.converged
    assert r.gap is None or r.gap > 1e-30 * r.bound
    assert np.isfinite(r.bound)


@pytest.mark.parametrize("kwargs", [{}, {"monotone": True, "max_lr": 0.02, "warmup": 30}])
def test_bit_for_bit_deterministic(kwargs):
    G = profiles(3000)["spike"]
    a = optimal_schedule(3000, 1.0, G, method="newton", **kwargs)
    b = optimal_schedule(3000, 1.0, G, method="newton", **kwargs)
    assert a.eta.tobytes() == b.eta.tobytes()
    assert (a.bound, a.gap, a.iterations, a.message) == (b.bound, b.gap, b.iterations, b.message)


def test_iterations_do_not_grow_with_T():
    counts = [optimal_schedule(T, method="newton").iterations for T in (100, 10_000)]
    assert max(counts) <= 40
    counts = [optimal_schedule(T, method="newton", monotone=True, max_lr=0.5 / np.sqrt(T))
              .iterations for T in (100, 10_000)]
    assert max(counts) <= 80


@pytest.mark.slow
@pytest.mark.parametrize("T", [100_000, 1_000_000])
@pytest.mark.parametrize("kind", ["scalar", "spike"])
def test_large_T_matches_exact(T, kind):
    G = profiles(T)[kind]
    exact = optimal_schedule(T, 1.0, G, method="exact")
    newton = optimal_schedule(T, 1.0, G, method="newton")
    assert newton.converged and newton.iterations <= 40
    assert abs(newton.bound - exact.bound) <= 1e-12 * exact.bound


@pytest.mark.slow
def test_large_T_constrained_is_certified():
    T = 100_000
    kwargs = {"monotone": True, "max_lr": 0.5 / np.sqrt(T), "warmup": 1000}
    r = optimal_schedule(T, 1.0, profiles(T)["drift"], method="newton", **kwargs)
    assert r.converged, r.message
    check_feasible(r.eta, T, kwargs)
    assert r.gap <= 1e-12 * r.bound


@pytest.mark.slow
def test_large_T_constrained_final_phase_is_short():
    # At the last barrier parameter F_τ's differences drown in rounding; the damped phase's
    # long trial steps (judged by the next Newton decrement) keep it short. Without them this
    # took 117 Newton steps.
    T = 300_000
    peak = optimal_schedule(T, method="exact").eta.max()
    r = optimal_schedule(T, monotone=True, max_lr=0.5 * peak, method="newton")
    assert r.converged, r.message
    assert r.iterations <= 80
    assert r.gap <= 1e-12 * r.bound
    check_feasible(r.eta, T, {"monotone": True, "max_lr": 0.5 * peak})
