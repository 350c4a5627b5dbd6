"""method="pgd": spectral projected gradient, one problem or a vmapped batch (schedopt/_pgd.py)."""

import numpy as np
import pytest

from schedopt import optimal_schedule
from schedopt import optimal_schedule_batch
from solver_checks import G_profiles
from solver_checks import check_constrained
from solver_checks import relative_gap

METHOD = "pgd"


def test_iteration_limit_is_reported_not_hidden():
    result = optimal_schedule(1000, 1.0, G_profiles(1000)["random"], method=METHOD, max_iter=3)
    assert not result.converged and "max_iter = 3" in result.message
    assert np.all(np.isfinite(result.eta)) and np.isfinite(result.bound)


# ----------------------------------------------------------------------------------------
# The batch: one vmapped call
# ----------------------------------------------------------------------------------------

def test_batch_of_different_lengths_matches_the_exact_optima():
    steps = [1, 7, 64, 250]
    results = optimal_schedule_batch(steps, D=[1.0, 2.0, 0.5, 1.5], G=1.3)
    assert [r.steps for r in results] == steps
    for T, D, r in zip(steps, [1.0, 2.0, 0.5, 1.5], results):
        assert r.converged and r.method == METHOD and "batch of 4" in r.message
        assert 0 - 1e-12 <= relative_gap(r, T, D, 1.3) <= 1e-9


def test_batch_of_G_profiles_matches_the_exact_optima():
    T = 240
    rows = np.stack([G_profiles(T, seed)[name] for seed, name in
                     [(0, "random"), (1, "random"), (0, "spike"), (0, "drift")]])
    results = optimal_schedule_batch(T, G=rows)
    for G, r in zip(rows, results):
        assert r.converged and relative_gap(r, T, 1.0, G) <= 1e-9


def test_padding_does_not_change_a_problem():
    # Padded next to a longer problem, a short one gets the same optimum as alone.
    alone = optimal_schedule(50, G=G_profiles(50)["drift"], method=METHOD)
    batched = optimal_schedule_batch([50, 250, 3, 120],
                                     G=[G_profiles(50)["drift"], 1.0, 2.0, 0.5])[0]
    assert abs(batched.bound - alone.bound) <= 1e-12 * alone.bound
    np.testing.assert_allclose(batched.eta, alone.eta, rtol=1e-5)


def test_batch_with_constraints():
    steps = [100, 150, 60, 200]
    results = optimal_schedule_batch(steps, max_lr=0.08, warmup=5)
    for T, r in zip(steps, results):
        single = check_constrained(METHOD, T, 1.0, max_lr=0.08, warmup=5)
        assert abs(r.bound - single.bound) <= 1e-9 * single.bound


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=100), r"needs a batch"),
    (dict(steps=[10, 20], D=[1.0, 2.0, 3.0]), r"same number of problems.*steps has 2.*D has 3"),
    (dict(steps=[]), r"at least one problem"),
    (dict(steps=[10, 0]), r"steps must be a positive integer, got 0"),
    (dict(steps=[10, 20], G=[1.0, -1.0]), r"G must be > 0"),
    (dict(steps=[10, 20], tol=0.0), r"tol must be a positive finite number"),
])
def test_batch_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimal_schedule_batch(**kwargs)


# ----------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=8, deadline=None)
@given(T=st.integers(2, 200), D=st.floats(0.01, 100.0), seed=st.integers(0, 2**31 - 1),
       cap_fraction=st.floats(0.3, 0.9))
def test_capped_problems_agree_with_lbfgsb(T, D, seed, cap_fraction):
    # Two independent solvers of the same box-constrained problem meet (issue 3 §3: 1e-8),
    # both within the cap and above the unconstrained optimum.
    G = np.random.default_rng(seed).uniform(0.5, 2.0, T)
    exact = optimal_schedule(T, D, G, method="exact")
    cap = cap_fraction * float(np.max(exact.eta))
    a = optimal_schedule(T, D, G, method=METHOD, max_lr=cap)
    b = optimal_schedule(T, D, G, method="lbfgsb", max_lr=cap)
    assert a.converged and b.converged
    for r in (a, b):
        assert np.max(r.eta) <= cap and r.bound >= exact.bound * (1 - 1e-12)
    assert abs(a.bound - b.bound) <= 1e-8 * exact.bound
