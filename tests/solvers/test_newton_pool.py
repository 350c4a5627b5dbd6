"""The pooled-block solver for monotone problems (schedopt/_newton_pool.py).

References independent of it: the exact recursion of docs/math.md §4.4, the barrier method of
schedopt/_newton.py (its own certificate), scipy's SLSQP, feasible perturbations (KKT of a
convex problem, docs/math.md §4.2), and bound (C) and the Lagrangian dual bound recomputed in
50-digit arithmetic (mpmath), so that the reported gap is checked as a true upper bound.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from schedopt import optimal_schedule
from schedopt.solvers._newton import _barrier
from schedopt.solvers._dual import dual_value
from schedopt.solvers._newton_pool import solve_pooled
from schedopt.solvers._solve import make_problem
from test_newton import check_feasible
from test_newton import quadratic_form
from test_newton import slsqp


def decades(T: int, seed: int = 0) -> dict:
    """G profiles spanning decades: a log-uniform jumble over 10⁻² … 10², a rise over four
    decades, and a fall over four decades."""
    rng = np.random.default_rng(seed + T)
    u = np.linspace(0.0, 1.0, T)
    return {"jumble": 10.0 ** rng.uniform(-2, 2, T), "rise": 10.0 ** (4 * u - 2),
            "fall": 10.0 ** (2 - 4 * u), "scalar": 0.3}


def pooled(T, D, G, **kwargs):
    return solve_pooled(make_problem(T, D, G, **kwargs), 1e-12, None)


def binding_cap(T, D, G, share):
    """A cap at ``share`` of the uncapped monotone optimum's peak, so that it binds (the
    unconstrained peak can sit at one step of tiny G, far above every monotone value)."""
    return share * float(optimal_schedule(T, D, G, method="newton", monotone=True).eta.max())


def test_dual_bound_without_multipliers_is_the_exact_optimum():
    """With d = 0 the Lagrangian is bound (C) itself: the recursion gives docs/math.md §4.4's value."""
    for T in (1, 2, 10, 1000):
        for G in decades(T).values():
            G2 = np.broadcast_to(np.square(G), (T,)).astype(float)
            g = G2 / G2.sum()
            sigma = 1.0 / np.sqrt(G2.sum())                  # D = 1
            exact = optimal_schedule(T, 1.0, G, method="exact").bound
            assert dual_value(g, 1.0, np.zeros(T), 0.0) / sigma == pytest.approx(exact, rel=1e-13)


def test_dual_bound_reports_an_unbounded_lagrangian():
    T = 5
    d = np.full(T, -10.0)                            # pays for every η: unbounded below
    assert dual_value(np.full(T, 0.2), 1.0, d, 0.0) == -np.inf


@pytest.mark.parametrize("T", [2, 3, 17, 200, 3000])
@pytest.mark.parametrize("kind", ["jumble", "rise", "fall", "scalar"])
@pytest.mark.parametrize("capped", [False, True])
def test_agrees_with_the_barrier_method(T, kind, capped):
    """Two certified methods: each value lies within the other's certified interval."""
    G = decades(T)[kind]
    free = optimal_schedule(T, 1.0, G, method="exact")
    cap = binding_cap(T, 1.0, G, 0.5) if capped else None
    r = pooled(T, 1.0, G, monotone=True, max_lr=cap)
    assert r is not None and r.converged, "the pooled solver did not certify its answer"
    b = _barrier(make_problem(T, 1.0, G, monotone=True, max_lr=cap), 1e-12, None)
    assert b.converged, b.message
    check_feasible(r.eta, T, {"monotone": True, "max_lr": cap})
    assert 0.0 <= r.gap <= 1e-12 * r.bound
    # f* ≥ b.bound − b.gap, so r's true gap is at most r.bound − b.bound + b.gap; and
    # f* ≤ b.bound, so r's certificate must cover at least r.bound − b.bound.
    assert r.bound - b.bound <= r.gap + 1e-15 * r.bound
    assert b.bound - r.bound <= b.gap + 1e-15 * r.bound
    assert r.bound >= free.bound * (1 - 1e-14)
    assert r.bound == pytest.approx(quadratic_form(r.eta, 1.0, G), rel=1e-12)


def _mp_gap_bound(eta, D, G, cap):
    """bound(η) − (dual bound at η's multipliers), all in 50-digit arithmetic: an upper
    bound on bound(η) − optimum that does not rely on float64 rounding."""
    mpmath.mp.dps = 50
    T = eta.size
    G2 = [mpmath.mpf(float(v)) ** 2 for v in np.broadcast_to(G, (T,))]
    e = [mpmath.mpf(float(v)) for v in eta]
    x = [mpmath.mpf(0)] * (T + 1)
    for i in range(T - 1, -1, -1):
        x[i] = x[i + 1] + e[i]
    D2 = mpmath.mpf(D) ** 2
    f = D2 / (2 * x[0]) + sum(G2[i] * e[i] ** 2 / (2 * x[i + 1]) for i in range(T - 1)) \
        + G2[-1] * e[-1] / 2
    # q_i = ∂f/∂η_i; the pools are η's runs of equal values, the cap pool the run at max_lr.
    q = []
    acc = -D2 / (2 * x[0] ** 2)
    for i in range(T):
        own = G2[i] * e[i] / x[i + 1] if i < T - 1 else G2[-1] / 2
        q.append(own + acc)
        if i < T - 1:
            acc -= G2[i] * e[i] ** 2 / (2 * x[i + 1] ** 2)
    starts = [0] + [i for i in range(1, T) if eta[i] != eta[i - 1]]
    capped = cap is not None and eta[0] == cap
    ends = starts[1:] + [T]
    nu = -sum(q[:ends[0]]) if capped else mpmath.mpf(0)
    mu = [mpmath.mpf(0)] * T
    G2f = np.broadcast_to(np.square(G), (T,))
    for b, (s, t) in enumerate(zip(starts, ends)):
        # As the solver does: sums from the block's start before its largest G², from its
        # end after it (the block's q sum to ~0 and the two agree up to rounding).
        pivot = s + int(np.argmax(G2f[s:t]))
        run = nu if (b == 0 and capped) else mpmath.mpf(0)
        for i in range(s, t - 1):
            run += q[i]
            mu[i] = max(run if i < pivot else -sum(q[i + 1:t]), mpmath.mpf(0))
    nu = max(nu, mpmath.mpf(0))
    # Lagrangian f + Σ d_i η_i − ν·cap, minimised by the backward recursion in (D², G²) units.
    d = [(mu[i - 1] if i else nu) - mu[i] for i in range(T)]
    k = G2[-1] / 2 + d[-1]
    for i in range(T - 2, -1, -1):
        a = k - d[i]
        k = d[i] + G2[i] * (mpmath.sqrt(1 + 2 * a / G2[i]) - 1)
    lower = mpmath.sqrt(2 * D2 * k) - (nu * mpmath.mpf(cap) if capped else 0)
    return float(f - lower), float(f)


@pytest.mark.parametrize("T", [2, 9, 40])
@pytest.mark.parametrize("kind", ["jumble", "rise", "fall"])
@pytest.mark.parametrize("capped", [False, True])
def test_gap_is_a_true_upper_bound_in_50_digits(T, kind, capped):
    G = decades(T)[kind]
    D = 1.7
    cap = binding_cap(T, D, G, 0.4) if capped else None
    r = pooled(T, D, G, monotone=True, max_lr=cap)
    assert r is not None and r.converged
    gap_bound, value = _mp_gap_bound(r.eta, D, G, cap)
    assert r.bound == pytest.approx(value, rel=1e-14)
    assert gap_bound >= -1e-30                        # weak duality, in 50 digits
    assert r.gap >= gap_bound


@pytest.mark.parametrize("kind", ["jumble", "rise", "fall"])
@pytest.mark.parametrize("capped", [False, True])
def test_agrees_with_slsqp_on_decades(kind, capped):
    T = 30
    G = decades(T)[kind]
    kwargs = {"monotone": True, "max_lr": binding_cap(T, 1.0, G, 0.5) if capped else None}
    r = pooled(T, 1.0, G, **kwargs)
    reference = slsqp(T, 1.0, G, {k: v for k, v in kwargs.items() if v is not None})
    assert r.bound <= reference * (1 + 1e-8)
    assert r.bound - r.gap <= reference * (1 + 1e-14)


@pytest.mark.parametrize("kind", ["jumble", "rise", "fall", "scalar"])
def test_no_feasible_perturbation_descends(kind):
    """KKT: moving toward any feasible schedule does not lower the bound by more than the gap."""
    T = 150
    G = decades(T)[kind]
    cap = binding_cap(T, 1.0, G, 0.6)
    peak = cap / 0.6
    r = pooled(T, 1.0, G, monotone=True, max_lr=cap)
    rng = np.random.default_rng(5)
    for _ in range(40):
        xi = np.minimum(np.sort(rng.uniform(0.0, 2 * peak, T))[::-1], cap)
        xi[-1] = max(xi[-1], 1e-3 * peak)
        for theta in (1e-1, 1e-4, 1e-7):
            moved = r.eta + theta * (xi - r.eta)
            assert quadratic_form(moved, 1.0, G) >= r.bound - r.gap - 1e-14 * r.bound


def test_pools_are_exact_and_the_cap_is_hit_exactly():
    T = 500
    G = decades(T)["jumble"]
    cap = binding_cap(T, 1.0, G, 0.3)
    r = pooled(T, 1.0, G, monotone=True, max_lr=cap)
    assert r.eta[0] == cap
    assert np.all(np.diff(r.eta) <= 0)
    assert np.unique(r.eta).size < T // 2              # a jumble of G pools heavily


def test_newton_dispatch_uses_it_and_falls_back_honestly(monkeypatch):
    """optimal_schedule(method="newton") returns the pooled answer for monotone problems
    without warm-up, and the barrier method's when the pooled solver gives up."""
    T = 300
    G = decades(T)["rise"]
    r = optimal_schedule(T, 1.0, G, method="newton", monotone=True)
    assert r.converged and "dual bound" in r.message
    import schedopt.solvers._newton as newton
    monkeypatch.setattr(newton, "solve_pooled", lambda *a: None)
    b = optimal_schedule(T, 1.0, G, method="newton", monotone=True)
    assert b.converged and "dual bound" not in b.message
    assert abs(b.bound - r.bound) <= max(b.gap, r.gap)


def test_out_of_steps_gives_none():
    T = 2000
    G = decades(T)["jumble"]
    assert solve_pooled(make_problem(T, 1.0, G, monotone=True), 1e-12, 2) is None


@pytest.mark.parametrize("D, G", [(1e-6, 1e4), (1e5, 1e-5)])
def test_extreme_scales(D, G):
    T = 100
    r = pooled(T, D, G, monotone=True)
    exact = optimal_schedule(T, D, G, method="exact")
    assert r.converged and r.bound >= exact.bound * (1 - 1e-14)
    assert r.bound <= exact.bound * 1.01


def test_compiled_recursion_matches_the_python_loop(monkeypatch):
    """The chunked lax.scan of solvers._scan (used past 4096 steps when JAX is loaded) against
    its Python loop, for the dual and the ratios, on an uneven length that pads the first chunk."""
    import jax  # noqa: F401  (the compiled scan runs only where JAX is loaded)

    import schedopt.solvers._newton_pool as pool
    from schedopt.solvers import _scan

    n = 20_001
    rng = np.random.default_rng(11)
    g = 10.0 ** rng.uniform(-2, 2, n)
    g /= g.sum()
    d = np.zeros(n)
    d[100:200] = 1e-3 * rng.standard_normal(100)
    results = []
    for most in (10**9, 1):
        monkeypatch.setattr(_scan, "PYTHON_MAX", most)
        assert _scan.compiled(n) == (most == 1)
        results.append((dual_value(g, 1.0, d, 0.0), pool._unconstrained(g)))
    (q_loop, eta_loop), (q_scan, eta_scan) = results
    assert q_scan == pytest.approx(q_loop, rel=1e-13)
    np.testing.assert_allclose(eta_scan, eta_loop, rtol=1e-11)
    assert dual_value(np.full(5, 0.2), 1.0, np.full(5, -10.0), 0.0) == -np.inf
    with pytest.raises(ValueError, match="orders of magnitude|not representable in float64"):
        optimal_schedule(200, 1.0, 10.0 ** np.linspace(0, 150, 200))
