"""applied_bound: bound (C) at horizon N + 1 with the never-applied weight chosen optimally."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import schedopt
from schedopt.bounds._applied import applied_bound, applied_bound_weight


def bound_c_quadratic(eta, D, G):
    """Bound (C) by the O(T²) form before the sums are exchanged (docs/math.md §2, eq. avg-2-mid5)."""
    eta = np.asarray(eta, float)
    T = eta.shape[0]
    G2 = np.broadcast_to(np.square(G), (T,))
    q = G2 * eta**2
    S = np.array([eta[k:].sum() for k in range(T)])
    value = (D**2 + q.sum()) / (2 * S[0])
    for k in range(T - 1):
        value += 0.5 * (1 / S[k + 1] - 1 / S[k]) * q[k:].sum()
    return value


def brute_force(eta, D, G):
    """min over w of (C)(η, w): a dense log grid, then scipy's bounded Brent around its best."""
    f = lambda u: bound_c_quadratic(np.append(eta, np.exp(u)), D, G)
    grid = np.linspace(-25, 10, 3501)
    values = np.array([f(u) for u in grid])
    k = int(np.argmin(values))
    res = minimize_scalar(f, bounds=(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]),
                          method="bounded", options={"xatol": 1e-12})
    return min(res.fun, values[k]), np.exp(res.x)


@pytest.mark.parametrize("eta, D, G", [
    ([0.5], 1.0, 1.0),
    ([1.0, 0.3, 0.2], 2.0, 0.5),
    ([0.2, 0.0, 0.4, 0.1], 1.0, [1.0, 2.0, 0.5, 1.5, 3.0]),
    ([1e-3, 2e-3, 5e-4], 1.0, 1.0),
    (list(np.linspace(1, 0.1, 12)), 3.0, 0.7),
])
def test_matches_brute_force_minimum(eta, D, G):
    expected, w_brute = brute_force(eta, D, G)
    w = applied_bound_weight(eta, D, G)
    value = applied_bound(eta, D, G)
    assert value == pytest.approx(expected, rel=1e-12)
    assert value <= expected * (1 + 1e-14)
    assert w == pytest.approx(w_brute, rel=1e-4)      # the minimum is flat in w
    assert value == float(schedopt.last_iterate_bound(np.append(eta, w), D, G))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=9),
       st.floats(0.1, 10.0), st.floats(0.1, 10.0))
def test_weight_is_a_stationary_point(eta, D, G):
    """F′(w*) = 0 to rounding, and F at w*(1 ± 1e-6) is not smaller."""
    w = applied_bound_weight(eta, D, G)
    assert np.isfinite(w) and w > 0
    F = lambda x: bound_c_quadratic(np.append(eta, x), D, G)
    value = F(w)
    assert applied_bound(eta, D, G) == pytest.approx(value, rel=1e-12)
    for x in (w * (1 - 1e-6), w * (1 + 1e-6)):
        assert F(x) >= value * (1 - 1e-13)


@pytest.mark.parametrize("N", [1, 2, 5, 40, 1000])
def test_applied_rates_of_the_optimum_reach_the_optimum(N):
    """The first N rates of the horizon-(N+1) optimum minimise applied_bound, with w = η_{N+1}."""
    result = schedopt.optimal_schedule(N + 1)
    assert applied_bound(result.eta[:N]) == pytest.approx(result.bound, rel=1e-14)
    assert applied_bound_weight(result.eta[:N]) == pytest.approx(result.eta[N], rel=1e-10)


def test_never_below_bound_c_at_horizon_n_plus_1_with_any_weight():
    eta = np.array([0.4, 0.3, 0.35, 0.1])
    value = applied_bound(eta)
    for w in np.geomspace(1e-4, 10, 50):
        assert value <= float(schedopt.last_iterate_bound(np.append(eta, w))) * (1 + 1e-15)


def test_n_equal_one_closed_form_check():
    # (C)(η, w) = 1/(2(η + w)) + η²/(2w) + w/2; at η = 1 the root of F′ solves numerically.
    eta = 1.0
    F = lambda w: 1 / (2 * (eta + w)) + eta**2 / (2 * w) + w / 2
    res = minimize_scalar(F, bounds=(1e-6, 10), method="bounded", options={"xatol": 1e-12})
    assert applied_bound([eta]) == pytest.approx(res.fun, rel=1e-13)


def test_zeros():
    # No step taken: θ_{N+1} = θ_1, and min_w D²/(2w) + G²w/2 = D·G.
    assert applied_bound([0.0]) == pytest.approx(1.0, rel=1e-15)
    assert applied_bound([0.0, 0.0, 0.0], D=2.0, G=3.0) == pytest.approx(6.0, rel=1e-15)
    assert applied_bound_weight([0.0, 0.0], D=2.0, G=3.0) == pytest.approx(2.0 / 3.0, rel=1e-15)
    # η_N = 0 (and trailing zeros): θ stays put, and with constant G the guarantee is that of
    # the schedule without them.
    eta = [0.7, 0.2, 0.4]
    assert applied_bound(eta + [0.0, 0.0]) == pytest.approx(applied_bound(eta), rel=1e-14)
    # Zeros in the middle count 0 in (C).
    assert applied_bound([0.0, 0.5, 0.0, 0.3]) == pytest.approx(
        brute_force([0.0, 0.5, 0.0, 0.3], 1.0, 1.0)[0], rel=1e-12)


def test_scaling_in_D_and_G():
    """(C)(η·D/G; D, G) = D·G·(C)(η; 1, 1), so the same holds for the minimum over w."""
    eta = np.array([0.5, 0.4, 0.45, 0.1])
    D, G = 3.0, 0.25
    assert applied_bound(eta * D / G, D, G) == pytest.approx(D * G * applied_bound(eta), rel=1e-13)


@pytest.mark.parametrize("args, error, words", [
    (([],), ValueError, "non-empty"),
    (([1.0, -0.1],), ValueError, "eta[1] = -0.1"),
    (([1.0, np.nan],), ValueError, "finite"),
    (([[1.0]],), ValueError, "1-D"),
    (("abc",), TypeError, "eta"),
    (([1.0], 0.0), ValueError, "D must be a positive"),
    (([1.0], 1.0, -1.0), ValueError, "G must be > 0"),
    (([1.0, 1.0], 1.0, [1.0, 1.0, 1.0, 1.0]), ValueError, "length N = 2 or N + 1 = 3"),
    (([1.0], 1.0, [1.0, 0.0]), ValueError, "G[1] = 0.0"),
])
def test_bad_input(args, error, words):
    for fn in (applied_bound, applied_bound_weight):
        with pytest.raises(error, match=None) as info:
            fn(*args)
        assert words in str(info.value)


def test_a_length_N_profile_repeats_its_last_value():
    eta, G = np.array([0.3, 0.2, 0.1]), np.array([1.0, 2.0, 3.0])
    assert applied_bound(eta, 1.5, G) == applied_bound(eta, 1.5, np.append(G, 3.0))
    assert applied_bound_weight(eta, 1.5, G) == applied_bound_weight(eta, 1.5, np.append(G, 3.0))
