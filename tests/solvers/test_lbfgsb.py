"""method="lbfgsb": scipy L-BFGS-B in scaled coordinates (schedopt/_lbfgsb.py)."""

import numpy as np
import pytest

from schedopt import optimal_schedule
from solver_checks import G_profiles
from solver_checks import check_constrained
from solver_checks import check_deterministic
from solver_checks import check_unconstrained
from solver_checks import relative_gap

METHOD = "lbfgsb"


@pytest.mark.parametrize("T", [1, 2, 3, 10, 100, 1000])
def test_reaches_exact_optimum_scalar_G(T):
    check_unconstrained(METHOD, T, 1.0)


@pytest.mark.parametrize("T, profile", [(200, "scalar"), (200, "random"), (200, "spike"),
                                        (200, "drift"), (1000, "random"), (1000, "spike")])
def test_reaches_exact_optimum_per_step_G(T, profile):
    check_unconstrained(METHOD, T, G_profiles(T)[profile], D=2.5)


@pytest.mark.parametrize("constraints", [
    dict(max_lr=0.05),
    dict(max_lr=0.02, warmup=20),
    dict(warmup=25),
    dict(warmup=[0.01, 0.03, 0.06, 0.04]),
    dict(monotone=True),
    dict(monotone=True, warmup=10),
], ids=str)
@pytest.mark.parametrize("profile", ["scalar", "spike"])
def test_constraints_hold_and_solution_is_optimal(constraints, profile):
    T = 200
    check_constrained(METHOD, T, G_profiles(T)[profile], **constraints)


def test_agrees_with_pgd_on_constrained_problems():
    T = 150
    G = G_profiles(T)["drift"]
    for constraints in (dict(max_lr=0.06, warmup=12), dict(monotone=True, warmup=[0.02, 0.05])):
        a = optimal_schedule(T, 1.0, G, method=METHOD, **constraints)
        b = optimal_schedule(T, 1.0, G, method="pgd", **constraints)
        assert abs(a.bound - b.bound) <= 1e-8 * b.bound


def test_agrees_with_newton_on_constrained_problems():
    pytest.importorskip("schedopt.solvers._newton")
    T = 120
    G = G_profiles(T)["random"]
    for constraints in (dict(max_lr=0.06), dict(monotone=True), dict(warmup=10, max_lr=0.07)):
        a = optimal_schedule(T, 1.0, G, method=METHOD, **constraints)
        b = optimal_schedule(T, 1.0, G, method="newton", **constraints)
        assert abs(a.bound - b.bound) <= 1e-8 * b.bound, constraints


def test_same_input_same_output():
    check_deterministic(METHOD)


def test_monotone_with_max_lr_is_refused_with_the_way_out():
    with pytest.raises(ValueError, match=r"monotone.*max_lr.*method='newton'"):
        optimal_schedule(50, method=METHOD, monotone=True, max_lr=0.1)


def test_iteration_limit_is_reported_not_hidden():
    result = optimal_schedule(1000, 1.0, G_profiles(1000)["random"], method=METHOD, max_iter=2)
    assert not result.converged
    assert "ITERATIONS" in result.message.upper()
    assert np.all(np.isfinite(result.eta)) and np.isfinite(result.bound)


@pytest.mark.parametrize("D, G", [(1e-8, 1e4), (1e6, 1e-5), (3.0, np.logspace(-2, 2, 40))])
def test_extreme_scales_stay_finite_and_optimal(D, G):
    check_unconstrained(METHOD, 40, G, D=D)


def test_wild_profile_is_never_nan_and_never_claims_too_much():
    # G jumping by 10⁶ from one step to the next: the a-priori start is far off. Whatever
    # happens, no NaN, and a claim of convergence must be true.
    G = [1e-3, 1e3] * 20
    result = optimal_schedule(40, 3.0, G, method=METHOD)
    assert np.all(np.isfinite(result.eta)) and np.isfinite(result.bound)
    if result.converged:
        assert relative_gap(result, 40, 3.0, G) <= 1e-9


def test_fast_driver_follows_scipy_minimize_bit_for_bit(monkeypatch):
    # _fast_box_lbfgsb drives scipy's private setulb directly (minimize() spends seconds on
    # 10⁶ bounds); it must give exactly minimize()'s iterates, or not be used at all.
    from schedopt.solvers import _lbfgsb
    if not _lbfgsb._fast_driver_works():
        pytest.skip("this scipy's setulb has another interface; minimize() is used")
    G = G_profiles(300)["random"]
    results = []
    for fast in (True, False):
        monkeypatch.setattr(_lbfgsb, "_FAST_DRIVER", lambda fast=fast: fast)
        results.append(optimal_schedule(300, 1.0, G, method=METHOD, max_lr=0.03))
    assert results[0].eta.tobytes() == results[1].eta.tobytes()
    assert results[0].iterations == results[1].iterations
