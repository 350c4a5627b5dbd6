"""The pooled solver's backward recursion as a compiled scan, used only where JAX is already
imported (``optimal_schedule`` loads it for bound (C)). In plain Python floats the recursion
takes ~0.3 s at T = 10⁶ on an idle core; as a chunked ``lax.scan`` it is compiled once per
process (the chunks have one size for every T). Below ``MIN_STEPS`` or without JAX the Python
loop in ``schedopt.solvers._newton_pool`` runs instead.
"""

from __future__ import annotations

import sys

import numpy as np

MIN_STEPS = 1 << 16
_CHUNK = 1 << 14
_scan = None


def available(n: int) -> bool:
    return n >= MIN_STEPS and "jax" in sys.modules


def _compiled():
    global _scan
    if _scan is None:
        import jax
        import jax.numpy as jnp

        @jax.jit
        def scan(k, g, d):
            def step(k, gd):
                gi, di = gd
                a = k - di
                c = 1.0 + 2.0 * a / gi
                # c ≤ 0 (an unbounded Lagrangian) is detected by the caller.
                k = di + 2.0 * a / (jnp.sqrt(jnp.maximum(c, 0.0)) + 1.0)
                return k, k

            return jax.lax.scan(step, k, (g, d), reverse=True, unroll=8)

        _scan = scan
    return _scan


def backward(g: np.ndarray, d: np.ndarray, k_last: float) -> np.ndarray:
    """k_i = d_i + 2a/(√(1 + 2a/g_i) + 1), a = k_{i+1} − d_i, for i = m−1 … 0 backwards from
    k_m = k_last (g, d of length m); returns k_0 … k_{m−1}."""
    import jax
    import jax.numpy as jnp

    scan = _compiled()
    m = g.size
    chunks = -(-m // _CHUNK)
    pad = chunks * _CHUNK - m
    # Front padding is reached last by the backward scan, after every real step.
    gp = np.concatenate([np.ones(pad), g])
    dp = np.concatenate([np.zeros(pad), d])
    out = np.empty(gp.size)
    with jax.enable_x64(True):
        k = jnp.asarray(k_last, jnp.float64)
        for c in range(chunks - 1, -1, -1):
            part = slice(c * _CHUNK, (c + 1) * _CHUNK)
            k, ks = scan(k, gp[part], dp[part])
            out[part] = np.asarray(ks)
    return out[pad:]
