"""The exact optimum of bound (C) without constraints: docs/math.md §4.4's O(T) recursion.

Backward recursion ``J_T = G_T²``; for t = T−1..1: ``x = J_{t+1}/G_t²``,
``r_t = √(1 + x)``, ``J_t = 2G_t²(r_t − 1)``. In tail-sum coordinates ``S_T = 1``,
``S_t = r_t S_{t+1}``, ``η_t = S_t − S_{t+1} = (r_t − 1) S_{t+1}``; the optimal value is
``D·√J_1`` and the schedule is scaled by λ* of §4.1. ``r_t − 1`` is computed as
``x/(√(1+x) + 1)``: the naive form loses digits to cancellation once T ≳ 10⁵.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_CHUNK = 8192


@jax.jit
def _recursion(J, G2):
    """The backward recursion over one chunk of G_t², entered with J_{t+1} of the next chunk."""
    def step(J, g2):
        # r − 1 = x/(√(1+x) + 1) with x = J/g2, and J_t = 2g2(r − 1), written without
        # forming x (it overflows when G spans many decades, issue 15) and without the
        # product g2·(r − 1) (r − 1 underflows where g2 is huge): J_t = 2J·G/(√(g2+J) + G).
        G = jnp.sqrt(g2)
        root = jnp.sqrt(g2 + J)
        return 2.0 * J * G / (root + G), (J / (G * root + g2), 2.0 * J * G / (root + G))

    return jax.lax.scan(step, J, G2, reverse=True, unroll=8)


def tail_ratios(G2: np.ndarray) -> tuple[float, np.ndarray]:
    """J_1 and (r_t − 1) for t = 1..T−1, for squared gradient norms G2 (float64, length T).

    The scan runs over fixed-size chunks from the end, so it is compiled once for every T;
    the first chunk is padded at the front, which the backward recursion reaches only after
    every real step.
    """
    T = G2.shape[0]
    if T == 1:
        return float(G2[0]), np.zeros(0)
    n = T - 1                                        # steps t = 1..T−1
    chunks = -(-n // _CHUNK)
    padded = np.ones(chunks * _CHUNK)
    padded[padded.size - n:] = G2[:-1]
    out = np.empty_like(padded)
    Js = np.empty_like(padded)
    with jax.enable_x64(True):
        J = jnp.asarray(G2[-1], jnp.float64)
        for c in range(chunks - 1, -1, -1):
            part = slice(c * _CHUNK, (c + 1) * _CHUNK)
            J, (r_minus_1, J_part) = _recursion(J, padded[part])
            out[part] = np.asarray(r_minus_1)
            Js[part] = np.asarray(J_part)
    r_minus_1 = out[out.size - n:]
    # The scan's own J went on through the padding; J_1 is the output at step 1.
    return float(Js[Js.size - n]), r_minus_1


def exact_shape(G2: np.ndarray) -> tuple[np.ndarray, float]:
    """The optimal schedule's shape (η_T = 1) and J_1, with the bound's optimum D·√J_1."""
    J1, r_minus_1 = tail_ratios(G2)
    # S_{t+1} = Π_{k=t+1}^{T−1} r_k (S_T = 1), a running product from the end.
    ratios = 1.0 + r_minus_1[1:]
    tails = np.cumprod(ratios[::-1])[::-1]
    if not np.all(np.isfinite(tails)):          # a product past 1e308: work in logarithms
        logs = np.cumsum(np.log1p(r_minus_1[1:])[::-1])[::-1]
        tails = np.exp(logs - logs[0])
        shape = np.append(r_minus_1 * np.append(tails, np.exp(-logs[0])), np.exp(-logs[0]))
        return shape, J1
    shape = np.append(r_minus_1 * np.append(tails, 1.0), 1.0)
    return shape, J1
