"""``min_lr=``: η_t ≥ min_lr after the warm-up, for every method that takes bounds, certified
like ``max_lr`` and checked against an independent conic solve (cvxpy + Clarabel)."""

from __future__ import annotations

import numpy as np
import pytest

from schedopt import applied_schedule
from schedopt import optimal_schedule
from schedopt.bounds import last_iterate_bound
from schedopt.solvers._solve import METHODS

cp = pytest.importorskip("cvxpy")

T = 300
PEAK = float(np.max(optimal_schedule(T).eta[:-1]))
FLOOR = 0.3 * PEAK
CASES = {
    "floor": {},
    "floor+cap": {"max_lr": 0.7 * PEAK},
    "floor+monotone": {"monotone": True},
    "floor+ramp": {"warmup": 20},
    "floor+prefix": {"warmup": np.linspace(0.2, 1.0, 10) * 0.5 * PEAK},
    "floor+monotone+cap": {"monotone": True, "max_lr": 0.7 * PEAK},
    "floor+ramp+monotone": {"warmup": 15, "monotone": True},
}


def reference(T, D, G, min_lr, max_lr=None, monotone=False, warmup=None):
    """min of bound (C) by Clarabel: (C) = D²/(2S_1) + Σ_{t<T} ½G_t²η_t²/S_{t+1} + ½G_T²η_T
    (docs/math.md §2) with each quadratic-over-linear term a rotated second-order cone."""
    G2 = np.broadcast_to(np.square(np.asarray(G, dtype=np.float64)), (T,))
    eta = cp.Variable(T, nonneg=True)
    u = cp.Variable(T - 1, nonneg=True)
    S = cp.Variable(T)                                     # tail sums S_t = η_t + S_{t+1}
    cons = [S[:-1] == eta[:-1] + S[1:], S[-1] == eta[-1],
            cp.SOC(S[1:] + u, cp.vstack([2 * eta[:-1], S[1:] - u]), axis=0)]
    F = 0
    if isinstance(warmup, int):
        F = warmup
        cons.append(eta[:F] == np.arange(1, F + 1) / (F + 1) * eta[F])
    elif warmup is not None:
        F = len(warmup)
        cons.append(eta[:F] == warmup)
    cons.append(eta[F:] >= min_lr)
    if max_lr is not None:
        cons.append(eta[F:] <= max_lr)
    if monotone:
        cons.append(eta[F:-1] >= eta[F + 1:])
    objective = 0.5 * D * D * cp.inv_pos(S[0]) + 0.5 * G2[:-1] @ u + 0.5 * G2[-1] * eta[-1]
    problem = cp.Problem(cp.Minimize(objective), cons)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    assert problem.status == "optimal"
    # Clarabel's point made exactly feasible, and bound (C) there: an upper bound on the
    # optimum that does not trust the conic solver's own value (it may be infeasible by tol).
    point = np.asarray(eta.value, dtype=np.float64).copy()
    free = point[F:]
    if monotone:
        free = np.minimum.accumulate(free)
    free = np.clip(free, min_lr, max_lr)
    if isinstance(warmup, int):
        point[:F] = np.arange(1, F + 1) / (F + 1) * free[0]
    point[F:] = free
    return problem.value, point, float(last_iterate_bound(point, D, G))


def _supported(method, kwargs) -> bool:
    kinds = {"min_lr"} | {"max_lr" for k in kwargs if k == "max_lr"} \
        | {"monotone" for k in kwargs if k == "monotone"} | {"warmup" for k in kwargs
                                                               if k == "warmup"}
    entry = METHODS[method]
    return kinds <= entry.constraints and not any(p <= kinds for p in entry.excludes)


_REFERENCES = {}


def _agrees(bound, value, upper, rel=1e-6):
    """Ours is no worse than Clarabel's point made feasible, and within its accuracy (tolerances
    1e-9, a point that may be infeasible by that much) of its optimum."""
    assert bound <= upper * (1 + 1e-10)
    assert abs(bound - value) <= rel * value


def _reference(name):
    if name not in _REFERENCES:
        _REFERENCES[name] = reference(T, 1.0, 1.0, FLOOR, **CASES[name])
    return _REFERENCES[name]


@pytest.mark.parametrize("method", ["auto", "newton", "lbfgsb", "pgd"])
@pytest.mark.parametrize("name", CASES)
def test_min_lr_matches_an_independent_conic_solve(method, name):
    kwargs = CASES[name]
    if not _supported(method, kwargs):
        with pytest.raises(ValueError, match=rf"method={method!r} cannot combine"):
            optimal_schedule(T, method=method, min_lr=FLOOR, **kwargs)
        return
    value, eta_ref, upper = _reference(name)
    r = optimal_schedule(T, method=method, min_lr=FLOOR, tol=1e-9, **kwargs)
    assert r.converged, r.message
    assert r.gap is not None and r.gap <= 1e-9 * r.bound
    W = 0 if "warmup" not in kwargs else (kwargs["warmup"] if isinstance(kwargs["warmup"], int)
                                          else len(kwargs["warmup"]))
    assert np.min(r.eta[W:]) >= FLOOR                       # exactly feasible
    assert np.any(r.eta[W:] <= FLOOR * (1 + 1e-6))         # and the floor binds
    if "max_lr" in kwargs:
        assert np.max(r.eta[W:]) <= kwargs["max_lr"]
    if kwargs.get("monotone"):
        assert np.all(np.diff(r.eta[W:]) <= 0)
    assert r.bound == pytest.approx(float(last_iterate_bound(r.eta, 1.0, 1.0)), rel=1e-13)
    _agrees(r.bound, value, upper)
    assert np.max(np.abs(r.eta - eta_ref)) <= 1e-3 * PEAK


def test_min_lr_per_step_G_and_scale_free():
    """A per-step G and D ≠ 1: the floor is in the units of D/G like max_lr."""
    rng = np.random.default_rng(3)
    G = np.exp(rng.normal(0.0, 0.4, T)) * 2.0
    D = 3.0
    base = optimal_schedule(T, D, G)
    floor = 0.2 * float(np.median(base.eta))
    value, _, upper = reference(T, D, G, floor)
    for method in ("newton", "lbfgsb", "pgd"):
        r = optimal_schedule(T, D, G, method=method, min_lr=floor, tol=1e-9)
        assert r.converged and np.min(r.eta) >= floor
        _agrees(r.bound, value, upper)
        assert r.problem["constraints"] == [{"kind": "min_lr", "min_lr": floor}]


def test_min_lr_in_applied_schedule_and_a_floor_that_does_not_bind():
    r = applied_schedule(T - 1, min_lr=FLOOR)
    full = optimal_schedule(T, min_lr=FLOOR)
    assert np.array_equal(r.eta, full.eta[:-1]) and r.bound == full.bound
    low = optimal_schedule(T, min_lr=1e-9 * PEAK, tol=1e-10)
    assert low.bound == pytest.approx(optimal_schedule(T).bound, rel=1e-9)


@pytest.mark.parametrize("kwargs,message", [
    ({"min_lr": 0.0}, "min_lr must be"),
    ({"min_lr": -1.0}, "min_lr must be"),
    ({"min_lr": float("nan")}, "min_lr must be"),
    ({"min_lr": 0.5, "max_lr": 0.5}, "min_lr must be below max_lr"),
    ({"min_lr": 0.1, "method": "exact"}, "method='exact' solves the unconstrained"),
])
def test_bad_min_lr_is_refused_by_name(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        optimal_schedule(T, **kwargs)


@pytest.mark.slow
def test_min_lr_at_2000_steps():
    value, _, upper = reference(2000, 1.0, 1.0, 0.01, monotone=True)
    for method in ("newton", "lbfgsb", "pgd"):
        r = optimal_schedule(2000, method=method, min_lr=0.01, monotone=True, tol=1e-9)
        assert r.converged
        _agrees(r.bound, value, upper, rel=2e-5)       # Clarabel is less accurate at 2000


def test_min_lr_in_a_batch_matches_the_conic_solve():
    # optimal_schedule_batch takes the floor like optimal_schedule (one vmapped pgd run).
    from schedopt import optimal_schedule_batch

    value, _, upper = _reference("floor+cap")
    results = optimal_schedule_batch([T, T], D=[1.0, 2.0], min_lr=FLOOR, max_lr=0.7 * PEAK,
                                     tol=1e-9)
    assert all(r.converged for r in results)
    assert np.min(results[0].eta) >= FLOOR and np.any(results[0].eta <= FLOOR * (1 + 1e-6))
    _agrees(results[0].bound, value, upper)
    # D = 2 with the same floor is a different problem: the floor is D/G units, not scaled.
    single = optimal_schedule(T, D=2.0, method="pgd", min_lr=FLOOR, max_lr=0.7 * PEAK, tol=1e-9)
    assert results[1].bound == pytest.approx(single.bound, rel=1e-8)
