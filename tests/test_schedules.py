"""The schedule families: shapes, peaks, endpoints, optax agreement, bad input."""

import jax
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import schedopt
from schedopt import schedules as S

STEPS = [1, 2, 3, 10, 97, 1000]


def optax_values(schedule, T):
    """η_t = schedule(t − 1) for t = 1..T, evaluated in float64 (docs/math.md §1)."""
    with jax.enable_x64(True):
        return np.array([float(schedule(np.float64(k))) for k in range(T)])


@pytest.mark.parametrize("name", sorted(S.FAMILIES))
@pytest.mark.parametrize("T", STEPS)
def test_every_family_is_a_peak_one_float64_shape(name, T):
    eta = S.FAMILIES[name](T)
    assert isinstance(eta, np.ndarray) and eta.dtype == np.float64 and eta.shape == (T,)
    assert np.all(np.isfinite(eta)) and np.all(eta >= 0)
    assert np.max(eta) == 1.0


@pytest.mark.parametrize("name", ["linear_decay", "linear_decay_to_zero", "cosine_decay",
                                  "warmup_stable_decay", "warmup_stable_decay_1_sqrt",
                                  "step_decay", "exponential_decay", "constant", "inverse_sqrt"])
def test_default_families_are_nonincreasing(name):
    eta = S.FAMILIES[name](500)
    assert np.all(np.diff(eta) <= 0)


@pytest.mark.parametrize("name", ["linear_decay", "linear_decay_to_zero", "cosine_decay",
                                  "inverse_sqrt", "exponential_decay"])
def test_strictly_decreasing_families(name):
    assert np.all(np.diff(S.FAMILIES[name](300)) < 0)


def test_linear_decay_is_the_seed_form_rescaled():
    T = 37
    t = np.arange(1, T + 1)
    seed = 1 - t / (T + 1)                                  # docs/math.md §3
    np.testing.assert_allclose(S.linear_decay(T), seed / seed[0], rtol=0, atol=1e-15)
    assert S.linear_decay(T)[-1] == pytest.approx(1 / T, rel=1e-15)


def test_linear_decay_to_zero_endpoints():
    eta = S.linear_decay_to_zero(11)
    assert eta[0] == 1.0 and eta[-1] == 0.0
    np.testing.assert_allclose(np.diff(eta), -0.1, rtol=1e-13)
    np.testing.assert_array_equal(S.linear_decay_to_zero(1), [1.0])
    assert float(schedopt.last_iterate_bound(eta)) == np.inf


def test_inverse_sqrt_values():
    np.testing.assert_allclose(S.inverse_sqrt(4), [1, 1 / np.sqrt(2), 1 / np.sqrt(3), 0.5],
                               rtol=1e-15)


def test_cosine_floor_and_endpoints():
    eta = S.cosine_decay(100, alpha=0.1)
    assert eta[0] == 1.0 and eta[-1] > 0.1
    assert eta[-1] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * 99 / 100)), rel=1e-14)
    assert S.cosine_decay(10)[5] == pytest.approx(0.5 * (1 + np.cos(np.pi / 2)), abs=1e-16)


def test_wsd_phases():
    T = 100
    eta = S.warmup_stable_decay(T, warmup_fraction=0.1, decay_fraction=0.2)
    np.testing.assert_allclose(eta[:10], np.arange(1, 11) / 11, rtol=1e-15)
    np.testing.assert_array_equal(eta[10:81], 1.0)           # stable, and first cool-down step
    np.testing.assert_allclose(eta[80:], 1 - np.arange(20) / 20, rtol=1e-15)
    sq = S.warmup_stable_decay(T, decay_fraction=0.2, decay_shape="1-sqrt")
    np.testing.assert_allclose(sq[80:], 1 - np.sqrt(np.arange(20) / 20), rtol=1e-15)
    assert np.all(sq[80:] <= eta[80:])                       # 1−√ cools faster
    np.testing.assert_array_equal(S.warmup_stable_decay(T, 0.0, 0.0), np.ones(T))
    np.testing.assert_allclose(S.warmup_stable_decay(T, 0.0, 1.0), S.linear_decay(T),
                               rtol=0, atol=1e-15)


def test_wsd_warmup_matches_the_solver_ramp():
    # optimal_schedule(warmup=W) ramps η_t = t/(W+1)·η_{W+1}; WSD uses the same ramp.
    eta = S.warmup_stable_decay(50, warmup_fraction=0.2)
    np.testing.assert_allclose(eta[:10], np.arange(1, 11) / 11 * eta[10], rtol=1e-15)


def test_step_decay_values():
    eta = S.step_decay(8, boundaries=(0.5, 0.75), decay_rate=0.1)
    np.testing.assert_allclose(eta, [1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01], rtol=1e-15)
    np.testing.assert_array_equal(S.step_decay(5, boundaries=()), np.ones(5))


def test_exponential_decay_values():
    T = 10
    np.testing.assert_allclose(S.exponential_decay(T, 0.5), 0.5 ** (np.arange(T) / T),
                               rtol=1e-15)
    eta = S.exponential_decay(T, 0.5, 2, transition_begin=3, staircase=True, end_value=0.3)
    np.testing.assert_allclose(eta, [1, 1, 1, 1, 1, 0.5, 0.5, 0.3, 0.3, 0.3], rtol=1e-15)


# --- agreement with optax (η_t = schedule(t − 1)) -------------------------------------

@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 300), alpha=st.floats(0, 1), exponent=st.floats(0.25, 4))
def test_cosine_matches_optax(T, alpha, exponent):
    ref = optax_values(optax.cosine_decay_schedule(1.0, T, alpha, exponent), T)
    np.testing.assert_allclose(S.cosine_decay(T, alpha, exponent), ref, rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 300))
def test_linear_and_constant_match_optax(T):
    np.testing.assert_allclose(S.linear_decay(T),
                               optax_values(optax.linear_schedule(1.0, 0.0, T), T),
                               rtol=1e-12, atol=1e-15)
    if T > 1:
        np.testing.assert_allclose(S.linear_decay_to_zero(T),
                                   optax_values(optax.linear_schedule(1.0, 0.0, T - 1), T),
                                   rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(S.constant(T), optax_values(optax.constant_schedule(1.0), T))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_exponential_matches_optax(data):
    T = data.draw(st.integers(1, 300))
    rate = data.draw(st.floats(1e-3, 1, exclude_max=True))   # rate 1: see the test below
    every = data.draw(st.integers(1, 400))
    begin = data.draw(st.integers(0, T - 1))
    stair = data.draw(st.booleans())
    end = data.draw(st.one_of(st.none(), st.floats(0, 1)))
    ref = optax.exponential_decay(1.0, every, rate, begin, stair, end)
    np.testing.assert_allclose(
        S.exponential_decay(T, rate, every, transition_begin=begin, staircase=stair,
                            end_value=end),
        optax_values(ref, T), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("end", [None, 0.0, 0.5, 1.0])
def test_exponential_with_rate_one_is_constant(end):
    # optax treats decay_rate = 1 as growth and clips to end_value from above, so
    # optax.exponential_decay(1.0, 10, 1.0, end_value=0.0) is 0 at every step: a silently
    # constant schedule at the wrong value. A rate of 1 does not decay; ours stays at 1.
    np.testing.assert_array_equal(S.exponential_decay(50, 1.0, 10, end_value=end), np.ones(50))


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 300), rate=st.floats(0.01, 1),
       bounds=st.lists(st.floats(0.01, 0.99), min_size=0, max_size=3, unique=True))
def test_step_decay_matches_optax(T, rate, bounds):
    bounds = sorted(bounds)
    counts = [max(1, round(b * T)) for b in bounds]
    if len(set(counts)) < len(counts):                       # optax keys must be distinct
        return
    ref = optax.piecewise_constant_schedule(1.0, {n: rate for n in counts})
    np.testing.assert_allclose(S.step_decay(T, bounds, rate), optax_values(ref, T),
                               rtol=1e-12, atol=1e-15)


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(S.FAMILIES))
@pytest.mark.parametrize("bad,error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                       (True, TypeError), ("10", TypeError)])
def test_bad_steps(name, bad, error):
    with pytest.raises(error, match="steps must be a positive integer"):
        S.FAMILIES[name](bad)


@pytest.mark.parametrize("call,error,message", [
    (lambda: S.cosine_decay(10, alpha=1.5), ValueError, r"alpha must lie in \[0, 1\], got 1.5"),
    (lambda: S.cosine_decay(10, alpha=np.nan), ValueError, "alpha must be a finite number"),
    (lambda: S.cosine_decay(10, exponent=0), ValueError, "exponent must be a positive"),
    (lambda: S.cosine_decay(10, alpha="a"), TypeError, "alpha must be a real number"),
    (lambda: S.warmup_stable_decay(10, warmup_fraction=1.0), ValueError, "warmup_fraction"),
    (lambda: S.warmup_stable_decay(10, decay_fraction=-0.1), ValueError, "decay_fraction"),
    (lambda: S.warmup_stable_decay(10, 0.6, 0.6), ValueError, "must not exceed 1"),
    (lambda: S.warmup_stable_decay(10, 0.96, 0.0), ValueError, "leaves no step"),
    (lambda: S.warmup_stable_decay(10, decay_shape="cosine"), ValueError, "decay_shape"),
    (lambda: S.step_decay(10, boundaries=(0.75, 0.5)), ValueError, "strictly increasing"),
    (lambda: S.step_decay(10, boundaries=(0.5, 1.0)), ValueError, "boundaries must lie"),
    (lambda: S.step_decay(10, boundaries=0.5), TypeError, "sequence of fractions"),
    (lambda: S.step_decay(10, decay_rate=0), ValueError, r"decay_rate must lie in \(0, 1\]"),
    (lambda: S.exponential_decay(10, decay_rate=2), ValueError, "decay_rate"),
    (lambda: S.exponential_decay(10, transition_steps=0), ValueError, "transition_steps"),
    (lambda: S.exponential_decay(10, transition_begin=10), ValueError, "transition_begin"),
    (lambda: S.exponential_decay(10, transition_begin=1.5), TypeError, "transition_begin"),
    (lambda: S.exponential_decay(10, staircase=1), TypeError, "staircase"),
    (lambda: S.exponential_decay(10, end_value=-1), ValueError, "end_value"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_public_names():
    for name in ["constant", "inverse_sqrt", "linear_decay", "linear_decay_to_zero",
                 "cosine_decay", "warmup_stable_decay", "step_decay", "exponential_decay",
                 "FAMILIES"]:
        assert getattr(schedopt, name) is getattr(S, name)
