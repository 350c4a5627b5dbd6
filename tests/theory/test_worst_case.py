"""worst_case (the PEP SDP of docs/math.md §5.2) against exact values, scaling and bound (C)."""

import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("cvxpy")

from schedopt.bounds._applied import applied_bound  # noqa: E402
from schedopt.theory._worst_case import WorstCase, minimax_schedule, worst_case  # noqa: E402

# The SDP is solved to Clarabel's 1e-8 tolerances; values agree with exact ones to ~1e-7.
RTOL = 1e-6


def check_minimax(N):
    result = worst_case(minimax_schedule(N))
    assert result.status in ("optimal", "optimal_inaccurate")
    assert result.value == pytest.approx(1 / np.sqrt(N + 1), rel=RTOL)
    assert abs(result.gap) <= RTOL * result.value


@pytest.mark.parametrize("N", [1, 2, 3, 5, 8, 13, 20])
def test_minimax_schedule_reaches_exactly_one_over_sqrt_n_plus_1(N):
    """Zamani & Glineur (arXiv 2307.11134): worst case D·G/√(N+1), here D = G = 1."""
    check_minimax(N)


@pytest.mark.slow
def test_minimax_schedule_every_n_up_to_40():
    for N in range(1, 41):
        check_minimax(N)


def test_minimax_schedule_formula():
    h = minimax_schedule(3, D=2.0, G=0.5)
    np.testing.assert_allclose(h, 2.0 * np.array([3, 2, 1]) / (0.5 * 4**1.5), rtol=1e-15)


@pytest.mark.parametrize("D, G", [(2.0, 1.0), (1.0, 3.0), (0.1, 7.0)])
def test_scales_as_d_times_g(D, G):
    """worst_case(η·D/G; D, G) = D·G·worst_case(η; 1, 1): the docstring's change of variables."""
    N = 6
    unit = worst_case(minimax_schedule(N)).value
    scaled = worst_case(minimax_schedule(N, D, G), D, G).value
    assert scaled == pytest.approx(D * G * unit, rel=1e-7)
    assert scaled == pytest.approx(D * G / np.sqrt(N + 1), rel=RTOL)
    eta = np.array([0.3, 0.9, 0.1, 0.4])
    assert worst_case(eta * D / G, D, G).value == pytest.approx(
        D * G * worst_case(eta).value, rel=1e-7)


def test_no_step_leaves_the_lipschitz_worst_case():
    """θ_{N+1} = θ_1: the worst case is G·D, reached by f(x) = G·|x − x*|."""
    assert worst_case([0.0, 0.0, 0.0], D=2.0, G=1.5).value == pytest.approx(3.0, rel=RTOL)


def test_zero_rates_are_skipped():
    """A step of size 0 does not move θ: inserting it leaves the worst case unchanged."""
    eta = [0.4, 0.3, 0.2]
    assert worst_case([0.4, 0.0, 0.3, 0.2]).value == pytest.approx(worst_case(eta).value,
                                                                   rel=RTOL)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.5), min_size=1, max_size=8))
def test_between_minimax_value_and_bound_c(eta):
    """D·G/√(N+1) ≤ worst case ≤ bound (C) at horizon N + 1 (the stochastic guarantee)."""
    N = len(eta)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # no inaccurate solve slips by
        value = worst_case(eta).value
    assert value >= (1 - RTOL) / np.sqrt(N + 1)
    assert value <= applied_bound(eta) * (1 + RTOL)


def test_result_type():
    result = worst_case([0.5])
    assert isinstance(result, WorstCase)
    assert float(result) == result.value
    assert result.steps == 1 and result.seconds >= 0


@pytest.mark.parametrize("args, error, words", [
    (([],), ValueError, "non-empty"),
    (([0.5, -1.0],), ValueError, "eta[1] = -1.0"),
    (([np.inf],), ValueError, "finite"),
    (([0.5], -2.0), ValueError, "D must be a positive"),
    (([0.5], 1.0, [1.0, 1.0]), ValueError, "G must be a single Lipschitz constant"),
    (([0.5], 1.0, 0.0), ValueError, "G must be a positive"),
    (([0.5], 1.0, True), TypeError, "G must be a positive"),
])
def test_bad_input(args, error, words):
    with pytest.raises(error) as info:
        worst_case(*args)
    assert words in str(info.value)


@pytest.mark.parametrize("args, error, words", [
    ((0,), ValueError, "steps must be a positive integer"),
    ((2.5,), TypeError, "steps must be a positive integer"),
    ((3, 0.0), ValueError, "D must be a positive"),
    ((3, 1.0, -1.0), ValueError, "G must be a positive"),
])
def test_minimax_bad_input(args, error, words):
    with pytest.raises(error) as info:
        minimax_schedule(*args)
    assert words in str(info.value)


def test_missing_cvxpy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cvxpy", None)      # makes `import cvxpy` fail
    with pytest.raises(ImportError, match=r"pip install 'schedopt\[pep\]'"):
        worst_case([0.5])


def _independent_pep(h, D=1.0, G=1.0):
    """The PEP of docs/math.md §5.2 written out pair by pair with every inequality, without
    the module's sparse rows, coordinates or constraint generation."""
    import cvxpy as cp

    N = len(h)
    n = N + 2
    gram = cp.Variable((n, n), PSD=True)
    f = cp.Variable(N + 1)
    e = np.eye(n)
    xs, gs, fs = [np.zeros(n), e[0]], [np.zeros(n), e[1]], [0.0, f[0]]
    for t in range(N):
        xs.append(xs[-1] - h[t] * e[t + 1])
        gs.append(e[t + 2])
        fs.append(f[t + 1])
    cons = [fs[i] >= fs[j] + gs[j] @ gram @ (xs[i] - xs[j])
            for i in range(n) for j in range(n) if i != j]
    cons += [xs[1] @ gram @ xs[1] <= D**2] + [gs[i] @ gram @ gs[i] <= G**2 for i in range(1, n)]
    problem = cp.Problem(cp.Maximize(fs[-1]), cons)
    problem.solve(solver=cp.CLARABEL)
    return problem.value


@pytest.mark.parametrize("seed", range(4))
def test_constraint_generation_matches_the_full_independent_pep(seed):
    rng = np.random.default_rng(seed)
    eta = rng.uniform(0.0, 2.0, size=int(rng.integers(1, 7)))
    result = worst_case(eta)
    assert result.value == pytest.approx(_independent_pep(eta), rel=1e-7)
    n = len(eta) + 2
    assert n * (n - 1) // 2 <= result.constraints <= n * (n - 1)


def test_violated_inequalities_are_added_until_none_is(monkeypatch):
    """Start from far too few pairs (x* and consecutive points only): the loop must add the
    violated ones, in several rounds, and end at the full problem's value."""
    from schedopt.theory import _worst_case as module

    def few(n):
        pairs = [(0, j) for j in range(1, n)] + [(i, i + 1) for i in range(1, n - 1)]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

    eta = np.array([0.9, 0.2, 0.7, 0.4, 0.1])
    full = worst_case(eta)
    monkeypatch.setattr(module, "_first_pairs", few)
    generated = worst_case(eta)
    assert generated.rounds > 1
    assert generated.value == pytest.approx(full.value, rel=1e-7)
    assert generated.value == pytest.approx(_independent_pep(eta), rel=1e-7)


def test_extreme_units_are_rescaled_or_refused():
    """Issue 21: zero steps at D/G = 1e-400 have worst case D·G = 1; D·G = 1e400 or steps of
    1e-400 are not float64 numbers and are refused, not returned as inf or zeros."""
    assert worst_case(np.zeros(3), 1e-200, 1e200).value == pytest.approx(1.0, rel=RTOL)
    eta = minimax_schedule(5, 1e-100, 1e100)
    assert worst_case(eta, 1e-100, 1e100).value == pytest.approx(1 / np.sqrt(6), rel=RTOL)
    with pytest.raises(ValueError, match="D·G is between 1e-300 and 1e300"):
        worst_case(minimax_schedule(5, 1e200, 1e200), 1e200, 1e200)
    with pytest.raises(ValueError, match="overflow float64"):
        worst_case([1e300], 1e-10, 1.0)
    with pytest.raises(ValueError, match="D/G is between 1e-300 and 1e300"):
        minimax_schedule(5, 1e-200, 1e200)
    # D/G = 1e309 overflows, the steps themselves do not.
    h = minimax_schedule(100, 1e300, 1e-9)
    t = np.arange(1, 101)
    np.testing.assert_allclose(h, (1e300 * (101 - t) / 101**1.5) / 1e-9, rtol=1e-12)


def test_size_limit_and_memory_are_checked_up_front(monkeypatch):
    from schedopt import _memory
    from schedopt.theory import _worst_case as module

    with pytest.raises(ValueError, match=f"at most N = {module.MAX_STEPS}"):
        worst_case(np.full(module.MAX_STEPS + 1, 0.01))
    monkeypatch.setattr(_memory, "available_bytes", lambda: 2**20)
    with pytest.raises(ValueError, match="GiB is available"):
        worst_case(np.full(10, 0.1))
    assert module.memory_needed(200) > module.memory_needed(100) > 0
