"""Bounds (A), (B), (C) against independent O(T²) forms of docs/math.md §2, in exact arithmetic."""

from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import schedopt
from schedopt import (average_iterate_bound, last_iterate_bound,
                      monotone_last_iterate_bound, optimal_scale)

REL = 1e-12


# ----------------------------------------------------------------------------------------
# Independent oracles, in exact rational arithmetic
# ----------------------------------------------------------------------------------------

def _fr(x):
    return [Fraction(float(v)) for v in np.atleast_1d(x)]


def _per_step(G, T):
    G = np.broadcast_to(np.asarray(G, dtype=np.float64), (T,))
    return [g * g for g in _fr(G)]


def oracle_C(eta, D=1.0, G=1.0):
    """Bound (C) before the sums are exchanged (seed 001, eq. avg-2-mid5): O(T²)."""
    e = _fr(eta)
    T = len(e)
    G2 = _per_step(G, T)
    tail = lambda a: sum(e[a - 1:], Fraction(0))          # η_{a:T}, 1-based
    D2 = Fraction(float(D)) ** 2
    w = [G2[t] * e[t] ** 2 for t in range(T)]
    value = D2 / (2 * tail(1)) + sum(w) / (2 * tail(1))
    for k in range(1, T):
        value += (1 / tail(k + 1) - 1 / tail(k)) * sum(w[k - 1:]) / 2
    return float(value)


def oracle_B(eta, D=1.0, G=1.0):
    """Bound (B) through seed 000's identity: the average part plus Σ_k 1/(k(k+1)) · (...)."""
    e = _fr(eta)
    T = len(e)
    G2 = _per_step(G, T)
    D2 = Fraction(float(D)) ** 2
    w = [G2[t] * e[t] ** 2 for t in range(T)]
    value = D2 / (2 * T * e[-1]) + sum(w) / (2 * T * e[-1])
    for k in range(1, T):
        value += Fraction(1, k * (k + 1)) * sum(w[T - k - 1:]) / (2 * e[-1])
    return float(value)


def oracle_A(eta, D=1.0, G=1.0, form="weighted"):
    e = _fr(eta)
    T = len(e)
    G2 = _per_step(G, T)
    D2 = Fraction(float(D)) ** 2
    energy = sum((G2[t] * e[t] ** 2 for t in range(T)), Fraction(0))
    if form == "weighted":
        return float((D2 + energy) / (2 * sum(e)))
    return float((D2 + energy) / (2 * T * e[-1]))


# ----------------------------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------------------------

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
nonneg = st.one_of(st.just(0.0), positive)


@st.composite
def problems(draw, monotone=False, max_T=25):
    T = draw(st.integers(1, max_T))
    eta = draw(hnp.arrays(np.float64, T, elements=nonneg))
    if monotone:                                           # non-increasing with η_T > 0
        eta = np.sort(eta)[::-1] + draw(positive)
    else:
        eta[-1] = draw(positive)                           # finite bounds need η_T > 0
    G = draw(st.one_of(positive, hnp.arrays(np.float64, T, elements=positive)))
    D = draw(positive)
    return eta, D, G


def close(a, b, rel=REL):
    return abs(float(a) - b) <= rel * abs(b)


# ----------------------------------------------------------------------------------------
# Values against the oracles
# ----------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(problems())
def test_last_iterate_matches_unexchanged_form(p):
    eta, D, G = p
    assert close(last_iterate_bound(eta, D, G), oracle_C(eta, D, G))


@settings(max_examples=100, deadline=None)
@given(problems(monotone=True))
def test_monotone_last_iterate_matches_identity_form(p):
    eta, D, G = p
    assert close(monotone_last_iterate_bound(eta, D, G), oracle_B(eta, D, G))


@settings(max_examples=100, deadline=None)
@given(problems(monotone=True))
def test_average_iterate_both_forms(p):
    eta, D, G = p
    assert close(average_iterate_bound(eta, D, G), oracle_A(eta, D, G))
    assert close(average_iterate_bound(eta, D, G, form="nonincreasing"),
                 oracle_A(eta, D, G, "nonincreasing"))


def test_reference_values_from_theory():
    # linear decay at the proof's α = D/(G√(2T)) is within 2√2·DG/√T (docs/math.md §3)
    for T in (1, 10, 1000, 10**5):
        t = np.arange(1, T + 1)
        eta = (1 - t / (T + 1)) / np.sqrt(2 * T)
        assert float(last_iterate_bound(eta)) <= 2 * np.sqrt(2) / np.sqrt(T)
    # T = 1: D²/(2η) + G²η/2
    assert float(last_iterate_bound([0.5], D=2.0, G=3.0)) == 4 / 1.0 + 9 * 0.5 / 2


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-10, 10)),
       st.data())
def test_identities_hold_exactly(q, data):
    T = q.size
    w = data.draw(hnp.arrays(np.float64, T, elements=positive))
    q, w = _fr(q), _fr(w)
    # seed 000: q_T = (1/T) Σ q_t + Σ_k 1/(k(k+1)) Σ_{t=T−k}^{T} (q_t − q_{T−k})
    rhs = sum(q) / T + sum(Fraction(1, k * (k + 1)) * sum(q[t] - q[T - k - 1] for t in range(T - k - 1, T))
                          for k in range(1, T))
    assert rhs == q[-1]
    # seed 001: q_T = Σ w_t q_t / w_{1:T} + Σ_k (1/w_{k+1:T} − 1/w_{k:T}) Σ_{t≥k} w_t (q_t − q_k)
    tail = lambda a: sum(w[a - 1:])
    rhs = sum(wi * qi for wi, qi in zip(w, q)) / tail(1) + sum(
        (1 / tail(k + 1) - 1 / tail(k)) * sum(w[t] * (q[t] - q[k - 1]) for t in range(k - 1, T))
        for k in range(1, T))
    assert rhs == q[-1]


# ----------------------------------------------------------------------------------------
# Gradients, jit, vmap, dtypes
# ----------------------------------------------------------------------------------------

def naive_C(eta, D, G):
    """The straightforward cumsum formula, differentiated by plain autodiff."""
    S = jnp.cumsum(eta[::-1])[::-1]
    denom = jnp.append(S[1:], S[-1])
    G2 = jnp.broadcast_to(jnp.asarray(G) ** 2, eta.shape)
    return D**2 / (2 * S[0]) + 0.5 * jnp.sum(G2 * eta**2 / denom)


ALL_BOUNDS = [last_iterate_bound, monotone_last_iterate_bound, average_iterate_bound,
              lambda e, D=1.0, G=1.0: average_iterate_bound(e, D, G, form="nonincreasing")]


@pytest.mark.parametrize("bound", ALL_BOUNDS)
def test_gradient_matches_central_differences(bound):
    rng = np.random.default_rng(0)
    T = 12
    eta = np.sort(rng.uniform(0.2, 1.0, T))[::-1].copy()
    G = rng.uniform(0.5, 2.0, T)
    grad = np.asarray(jax.grad(bound)(eta, 1.3, G))
    h = 1e-6
    for k in range(T):
        up, down = eta.copy(), eta.copy()
        up[k] += h
        down[k] -= h
        if k > 0 and bound is not last_iterate_bound and bound is not average_iterate_bound:
            # keep the schedule non-increasing for (B) and (A, non-increasing)
            up[k] = min(up[k], eta[k - 1])
        fd = (float(bound(up, 1.3, G)) - float(bound(down, 1.3, G))) / (up[k] - down[k])
        assert abs(grad[k] - fd) <= 1e-6 * max(1.0, abs(fd))


def test_gradient_matches_autodiff_of_naive_formula():
    with jax.enable_x64(True):
        rng = np.random.default_rng(1)
        for T in (1, 2, 7, 200):
            eta = rng.uniform(0, 1, T)
            eta[-1] = 0.3
            G = rng.uniform(0.5, 2.0, T)
            ours = jax.grad(last_iterate_bound, argnums=(0, 1, 2))(eta, 0.7, G)
            ref = jax.grad(naive_C, argnums=(0, 1, 2))(jnp.asarray(eta), 0.7, jnp.asarray(G))
            for a, b in zip(ours, ref):
                np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bound", ALL_BOUNDS)
def test_jit_and_vmap_agree_with_eager(bound):
    rng = np.random.default_rng(2)
    batch = np.sort(rng.uniform(0.1, 1.0, (5, 9)), axis=1)[:, ::-1].copy()
    eager = np.array([float(bound(e)) for e in batch])
    np.testing.assert_allclose(np.asarray(jax.vmap(bound)(batch)), eager, rtol=1e-15)
    with jax.enable_x64(True):      # else jax.jit and jax.grad cast float64 input to float32
        eager_grad = np.stack([np.asarray(jax.grad(bound)(e)) for e in batch])
        np.testing.assert_allclose(np.asarray(jax.jit(jax.vmap(bound))(batch)), eager, rtol=1e-15)
        np.testing.assert_allclose(np.asarray(jax.jit(jax.vmap(jax.grad(bound)))(batch)),
                                   eager_grad, rtol=1e-13)
        assert float(jax.jit(bound)(batch[0])) == pytest.approx(eager[0], rel=1e-15)


def test_jit_without_x64_sees_float32_input_but_computes_in_float64():
    eta = np.linspace(1.0, 0.1, 30)
    value = jax.jit(last_iterate_bound)(eta)
    assert value.dtype == jnp.float64
    assert float(value) == pytest.approx(oracle_C(eta.astype(np.float32)), rel=1e-14)


def test_float32_input_gives_float64_value_and_leaves_global_config():
    before = jax.config.jax_enable_x64
    eta = np.linspace(1.0, 0.1, 50, dtype=np.float32)
    for bound in ALL_BOUNDS:
        value = bound(eta)
        assert value.dtype == jnp.float64
        assert close(value, oracle_C(eta) if bound is last_iterate_bound else float(value))
        assert not np.isnan(np.asarray(jax.grad(bound)(eta))).any()
    assert close(last_iterate_bound(eta), oracle_C(eta.astype(np.float64)))
    assert jax.config.jax_enable_x64 == before


# ----------------------------------------------------------------------------------------
# Conventions: +∞, 0/0, never NaN
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("eta", [[0.0], [1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 0.0, 0.0],
                                 [0.0, 0.0, 1.0, 0.0]])
def test_zero_last_step_is_infinite_with_zero_gradient(eta):
    for bound in (last_iterate_bound, monotone_last_iterate_bound):
        if bound is monotone_last_iterate_bound and np.any(np.diff(eta) > 0):
            continue
        assert float(bound(eta)) == np.inf
        grad = np.asarray(jax.grad(bound)(np.asarray(eta)))
        assert np.all(grad == 0)
        assert np.all(np.asarray(jax.jit(jax.grad(bound))(np.asarray(eta))) == 0)


def test_zero_prefix_and_tails_are_finite_without_nan():
    eta = np.array([0.0, 0.0, 0.5, 0.0, 0.25])
    value = float(last_iterate_bound(eta))
    assert close(value, oracle_C(eta))
    assert np.all(np.isfinite(np.asarray(jax.grad(last_iterate_bound)(eta))))
    assert float(average_iterate_bound(np.zeros(3))) == np.inf
    assert np.all(np.asarray(jax.grad(average_iterate_bound)(np.zeros(3))) == 0)


def test_single_step():
    assert float(last_iterate_bound([2.0])) == 0.25 + 1.0
    assert float(monotone_last_iterate_bound([2.0])) == 0.25 + 1.0
    g = np.asarray(jax.grad(last_iterate_bound)(np.array([2.0])))
    assert g[0] == pytest.approx(-0.125 + 0.5, rel=1e-15)


# ----------------------------------------------------------------------------------------
# Long schedules: the blocked tail and prefix sums (rows of 8, recursion past 128 rows)
# ----------------------------------------------------------------------------------------

def _exact_tails(values):
    """[Σ_{s>t} v_s] and [Σ_{s<t} v_s] in exact rational arithmetic, O(T)."""
    v = _fr(values)
    after, before, acc = [Fraction(0)] * len(v), [Fraction(0)] * len(v), Fraction(0)
    for t in range(len(v) - 1, -1, -1):
        after[t], acc = acc, acc + v[t]
    acc = Fraction(0)
    for t in range(len(v)):
        before[t], acc = acc, acc + v[t]
    return after, before


def exact_C_and_gradient(eta, D, G):
    """Bound (C) and its gradient in η from the tail-sum form, in exact arithmetic, O(T)."""
    e, G2, D2 = _fr(eta), _per_step(G, len(eta)), Fraction(float(D)) ** 2
    T = len(e)
    later, _ = _exact_tails(eta)                           # η_{t+1:T}
    S1 = later[0] + e[0]
    terms = [G2[t] * e[t] ** 2 / later[t] for t in range(T - 1)] + [G2[-1] * e[-1]]
    value = D2 / (2 * S1) + sum(terms) / 2
    grad, acc = [], Fraction(0)
    for k in range(T):
        own = G2[k] * e[k] / later[k] if k < T - 1 else G2[-1] / 2
        grad.append(own - acc - D2 / (2 * S1 ** 2))
        if k < T - 1:
            acc += G2[k] * e[k] ** 2 / (2 * later[k] ** 2)
    return float(value), np.array([float(g) for g in grad])


@pytest.mark.parametrize("T", [1, 7, 8, 9, 127, 1024, 1025, 1031, 9000, 20011])
def test_blocked_exclusive_sums_are_exact_to_rounding(T):
    from schedopt.bounds._bounds import _exclusive_sums
    rng = np.random.default_rng(T)
    # zeros, and a range of magnitudes that a total-minus-prefix would wipe out
    x = rng.uniform(0, 1, T) * 10.0 ** rng.integers(-12, 4, T) * (rng.uniform(size=T) > 0.1)
    after, before = _exact_tails(x)
    with jax.enable_x64(True):
        ours_after = np.asarray(_exclusive_sums(jnp.asarray(x), True))
        ours_before = np.asarray(_exclusive_sums(jnp.asarray(x), False))
    for ours, exact in ((ours_after, after), (ours_before, before)):
        exact = np.array([float(v) for v in exact])
        assert ours.shape == (T,)
        assert np.all(np.abs(ours - exact) <= 1e-13 * exact)   # exact zeros stay exactly 0


@pytest.mark.parametrize("T", [9, 1001, 1031])
def test_long_and_ragged_schedules_match_exact_value_and_gradient(T):
    # T not a multiple of 8 exercises the padding, T > 1024 the recursion over row totals
    rng = np.random.default_rng(T)
    eta = rng.uniform(0, 1, T) * (rng.uniform(size=T) > 0.2)
    eta[-5:] = 1e-9 * rng.uniform(0.5, 1.0, 5)            # a tiny tail next to a large head
    G = rng.uniform(0.5, 2.0, T)
    with jax.enable_x64(True):
        for G_ in (G, 1.7):
            ref_value, ref_grad = exact_C_and_gradient(eta, 1.3, G_)
            ours, ours_grad = jax.jit(jax.value_and_grad(last_iterate_bound))(eta, 1.3, G_)
            assert close(ours, ref_value)
            # the gradient is a difference of terms: compare on the scale of those terms
            size = np.abs(ref_grad).max()
            np.testing.assert_allclose(np.asarray(ours_grad), ref_grad, rtol=1e-12, atol=1e-12 * size)


def test_gradient_in_per_step_G_and_D_for_ragged_length():
    T = 1001
    rng = np.random.default_rng(3)
    eta = rng.uniform(0.1, 1.0, T)
    G = rng.uniform(0.5, 2.0, T)
    with jax.enable_x64(True):
        dD, dG = jax.grad(last_iterate_bound, argnums=(1, 2))(eta, 1.3, G)
        ref_dD, ref_dG = jax.grad(naive_C, argnums=(1, 2))(jnp.asarray(eta), 1.3, jnp.asarray(G))
        dG_scalar = jax.grad(last_iterate_bound, argnums=2)(eta, 1.3, 1.1)
        ref_scalar = jax.grad(naive_C, argnums=2)(jnp.asarray(eta), 1.3, 1.1)
    assert float(dD) == pytest.approx(float(ref_dD), rel=1e-13)
    np.testing.assert_allclose(np.asarray(dG), np.asarray(ref_dG), rtol=1e-12)
    assert float(dG_scalar) == pytest.approx(float(ref_scalar), rel=1e-12)


def test_vmap_of_long_ragged_schedules_agrees_with_eager():
    rng = np.random.default_rng(4)
    batch = rng.uniform(0.1, 1.0, (3, 1301))
    batch[1, -1] = 0.0                                      # one infinite member
    with jax.enable_x64(True):
        values, grads = jax.jit(jax.vmap(jax.value_and_grad(last_iterate_bound)))(batch)
        for e, v, g in zip(batch, np.asarray(values), np.asarray(grads)):
            ev, eg = jax.value_and_grad(last_iterate_bound)(e)
            assert v == float(ev) or (v == np.inf and float(ev) == np.inf)
            np.testing.assert_allclose(g, np.asarray(eg), rtol=1e-13, atol=0)
        values, grads = np.asarray(values), np.asarray(grads)
    assert values[1] == np.inf and np.all(grads[1] == 0)


# ----------------------------------------------------------------------------------------
# The best multiplier (docs/math.md §4.1)
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fn", [
    ("last_iterate", last_iterate_bound),
    ("monotone_last_iterate", monotone_last_iterate_bound),
    ("average_iterate", average_iterate_bound),
    ("average_iterate_nonincreasing",
     lambda e, D, G: average_iterate_bound(e, D, G, form="nonincreasing")),
])
def test_optimal_scale_is_the_minimum(name, fn):
    rng = np.random.default_rng(3)
    shape = np.sort(rng.uniform(0.1, 1.0, 40))[::-1].copy()
    G = rng.uniform(0.5, 2.0, 40)
    scale, value = optimal_scale(shape, 1.7, G, bound=name)
    assert close(fn(scale * shape, 1.7, G), value, rel=1e-13)
    for factor in (0.999, 1.001, 0.5, 2.0):
        assert float(fn(factor * scale * shape, 1.7, G)) > value
    # the answer does not depend on the shape's own scale
    assert optimal_scale(3.0 * shape, 1.7, G, bound=name).value == pytest.approx(value, rel=1e-14)


def test_optimal_scale_closed_form_for_C():
    shape = np.linspace(1.0, 0.01, 30)
    S = np.cumsum(shape[::-1])[::-1]
    h = np.sum(shape[:-1] ** 2 / S[1:]) + shape[-1]
    scale, value = optimal_scale(shape, D=2.0)
    assert scale == pytest.approx(2.0 / np.sqrt(S[0] * h), rel=1e-14)
    assert value == pytest.approx(2.0 * np.sqrt(h / S[0]), rel=1e-14)


# ----------------------------------------------------------------------------------------
# Bad input: a sentence that names the argument
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("eta, error, words", [
    ([], ValueError, "eta must be a non-empty 1-D array"),
    (np.ones((2, 2)), ValueError, "eta must be a non-empty 1-D array"),
    (3.0, ValueError, "eta must be a non-empty 1-D array"),
    ([1.0, -0.5], ValueError, "eta[1] = -0.5"),
    ([1.0, np.nan], ValueError, "eta must contain only finite numbers"),
    ([np.inf, 1.0], ValueError, "eta[0] = inf"),
    (["a", "b"], TypeError, "eta must be a 1-D array of numbers"),
])
def test_bad_schedule(eta, error, words):
    for bound in ALL_BOUNDS:
        with pytest.raises(error) as info:
            bound(eta)
        assert words in str(info.value)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(D=0.0), ValueError, "D must be a positive finite number, got 0.0"),
    (dict(D=-1), ValueError, "D must be a positive finite number"),
    (dict(D=np.inf), ValueError, "D must be a positive finite number, got inf"),
    (dict(D="x"), TypeError, "D must be a positive finite number"),
    (dict(G=0.0), ValueError, "G must be > 0 everywhere"),
    (dict(G=np.nan), ValueError, "G must contain only finite numbers"),
    (dict(G=[1.0, 2.0]), ValueError, "G must be a scalar or a 1-D array of length 3"),
    (dict(G=[1.0, 0.0, 1.0]), ValueError, "G[1] = 0.0"),
    (dict(G=np.ones((3, 1))), ValueError, "G must be a scalar or a 1-D array"),
])
def test_bad_D_and_G(kwargs, error, words):
    for bound in ALL_BOUNDS:
        with pytest.raises(error) as info:
            bound([1.0, 0.5, 0.25], **kwargs)
        assert words in str(info.value)


def test_increasing_schedule_is_refused_where_monotonicity_is_needed():
    with pytest.raises(ValueError, match=r"eta\[2\] = 0.6 > eta\[1\] = 0.5"):
        monotone_last_iterate_bound([1.0, 0.5, 0.6])
    with pytest.raises(ValueError, match="non-increasing"):
        average_iterate_bound([1.0, 0.5, 0.6], form="nonincreasing")
    with pytest.raises(ValueError, match="form must be one of"):
        average_iterate_bound([1.0], form="uniform")
    # rounding-level increases are tolerated
    monotone_last_iterate_bound([1.0, 0.5, 0.5 * (1 + 1e-15)])


def test_bad_optimal_scale_arguments():
    with pytest.raises(ValueError, match="bound must be one of"):
        optimal_scale([1.0], bound="C")
    with pytest.raises(ValueError, match="infinite for every multiplier \\(its last entry is 0\\)"):
        optimal_scale([1.0, 0.0])
    with pytest.raises(ValueError, match="all zero"):
        optimal_scale([0.0, 0.0], bound="average_iterate")


def test_public_names():
    for name in ("last_iterate_bound", "monotone_last_iterate_bound", "average_iterate_bound",
                 "optimal_scale", "optimal_schedule", "ScheduleResult"):
        assert hasattr(schedopt, name)
