"""anytime_schedule: the best worst ratio over checkpoints, with a certified lower bound."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from schedopt.bounds._bounds import last_iterate_bound
from schedopt.solvers import anytime_schedule, checkpoint_ratios, optimal_schedule


def _ratio_by_scalar_search(eta, N, D=1.0, G=1.0):
    """Independent: (C) at horizon N + 1 minimised over the unapplied weight, / the optimum."""
    res = minimize_scalar(lambda w: float(last_iterate_bound(np.append(eta[:N], w), D, G)),
                          bounds=(1e-12, 10.0), method="bounded", options={"xatol": 1e-14})
    return res.fun / optimal_schedule(N + 1, D, G).bound


@pytest.mark.parametrize("N", [1, 2, 50])
def test_one_checkpoint_is_the_fixed_horizon_optimum(N):
    """N = 1 is a 1 × 1 tridiagonal block, which LAPACK's banded solver refuses (issue 21)."""
    r = anytime_schedule([N])
    assert r.worst_ratio == pytest.approx(1.0, abs=1e-9) and r.converged
    np.testing.assert_allclose(r.eta, optimal_schedule(N + 1).eta[:N], rtol=1e-5)


def test_ratios_agree_with_an_independent_computation():
    r = anytime_schedule([20, 60, 120], D=2.0, G=0.5)
    for N, ratio in zip(r.checkpoints, r.ratios):
        assert ratio == pytest.approx(_ratio_by_scalar_search(r.eta, N, 2.0, 0.5), rel=1e-8)
    np.testing.assert_allclose(checkpoint_ratios(r.eta, [20, 60, 120], 2.0, 0.5), r.ratios)


def test_the_optimum_equalises_the_checkpoints_and_is_certified():
    r = anytime_schedule([100, 200, 400, 800], tol=1e-8)
    assert r.converged and r.gap <= 1e-8
    assert r.lower_bound <= r.worst_ratio
    assert np.ptp(r.ratios) < 1e-6                   # every checkpoint is active
    assert r.worst_ratio > 1.0                       # no schedule is optimal at all four


def test_the_lower_bound_is_below_every_schedule_tried():
    points = [30, 90, 270]
    r = anytime_schedule(points, tol=1e-9)
    rng = np.random.default_rng(0)
    candidates = [optimal_schedule(H + 1).eta[:270] for H in (270, 400)]
    candidates += [np.exp(0.1 * rng.standard_normal(270)) * r.eta for _ in range(5)]
    candidates += [1 / np.sqrt(np.arange(1, 271) + s) * c for s in (1, 30) for c in (0.5, 1)]
    for eta in candidates:
        assert np.max(checkpoint_ratios(eta, points)) >= r.lower_bound - 1e-12


def test_per_step_G():
    G = np.linspace(1.0, 3.0, 201)
    r = anytime_schedule([50, 200], G=G)
    assert r.converged
    for N, ratio in zip(r.checkpoints, r.ratios):
        res = minimize_scalar(lambda w: float(last_iterate_bound(np.append(r.eta[:N], w), 1.0,
                                                                 G[:N + 1])),
                              bounds=(1e-12, 10.0), method="bounded", options={"xatol": 1e-14})
        assert ratio == pytest.approx(res.fun / optimal_schedule(N + 1, 1.0, G[:N + 1]).bound,
                                      rel=1e-8)


@pytest.mark.parametrize("checkpoints, error, match", [
    ([], ValueError, "at least one"),
    ([10, 10], ValueError, "strictly increasing"),
    ([0, 10], ValueError, "positive integer"),
    ([1.5], TypeError, "positive integer"),
    (5, TypeError, "list of whole numbers"),
])
def test_bad_checkpoints(checkpoints, error, match):
    with pytest.raises(error, match=match):
        anytime_schedule(checkpoints)
