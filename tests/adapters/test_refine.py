"""refine: smoothing, resampling, the exact per-step optimum, and the closed forms of docs/math.md §3."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given, settings

from schedopt import (continuous_schedule, defazio_schedule, grad_norm_log, grad_norm_profile,
                      last_iterate_bound, optimal_scale, optimal_schedule, refine)
from schedopt.adapters._refine import median_smooth, median_window

# A few fixed lengths: every new length costs JAX a compilation, not a new kind of case.
positive_profiles = st.sampled_from([2, 3, 17, 64]).flatmap(
    lambda n: st.lists(st.floats(0.05, 20.0), min_size=n, max_size=n)).map(np.array)


def truncated_median_reference(x, width):
    """The definition, one window at a time: median of x[max(0, i−h) : i+h+1]."""
    h = median_window(len(x), width) // 2
    return np.array([np.median(x[max(0, i - h):i + h + 1]) for i in range(len(x))])


# ---------------------------------------------------------------------------------------
# Smoothing
# ---------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=80), st.floats(0.01, 1.0))
def test_median_smooth_is_the_truncated_window_median(values, width):
    x = np.array(values)
    np.testing.assert_array_equal(median_smooth(x, width), truncated_median_reference(x, width))


def test_median_smooth_interior_matches_scipy_and_long_logs():
    x = np.random.default_rng(0).lognormal(size=5001)
    h = median_window(x.size, 0.1) // 2
    assert h == 250
    ours = median_smooth(x, 0.1)
    np.testing.assert_array_equal(ours[h:-h], scipy.ndimage.median_filter(x, 2 * h + 1)[h:-h])
    for i in (0, 1, h // 2, h - 1, x.size - 1, x.size - h):
        assert ours[i] == np.median(x[max(0, i - h):i + h + 1])


def test_end_handling_does_not_copy_a_single_spike():
    x = np.ones(101)
    x[0] = x[-1] = 50.0                                # one noisy entry at each end
    ours = median_smooth(x, 0.1)
    np.testing.assert_array_equal(ours, np.ones(101))
    padded = scipy.ndimage.median_filter(x, 11, mode="nearest")
    assert padded[0] == 50.0                           # what edge padding would have done


def test_median_window():
    for n in range(1, 60):
        for width in (0.01, 0.1, 0.5, 1.0):
            w = median_window(n, width)
            assert w % 2 == 1 and 1 <= w <= n
    assert median_window(1000, 0.1) == 101
    assert median_window(10, 1.0) == 9
    assert median_window(5, 0.1) == 1                  # too short a log to smooth


def test_constant_and_short_logs_pass_through():
    np.testing.assert_array_equal(median_smooth(np.full(7, 2.5), 0.5), np.full(7, 2.5))
    np.testing.assert_array_equal(median_smooth([4.0], 1.0), [4.0])
    np.testing.assert_array_equal(median_smooth([4.0, 1.0, 9.0], 0.1), [4.0, 1.0, 9.0])


# ---------------------------------------------------------------------------------------
# Resampling
# ---------------------------------------------------------------------------------------

def test_profile_of_an_evenly_spaced_log_is_the_log():
    x = np.random.default_rng(1).lognormal(size=40)
    np.testing.assert_array_equal(grad_norm_profile(x, smoothing=None), x)
    log = grad_norm_log(x, step=np.arange(40) + 1.0)
    np.testing.assert_array_equal(grad_norm_profile(log, smoothing=None), x)
    # kept every 10 steps: the run's own span (steps 1..395), the log at the logged steps,
    # held before the first and linear between (issue 15: not 40 steps)
    sparse = grad_norm_log(x, step=5 + 10 * np.arange(40))
    G = grad_norm_profile(sparse, smoothing=None)
    assert sparse.horizon == G.shape[0] == 395
    np.testing.assert_array_equal(G[4::10], x)
    np.testing.assert_array_equal(G[:5], np.full(5, x[0]))
    np.testing.assert_allclose(G[9], 0.5 * (x[0] + x[1]), rtol=1e-15)
    # counted from 0: steps 0, 10, …, 390 are a run of 391 steps
    zero = grad_norm_log(x, step=10 * np.arange(40))
    assert zero.horizon == 391 and grad_norm_profile(zero, smoothing=None)[390] == x[-1]
    # evenly spaced steps to another T are resampled over the span
    np.testing.assert_array_equal(grad_norm_profile(sparse, steps=40, smoothing=None), x)
    np.testing.assert_array_equal(grad_norm_profile(x), median_smooth(x, 0.1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 1), st.integers(1, 50), st.integers(2, 30), st.integers(1, 400),
       st.floats(0.1, 5.0), st.floats(-0.01, 0.01))
def test_resampling_reproduces_a_linear_profile(first, every, n, T, a, b):
    steps = first + every * np.arange(n)
    norms = a + b * (steps - steps[0]) / every / n     # linear in the step, > 0
    G = grad_norm_profile(grad_norm_log(norms, step=steps), steps=T, smoothing=None)
    t = np.linspace(steps[0], steps[-1], T)
    expected = a + b * (t - steps[0]) / every / n
    np.testing.assert_allclose(G, expected, rtol=1e-12, atol=1e-15)
    assert G.shape == (T,)


def test_steps_from_zero_or_one_and_gaps():
    norms = np.array([4.0, 3.0, 2.0, 1.0])
    from0 = grad_norm_profile(grad_norm_log(norms, step=[0, 1, 2, 3]), steps=7, smoothing=None)
    from1 = grad_norm_profile(grad_norm_log(norms, step=[1, 2, 3, 4]), steps=7, smoothing=None)
    np.testing.assert_array_equal(from0, from1)
    np.testing.assert_allclose(from0, [4, 3.5, 3, 2.5, 2, 1.5, 1])
    # Uneven steps: G is interpolated in step space, not entry by entry.
    gaps = grad_norm_profile(grad_norm_log([4.0, 2.0, 1.0], step=[0, 2, 8]), steps=5,
                             smoothing=None)
    np.testing.assert_allclose(gaps, [4.0, 2.0, 5 / 3, 4 / 3, 1.0], rtol=1e-15)   # at 0, 2, 4, 6, 8
    np.testing.assert_array_equal(grad_norm_profile([3.0], steps=4), np.full(4, 3.0))


def test_profile_bad_arguments():
    with pytest.raises(ValueError, match="smoothing must be 'median' or None, got 'mean'"):
        grad_norm_profile([1.0, 2.0], smoothing="mean")
    for width in (0, -0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match="width must be a fraction of the log in"):
            grad_norm_profile([1.0, 2.0], width=width)
    with pytest.raises(TypeError, match="width"):
        grad_norm_profile([1.0, 2.0], width="wide")
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        grad_norm_profile([1.0, 2.0], steps=0)
    with pytest.raises(TypeError, match="steps must be a positive integer"):
        grad_norm_profile([1.0, 2.0], steps=2.5)
    with pytest.raises(ValueError, match="non-finite gradient norm"):
        refine([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="gradient norm <= 0"):
        refine([1.0, 0.0, 2.0])


# ---------------------------------------------------------------------------------------
# refine is the exact per-step optimum
# ---------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(positive_profiles, st.sampled_from([1, 2, 9, 64, 300]), st.floats(0.1, 10.0))
def test_refine_is_the_exact_optimum_of_its_profile(norms, T, D):
    # docs/math.md §5.1: N updates apply η_1..η_N of the horizon-(N+1) optimum, G_{N+1} = G_N
    result = refine(norms, updates=T, D=D)
    G = grad_norm_profile(norms, steps=T)
    G_horizon = np.append(G, G[-1])
    exact = optimal_schedule(T + 1, D, G_horizon, method="exact")
    assert result.eta.tobytes() == exact.eta[:T].tobytes() and result.weight == exact.eta[T]
    assert result.bound == exact.bound and result.method == "exact" and result.gap == 0.0
    assert (result.updates, result.horizon) == (T, T + 1)
    # Bound (C) at horizon T + 1, from optimal_scale's numpy form (docs/math.md §4.1): the
    # optimum sits at its own best multiplier.
    scale = optimal_scale(np.append(result.eta, result.weight), D, G_horizon)
    assert scale.scale == pytest.approx(1.0, rel=1e-10)
    assert scale.value == pytest.approx(result.bound, rel=1e-10)


def test_refine_accepts_a_path(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("step,grad_norm\n0,3\n10,2\n20,1.5\n30,1\n")
    from_file = refine(path, updates=50, smoothing=None)
    from_array = refine(grad_norm_log([3, 2, 1.5, 1], step=[0, 10, 20, 30]), updates=50,
                        smoothing=None)
    np.testing.assert_array_equal(from_file.eta, from_array.eta)
    np.testing.assert_array_equal(refine(str(path)).eta, refine(path).eta)


def test_constant_log_gives_the_constant_G_optimum():
    # docs/math.md's reference table, T = 100, D = G = 1: 99 updates, and η_100 (the bump)
    # is the weight that is never applied.
    result = refine(np.full(99, 1.0))
    assert result.bound == pytest.approx(0.20011435821107343, rel=1e-13)
    assert result.eta[0] == pytest.approx(0.09809307344553, rel=1e-11)
    assert result.eta[-1] == pytest.approx(0.00403013295304, rel=1e-10)
    assert result.weight == pytest.approx(0.00972960163339, rel=1e-10)


def test_steps_is_the_deprecated_name_of_updates():
    norms = np.random.default_rng(6).lognormal(size=30)
    with pytest.warns(DeprecationWarning, match="steps is deprecated.*use updates"):
        old = refine(norms, steps=40)
    assert old.eta.tobytes() == refine(norms, updates=40).eta.tobytes()
    with pytest.raises(TypeError, match="give updates only"):
        refine(norms, updates=40, steps=40)


def test_peak_lr_rescales_and_reports_the_bound_of_the_returned_schedule():
    norms = np.random.default_rng(2).lognormal(size=200)
    plain = refine(norms, D=2.0)
    scaled = refine(norms, D=2.0, peak_lr=0.3)
    assert np.max(scaled.eta) == pytest.approx(0.3, rel=1e-15)
    np.testing.assert_allclose(scaled.eta / 0.3, plain.eta / np.max(plain.eta), rtol=1e-14)
    G = grad_norm_profile(norms)
    # the guarantee on θ_201: the rescaled rates and the weight, scaled by the same factor
    assert scaled.weight == pytest.approx(plain.weight * 0.3 / np.max(plain.eta), rel=1e-14)
    full = np.append(scaled.eta, scaled.weight)
    assert scaled.bound == pytest.approx(float(last_iterate_bound(full, 2.0, np.append(G, G[-1]))),
                                         rel=1e-14)
    assert scaled.bound >= plain.bound
    # The gap stays certified: bound − optimum ≤ gap (the exact optimum is known here).
    assert scaled.bound - plain.bound <= scaled.gap * (1 + 1e-12)
    assert "rescaled to peak_lr = 0.3" in scaled.message
    with pytest.raises(ValueError, match="peak_lr must be a positive finite number"):
        refine(norms, peak_lr=0.0)
    with pytest.raises(ValueError, match="cannot be combined with peak_lr"):
        refine(norms, peak_lr=0.1, warmup=np.array([0.01, 0.02]))


def test_D_scales_the_schedule_and_the_bound():
    norms = np.random.default_rng(3).lognormal(size=50)
    one, three = refine(norms, D=1.0), refine(norms, D=3.0)
    np.testing.assert_allclose(three.eta, 3 * one.eta, rtol=1e-14)
    assert three.bound == pytest.approx(3 * one.bound, rel=1e-14)


def test_constrained_refine_goes_to_the_constrained_solver():
    norms = np.random.default_rng(4).lognormal(size=60)
    with pytest.raises(ValueError, match="method='exact' solves the unconstrained problem only"):
        refine(norms, monotone=True, method="exact")
    try:
        import schedopt.solvers._newton  # noqa: F401
    except ImportError:
        pytest.skip("the constrained solver (schedopt.solvers._newton) is not in this checkout yet")
    result = refine(norms, monotone=True, warmup=5, peak_lr=0.2)
    assert result.method == "newton"
    assert np.all(np.diff(result.eta[5:]) <= 1e-12 * np.max(result.eta))
    assert np.max(result.eta) == pytest.approx(0.2, rel=1e-14)
    assert result.bound >= refine(norms).bound * (1 - 1e-12)


# ---------------------------------------------------------------------------------------
# The closed forms of docs/math.md §3, and the optimum never loses to them
# ---------------------------------------------------------------------------------------

def test_closed_forms_for_constant_G():
    T, D, G = 40, 2.0, 3.0
    t = np.arange(1, T + 1)
    ones = np.full(T, G)
    np.testing.assert_allclose(defazio_schedule(ones), (T - t) / (T - 1), rtol=1e-13)
    np.testing.assert_allclose(defazio_schedule(ones, last="inclusive"), (T - t + 1) / T,
                               rtol=1e-13)
    # Part V at constant G is the variational η(t) = (D/G)(1 − t/T)/√T (docs/math.md §3).
    np.testing.assert_allclose(continuous_schedule(ones, D), (D / G) * (1 - t / T) / np.sqrt(T),
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(continuous_schedule(ones, D, last="midpoint"),
                               (D / G) * (1 - (t - 0.5) / T) / np.sqrt(T), rtol=1e-13)


def test_closed_forms_against_the_written_sums():
    G = np.array([2.0, 0.5, 1.0, 4.0, 1.5])
    w = G ** -2.0
    written = np.array([w[t] * sum(w[p] for p in range(t + 1, 5)) for t in range(5)])
    np.testing.assert_allclose(defazio_schedule(G), written / written.max(), rtol=1e-14)
    Q = np.cumsum(w)
    np.testing.assert_allclose(continuous_schedule(G, 1.7), 1.7 * w * (Q[-1] - Q) / Q[-1] ** 1.5,
                               rtol=1e-13, atol=1e-16)
    for bad, kwargs, match in ((G, {"last": "one"}, "last must be one of 'zero', 'inclusive'"),
                               ([1.0, -1.0], {}, "G must be > 0 everywhere"),
                               (np.ones((2, 2)), {}, "non-empty 1-D array"),
                               (2.0, {}, "non-empty 1-D array")):
        with pytest.raises(ValueError, match=match):
            defazio_schedule(bad, **kwargs)
    with pytest.raises(ValueError, match="last must be one of 'zero', 'midpoint'"):
        continuous_schedule(G, last="inclusive")
    assert np.isinf(float(last_iterate_bound(defazio_schedule(G), 1.0, G)))
    assert np.isinf(float(last_iterate_bound(continuous_schedule(G), 1.0, G)))


@settings(max_examples=30, deadline=None)
@given(positive_profiles, st.floats(0.1, 10.0))
def test_the_exact_optimum_never_loses_to_either_closed_form(G, D):
    T = G.shape[0]
    best = optimal_schedule(T, D, G, method="exact").bound
    rivals = [optimal_scale(defazio_schedule(G, last="inclusive"), D, G).value,
              float(last_iterate_bound(continuous_schedule(G, D, last="midpoint"), D, G)),
              optimal_scale(continuous_schedule(G, D, last="midpoint"), D, G).value,
              float(last_iterate_bound(defazio_schedule(G), D, G)),
              float(last_iterate_bound(continuous_schedule(G, D), D, G))]
    for rival in rivals:
        assert best <= rival * (1 + 1e-12)
    # refine(G) applies len(G) updates: the horizon-(T+1) optimum with G_{T+1} = G_T
    horizon = optimal_schedule(T + 1, D, np.append(G, G[-1]), method="exact")
    assert refine(G, D=D, smoothing=None).bound == horizon.bound


# ---------------------------------------------------------------------------------------
# The workflow of issue 7 §3: run 1 → log → refine → run 2 with as_optax
# ---------------------------------------------------------------------------------------

def test_two_pass_workflow_with_as_optax():
    import jax
    import jax.numpy as jnp
    import optax

    from schedopt import as_optax
    from schedopt import linear_decay
    from schedopt import log_grad_norms
    from schedopt import logged_grad_norms

    T = 60
    with jax.enable_x64(True):
        # A linear loss ⟨c_k, θ⟩ with known per-step gradients c_k: ‖g_t‖ is known exactly.
        C = jnp.asarray(np.random.default_rng(5).normal(size=(T, 3)))

        def run(opt):
            def step(carry, c):
                theta, state = carry
                updates, state = opt.update(c, state, theta)
                return (optax.apply_updates(theta, updates), state), updates
            (_, state), updates = jax.lax.scan(step, (jnp.zeros(3), opt.init(jnp.zeros(3))), C)
            return state, np.asarray(updates)

        state, _ = run(optax.chain(log_grad_norms(T), optax.sgd(as_optax(0.1 * linear_decay(T)))))
        norms = logged_grad_norms(state)
        np.testing.assert_allclose(norms, np.linalg.norm(np.asarray(C), axis=1), rtol=1e-14)
        result = refine(norms, peak_lr=0.1, smoothing=None)
        _, updates = run(optax.sgd(as_optax(result.eta)))
        # Run 2 steps by exactly −η_t g_t with the refined η (optax's count k is step k + 1).
        np.testing.assert_allclose(updates, -result.eta[:, None] * np.asarray(C), rtol=1e-14)


@pytest.mark.slow
def test_benchmark_synthetic_part_holds_its_claims():
    """benchmarks/refine.py's part 1: nothing scored on the true G beats the exact optimum."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "refine.py"
    spec = importlib.util.spec_from_file_location("refine_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.synthetic_rows(300)
    assert [row["profile"] for row in rows] == list(bench.synthetic_profiles(300))
    for row in rows:
        for name, ratio in row["ratios"].items():
            assert ratio >= 1 - 1e-12, (row["profile"], name, ratio)
        assert np.isinf(row["ratios"]["Defazio, published (η_T = 0)"])
