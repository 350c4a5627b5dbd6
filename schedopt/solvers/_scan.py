r"""The one backward scan of the package: docs/math.md §4.4's recursion and its dual.

Two recursions run from the last step to the first, each a short chain of dependent float
operations per step:

- ``"ratios"``, the exact optimum (``solvers._exact``): ``m ← x/(√(1 + x) + 1)`` with
  ``x = c_t·m``, entered with m_T = ½;
- ``"dual"``, the cost-to-go of a Lagrangian ``(C) + aᵀη`` (``solvers._dual``): with
  ``b_t = a_t − a_{t−1}``, ``J ← 2b_t + 2J·G_t/(√(G_t² + J) + G_t)`` when J > 0, else
  ``2b_t + J``.

**One rule for how they run.** Plain Python floats (about 0.3 µs a step, the same IEEE
operations) up to ``PYTHON_MAX`` steps, and at any length when JAX is not imported yet:
importing it costs about 1.5 s of CPU, more than the loop at T = 10⁶, so neither the command
line nor the numpy solvers load it for a recursion. Otherwise a ``lax.scan`` compiled once
per recursion over chunks of one size, ``CHUNK`` (the first chunk padded at the front with
inputs that the backward scan reaches only after every real step), so one compilation
serves every T.
"""

from __future__ import annotations

import functools
import math
import sys

import numpy as np

PYTHON_MAX = 1 << 12
CHUNK = 1 << 14


def compiled(n: int) -> bool:
    """Whether a scan of n steps runs compiled (module doc)."""
    return n > PYTHON_MAX and "jax" in sys.modules


def _ratios_python(m, c):
    out, sqrt = [], math.sqrt
    append = out.append
    for ct in reversed(c):
        x = ct * m
        m = x / (sqrt(1.0 + x) + 1.0)
        append(m)
    out.reverse()
    return out


def _dual_python(J, G2, b):
    out, sqrt = [0.0] * len(G2), math.sqrt
    for t in range(len(G2) - 1, -1, -1):
        if J > 0.0:
            G = sqrt(G2[t])
            J = 2.0 * b[t] + 2.0 * J * G / (sqrt(G2[t] + J) + G)
        else:
            J = 2.0 * b[t] + J
        out[t] = J
    return out


def _ratios_jax(m, c):
    import jax.numpy as jnp

    x = c * m
    m = x / (jnp.sqrt(1.0 + x) + 1.0)
    return m, m


def _dual_jax(J, inputs):
    import jax.numpy as jnp

    g2, bt = inputs
    G = jnp.sqrt(g2)
    positive = J > 0
    Jp = jnp.where(positive, J, 0.0)
    J = 2.0 * bt + jnp.where(positive, 2.0 * Jp * G / (jnp.sqrt(g2 + Jp) + G), J)
    return J, J


# name: (the Python loop, the scan's step, the padding value of each input)
_RECURSIONS = {"ratios": (_ratios_python, _ratios_jax, (0.0,)),
               "dual": (_dual_python, _dual_jax, (1.0, 0.0))}


@functools.cache
def _compiled(name: str):
    import jax

    step = _RECURSIONS[name][1]
    if name == "ratios":
        return jax.jit(lambda carry, c: jax.lax.scan(step, carry, c, reverse=True, unroll=8))
    return jax.jit(lambda carry, g2, b: jax.lax.scan(step, carry, (g2, b), reverse=True,
                                                     unroll=8))


def backward(name: str, carry: float, *inputs: np.ndarray) -> np.ndarray:
    """The recursion ``name`` run backwards from ``carry`` over ``inputs`` (float64 arrays of
    one length n); returns the value after each step, out[t] for t = 0..n−1."""
    n = inputs[0].shape[0]
    python, _, pads = _RECURSIONS[name]
    if not compiled(n):
        return np.array(python(float(carry), *(np.asarray(x, np.float64).tolist()
                                               for x in inputs)), dtype=np.float64)
    import jax
    import jax.numpy as jnp

    chunks = -(-n // CHUNK)
    padded = []
    for x, pad in zip(inputs, pads):
        full = np.full(chunks * CHUNK, pad)
        full[full.size - n:] = x
        padded.append(full)
    out = np.empty(chunks * CHUNK)
    scan = _compiled(name)
    with jax.enable_x64(True):
        state = jnp.asarray(carry, jnp.float64)
        for k in range(chunks - 1, -1, -1):
            part = slice(k * CHUNK, (k + 1) * CHUNK)
            state, values = scan(state, *(x[part] for x in padded))
            out[part] = np.asarray(values)
    return out[out.size - n:]
