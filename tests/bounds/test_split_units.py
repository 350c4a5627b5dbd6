"""bounds/_split.py's exact unit arithmetic: powers of two and the scaling by them."""

import jax
import jax.numpy as jnp
import numpy as np

from schedopt.bounds import _split


def test_power_of_two_is_exact_for_every_exponent_and_clips_outside_the_normal_range():
    k = np.arange(-1200, 1200)
    expected = np.ldexp(1.0, np.clip(k, -1022, 1023))
    with jax.enable_x64(True):
        assert np.array_equal(np.asarray(_split.power_of_two(k)), expected)
        assert np.array_equal(np.asarray(jax.jit(jax.vmap(_split.power_of_two))(k)), expected)
        assert float(_split.power_of_two(jnp.int64(-10**12))) == 2.0 ** -1022
        assert float(_split.power_of_two(jnp.int64(10**12))) == 2.0 ** 1023


def test_times_power_of_two_is_exact_across_the_whole_range():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.0, 500)
    n = rng.integers(-1021, 1024, 500)              # normal results (XLA:CPU flushes subnormals)
    with jax.enable_x64(True):
        got = np.asarray(jax.jit(jax.vmap(_split.times_power_of_two))(x, n))
    assert np.array_equal(got, np.ldexp(x, n))
