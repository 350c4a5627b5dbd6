"""``best_schedule`` for the Multi-Power Law: a local search on its predicted final loss.

The law (``_forms``, Luo et al. 2025 eq. 1) at the last step N, summed over every step (no
pooling: one point costs O(N)):

    L(N) = L0 + A·P_N^{−α} − B Σ_{k > peak} (η_{k−1} − η_k)·(1 − (C η_k^{−γ} (P_N − P_{k−1}) + 1)^{−β}).

The loss falls with every unit of LR area (no term charges a large rate), so the law cannot
choose a peak: the peak p is given (``LossModel.best_schedule`` says which). The decay term
rewards every decrease of the rate and charges every increase, so the search is over rates
that do not increase after the warm-up, written η_{W+1} = p and η_{W+1+j} = p·s_1⋯s_j with
every ratio s_j in [0, 1]: box constraints only, which L-BFGS-B (scipy) handles, with the
gradient from JAX. A warm-up of W steps is the linear ramp t/(W+1)·p of ``optimal_schedule``
or fixed rates. The law is not convex in the rates, so the answer is a local minimum; the
search starts from the best of three shapes at p (constant, linear decay to 0, WSD with a 20%
linear cool-down), and the result is never worse than that start under the model.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize


_FLOOR = 1e-12          # η_k^{−γ} at η_k = 0 (as in _forms.mpl_features)
_MAX_ITER = 5000       # L-BFGS-B iterations on the pieces
_PIECES = 256
_REFINE = 300          # then on every step


def final_loss(theta, eta):
    """The law's loss after len(eta) updates (rates in model units), summed over every step."""
    L0 = theta[0]
    A, alpha, B, C, beta, gamma = (jnp.exp(theta[i]) for i in range(1, 7))
    P = jnp.cumsum(eta)
    tail = P[-1] - P[:-1]                                # P_N − P_{k−1} for k = 1..N−1
    k = jnp.arange(1, eta.shape[0])
    after = k > jnp.argmax(eta)
    G = 1.0 - (C * jnp.maximum(eta[1:], _FLOOR) ** (-gamma) * tail + 1.0) ** (-beta)
    decay = jnp.sum(jnp.where(after, (eta[:-1] - eta[1:]) * G, 0.0))
    return L0 + A * P[-1] ** (-alpha) - B * decay


def _rates(s, head, peak, piece=None):
    """Rates from the ratios s at ``peak`` (``head(peak)``: the warm-up's rates); with
    ``piece``, s are the ratios of piecewise-constant values and step j takes piece[j]'s."""
    values = peak * jnp.concatenate([jnp.ones(1), jnp.cumprod(s)])
    return jnp.concatenate([head(peak), values if piece is None else values[piece]])


def _start_shapes(M, K):
    """Peak-1 non-increasing shapes at the centres of K equal pieces of M steps: constant,
    linear to 0, WSD with a 20% linear cool-down."""
    c = (np.arange(K) + 0.5) * M / K
    return {"constant": np.ones(K), "linear": 1.0 - c / M,
            "wsd": np.minimum(1.0, (M - c) / (0.2 * M + 1.0))}


def _ratios(shape):
    """(s_1..s_{M−1}) with shape[j] = shape[0]·s_1⋯s_j (s = 0 after a zero)."""
    prev, nxt = shape[:-1], shape[1:]
    return np.where(prev > 0, nxt / np.where(prev > 0, prev, 1.0), 0.0)


def _minimise(value_grad, s0, max_iter):
    def fun(s):
        v, g = value_grad(jnp.asarray(s, jnp.float64))
        return float(v), np.asarray(g, np.float64)

    return scipy.optimize.minimize(fun, s0, jac=True, method="L-BFGS-B",
                                   bounds=[(0.0, 1.0)] * s0.size,
                                   options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-12})


def best_schedule(theta, N, head, peak):
    """(rates in model units, note): the rates after the warm-up, from ``peak`` down, that
    minimise ``final_loss``; ``head(peak)``: the warm-up's rates (a jnp array).

    Long, because it is two stages: the ratios of _PIECES piecewise-constant values first
    (few variables: L-BFGS-B converges in a few hundred iterations; a drop of the rate can
    sit at a piece's edge, which the law rewards), then every step's ratio from there for at
    most _REFINE iterations (the ratios of single steps are ill-conditioned: 2000 iterations
    from WSD got less far than the pieces). The best of the start and both stages is kept.
    """
    with jax.enable_x64(True):
        peak = jnp.float64(peak)
        M = N - int(head(peak).shape[0])
        if M == 1:                                  # nothing to choose after the warm-up
            return np.asarray(_rates(jnp.zeros(0), head, peak)), "the warm-up, then the peak"
        theta = jnp.asarray(theta, jnp.float64)
        K = min(_PIECES, M)
        piece = jnp.asarray(np.minimum(np.arange(M) * K // M, K - 1))
        coarse = jax.jit(jax.value_and_grad(
            lambda s: final_loss(theta, _rates(s, head, peak, piece))))
        fine = jax.jit(jax.value_and_grad(lambda s: final_loss(theta, _rates(s, head, peak))))
        starts = {n: _ratios(v) for n, v in _start_shapes(M, K).items()}
        name = min(starts, key=lambda n: float(coarse(jnp.asarray(starts[n]))[0]))
        stage1 = _minimise(coarse, starts[name], _MAX_ITER)
        candidates = [_ratios(np.asarray(_rates(jnp.asarray(x), lambda p: jnp.zeros(0), 1.0,
                                                piece)))
                      for x in (starts[name], stage1.x)]
        stage2 = _minimise(fine, candidates[1], _REFINE) if K < M else None
        if stage2 is not None:
            candidates.append(stage2.x)
        values = [float(fine(jnp.asarray(s))[0]) for s in candidates]
        best = int(np.argmin(values))
        eta = np.asarray(_rates(jnp.asarray(candidates[best]), head, peak), np.float64)
    steps = f"{stage1.nit} iterations on {K} pieces ({stage1.message})"
    if stage2 is not None:
        steps += f", then {stage2.nit} on every step ({stage2.message})"
    note = (f"the lowest final loss of the Multi-Power Law that L-BFGS-B found over rates that "
            f"do not increase after the warm-up (a local search, no certificate: the law is "
            f"not convex in the rates; from {name}: {steps}; kept: "
            f"{('the start', 'the pieces', 'every step')[best]})")
    return eta, note
