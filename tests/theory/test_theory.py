"""Theory against the optimum: predictions, compare, the family table and the scaling fit.

The oracles are independent of the library: docs/math.md §4.4's recursion in plain Python, bound
(C) summed term by term, and scipy.stats.linregress for the fits.
"""

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import schedopt
from schedopt.theory import _scaling
from schedopt._closed_forms import continuous_schedule, defazio_schedule

SQRT2 = math.sqrt(2.0)


def optimum_by_recursion(G2, D=1.0):
    """docs/math.md §4.4 in plain Python floats: the optimal value D·√J_1 of bound (C)."""
    J = G2[-1]
    for g2 in reversed(G2[:-1]):
        x = J / g2
        J = 2.0 * g2 * (x / (math.sqrt(1.0 + x) + 1.0))
    return D * math.sqrt(J)


def bound_c(eta, D=1.0, G=1.0):
    """Bound (C) term by term (docs/math.md §2), +∞ when η_T = 0."""
    T = len(eta)
    G2 = np.broadcast_to(np.square(np.asarray(G, float)), (T,))
    if eta[-1] == 0:
        return math.inf
    total = D * D / (2.0 * math.fsum(eta))
    for t in range(T - 1):
        total += 0.5 * G2[t] * eta[t] ** 2 / math.fsum(eta[t + 1:])
    return total + 0.5 * G2[-1] * eta[-1]


def best_c(shape, D=1.0, G=1.0):
    """min over λ of bound (C)(λ·shape) = 2√(ab) for bound = a/λ + bλ (docs/math.md §4.1)."""
    if shape[-1] == 0:
        return math.inf
    a = D * D / (2.0 * math.fsum(shape))                        # the D² term
    b = bound_c(shape, 0.0, G)
    return 2.0 * math.sqrt(a * b)


# --- predictions -------------------------------------------------------------------------

@pytest.mark.parametrize("T,D,G", [(1, 1.0, 1.0), (7, 2.0, 0.5), (100, 1.0, 3.0)])
def test_variational_schedule(T, D, G):
    pred = schedopt.variational_schedule(T, D, G)
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(pred.eta, (D / G) * (1 - t / T) / np.sqrt(T), rtol=1e-14, atol=0)
    assert pred.eta[-1] == 0.0 and pred.value == pytest.approx(2 * D * G / np.sqrt(T), rel=1e-15)
    assert float(schedopt.last_iterate_bound(pred.eta, D, G)) == math.inf
    mid = schedopt.variational_schedule(T, D, G, last="midpoint").eta
    np.testing.assert_allclose(mid, (D / G) * (1 - (t - 0.5) / T) / np.sqrt(T), rtol=1e-14)
    # Part V's continuous formula with constant G is the variational schedule (docs/math.md §3).
    np.testing.assert_allclose(continuous_schedule(np.full(T, G), D), pred.eta, rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_allclose(continuous_schedule(np.full(T, G), D, last="midpoint"), mid,
                               rtol=1e-12)


@pytest.mark.parametrize("T", [1, 2, 10, 100, 1000])
@pytest.mark.parametrize("D,G", [(1.0, 1.0), (3.0, 0.2)])
def test_linear_decay_guarantee_holds(T, D, G):
    pred = schedopt.linear_decay_guarantee(T, D, G)
    t = np.arange(1, T + 1)
    alpha = D / (G * np.sqrt(2 * T))
    np.testing.assert_allclose(pred.eta, alpha * (1 - t / (T + 1)), rtol=1e-15)
    np.testing.assert_allclose(pred.eta, alpha * T / (T + 1) * schedopt.linear_decay(T),
                               rtol=0, atol=1e-14 * alpha)
    assert pred.value == pytest.approx(2 * SQRT2 * D * G / np.sqrt(T), rel=1e-15)
    assert bound_c(pred.eta, D, G) <= pred.value * (1 + 1e-12)     # docs/math.md §3, proven


# --- compare, constant G ----------------------------------------------------------------

@pytest.mark.parametrize("T", [2, 3, 10, 57])
def test_compare_constant_g_against_independent_values(T):
    D, G = 1.5, 0.7
    result = schedopt.optimal_schedule(T, D, G, method="exact")
    optimum = optimum_by_recursion([G * G] * T, D)
    c = schedopt.compare(result, D, G)
    assert c.bound == pytest.approx(optimum, rel=1e-12)
    t = np.arange(1, T + 1)
    expected = {
        "variational_value": 2 * D * G / math.sqrt(T),
        "variational": math.inf,
        "variational_midpoint": bound_c((D / G) * (1 - (t - 0.5) / T) / math.sqrt(T), D, G),
        "linear_decay_proven": bound_c(D / (G * math.sqrt(2 * T)) * (1 - t / (T + 1)), D, G),
        "linear_decay_guarantee": 2 * SQRT2 * D * G / math.sqrt(T),
        "linear_decay_best": best_c((T + 1 - t) / T, D, G),
    }
    assert [r.key for r in c.references] == list(expected)
    for key, value in expected.items():
        assert c.reference(key).bound == pytest.approx(value, rel=1e-12)
        assert c.reference(key).ratio == pytest.approx(value / optimum, rel=1e-12)
    assert c.bump == pytest.approx(1 + SQRT2, rel=1e-12)             # docs/math.md §4.5
    assert c.peak_ratio == pytest.approx(result.eta[0] / ((D / G) / math.sqrt(T)), rel=1e-14)
    # Shapes on unit sum over t ≤ T − 1, against the seed's linear decay.
    a = result.eta[:-1] / result.eta[:-1].sum()
    b = (T + 1 - t[:-1]) / (T + 1 - t[:-1]).sum()
    assert c.shape_max_deviation == pytest.approx(np.max(np.abs(a / b - 1)), rel=1e-12)
    assert c.shape_max_deviation_step == int(np.argmax(np.abs(a / b - 1))) + 1
    assert c.shape_l2 == pytest.approx(np.linalg.norm(a - b) / np.linalg.norm(b), rel=1e-12)


def test_compare_reproduces_theory_reference_numbers():
    c = schedopt.compare(schedopt.optimal_schedule(1000, method="exact"))
    assert c.bound == pytest.approx(0.0633219371216577, rel=1e-12)   # docs/math.md §4 table
    excess = c.reference("linear_decay_best").ratio - 1
    assert 0.00175 < excess < 0.00185                                  # "0.18%"
    assert c.peak_ratio == pytest.approx(0.03159762058118 * math.sqrt(1000), rel=1e-11)
    rows = c.as_rows()
    assert rows[0][0] == "bound (C) of the schedule" and len(rows) == 1 + 6 + 4
    text = c.to_markdown()
    assert "+∞" in text and text.count("\n") == len(rows) + 1


def test_compare_accepts_a_plain_schedule():
    eta = schedopt.linear_decay(50)
    c = schedopt.compare(eta * 0.01)
    assert c.bound == pytest.approx(bound_c(eta * 0.01), rel=1e-12)
    assert c.shape_max_deviation == pytest.approx(0.0, abs=1e-12)    # linear decay vs itself
    assert c.bump == pytest.approx(0.5, rel=1e-14)                   # (1/T)/(2/T)


# --- compare, per-step G -----------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(G=st.lists(st.floats(0.2, 5.0), min_size=2, max_size=40), D=st.floats(0.1, 10))
def test_compare_per_step_against_the_closed_forms(G, D):
    G = np.array(G)
    T = G.size
    result = schedopt.optimal_schedule(T, D, G, method="exact")
    optimum = optimum_by_recursion(list(G * G), D)
    c = schedopt.compare(result, D, G)
    assert c.per_step and c.bound == pytest.approx(optimum, rel=1e-10)
    w = G ** -2.0
    Q = np.cumsum(w)
    tail = np.array([w[t + 1:].sum() for t in range(T)])
    expected = {
        "continuous": math.inf,
        "continuous_midpoint": bound_c(D * w * (tail + w / 2) / Q[-1] ** 1.5, D, G),
        "defazio_best": math.inf,
        "defazio_inclusive_best": best_c(w * (tail + w), D, G),
        "linear_decay_best": best_c(np.arange(T, 0, -1) / T, D, G),
    }
    assert [r.key for r in c.references] == list(expected)
    for key, value in expected.items():
        assert c.reference(key).ratio == pytest.approx(value / optimum, rel=1e-9)
        assert c.reference(key).ratio >= 1 - 1e-12                   # the optimum never loses
    assert c.peak_ratio == pytest.approx(result.eta[0] / (D * w[0] / np.sqrt(Q[-1])), rel=1e-12)
    assert c.shape_reference == "Defazio et al.'s shape"


def test_compare_with_constant_g_array_matches_the_closed_forms_names():
    c = schedopt.compare(schedopt.optimal_schedule(20, method="exact"), G=np.ones(20))
    assert c.per_step and c.bump == pytest.approx(1 + SQRT2, rel=1e-12)
    np.testing.assert_allclose(defazio_schedule(np.ones(5), last="inclusive"),
                               schedopt.linear_decay(5), rtol=1e-15)


@pytest.mark.parametrize("args,error,message", [
    (([1.0],), ValueError, "at least 2 steps"),
    (([1.0, 0.0],), ValueError, r"eta\[-1\] = 0"),
    (([1.0, -1.0],), ValueError, "eta must be >= 0"),
    (([1.0, 1.0], 0.0), ValueError, "D must be a positive finite number"),
    (([1.0, 1.0], 1.0, [1.0, 2.0, 3.0]), ValueError, "G must be a scalar or a 1-D array"),
    (("ab",), TypeError, "eta must be a 1-D array of numbers"),
])
def test_compare_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        schedopt.compare(*args)


def test_prediction_bad_input():
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        schedopt.variational_schedule(0)
    with pytest.raises(ValueError, match="last must be one of"):
        schedopt.variational_schedule(10, last="left")
    with pytest.raises(ValueError, match="G must be a positive finite number"):
        schedopt.linear_decay_guarantee(10, G=-1)


# --- family table ------------------------------------------------------------------------

def test_family_table_values_are_the_bounds_at_the_best_multiplier():
    T, D, G = 60, 2.0, 0.5
    table = schedopt.family_table(T, D, G)
    assert table.optimum == pytest.approx(optimum_by_recursion([G * G] * T, D), rel=1e-12)
    assert [r.name for r in table.rows] == ["optimal"] + list(schedopt.FAMILIES)
    assert table.rows[0].ratio == pytest.approx(1.0, rel=1e-12)
    bound_fns = {"last_iterate": schedopt.last_iterate_bound,
                 "monotone_last_iterate": schedopt.monotone_last_iterate_bound,
                 "average_iterate": schedopt.average_iterate_bound,
                 "average_iterate_nonincreasing": lambda e, D, G: schedopt.average_iterate_bound(
                     e, D, G, form="nonincreasing")}
    for row in table.rows[1:]:
        shape = schedopt.FAMILIES[row.name](T)
        assert row.values["last_iterate"] == pytest.approx(best_c(shape, D, G), rel=1e-12)
        assert row.ratio >= 1 - 1e-12                                # the optimum is optimal
        for b, fn in bound_fns.items():
            value, scale = row.values[b], row.scales[b]
            if value == math.inf:
                assert shape[-1] == 0 and b != "average_iterate"
                continue
            at = float(fn(scale * shape, D, G))
            assert at == pytest.approx(value, rel=1e-10)
            # λ* is a minimum: nudging the multiplier never helps.
            assert float(fn(1.01 * scale * shape, D, G)) >= at
            assert float(fn(0.99 * scale * shape, D, G)) >= at
    optimal = table.rows[0]
    assert optimal.values["monotone_last_iterate"] is None           # the bump: not monotone
    md = table.to_markdown()
    assert "n/a" in md and "+∞" in md and md.count("\n") == len(table.rows) + 1
    assert table.to_dict()["rows"][2]["values"]["last_iterate"] == "inf"


def test_family_table_reference_numbers_at_1000():
    table = schedopt.family_table(1000, bounds=("last_iterate",))
    ratios = {r.name: r.ratio for r in table.rows}
    assert ratios["linear_decay"] - 1 == pytest.approx(0.0018, abs=5e-5)   # docs/math.md: 0.18%
    # Constant η: bound (C) at its best multiplier is DG·√((H_{T−1} + 1)/T) in closed form.
    H = math.fsum(1.0 / k for k in range(1, 1000))
    assert ratios["constant"] * table.optimum == pytest.approx(math.sqrt((H + 1) / 1000),
                                                               rel=1e-12)
    assert table.header[1] == "(C) last iterate" and len(table.as_rows()[0]) == 4
    # docs/math.md §4: linear decay is 1.7% above the optimum at T = 100 and 0.018% at T = 10⁴.
    for T, excess in [(100, 0.017), (10_000, 0.00018)]:
        row = schedopt.family_table(T, families=["linear_decay"], bounds="last_iterate").rows[1]
        assert row.ratio - 1 == pytest.approx(excess, rel=0.05)


def test_family_table_bad_input():
    with pytest.raises(ValueError, match="bounds must be among"):
        schedopt.family_table(10, bounds=("nope",))
    with pytest.raises(ValueError, match="families must name entries of FAMILIES"):
        schedopt.family_table(10, families=["cosine"])


# --- the scaling fit ---------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(c=st.floats(0.01, 100), p=st.floats(0.05, 2), q=st.floats(-1, 1))
def test_fit_recovers_synthetic_power_laws_exactly(c, p, q):
    T = np.array([100, 300, 1000, 3000, 10_000, 100_000], dtype=float)
    fit = schedopt.fit_power_law(T, c * T ** -p)
    assert fit.p == pytest.approx(p, rel=1e-12, abs=1e-12)
    assert fit.c == pytest.approx(c, rel=1e-11)
    assert fit.worst_residual < 1e-12 and fit.p_se < 1e-12 and fit.q is None
    fit = schedopt.fit_power_law(T, c * T ** -p * np.log(T) ** q, log_term=True)
    assert fit.p == pytest.approx(p, rel=1e-10, abs=1e-10)
    assert fit.q == pytest.approx(q, rel=1e-9, abs=1e-9)
    assert fit.c == pytest.approx(c, rel=1e-9)
    np.testing.assert_allclose(fit.predict(T), c * T ** -p * np.log(T) ** q, rtol=1e-9)


def test_fit_standard_errors_match_linregress():
    rng = np.random.default_rng(3)
    T = np.geomspace(100, 1e6, 25)
    values = 2.0 * T ** -0.5 * np.exp(rng.normal(0, 0.01, T.size))
    fit = schedopt.fit_power_law(T, values)
    ref = scipy.stats.linregress(np.log(T), np.log(values))
    assert fit.p == pytest.approx(-ref.slope, rel=1e-12)
    assert fit.p_se == pytest.approx(ref.stderr, rel=1e-10)
    assert fit.c == pytest.approx(math.exp(ref.intercept), rel=1e-12)
    assert fit.c_se == pytest.approx(fit.c * ref.intercept_stderr, rel=1e-10)
    residual = np.log(values) - (ref.intercept + ref.slope * np.log(T))
    assert fit.worst_residual == pytest.approx(np.max(np.abs(residual)), rel=1e-9)


def test_fit_scaling_small_grid_against_the_recursion():
    grid = [20, 40, 80, 160, 320]
    table = schedopt.fit_scaling(grid, families=("linear_decay", "constant"), D=2.0, G=0.5)
    np.testing.assert_array_equal(table.steps, grid)
    expected = [optimum_by_recursion([0.25] * T, 2.0) for T in grid]
    np.testing.assert_allclose(table.values["optimal"], expected, rtol=1e-12)
    np.testing.assert_allclose(table.values["linear_decay"],
                               [best_c(schedopt.linear_decay(T), 2.0, 0.5) for T in grid],
                               rtol=1e-12)
    ref = schedopt.fit_power_law(grid, expected)
    assert table.fits["optimal"].p == pytest.approx(ref.p, rel=1e-10)
    assert table.fits["optimal"].c == pytest.approx(ref.c, rel=1e-10)
    assert set(table.log_fits) == {"constant"}
    # The √(ln T) factor: a pure power law fits constant η visibly worse than one with it.
    assert table.log_fits["constant"].worst_residual < table.fits["constant"].worst_residual / 5
    assert table.to_markdown().count("\n") == len(table.as_rows()) + 1
    assert table.to_dict()["fits"]["optimal"]["p"] == table.fits["optimal"].p


def test_fit_scaling_optimum_is_two_dg_over_root_t():
    grid = _scaling.default_steps_grid(100, 10_000, 9)
    fit = schedopt.fit_scaling(grid, families=(), D=3.0, G=2.0).fits["optimal"]
    assert abs(fit.p - 0.5) < 0.005 and abs(fit.c / 12.0 - 1) < 0.005   # c ≈ 2DG


@pytest.mark.slow
def test_default_sweep_meets_the_issue_targets():
    table = schedopt.fit_scaling()
    assert len(table.steps) == 25 and table.steps[0] == 100 and table.steps[-1] == 10**6
    fit = table.fits["optimal"]
    assert abs(fit.p - 0.5) < 0.005 and abs(fit.c / 2 - 1) < 0.005
    assert table.log_fits["constant"].worst_residual < table.fits["constant"].worst_residual / 5


@pytest.mark.parametrize("call,error,message", [
    (lambda: schedopt.fit_power_law([1, 2], [1, 2]), ValueError, "more than 2 points"),
    (lambda: schedopt.fit_power_law([1, 2, 3], [1, 2]), ValueError, "one length"),
    (lambda: schedopt.fit_power_law([1, 2, 3], [1, 0, 2]), ValueError, "finite and > 0"),
    (lambda: schedopt.fit_power_law([1, 2, 3, 4], [1, 2, 3, 4], log_term=True), ValueError,
     ">= 2"),
    (lambda: schedopt.fit_power_law([5, 5, 5], [1, 2, 3]), ValueError, "distinct"),
    (lambda: schedopt.fit_scaling([10, 20, 0]), ValueError, "steps_grid"),
    (lambda: schedopt.fit_scaling([10, 20, 2.5]), TypeError, "steps_grid"),
    (lambda: schedopt.fit_scaling([10, 20, 40], families=("x",)), ValueError, "FAMILIES"),
    (lambda: schedopt.fit_scaling([10, 20, 40], bound="b"), ValueError, "bound must be"),
    (lambda: schedopt.fit_scaling([10, 20, 40], families=("linear_decay_to_zero",)),
     ValueError, "no finite bound"),
    (lambda: schedopt.fit_scaling([10, 20, 40], G=[1.0, 2.0]), TypeError, "G must be"),
])
def test_scaling_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
