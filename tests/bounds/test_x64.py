"""last_iterate_bound under jit, grad (η, D, per-step G), vmap and jacfwd with x64 off (the
JAX default) and on (issue 15 item 3), against finite differences of the float64 value."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from schedopt import last_iterate_bound

ETA = np.linspace(1.0, 0.1, 9)
G = np.linspace(0.5, 2.0, 9)
D = 1.7


def _value(eta, d, g) -> float:
    return float(last_iterate_bound(eta, d, g))


def _finite_differences():
    h = 1e-6
    eye = np.eye(ETA.shape[0])
    d_eta = [(_value(ETA + h * e, D, G) - _value(ETA - h * e, D, G)) / (2 * h) for e in eye]
    d_G = [(_value(ETA, D, G + h * e) - _value(ETA, D, G - h * e)) / (2 * h) for e in eye]
    d_D = (_value(ETA, D + h, G) - _value(ETA, D - h, G)) / (2 * h)
    return np.array(d_eta), d_D, np.array(d_G)


TRANSFORMS = {
    "grad_eta": lambda: jax.grad(last_iterate_bound)(jnp.asarray(ETA), D, jnp.asarray(G)),
    "grad_D": lambda: jax.grad(last_iterate_bound, argnums=1)(jnp.asarray(ETA), D,
                                                              jnp.asarray(G)),
    "grad_G": lambda: jax.grad(last_iterate_bound, argnums=2)(jnp.asarray(ETA), D,
                                                              jnp.asarray(G)),
    "vmap_grad": lambda: jax.vmap(jax.grad(last_iterate_bound), in_axes=(0, None, None))(
        jnp.stack([jnp.asarray(ETA)] * 3), D, jnp.asarray(G))[1],
    "jacfwd_eta": lambda: jax.jacfwd(last_iterate_bound)(jnp.asarray(ETA), D, jnp.asarray(G)),
    "jit_grad_G": lambda: jax.jit(jax.grad(last_iterate_bound, argnums=2))(
        jnp.asarray(ETA), D, jnp.asarray(G)),
}


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transforms_with_x64_off_and_on(name, x64):
    d_eta, d_D, d_G = _finite_differences()
    expected = {"grad_D": d_D, "grad_G": d_G, "jit_grad_G": d_G}.get(name, d_eta)
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)
    try:
        got = np.asarray(TRANSFORMS[name]())
    finally:
        jax.config.update("jax_enable_x64", previous)
    # x64 off: the inputs are cast to float32 at the transformation's boundary
    rtol = 1e-8 if x64 else 1e-6
    np.testing.assert_allclose(got, expected, rtol=max(rtol, 1e-7 if x64 else rtol),
                               atol=1e-7 * np.max(np.abs(expected)))


@pytest.mark.parametrize("x64", [False, True])
def test_jit_value_with_x64_off_and_on(x64):
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)
    try:
        got = float(jax.jit(last_iterate_bound)(jnp.asarray(ETA), D, jnp.asarray(G)))
    finally:
        jax.config.update("jax_enable_x64", previous)
    assert np.isclose(got, _value(ETA, D, G), rtol=1e-6 if not x64 else 1e-15)


@pytest.mark.parametrize("scale", [1e-200, 1e-100, 1.0, 1e100, 1e200])
def test_value_is_homogeneous_at_extreme_scales(scale):
    # bound(λη; λD, G) = λ·bound and bound(η/μ; D, μG) = μ·bound (docs/math.md §4.1)
    base = _value(ETA, D, G)
    assert np.isclose(_value(ETA * scale, D * scale, G) / scale, base, rtol=1e-14)
    assert np.isclose(_value(ETA / scale, D, G * scale) / scale, base, rtol=1e-14)
