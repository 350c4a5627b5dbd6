"""Bound (C) at every horizon in O(T·K) against schedopt.last_iterate_bound on each prefix,
and the applied-rate noise term against a direct minimisation."""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

import schedopt
from schedopt.calibration import prefix_bounds
from schedopt.calibration._prefix import kernel_nodes
from schedopt.calibration._prefix import noise_terms


def _reference(eta, D, G):
    G = np.broadcast_to(G, eta.shape)
    return np.array([float(schedopt.last_iterate_bound(eta[:t], D, G[:t]))
                     for t in range(1, eta.size + 1)])


@pytest.mark.parametrize("d_min,d_max", [(1.0, 1.0), (1e-6, 1e3), (1e-3, 1e7)])
def test_kernel_nodes_reproduce_one_over_d(d_min, d_max):
    u, c = kernel_nodes(d_min, d_max)
    d = np.geomspace(d_min, d_max, 257)
    approx = (c * np.exp(-np.outer(d, u))).sum(axis=1)
    assert np.max(np.abs(approx * d - 1)) < 1e-9


# One length, so that each prefix length compiles once for the whole test.
@settings(max_examples=10, deadline=None)
@given(st.lists(st.one_of(st.just(0.0), st.floats(1e-4, 10.0)), min_size=12, max_size=12),
       st.floats(0.1, 5.0), st.booleans(), st.integers(0, 2**32 - 1))
def test_prefix_bounds_match_last_iterate_bound_on_every_prefix(eta, D, per_step, seed):
    eta = np.array(eta)
    G = np.random.default_rng(seed).uniform(0.2, 3.0, eta.size) if per_step else 1.7
    got = prefix_bounds(eta, D, G)
    ref = _reference(eta, D, G)
    assert np.array_equal(np.isinf(got), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-8)


def _direct_c(eta, D, G):
    """Bound (C) of every prefix straight from its definition (docs/math.md §2), O(T²) numpy."""
    G2 = np.broadcast_to(np.square(G), eta.shape)
    out = []
    for t in range(1, eta.size + 1):
        e, P = eta[:t], np.cumsum(eta[:t])
        tail = np.r_[P[-1] - P[:-1], e[-1]]          # η_{min(s+1,t):t}
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(e > 0, G2[:t] * e**2 / tail, 0.0)
            out.append(D**2 / (2 * P[-1]) + 0.5 * terms.sum())
    return np.array(out)


def test_prefix_bounds_wsd_schedule_to_zero():
    eta = schedopt.warmup_stable_decay(400, warmup_fraction=0.05, decay_fraction=0.3)
    got = prefix_bounds(eta, 2.0, 0.5)
    ref = _direct_c(eta, 2.0, 0.5)
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-8)
    assert np.array_equal(np.isinf(got), ~fin)


def test_prefix_bounds_rejects_bad_schedules():
    with pytest.raises(ValueError, match="eta"):
        prefix_bounds([1.0, -0.5])
    with pytest.raises(ValueError, match="eta"):
        prefix_bounds([])


def _noise_direct(eta, w, t, g2):
    """min over x > 0 of Σ_{s≤t} w_s/(η_{s+1:t} + x) + g2·x by scipy on log x."""
    P = np.cumsum(eta)
    d = P[t - 1] - P[:t]
    f = lambda y: np.sum(w[:t] / (d + np.exp(y))) + g2 * np.exp(y)
    res = scipy.optimize.minimize_scalar(f, bounds=(-30, 10), method="bounded",
                                         options={"xatol": 1e-12})
    return res.fun


@pytest.mark.parametrize("n_obs", [3, 40])       # the direct path and the recursion
def test_noise_terms_match_direct_minimisation(n_obs):
    rng = np.random.default_rng(3)
    eta = np.r_[np.linspace(0.1, 1, 20), np.ones(100), np.linspace(1, 0, 80)]
    g2 = rng.uniform(0.5, 2.0, eta.size)
    t = np.sort(rng.choice(np.arange(1, eta.size + 1), n_obs, replace=False))
    t[-1] = eta.size
    got, x = noise_terms(eta, g2 * eta**2, t, g2[np.minimum(t, eta.size - 1)])
    ref = [_noise_direct(eta, g2 * eta**2, ti, g2[min(ti, eta.size - 1)]) for ti in t]
    np.testing.assert_allclose(got, ref, rtol=1e-7)
    assert np.all(x > 0)


def test_noise_term_is_bound_c_at_the_next_horizon():
    """With the optimal last weight x, the noise term is (C)'s noise part at horizon t+1."""
    eta = np.linspace(1.0, 0.2, 50)
    N, x = noise_terms(eta, eta**2, np.array([50]), 1.0)
    full = np.r_[eta, x]
    D = 1.0
    c_next = float(schedopt.last_iterate_bound(full, D, 1.0))
    assert c_next == pytest.approx(D**2 / (2 * full.sum()) + 0.5 * N[0], rel=1e-10)
