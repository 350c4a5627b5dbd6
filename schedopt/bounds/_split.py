"""Units for evaluating a bound at any scale (issue 21): every bound is linear in D² and G²,
so its D term and its G term are computed apart, each in power-of-two units where nothing
over- or underflows unless the term itself does, and rescaled exactly.

With η = 2^k·η', D = 2^d·D' and G = 2^g·G', the D term scales by 2^(2d−k) and the G term by
2^(2g+k). k is d − g (η in units of D/G, where an optimum lives), moved only as far as keeps
max(η') within 2^±500: scaling by max(η) alone made a 200-decade optimum's last rates
underflow, and D/G units alone made every rate underflow for G = 5e-324.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from schedopt import _validation


def eta_exponent(d, g, top, xp=jnp):
    """The exponent k of η's unit, for D ≈ 2^d, G ≈ 2^g and max(η) ≈ 2^top."""
    return xp.clip(d - g, top - 500, top + 500)


def host_exponent(d, g, top) -> int:
    return int(eta_exponent(d, g, top, np))


def max_exponent(eta):
    """k with max(η) = 2^k·m, ½ ≤ m < 1 (0 for an all-zero η); no gradient flows here."""
    return jnp.frexp(jax.lax.stop_gradient(jnp.max(eta)))[1].astype(jnp.int32)


@functools.partial(jax.jit, static_argnums=(0,))
def split_units(fn, eta, D, G):
    """fn(η, D², G²) for a bound fn linear in D² and G², as the module doc says; an
    overflowing term gives +∞, never ∞/∞ = NaN ((A) and (B) at 1e±200 scales gave NaN).

    Jitted (``fn`` static): the two evaluations and the unit arithmetic are ~40 primitives,
    which a plain call dispatched (and, for each new length, compiled) one by one: 5 ms a
    call and 0.6 s for each new length, against one program of each under jit."""
    G = jnp.broadcast_to(jnp.asarray(G, jnp.float64), eta.shape)
    d, g, k = unit_exponents(eta, D, G)
    unit_eta = times_power_of_two(eta, -k)
    a = where_finite_grad(fn, unit_eta, jnp.square(times_power_of_two(D, -d)),
                          jnp.zeros_like(G))
    b = where_finite_grad(fn, unit_eta, jnp.zeros((), jnp.float64),
                          jnp.square(times_power_of_two(G, -g)))
    return times_power_of_two(a, 2 * d - k) + times_power_of_two(b, 2 * g + k)


def unit_exponents(eta, D, G):
    """(d, g, k): D ≈ 2^d, G ≈ 2^g (geometric mean) and η's unit 2^k, as the module doc says."""
    d = exponent(D)
    g = exponent(jnp.exp(jnp.mean(jnp.log(jax.lax.stop_gradient(G)))))
    return d, g, eta_exponent(d, g, max_exponent(eta))


def exponent(x):
    """The power of two nearest to x > 0 (traceable; no gradient flows through it)."""
    return jnp.round(jnp.log2(jax.lax.stop_gradient(x))).astype(jnp.int32)


def times_power_of_two(x, n):
    """x·2^n as two exact products (each factor representable for |n| ≤ 2046; jnp.ldexp
    has a wrong derivative at x = 0). Overflow or underflow of the first product implies
    that of the result."""
    half = n // 2
    return x * power_of_two(half) * power_of_two(n - half)


_EXPONENTS = np.arange(-1022, 1024)
_POWERS = np.ldexp(1.0, _EXPONENTS)        # 2^k for every normal exponent, exact


def power_of_two(k):
    """2^k exactly, as float64; k clipped to the normal range [−1022, 1023].

    Read from an exact table as a one-hot sum (one non-zero term, so exact), which XLA
    computes once as a reduction. Built from k's bits instead (shift and bitcast), the scalar
    chain was fused into every elementwise loop that used it, and when k came from max(η)
    that made bound (C)'s value and gradient at T = 10⁶ twice as slow (3.9 against 7.3 ms)."""
    k = jnp.clip(jnp.asarray(k), -1022, 1023).astype(jnp.int32)
    hit = jnp.asarray(_EXPONENTS, jnp.int32) == k[..., None]
    return jnp.sum(jnp.where(hit, jnp.asarray(_POWERS, jnp.float64), 0.0), axis=-1)


def where_finite_grad(fn, eta, D2, G2):
    """fn(eta, D2, G2) with the gradient zeroed (not NaN) where the value is +∞."""
    value = fn(eta, D2, G2)
    # The value is computed on a safe branch already; stop_gradient on the infinite branch
    # only matters for the reported gradient, which is 0 there.
    return jnp.where(jnp.isfinite(value), value, jax.lax.stop_gradient(value))


def d_term(unit_D, unit_eta):
    """Bound (C)'s D term D²/(2η_{1:T}) in units; 0 with no gradient where η_T = 0 (the G
    term, +∞ there, carries the value)."""
    finite = unit_eta[-1] > 0
    return jnp.where(finite, 0.5 * jnp.square(unit_D)
                     / jnp.where(finite, jnp.sum(unit_eta), 1.0), 0.0)


def checked(eta, D, G):
    """Validated float64 η, D and G (scalar or per step), not yet squared."""
    eta = jnp.asarray(_validation.schedule(eta), jnp.float64)
    return (eta, jnp.asarray(_validation.scale(D, "D"), jnp.float64),
            jnp.asarray(_validation.gradient_norms(G, eta.shape[0]), jnp.float64))
