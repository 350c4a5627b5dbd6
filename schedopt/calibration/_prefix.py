"""Bound (C) at every horizon of one schedule in O(T) (docs/math.md §2), and the applied-rate terms.

At horizon t the noise term of bound (C) is ``Σ_{s<t} G_s²η_s² / η_{s+1:t} + G_t²η_t``: every
horizon has its own denominators, so evaluating it for all t directly costs O(T²). Write
``1/d = ∫ exp(σ − d e^σ) dσ`` (over the real line) and discretise it by the trapezoidal rule in
σ: ``1/d ≈ Σ_j c_j exp(−u_j d)`` with ``u_j = e^{σ_j}``, ``c_j = h e^{σ_j}``. The integrand is
analytic in the strip |Im σ| < π/2, so the rule's relative error is ≈ exp(−π²/h) on the whole
range of d that the nodes cover (Trefethen & Weideman, SIAM Review 2014, §5); the truncated
tails add ``d_max e^{σ_min} + exp(−d_min e^{σ_max})``. Then with ``P_t = η_{1:t}``

    E_t(u) = Σ_{s≤t} w_s exp(−u (P_t − P_s)),   E_t = exp(−u η_t) E_{t−1} + w_t,

one linear recursion over t with K ≈ 60–150 nodes, and every prefix sum is
``Σ_{s≤t} w_s/(P_t − P_s + x) ≈ Σ_j c_j exp(−u_j x) E_t(u_j)`` for any shift x > 0 in range.
Bound (C) at horizon t uses ``E_{t−1}`` with x = η_t. O(T·K) time, O(K) memory per step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_STEP = 0.4          # trapezoid spacing h: relative error ≈ exp(−π²/h) ≈ 2e-11
_EPS = 1e-11         # tail truncation, relative


def kernel_nodes(d_min: float, d_max: float):
    """Nodes (u, c) with ``Σ c_j exp(−u_j d) = 1/d`` to ≈1e-10 relative for d in [d_min, d_max]."""
    if not (0 < d_min <= d_max and np.isfinite(d_max)):
        raise ValueError(f"kernel range must satisfy 0 < d_min <= d_max < inf, got "
                         f"[{d_min!r}, {d_max!r}]")
    lo = np.log(_EPS / d_max)
    hi = np.log(np.log(1.0 / _EPS) / d_min)
    sigma = np.arange(lo, hi + _STEP, _STEP)
    return np.exp(sigma), _STEP * np.exp(sigma)


@jax.jit
def _scan(eta, w, u):
    """E_t(u) for t = 1..T, shape (T, K)."""
    def step(E, ew):
        e, wt = ew
        E = jnp.exp(-u * e) * E + wt
        return E, E
    _, out = jax.lax.scan(step, jnp.zeros_like(u), (eta, w))
    return out


def prefix_moments(eta, weights, u):
    """``E_t(u_j)`` of the module docstring for every t (rows) and node (columns), float64."""
    with jax.enable_x64(True):
        eta = jnp.asarray(eta, jnp.float64)
        return np.asarray(_scan(eta, jnp.asarray(weights, jnp.float64),
                                jnp.asarray(u, jnp.float64)))


def prefix_bounds(eta, D=1.0, G=1.0):
    """Bound (C) (docs/math.md §2) of the prefix η_1..η_t at every horizon t = 1..T, in O(T·K).

    Equals ``[last_iterate_bound(eta[:t], D, G[:t]) for t in 1..T]`` to ≈1e-9 relative
    (tested), ``+∞`` where η_t = 0 (a positive earlier rate then has an empty tail, or
    η_{1:t} = 0). Returns a float64 numpy array of length T.
    """
    eta = np.asarray(eta, np.float64)
    if eta.ndim != 1 or eta.size == 0 or not np.all(np.isfinite(eta)) or np.any(eta < 0):
        raise ValueError("eta must be a non-empty 1-D array of finite values >= 0")
    G2 = np.broadcast_to(np.square(np.asarray(G, np.float64)), eta.shape)
    P = np.cumsum(eta)
    out = np.full(eta.shape, np.inf)
    pos = eta > 0
    if not pos.any():
        return out
    u, c = kernel_nodes(float(eta[pos].min()), float(P[-1]))
    E = prefix_moments(eta, G2 * eta**2, u)
    E_prev = np.vstack([np.zeros((1, u.size)), E[:-1]])
    # t = 1 has no earlier terms; E_0 = 0 gives exactly that.
    noise = (E_prev * np.exp(-np.outer(np.where(pos, eta, 1.0), u))) @ c + G2 * eta
    value = D**2 / (2 * np.where(pos, P, 1.0)) + 0.5 * noise
    out[pos] = value[pos]
    return out


def noise_terms(eta, weights, t_obs, g2_next):
    """The applied-rate noise term after t applied steps, for each t in ``t_obs``.

    Training for t updates keeps θ_{t+1}, covered by bound (C) at horizon t+1 whose last weight
    x = η_{t+1} is never applied (docs/math.md §5.1). We choose x to minimise the noise part
    ``Σ_{s≤t} w_s/(η_{s+1:t} + x) + G_{t+1}² x`` (convex in x), and return that minimum and x.
    ``weights`` are ``G_s² η_s²``; ``g2_next`` is G_{t+1}² for each t. The distance term
    D²/(2(P_t + x)) moves by a relative O(x/P_t) with x, which is why x is not re-optimised
    with it (then the terms stay linear in the fitted coefficients).
    """
    eta = np.asarray(eta, np.float64)
    t_obs = np.asarray(t_obs, np.int64)
    P = np.cumsum(eta)
    pos = eta[eta > 0]
    if pos.size == 0:
        return np.zeros(t_obs.shape), np.zeros(t_obs.shape)
    x_lo = 1e-6 * float(pos.min())
    if t_obs.size <= _DIRECT:
        return _direct_shift(eta, weights, P, t_obs, g2_next, x_lo, float(pos.max()))
    u, c = kernel_nodes(x_lo, float(P[-1]) + float(pos.max()))
    E = prefix_moments(eta, weights, u)[t_obs - 1]                 # (n, K)
    g2 = np.asarray(g2_next, np.float64) * np.ones(t_obs.shape)
    return _minimise_shift(E, u, c, g2, x_lo, float(pos.max()))


_DIRECT = 4     # up to this many horizons the exact O(T) sums beat the O(T·K) recursion


def _direct_shift(eta, weights, P, t_obs, g2_next, x_lo, x_hi):
    """``noise_terms`` by exact sums, O(T) per horizon and bisection step."""
    g2 = np.asarray(g2_next, np.float64) * np.ones(t_obs.shape)
    values, xs = [], []
    for t, g in zip(t_obs, g2):
        w = weights[:t]
        d = P[t - 1] - P[:t]
        a, b = np.log(x_lo), np.log(x_hi * 1e3)
        for _ in range(60):
            m = 0.5 * (a + b)
            if g - np.sum(w / (d + np.exp(m)) ** 2) > 0:
                b = m
            else:
                a = m
        x = np.exp(0.5 * (a + b))
        values.append(np.sum(w / (d + x)) + g * x)
        xs.append(x)
    return np.array(values), np.array(xs)


def _minimise_shift(E, u, c, g2, x_lo, x_hi):
    """min over x in [x_lo, x_hi·1e3] of Σ_j c_j e^{−u_j x} E_j + g2·x, by bisection on the
    derivative in log x (the function is convex, so the derivative's sign change is unique)."""
    a = np.full(E.shape[0], np.log(x_lo))
    b = np.full(E.shape[0], np.log(x_hi * 1e3))
    cE = E * c
    for _ in range(60):
        m = 0.5 * (a + b)
        x = np.exp(m)[:, None]
        slope = -(cE * u * np.exp(-u * x)).sum(axis=1) + g2
        up = slope > 0
        b = np.where(up, m, b)
        a = np.where(up, a, m)
    x = np.exp(0.5 * (a + b))
    value = (cE * np.exp(-u * x[:, None])).sum(axis=1) + g2 * x
    return value, x
