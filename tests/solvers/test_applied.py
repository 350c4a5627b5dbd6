"""applied_schedule: the N rates to apply are η_1..η_N of the horizon-(N+1) optimum
(docs/math.md §5.1), bit for bit, and the bound is the guarantee on θ_{N+1}."""

import numpy as np
import pytest

from schedopt.bounds import last_iterate_bound
from schedopt.solvers import ScheduleResult
from schedopt.solvers import applied_schedule
from schedopt.solvers import optimal_schedule


def _profile(n, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, n)


CASES = [
    # (updates, D, G as given, G at horizon N + 1, constraints)
    (1, 1.0, 1.0, 1.0, {}),
    (2, 1.0, 1.0, 1.0, {}),
    (10, 2.0, 0.5, 0.5, {}),
    (1000, 3.0, 2.0, 2.0, {}),
    (40, 1.0, _profile(40), np.append(_profile(40), _profile(40)[-1]), {}),
    (40, 1.5, _profile(41, 1), _profile(41, 1), {}),
    (60, 1.0, 1.0, 1.0, {"monotone": True}),
    (60, 1.0, 1.0, 1.0, {"warmup": 6}),
    (60, 1.0, 1.0, 1.0, {"warmup": [0.01, 0.02, 0.03]}),
    (60, 2.0, 1.0, 1.0, {"max_lr": 0.1, "monotone": True}),
    (60, 1.0, _profile(60, 2), np.append(_profile(60, 2), _profile(60, 2)[-1]),
     {"warmup": 5, "method": "newton"}),
]


@pytest.mark.parametrize("N, D, G, G_horizon, kwargs", CASES)
def test_the_rates_are_the_first_n_of_the_horizon_n_plus_1_optimum(N, D, G, G_horizon, kwargs):
    applied = applied_schedule(N, D, G, **kwargs)
    full = optimal_schedule(N + 1, D, G_horizon, **kwargs)
    assert applied.eta.shape == (N,)
    assert applied.eta.tobytes() == full.eta[:N].tobytes()
    assert applied.weight == full.eta[N]
    assert (applied.bound, applied.gap, applied.method) == (full.bound, full.gap, full.method)
    assert (applied.updates, applied.horizon, applied.applied) == (N, N + 1, True)
    assert applied.rates_to_apply.tobytes() == applied.eta.tobytes()
    assert applied.problem == full.problem and applied.problem["steps"] == N + 1


@pytest.mark.parametrize("N, D, G, G_horizon, kwargs", CASES)
def test_the_bound_is_bound_c_of_the_horizon_n_plus_1_schedule(N, D, G, G_horizon, kwargs):
    # an independent evaluation: the O(T) bound (C) of the applied rates plus the weight
    applied = applied_schedule(N, D, G, **kwargs)
    value = float(last_iterate_bound(np.append(applied.eta, applied.weight), D, G_horizon))
    np.testing.assert_allclose(applied.bound, value, rtol=1e-13)


@pytest.mark.parametrize("N", [2, 3, 5, 10, 40, 100, 1000, 10**5])
@pytest.mark.parametrize("D, G", [(1.0, 1.0), (3.0, 0.2)])
def test_constant_g_rates_strictly_decrease(N, D, G):
    # the 1 + √2 bump of docs/math.md §4.5 sits on the never-applied weight
    applied = applied_schedule(N, D, G)
    assert np.all(np.diff(applied.eta) < 0)
    assert applied.weight / applied.eta[-1] == pytest.approx(1 + np.sqrt(2), rel=1e-12)


@pytest.mark.parametrize("N, W", [(10, 2), (200, 20), (1000, 50)])
def test_constant_g_rates_strictly_decrease_after_a_warmup(N, W):
    applied = applied_schedule(N, warmup=W)
    assert np.argmax(applied.eta) == W
    assert np.all(np.diff(applied.eta[W:]) < 0)


def test_a_falling_g_can_make_the_rates_rise_unless_monotone():
    # η_t ∝ G_t⁻²: where G falls the unconstrained optimum rises; monotone forbids it
    G = 2.0 - np.arange(1, 51) / 50
    assert np.any(np.diff(applied_schedule(50, 1.0, G).eta) > 0)
    capped = applied_schedule(50, 1.0, G, monotone=True)
    assert np.all(np.diff(capped.eta) <= 1e-12 * capped.eta.max())


def test_repr_says_which_kind_of_result_it_is():
    applied, full = applied_schedule(10), optimal_schedule(11)
    assert repr(applied).startswith("ScheduleResult(updates=10, horizon=11, eta=<the 10 rates "
                                    "to apply>, bound=")
    assert "(on θ_11)" in repr(applied) and "(on θ_11)" in repr(full)
    assert repr(full).startswith("ScheduleResult(horizon=11, updates=10, eta=<11 rates; apply "
                                 "eta[:10], eta[-1] is the bound's weight>")
    assert "never applied (docs/math.md §5.1)" in applied.message


def test_the_weight_decides_the_horizon():
    base = dict(bound=1.0, method="exact", converged=True, iterations=0, seconds=0.0,
                message="m")
    plain, applied = ScheduleResult(eta=[1.0, 0.5], **base), ScheduleResult(
        eta=[1.0, 0.5], weight=1.2, **base)
    assert (plain.horizon, plain.updates, plain.applied) == (2, 1, False)
    assert (applied.horizon, applied.updates, applied.applied) == (3, 2, True)
    # replacing eta keeps the kind consistent: the horizon follows len(eta)
    import dataclasses
    assert dataclasses.replace(applied, eta=[1.0, 0.5, 0.25]).horizon == 4
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="weight .* must be a finite number >= 0"):
            ScheduleResult(eta=[1.0, 0.5], weight=bad, **base)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(updates=0), ValueError, "updates must be a positive integer, got 0"),
    (dict(updates=2.5), TypeError, "updates must be a positive integer"),
    (dict(updates=10, G=np.ones(9)), ValueError, "G must be a scalar or a 1-D array of length "
                                                 "updates = 10"),
    (dict(updates=10, G=np.ones(12)), ValueError, "got length 12"),
    (dict(updates=10, warmup=10), ValueError, "warmup must leave at least one update"),
    (dict(updates=10, warmup=np.full(10, 0.01)), ValueError, "covers 10 updates"),
    (dict(updates=10, D=-1.0), ValueError, "D must be"),
])
def test_bad_input_names_the_argument(kwargs, error, words):
    with pytest.raises(error, match=words):
        applied_schedule(**kwargs)


@pytest.mark.parametrize("warmup", [100, 200, [0.01] * 100])
def test_a_warmup_over_every_update_is_refused_in_updates(warmup):
    with pytest.raises(ValueError, match="it covers .* updates but updates = 100; use a "
                                         "warm-up shorter than 100"):
        applied_schedule(100, warmup=warmup)
