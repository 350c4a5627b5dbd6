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


def _model_and_point(points=(40, 120), seed=0):
    from schedopt.solvers import _anytime_bound
    from schedopt.solvers._checkpoints import _Checkpoints
    from schedopt.solvers._extend import extended_G

    model = _Checkpoints(points, 1.0, extended_G(1.0, points[-1]))
    rng = np.random.default_rng(seed)
    eta = optimal_schedule(points[-1] + 1).eta[:points[-1]] * np.exp(0.2 * rng.standard_normal(points[-1]))
    w = rng.uniform(0.05, 0.5, len(points))
    return _anytime_bound, model, eta, w, np.array([0.3, 0.7])


def test_the_eta_lagrangian_matches_the_ratios_and_its_gradient_finite_differences():
    """Σ λ_i f_i in (η, w) is λ · checkpoint ratios with the weights w; its gradient is exact
    against central differences of that independent value."""
    _anytime_bound, model, eta, w, lam = _model_and_point()

    def value(e, ww):
        return sum(l * float(last_iterate_bound(np.append(e[:N], ww[i]), 1.0, 1.0)) / o
                   for i, (l, N, o) in enumerate(zip(lam, model.N, model.opt)))

    parts = _anytime_bound._eta_lagrangian(model, lam, eta, w)
    assert parts[0] == pytest.approx(value(eta, w), rel=1e-12)
    for k in (0, 17, 39, 40, 80, 119):
        assert parts[1][k] == pytest.approx(_central(lambda e: value(e, w), eta, k),
                                            rel=1e-5, abs=1e-9)
    for i in range(2):
        assert parts[2][i] == pytest.approx(_central(lambda ww: value(eta, ww), w, i),
                                            rel=1e-5, abs=1e-9)


def _central(f, x, k):
    """The central difference of f along coordinate k of x, step 1e-6 relative."""
    h = 1e-6 * x[k]
    up, down = x.copy(), x.copy()
    up[k] += h
    down[k] -= h
    return (f(up) - f(down)) / (2 * h)


def test_the_window_hessian_matches_differences_of_the_gradient():
    _anytime_bound, model, eta, w, lam = _model_and_point()
    idx = np.array([3, 30, 38, 39, 100, 118, 119])
    parts = _anytime_bound._eta_lagrangian(model, lam, eta, w)
    H = _anytime_bound._window_hessian(model, lam, idx, parts[3])
    for col, k in enumerate(list(idx) + ["w0", "w1"]):
        e_up, e_dn, w_up, w_dn = eta.copy(), eta.copy(), w.copy(), w.copy()
        if isinstance(k, str):
            i = int(k[1])
            h = 1e-6 * w[i]
            w_up[i] += h
            w_dn[i] -= h
        else:
            h = 1e-6 * eta[k]
            e_up[k] += h
            e_dn[k] -= h
        gu, gd = (_anytime_bound._eta_lagrangian(model, lam, e, ww) for e, ww in ((e_up, w_up),
                                                                            (e_dn, w_dn)))
        fd = (np.concatenate([gu[1][idx], gu[2]]) - np.concatenate([gd[1][idx], gd[2]])) / (2 * h)
        np.testing.assert_allclose(H[:, col], fd, rtol=1e-5, atol=1e-6 * np.abs(H).max())
    np.testing.assert_allclose(H, H.T, rtol=1e-12)


@pytest.mark.slow
def test_a_million_steps_is_certified():
    """Issue 22: [10⁵, 10⁶] stalled at a certified gap of 1.8e-3 with the bound in (A, y)."""
    r = anytime_schedule([10 ** 5, 10 ** 6])
    assert r.converged and r.gap <= 1e-5
    assert np.max(checkpoint_ratios(r.eta, [10 ** 5, 10 ** 6])) == pytest.approx(r.worst_ratio,
                                                                                 rel=1e-12)
