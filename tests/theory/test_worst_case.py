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
