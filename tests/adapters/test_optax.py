"""as_optax, resample and optimal_optax_schedule: exact values in optax, bit for bit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import schedopt
from schedopt import as_optax
from schedopt import optimal_optax_schedule
from schedopt import resample
from schedopt.adapters._peak import scale_to_peak

# Schedules with awkward float64 values: not representable in float32, spread over decades.
schedules = hnp.arrays(np.float64, st.integers(1, 40),
                       elements=st.floats(0.0, 1e3, allow_subnormal=False))


def _random_eta(T, seed=0):
    return np.random.default_rng(seed).uniform(1e-4, 1.0, T) * np.exp(np.linspace(0, -5, T))


def _bits(x):
    return np.asarray(x).tobytes()


# ----------------------------------------------------------------------------------------
# as_optax: the value itself
# ----------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(schedules)
def test_schedule_returns_eta_exactly_in_float64(eta):
    with jax.enable_x64(True):
        schedule = as_optax(eta)
        got = np.array([schedule(k) for k in range(eta.shape[0])])
    assert got.dtype == np.float64
    assert _bits(got) == _bits(eta)


def test_schedule_returns_rounded_float32_without_x64():
    eta = _random_eta(50)
    with jax.enable_x64(False):
        schedule = as_optax(eta)
        got = np.array([schedule(jnp.int32(k)) for k in range(50)])
    assert got.dtype == np.float32
    assert _bits(got) == _bits(eta.astype(np.float32))
    assert not np.array_equal(got.astype(np.float64), eta)    # the test data needs rounding


@pytest.mark.parametrize("x64", [True, False])
def test_schedule_under_jit_and_vmap(x64):
    eta = _random_eta(37, seed=1)
    want = eta if x64 else eta.astype(np.float32)
    with jax.enable_x64(x64):
        schedule = as_optax(eta)
        counts = jnp.arange(37, dtype=jnp.int32)
        by_vmap = jax.jit(jax.vmap(schedule))(counts)
        by_jit = np.array([jax.jit(schedule)(c) for c in counts])
        matrix = jax.vmap(jax.vmap(schedule))(counts.reshape(37, 1))[:, 0]
    for got in (by_vmap, by_jit, matrix):
        assert np.asarray(got).dtype == want.dtype
        assert _bits(got) == _bits(want)


def test_first_call_inside_jit_leaks_no_tracer():
    eta = _random_eta(6, seed=13)
    schedule = as_optax(eta)
    with jax.enable_x64(True):
        inside = jax.jit(schedule)(3)          # the device table is made during this trace
        outside = schedule(4)
        again = jax.jit(lambda k: schedule(k) * 1.0)(5)
    assert [np.asarray(v) for v in (inside, outside, again)] == [eta[3], eta[4], eta[5]]


def test_past_the_horizon():
    eta = _random_eta(10, seed=2)
    counts = jnp.array([10, 11, 1000, np.iinfo(np.int32).max], dtype=jnp.int32)
    with jax.enable_x64(True):
        hold = jax.jit(jax.vmap(as_optax(eta)))(counts)
        zero = jax.jit(jax.vmap(as_optax(eta, after="zero")))(counts)
        inside = jax.vmap(as_optax(eta, after="zero"))(jnp.arange(10))
        before = np.asarray(as_optax(eta)(-3))
    assert np.all(np.asarray(hold) == eta[-1])
    assert np.all(np.asarray(zero) == 0.0) and np.asarray(zero).dtype == np.float64
    assert _bits(inside) == _bits(eta)
    assert before == eta[0]


def test_float_counts_are_accepted_like_optaxs_own_schedules():
    """optax.linear_schedule(…)(2.0) works; so must ours: a float count k is floored."""
    import optax

    eta = np.array([0.4, 0.3, 0.2, 0.1])
    with jax.enable_x64(True):
        schedule = as_optax(eta, after="zero")
        got = [float(schedule(k)) for k in (0.0, 1.0, 1.7, 3.0, 3.9, 4.0, 7.5)]
        jitted = jax.jit(schedule)(jnp.arange(4, dtype=jnp.float32))
    assert got == [0.4, 0.3, 0.3, 0.1, 0.1, 0.0, 0.0]
    assert _bits(jitted) == _bits(eta)
    assert float(optax.linear_schedule(1.0, 0.0, 4)(2.0)) == 0.5     # what optax accepts
    with pytest.raises(TypeError, match="count must be a step count"):
        as_optax(eta)(jnp.bool_(True))


def test_optimal_optax_schedule_takes_a_dtype():
    with jax.enable_x64(True):
        wide = optimal_optax_schedule(30, 0.1, warmup=3)
        narrow = optimal_optax_schedule(30, 0.1, warmup=3, dtype=jnp.float32)
        assert wide(5).dtype == jnp.float64 and narrow(5).dtype == jnp.float32
        assert float(narrow(5)) == float(np.float32(float(wide(5))))


# ----------------------------------------------------------------------------------------
# as_optax inside optax: what reaches the parameters
# ----------------------------------------------------------------------------------------

def _sgd_steps(opt, dtype, T):
    """The updates optax.sgd-like `opt` makes for gradient −1, so each update is +η_k."""
    params = {"w": jnp.zeros(3, dtype)}
    state = opt.init(params)
    grads = {"w": -jnp.ones(3, dtype)}
    out = []
    for _ in range(T):
        updates, state = opt.update(grads, state, params)
        out.append(np.asarray(updates["w"]))
    return np.stack(out), state


@pytest.mark.parametrize("x64", [True, False])
def test_float32_params_receive_float32_eta(x64):
    eta = _random_eta(12, seed=3)
    with jax.enable_x64(x64):
        got, _ = _sgd_steps(optax.sgd(as_optax(eta)), jnp.float32, 12)
    assert got.dtype == np.float32
    assert _bits(got) == _bits(np.repeat(eta.astype(np.float32)[:, None], 3, axis=1))


def test_float64_params_receive_eta_bit_exactly():
    eta = _random_eta(12, seed=4)
    with jax.enable_x64(True):
        got, _ = _sgd_steps(optax.sgd(as_optax(eta)), jnp.float64, 12)
    assert _bits(got) == _bits(np.repeat(eta[:, None], 3, axis=1))


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.float32, jnp.float64])
def test_inject_hyperparams_holds_eta_in_param_dtype(dtype):
    eta = _random_eta(8, seed=5)
    with jax.enable_x64(True):
        opt = optax.inject_hyperparams(optax.sgd)(learning_rate=as_optax(eta, dtype=dtype))
        params = {"w": jnp.zeros(2, dtype)}
        state = opt.init(params)
        seen, steps = [], []
        for _ in range(8):                    # the state keeps the value the update used
            updates, state = opt.update({"w": -jnp.ones(2, dtype)}, state, params)
            seen.append(np.asarray(state.hyperparams["learning_rate"]))
            steps.append(np.asarray(updates["w"][0]))
    want = eta.astype(np.dtype(dtype))                    # numpy: one rounding from float64
    for got in (np.array(seen), np.array(steps)):
        assert got.dtype == np.dtype(dtype)
        assert _bits(got) == _bits(want)


def test_inject_hyperparams_without_dtype_keeps_float64():
    eta = _random_eta(5, seed=12)
    with jax.enable_x64(True):
        opt = optax.inject_hyperparams(optax.adam)(learning_rate=as_optax(eta))
        params = jnp.zeros(2, jnp.float64)
        state = opt.init(params)
        for k in range(5):
            _, state = opt.update(jnp.ones(2), state, params)
            assert np.asarray(state.hyperparams["learning_rate"]) == eta[k]


def test_inject_hyperparams_keeps_a_float64_schedule_as_documented():
    """Without dtype=, inject_hyperparams leaves the float64 value alone (it casts only weak
    types): float32 parameters then see η in float64 in the state and get float32 back."""
    eta = _random_eta(4, seed=14)
    with jax.enable_x64(True):
        opt = optax.inject_hyperparams(optax.sgd)(learning_rate=as_optax(eta))
        params = jnp.zeros(2, jnp.float32)
        state = opt.init(params)
        updates, state = opt.update(-jnp.ones(2, jnp.float32), state, params)
        new = optax.apply_updates(params, updates)
    assert np.asarray(state.hyperparams["learning_rate"]).dtype == np.float64
    assert np.asarray(state.hyperparams["learning_rate"]) == eta[0]
    assert new.dtype == jnp.float32 and np.all(np.asarray(new) == np.float32(eta[0]))


def test_adam_and_chain_scale_by_exactly_eta():
    """optax.adam(as_optax(η)) = scale_by_adam followed by a hand multiplication by −η_k."""
    eta = _random_eta(20, seed=6)
    rng = np.random.default_rng(7)
    grads = rng.normal(size=(20, 4))
    with jax.enable_x64(True):
        adam = optax.adam(as_optax(eta))
        chained = optax.chain(optax.scale_by_adam(), optax.scale_by_learning_rate(as_optax(eta)))
        moments = optax.scale_by_adam()
        params = jnp.zeros(4)
        sa, sc, sm = adam.init(params), chained.init(params), moments.init(params)
        for k in range(20):
            g = jnp.asarray(grads[k])
            ua, sa = adam.update(g, sa, params)
            uc, sc = chained.update(g, sc, params)
            um, sm = moments.update(g, sm, params)
            by_hand = -(eta[k] * np.asarray(um))
            assert _bits(ua) == _bits(by_hand)
            assert _bits(uc) == _bits(by_hand)


def test_vmap_over_optimizer_states():
    """Several runs at once: optax's count is then a batched int32 tracer."""
    eta = _random_eta(15, seed=8)
    opt = optax.sgd(as_optax(eta))
    with jax.enable_x64(True):
        params = jnp.zeros((5, 2))
        state = jax.vmap(opt.init)(params)
        step = jax.jit(jax.vmap(lambda s, p: opt.update(-jnp.ones_like(p), s, p)))
        for k in range(15):
            updates, state = step(state, params)
            assert np.all(np.asarray(updates) == eta[k])


def test_optax_sgd_equals_hand_written_sgd_to_the_last_bit():
    """optax.sgd with as_optax(η) on a diagonal quadratic against a plain numpy loop."""
    T = 200
    rng = np.random.default_rng(9)
    curvature = rng.uniform(0.1, 2.0, 6)
    centre = rng.normal(size=6)
    theta0 = rng.normal(size=6)
    eta = schedopt.optimal_schedule(T, D=1.0, G=1.0, method="exact").eta
    noise = rng.normal(scale=0.1, size=(T, 6))

    theta = theta0.copy()
    for t in range(T):                                    # θ_{t+1} = θ_t − η_t g_t
        g = curvature * (theta - centre) + noise[t]
        theta = theta - eta[t] * g

    with pytest.warns(UserWarning, match="never-applied weight"):   # applied as given here
        opt = optax.sgd(as_optax(eta))

    def step(carry, noise_t):
        params, state = carry
        g = curvature * (params - centre) + noise_t
        updates, state = opt.update(g, state, params)
        return (optax.apply_updates(params, updates), state), None

    with jax.enable_x64(True):
        p0 = jnp.asarray(theta0)
        (final, _), _ = jax.jit(lambda p: jax.lax.scan(step, (p, opt.init(p)), noise))(p0)
    assert _bits(final) == _bits(theta)


# ----------------------------------------------------------------------------------------
# resample
# ----------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(schedules, st.integers(2, 300))
def test_resample_keeps_endpoints_peak_and_range(eta, steps):
    out = resample(eta, steps)
    assert out.shape == (steps,) and out.dtype == np.float64
    if eta.shape[0] > 1:
        assert out[0] == eta[0] and out[-1] == eta[-1]
    # with two steps an interior peak has no step to go to: the endpoints win
    assert np.max(out) == (np.max(eta) if steps > 2 else max(eta[0], eta[-1]))
    assert np.min(out) >= np.min(eta)


@settings(max_examples=150, deadline=None)
@given(schedules, st.integers(1, 300), st.booleans())
def test_resample_keeps_monotonicity(eta, steps, increasing):
    eta = np.sort(eta) if increasing else np.sort(eta)[::-1]
    out = resample(eta, steps)
    steps_ = np.diff(out)
    assert np.all(steps_ >= 0) if increasing else np.all(steps_ <= 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 30), st.integers(3, 400))
def test_resample_keeps_a_rise_then_fall(rise, steps):
    eta = np.concatenate([np.linspace(0.1, 1.0, rise), np.linspace(0.9, 0.05, 57)])
    out = resample(eta, steps)
    top = int(np.argmax(out))
    assert out[top] == 1.0
    assert np.all(np.diff(out[:top + 1]) >= 0) and np.all(np.diff(out[top:]) <= 0)


def test_resample_values_of_a_line_and_identity():
    T = 11
    line = 1.0 - np.arange(T) / 10.0                      # 1, 0.9, …, 0 at positions 0..10
    np.testing.assert_allclose(resample(line, 21), 1.0 - np.arange(21) / 20.0,
                               rtol=0, atol=1e-15)
    eta = _random_eta(30)
    assert _bits(resample(eta, 30)) == _bits(eta)
    assert _bits(resample([0.25], 4)) == _bits(np.full(4, 0.25))
    assert _bits(resample(eta, 1)) == _bits(np.array([np.max(eta)]))


def test_resample_up_then_down_returns_the_original():
    eta = _random_eta(25, seed=11)
    # 24 gaps become 96: every old step is a new step, exactly.
    np.testing.assert_array_equal(resample(resample(eta, 97), 25), eta)


# ----------------------------------------------------------------------------------------
# optimal_optax_schedule
# ----------------------------------------------------------------------------------------

def _values(schedule, T):
    with jax.enable_x64(True):
        return np.array([schedule(k) for k in range(T)])


def _applied_reference(N, peak, **kwargs):
    """η_1..η_N of optimal_schedule(N + 1) (same constraints), scaled to the peak."""
    G = kwargs.pop("G", 1.0)
    G_horizon = np.append(G, G[-1]) if np.ndim(G) == 1 and len(G) == N else G
    full = schedopt.optimal_schedule(N + 1, 1.0, G_horizon, **kwargs).eta
    return scale_to_peak(full[:N], peak)


@pytest.mark.parametrize("N, peak, kwargs", [
    (1, 0.3, {}),
    (10, 0.3, {}),
    (1000, 0.1, {}),
    (50, 0.2, {"G": np.linspace(2.0, 0.5, 50)}),
    (50, 0.2, {"G": np.linspace(0.5, 2.0, 51)}),
    (200, 0.05, {"warmup": 20}),
    (100, 1.0, {"monotone": True}),
    (100, 1.0, {"warmup": 10, "monotone": True, "G": np.linspace(2.0, 0.5, 100)}),
])
def test_optimal_optax_schedule_applies_the_first_n_of_the_horizon_n_plus_1_optimum(N, peak, kwargs):
    # docs/math.md §5.1: a run of N updates keeps θ_{N+1}; bit for bit under x64
    reference = _applied_reference(N, peak, **dict(kwargs))
    values = _values(optimal_optax_schedule(N, peak, **kwargs), N)
    assert values.tobytes() == reference.tobytes()
    assert values.max() == peak


def test_optimal_optax_schedule_unconstrained_matches_theory_table():
    # docs/math.md §4 reference values, T = 10 (the horizon of 9 updates): η_1 = 0.24763857816566
    # (the peak), η_9 = 0.09078753702265; η_10, the bump, is never applied.
    values = _values(optimal_optax_schedule(9, 0.3), 9)
    assert values[0] == 0.3 == values.max()
    np.testing.assert_allclose(values[-1], 0.3 * 0.09078753702265 / 0.24763857816566,
                               rtol=1e-12)


def _needs_newton():
    try:
        import schedopt.solvers._newton  # noqa: F401
    except ImportError:
        pytest.skip("method='newton' (schedopt/_newton.py) is not in the tree yet")


def test_optimal_optax_schedule_with_warmup_decreases_after_it():
    _needs_newton()
    T, W, peak = 200, 20, 0.05
    values = _values(optimal_optax_schedule(T, peak, warmup=W), T)
    assert values.max() == peak == values[W]
    np.testing.assert_allclose(values[:W], np.arange(1, W + 1) / (W + 1) * peak, rtol=1e-9)
    assert np.all(np.diff(values[W:]) < 0)
    # The constrained optimum is no worse on bound (C) than linear decay after the same
    # ramp (a feasible point of the same problem), each at its best multiplier.
    linear = np.concatenate([values[:W], peak * (1 - np.arange(T - W) / (T - W + 1))])
    assert schedopt.optimal_scale(values).value <= schedopt.optimal_scale(linear).value


@pytest.mark.parametrize("N", [2, 5, 10, 40, 1000])
def test_optimal_optax_schedule_default_has_no_last_step_bump(N):
    # monotone=False is the default: the bump sits on the weight that is never applied
    values = _values(optimal_optax_schedule(N, 1.0), N)
    assert values[0] == 1.0
    assert np.all(np.diff(values) < 0)


def test_steps_is_the_deprecated_name_of_updates():
    with pytest.warns(DeprecationWarning, match="steps is deprecated.*use updates"):
        old = optimal_optax_schedule(steps=30, peak_lr=0.1)
    np.testing.assert_array_equal(_values(old, 30), _values(optimal_optax_schedule(30, 0.1), 30))
    with pytest.raises(TypeError, match="give updates only"):
        optimal_optax_schedule(30, 0.1, steps=30)
    with pytest.raises(TypeError, match="needs updates .* and peak_lr"):
        optimal_optax_schedule(30)


# ----------------------------------------------------------------------------------------
# Bad input (issue 5 §4): sentences that name the argument
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("eta, words", [
    ([], "non-empty 1-D"),
    ([[0.1, 0.2]], "non-empty 1-D"),
    (np.float64(0.1), "non-empty 1-D"),
    ([0.1, -0.2], r"eta\[1\] = -0.2"),
    ([0.1, np.nan], "finite"),
    ([np.inf, 0.1], "finite"),
])
@pytest.mark.parametrize("fn", [as_optax, lambda e: resample(e, 5)])
def test_bad_schedules(fn, eta, words):
    with pytest.raises(ValueError, match=words) as info:
        fn(eta)
    assert "eta" in str(info.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match="after must be 'hold'.*'sideways'"):
        as_optax([0.1], after="sideways")
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        resample([0.1, 0.2], 0)
    with pytest.raises(ValueError, match="updates must be a positive integer, got -3"):
        optimal_optax_schedule(-3, 0.1)
    with pytest.raises(ValueError, match="peak_lr must be a positive finite number, got 0.0"):
        optimal_optax_schedule(10, 0.0)
    with pytest.raises(ValueError, match="peak_lr must be a positive finite number, got -1.0"):
        optimal_optax_schedule(10, -1.0)
    with pytest.raises(ValueError, match="peak_lr.*nan"):
        optimal_optax_schedule(10, float("nan"))
    with pytest.raises(ValueError, match="warmup must be >= 0 and smaller than updates = 10.*got 10"):
        optimal_optax_schedule(10, 0.1, warmup=10)
    with pytest.raises(ValueError, match="warmup.*got -1"):
        optimal_optax_schedule(10, 0.1, warmup=-1)
    with pytest.raises(TypeError, match="warmup must be an integer"):
        optimal_optax_schedule(10, 0.1, warmup=2.5)
    with pytest.raises(TypeError, match=r"got array\(\[ *0, +1, +2.*\.\.\. \(ndarray\)$"):
        optimal_optax_schedule(10, 0.1, warmup=np.arange(100))


def test_warmup_steps_is_optax_spelling_of_warmup_and_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = optimal_optax_schedule(40, 0.1, warmup_steps=4)
    new = optimal_optax_schedule(40, 0.1, warmup=4)
    np.testing.assert_array_equal(_values(old, 40), _values(new, 40))
    with pytest.raises(TypeError, match="give warmup or warmup_steps"):
        optimal_optax_schedule(40, 0.1, warmup=3, warmup_steps=4)
    with pytest.raises(TypeError, match="dtype must be a float dtype.*int32"):
        as_optax([0.1], dtype=jnp.int32)
    with pytest.raises(TypeError, match="eta must be a concrete array"):
        jax.jit(lambda e: as_optax(e)(0))(jnp.ones(3))


def test_as_optax_takes_a_result_and_applies_its_rates():
    from schedopt.solvers import applied_schedule
    from schedopt.solvers import optimal_schedule

    applied = applied_schedule(50)
    np.testing.assert_array_equal(_values(as_optax(applied), 50), applied.eta)
    full = optimal_schedule(50)
    with pytest.warns(UserWarning, match="η_50 is bound \\(C\\)'s weight, never applied"):
        schedule = as_optax(full)
    np.testing.assert_array_equal(_values(schedule, 49), full.eta[:49])
    assert _values(schedule, 52)[-1] == full.eta[48]           # held past the rates
    np.testing.assert_array_equal(_values(as_optax(full, include_weight=True), 50), full.eta)
    with pytest.warns(UserWarning, match="ends with a jump of ×2.4"):
        as_optax(full.eta)                                     # the bump, applied as asked


def test_applied_schedule_peak_lr_is_the_rescaled_result():
    from schedopt.adapters._peak import rescale_result
    from schedopt.solvers import applied_schedule

    r = applied_schedule(300, warmup=20, peak_lr=0.1)
    ref = rescale_result(applied_schedule(300, warmup=20), 0.1, 1.0, 1.0)
    assert r.eta.max() == 0.1 and r.updates == 300
    np.testing.assert_array_equal(r.eta, ref.eta)
    assert r.bound == ref.bound and r.weight == ref.weight
    np.testing.assert_array_equal(
        _values(optimal_optax_schedule(300, peak_lr=0.1, warmup=20), 300), r.eta)
