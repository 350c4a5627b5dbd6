"""extend_schedule: the optimal continuation of an applied history (docs/math.md §4.4, §5.1)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import minimize_scalar

from schedopt.bounds._bounds import last_iterate_bound
from schedopt.solvers import extend_schedule, optimal_schedule
from schedopt.solvers._prefix import applied_value, minimise_tail


@pytest.mark.parametrize("N", [1, 2, 9, 300])
def test_empty_history_is_the_optimum_of_horizon_steps_plus_one(N):
    r, o = extend_schedule([], N), optimal_schedule(N + 1)
    np.testing.assert_allclose(r.eta, o.eta[:N], rtol=1e-13)
    assert r.bound == pytest.approx(o.bound, rel=1e-14)
    assert r.gap <= 1e-9 * r.bound and r.converged and r.steps == N


def test_history_from_the_optimum_returns_the_rest_of_it():
    G = np.linspace(2.0, 0.5, 801)                     # per step, horizon N + 1 = 801
    o = optimal_schedule(801, 1.5, G)
    for W in (1, 250, 799, 800):
        r = extend_schedule(o.eta[:W], 800, 1.5, G)
        np.testing.assert_allclose(r.eta, o.eta[:800], rtol=1e-11)
        assert r.bound == pytest.approx(o.bound, rel=1e-13)


def test_frozen_prefix_matches_newton_with_the_history_as_warmup():
    history = 0.04 * np.ones(300)
    r = extend_schedule(history, 1000)
    n = optimal_schedule(1001, warmup=history, method="newton")
    assert abs(r.bound - n.bound) <= n.gap + 1e-14
    assert r.bound <= n.bound + 1e-15
    np.testing.assert_allclose(r.eta, n.eta[:1000], rtol=1e-8)
    np.testing.assert_array_equal(r.eta[:300], history)


def test_bound_is_the_libraries_bound_with_the_best_weight():
    """The reported bound is (C) at horizon N + 1, minimised over the last (unapplied) rate."""
    history = np.array([0.3, 0.1, 0.0, 0.2])
    r = extend_schedule(history, 30, D=2.0, G=0.7)
    weight = minimize_scalar(lambda w: float(last_iterate_bound(np.append(r.eta, w), 2.0, 0.7)),
                             bounds=(1e-9, 1.0), method="bounded", options={"xatol": 1e-13})
    assert r.bound == pytest.approx(weight.fun, rel=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_no_perturbed_continuation_does_better(seed):
    rng = np.random.default_rng(seed)
    history = rng.uniform(0, 0.2, size=rng.integers(0, 20))
    r = extend_schedule(history, 40)
    W = history.size
    for _ in range(5):
        other = np.array(r.eta)
        other[W:] *= np.exp(0.05 * rng.standard_normal(40 - W))
        assert applied_value(other, 1.0, np.ones(41)).value >= r.bound - 1e-12


def test_minimise_tail_against_a_scalar_search():
    prefix, G2 = np.array([0.5, 0.0, 0.2, 0.3]), np.array([1.0, 2.0, 0.5, 1.5])
    t = minimise_tail(prefix, 1.3, G2, 0.8)
    q = np.array([0.5, 0.5, 0.3, 0.0])
    f = lambda S: 1.69 / (2 * (1.0 + S)) + 0.5 * np.sum(G2 * prefix**2 / (q + S)) + 0.4 * S
    ref = minimize_scalar(f, bounds=(1e-6, 10), method="bounded", options={"xatol": 1e-12})
    assert t.value == pytest.approx(ref.fun, rel=1e-12)
    assert t.S == pytest.approx(ref.x, rel=1e-6)


def test_optimal_rewarmup_peak_beats_nearby_peaks():
    history = 0.02 * np.ones(200)
    best = extend_schedule(history, 1000, rewarmup=50)
    peak = best.eta[249]
    for factor in (0.9, 0.99, 1.01, 1.1):
        other = extend_schedule(history, 1000, rewarmup=50, rewarmup_peak=factor * peak)
        assert other.bound >= best.bound - 1e-14
    np.testing.assert_allclose(np.diff(best.eta[199:250]), (peak - 0.02) / 50, rtol=1e-9)


def test_constraints_go_to_newton_and_hold():
    history = 0.05 * np.ones(100)
    r = extend_schedule(history, 400, monotone=True, max_lr=0.03)
    assert r.method == "newton" and r.converged and r.gap <= 1e-9
    rest = r.eta[100:]
    assert np.all(rest <= 0.03 * (1 + 1e-12)) and np.all(np.diff(rest) <= 1e-15)
    free = extend_schedule(history, 400)
    assert r.bound >= free.bound - 1e-15


@pytest.mark.parametrize("applied, steps, kwargs, match", [
    ([0.1, -0.1], 10, {}, "applied must be >= 0"),
    ([0.1, np.nan], 10, {}, "applied must contain only finite"),
    ([0.1] * 11, 10, {}, "more than steps = 10"),
    ([[0.1]], 10, {}, "1-D"),
    ([0.1], 10, {"rewarmup_peak": 0.2}, "needs rewarmup"),
    ([0.1], 10, {"rewarmup": 20}, "exceeds steps"),
    ([0.1], 10, {"rewarmup": 3, "monotone": True}, "give rewarmup_peak"),
    ([0.1], 10, {"G": np.ones(4)}, "length"),
])
def test_bad_histories_are_refused_with_a_sentence(applied, steps, kwargs, match):
    with pytest.raises(ValueError, match=match):
        extend_schedule(applied, steps, **kwargs)


def test_the_result_says_it_holds_rates_to_apply():
    """steps rates to apply; the bound covers θ_(steps+1) through the never-applied weight."""
    from schedopt import extend_schedule
    from schedopt import optimal_schedule

    result = extend_schedule([], 50)
    full = optimal_schedule(51)
    assert result.applied and result.updates == 50 and result.horizon == 51
    assert result.weight == pytest.approx(full.eta[50], rel=1e-12)
