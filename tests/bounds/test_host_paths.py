"""The numpy paths that spare small problems a compilation (issue 14) against the compiled
JAX paths and against exact rational arithmetic."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from schedopt import last_iterate_bound
from schedopt import optimal_schedule
from schedopt.bounds import _bounds
from schedopt.solvers import _firstorder
from schedopt.solvers import _lbfgsb
from schedopt.solvers import _pgd
from schedopt.solvers._solve import make_problem
from test_bounds import exact_C_and_gradient

# Agreement between two float64 evaluations of the same formula in different orders.
REL = 1e-14


def _schedules(T, seed):
    rng = np.random.default_rng(seed)
    eta = rng.uniform(0, 1, T) * (rng.uniform(size=T) > 0.2)
    eta[-1] = rng.uniform(0.1, 1.0)
    G = rng.uniform(0.5, 2.0, T)
    return eta, G


@pytest.mark.parametrize("T", [1, 2, 9, 1001, 4099])
def test_numpy_value_and_gradient_match_the_compiled_path(T):
    eta, G = _schedules(T, T)
    with jax.enable_x64(True):
        for G_ in (G, 1.7):
            value, grad = _bounds.last_value_and_grad_numpy(eta, 1.3**2, np.square(G_))
            ref, ref_grad = jax.jit(jax.value_and_grad(last_iterate_bound))(eta, 1.3, G_)
            assert value == pytest.approx(float(ref), rel=REL)
            # the gradient is a difference of terms: compare on the scale of those terms
            size = np.abs(np.asarray(ref_grad)).max()
            np.testing.assert_allclose(grad, np.asarray(ref_grad), rtol=REL, atol=REL * size)


@pytest.mark.parametrize("T", [1031, 3001])
def test_numpy_path_matches_exact_arithmetic(T):
    eta, G = _schedules(T, 7 * T)
    eta[-5:] = 1e-9 * np.linspace(1.0, 0.5, 5)       # a tiny tail next to a large head
    ref_value, ref_grad = exact_C_and_gradient(eta, 1.3, G)
    value, grad = _bounds.last_value_and_grad_numpy(eta, 1.3**2, np.square(G))
    assert value == pytest.approx(ref_value, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-12 * np.abs(ref_grad).max())


def test_numpy_path_infinite_bound_has_zero_gradient():
    value, grad = _bounds.last_value_and_grad_numpy(np.array([1.0, 0.0]), 1.0, 1.0)
    assert value == np.inf and np.all(grad == 0)
    assert float(last_iterate_bound([1.0, 0.0])) == np.inf


def test_eager_calls_on_both_sides_of_the_threshold_agree_with_jit():
    for T in (_bounds.HOST_MAX, _bounds.HOST_MAX + 8):
        eta, G = _schedules(T, 3)
        eager = last_iterate_bound(eta, 0.9, G)
        assert eager.dtype == jnp.float64
        with jax.enable_x64(True):
            compiled = jax.jit(last_iterate_bound)(eta, 0.9, G)
        assert float(eager) == pytest.approx(float(compiled), rel=REL)


CONSTRAINTS = [dict(), dict(max_lr=0.05), dict(warmup=20, max_lr=0.05),
               dict(warmup=[0.01, 0.03, 0.02]), dict(monotone=True),
               dict(monotone=True, warmup=10)]


@pytest.mark.parametrize("constraints", CONSTRAINTS, ids=str)
def test_host_objective_matches_the_compiled_objective(constraints):
    T = 300
    rng = np.random.default_rng(5)
    problem = make_problem(T, 0.7, rng.uniform(0.5, 2.0, T), **constraints)
    scaled = _firstorder.scaled_problem(problem)
    host = _firstorder.host_objective(scaled)
    args = (scaled.base, scaled.ramp, scaled.scale, scaled.mask, scaled.first, scaled.monotone,
            scaled.G2, scaled.D, scaled.f0)
    for z in (scaled.z0, scaled.z0 * rng.uniform(0.5, 1.5, T)):
        value, grad = host(z)
        with jax.enable_x64(True):
            ref, ref_grad = jax.value_and_grad(_firstorder.objective)(jnp.asarray(z), *args)
        assert value == pytest.approx(float(ref), rel=REL)
        # monotone: the prefix sum of a gradient of both signs, summed in another order
        size = np.abs(np.asarray(ref_grad)).max() * (10 if scaled.monotone else 1)
        np.testing.assert_allclose(grad, np.asarray(ref_grad), rtol=1e-13, atol=REL * size)
        eta = scaled.eta(z)
        with jax.enable_x64(True):
            ref_eta = np.asarray(_firstorder.eta_of(jnp.asarray(z), *args[:6]))
        np.testing.assert_allclose(eta, ref_eta, rtol=REL, atol=0)


@pytest.mark.parametrize("method, module", [("lbfgsb", _lbfgsb), ("pgd", _pgd)])
@pytest.mark.parametrize("constraints", [dict(), dict(max_lr=0.05, warmup=10),
                                         dict(monotone=True)], ids=str)
def test_numpy_and_compiled_solvers_agree(method, module, constraints, monkeypatch):
    T = 250
    G = np.random.default_rng(6).uniform(0.5, 2.0, T)
    host = optimal_schedule(T, 1.0, G, method=method, **constraints)
    monkeypatch.setattr(module, "HOST_MAX", 0)            # force the compiled path
    compiled = optimal_schedule(T, 1.0, G, method=method, **constraints)
    assert host.converged and compiled.converged
    # the tolerance the solver tests hold every method to against the exact optimum
    assert host.bound == pytest.approx(compiled.bound, rel=1e-9)
    # A bound within 1e-9 pins η only to about √1e-9 in flat directions (the pooled
    # stretches of a monotone optimum): an ulp change of the start moved η_62 by 1.1e-4.
    np.testing.assert_allclose(host.eta, compiled.eta, rtol=1e-3, atol=1e-8 * host.eta.max())


@pytest.mark.parametrize("constraints", [dict(max_lr=0.05, warmup=10), dict(monotone=True)],
                         ids=str)
def test_numpy_spg_takes_the_same_steps_as_the_compiled_loop(constraints):
    # Over hundreds of steps rounding can move where the loop stops; over a few, the two
    # must follow the same path.
    T = 250
    G = np.random.default_rng(8).uniform(0.5, 2.0, T)
    problem = make_problem(T, 1.0, G, **constraints)
    scaled = _firstorder.scaled_problem(problem)
    z, grad, value, k, status = _pgd._spg_numpy(scaled, 1e-12, 8, scaled.z0)
    lay = scaled.padded(_firstorder.bucket(T))
    fields = ("z0", "lower", "upper", "base", "ramp", "scale", "mask", "first", "monotone",
              "G2", "D", "f0")
    with jax.enable_x64(True):
        out = _pgd._batched(*[jnp.asarray(np.asarray(getattr(lay, f)))[None] for f in fields],
                            jnp.asarray(1e-12), jnp.asarray([8]))   # max_iter per problem
    ref_z, ref_grad, ref_value, ref_k, ref_status = (np.asarray(a)[0] for a in out)
    assert (k, status) == (int(ref_k), int(ref_status)) == (8, _pgd._STALLED)
    assert value == pytest.approx(float(ref_value), rel=1e-13)
    np.testing.assert_allclose(z, ref_z[-T:], rtol=1e-9, atol=1e-12 * np.abs(z).max())
