"""The checks every first-order method passes (lbfgsb and pgd, schedopt/solvers/_firstorder.py):
one matrix over the methods instead of a copy per method. Method-specific checks stay in
test_lbfgsb.py (the fast scipy driver) and test_pgd.py (the vmapped batch)."""

import numpy as np
import pytest

from schedopt import optimal_schedule
from solver_checks import G_profiles
from solver_checks import check_constrained
from solver_checks import check_deterministic
from solver_checks import check_unconstrained
from solver_checks import relative_gap

METHODS = ["lbfgsb", "pgd"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T", [1, 2, 3, 10, 100, 1000])
def test_reaches_exact_optimum_scalar_G(method, T):
    check_unconstrained(method, T, 1.0)


@pytest.mark.parametrize("method, D", [("lbfgsb", 2.5), ("pgd", 0.4)])
@pytest.mark.parametrize("T, profile", [(200, "scalar"), (200, "random"), (200, "spike"),
                                        (200, "drift"), (1000, "random"), (1000, "spike")])
def test_reaches_exact_optimum_per_step_G(method, D, T, profile):
    check_unconstrained(method, T, G_profiles(T)[profile], D=D)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("constraints", [
    dict(max_lr=0.05),
    dict(max_lr=0.02, warmup=20),
    dict(warmup=25),
    dict(warmup=[0.01, 0.03, 0.06, 0.04]),
    dict(monotone=True),
    dict(monotone=True, warmup=10),
], ids=str)
@pytest.mark.parametrize("profile", ["scalar", "spike", "drift"])
def test_constraints_hold_and_solution_is_optimal(method, constraints, profile):
    T = 200
    check_constrained(method, T, G_profiles(T)[profile], **constraints)


def test_lbfgsb_and_pgd_agree_on_constrained_problems():
    T = 150
    G = G_profiles(T)["drift"]
    for constraints in (dict(max_lr=0.06, warmup=12), dict(monotone=True, warmup=[0.02, 0.05])):
        a = optimal_schedule(T, 1.0, G, method="lbfgsb", **constraints)
        b = optimal_schedule(T, 1.0, G, method="pgd", **constraints)
        assert abs(a.bound - b.bound) <= 1e-8 * b.bound


@pytest.mark.parametrize("method, profile, cases", [
    ("lbfgsb", "random", (dict(max_lr=0.06), dict(monotone=True), dict(warmup=10, max_lr=0.07))),
    ("pgd", "spike", (dict(max_lr=0.05), dict(monotone=True, warmup=8))),
])
def test_agrees_with_newton_on_constrained_problems(method, profile, cases):
    T = 120
    G = G_profiles(T)[profile]
    for constraints in cases:
        a = optimal_schedule(T, 1.0, G, method=method, **constraints)
        b = optimal_schedule(T, 1.0, G, method="newton", **constraints)
        assert abs(a.bound - b.bound) <= 1e-8 * b.bound, constraints


@pytest.mark.parametrize("method", METHODS)
def test_same_input_same_output(method):
    check_deterministic(method)


@pytest.mark.parametrize("method", METHODS)
def test_monotone_with_max_lr_is_refused_with_the_way_out(method):
    with pytest.raises(ValueError, match=r"monotone.*max_lr.*method='newton'"):
        optimal_schedule(50, method=method, monotone=True, max_lr=0.1)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("D, G", [(1e-8, 1e4), (1e6, 1e-5), (3.0, np.logspace(-2, 2, 40))])
def test_extreme_scales_stay_finite_and_optimal(method, D, G):
    check_unconstrained(method, 40, G, D=D)


@pytest.mark.parametrize("method", METHODS)
def test_wild_profile_is_never_nan_and_never_claims_too_much(method):
    # G jumping by 10⁶ from one step to the next: the a-priori start is far off. Whatever
    # happens, no NaN, and a claim of convergence must be true.
    G = [1e-3, 1e3] * 20
    result = optimal_schedule(40, 3.0, G, method=method, max_iter=500)
    assert np.all(np.isfinite(result.eta)) and np.isfinite(result.bound)
    if result.converged:
        assert relative_gap(result, 40, 3.0, G) <= 1e-9
