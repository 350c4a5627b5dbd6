"""``best_schedule`` for the Multi-Power Law: a local search on its predicted final loss.

The law (``_forms``, Luo et al. 2025 eq. 1) at the last step N, summed over every step (no
pooling: one point costs O(N)):

    L(N) = L0 + A·P_N^{−α} − B Σ_{k > peak} (η_{k−1} − η_k)·(1 − (C η_k^{−γ} η_{k:N} + 1)^{−β}).

The loss falls with every unit of LR area (no term charges a large rate), so the law cannot
choose a peak: the peak p is given (``LossModel.best_schedule`` says which). For γ ≥ 1 the law
has no optimum either: a last rate ε → 0 earns the whole B·Δ of its drop, since
η^{−γ}·η_{k:N} ≈ ε^{1−γ} grows without bound; such models are refused there. The decay term
rewards every decrease of the rate and charges every increase, so the search is over rates
that do not increase after the warm-up, written η_{W+1} = p and η_{W+1+j} = p·s_1⋯s_j with
every ratio s_j in [0, 1]: box constraints only, which L-BFGS-B (scipy) handles, with the
gradient from JAX. A warm-up of W steps is the linear ramp t/(W+1)·p of ``optimal_schedule``
or fixed rates. The law is not convex in the rates, so the answer is a local search with no
certificate; it starts from the best of three shapes at p (constant, linear decay to 0, WSD
with a 20% linear cool-down), and the result is never worse than that start under the model.

Every tail η_{k:N} is a reverse cumulative sum, never P_N − P_{k−1}: after the last non-zero
rate the tail is then exactly 0, where the difference left ~1e-12 that η^{−γ} (up to 1e120
at the floor) turned into a full reward, and L-BFGS-B stopped on the discontinuity.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from schedopt.calibration import _forms

_FLOOR = 1e-12          # η_k^{−γ} at η_k = 0 (as in _forms.mpl_features)
_MAX_ITER = 5000        # L-BFGS-B iterations on the pieces
_PIECES = 256
_REFINE = 300           # then at most this many on every step,
_REFINE_WORK = 1e8      # and at most this many steps evaluated in all (10⁶ steps: 100 iterations)


def _params(theta):
    return (theta[0],) + tuple(jnp.exp(theta[i]) for i in range(1, 7))


def _decay(theta, drop, rate, tail):
    """B Σ drop·G(rate^{−γ}·tail), G(x) = 1 − (Cx + 1)^{−β}."""
    _, _, _, B, C, beta, gamma = _params(theta)
    G = 1.0 - (C * jnp.maximum(rate, _FLOOR) ** (-gamma) * tail + 1.0) ** (-beta)
    return B * jnp.sum(drop * G)


def final_loss(theta, eta):
    """The law's loss after len(eta) updates (rates in model units), summed over every step."""
    L0, A, alpha = _params(theta)[:3]
    tail = jnp.cumsum(eta[::-1])[::-1]                  # η_{k:N}, exactly 0 after the last rate
    k = jnp.arange(1, eta.shape[0])
    after = k > jnp.argmax(eta)
    decay = _decay(theta, jnp.where(after, eta[:-1] - eta[1:], 0.0), eta[1:], tail[1:])
    return L0 + A * tail[0] ** (-alpha) - decay


def _pieces_loss(theta, values, lengths, head_area):
    """``final_loss`` of a warm-up of area ``head_area`` then piecewise-constant rates
    (``values[j]`` for ``lengths[j]`` steps, non-increasing) in O(pieces): the decrements sit
    at the pieces' first steps."""
    L0, A, alpha = _params(theta)[:3]
    tail = jnp.cumsum((values * lengths)[::-1])[::-1]
    decay = _decay(theta, values[:-1] - values[1:], values[1:], tail[1:])
    return L0 + A * (head_area + tail[0]) ** (-alpha) - decay


def _values(s, peak):
    return peak * jnp.concatenate([jnp.ones(1), jnp.cumprod(s)])


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


def _minimise(value_grad, s0, max_iter, max_evaluations=None):
    def fun(s):
        v, g = value_grad(jnp.asarray(s, jnp.float64))
        return float(v), np.asarray(g, np.float64)

    options = {"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-12}
    if max_evaluations is not None:
        options["maxfun"] = max_evaluations
    return scipy.optimize.minimize(fun, s0, jac=True, method="L-BFGS-B",
                                   bounds=[(0.0, 1.0)] * s0.size, options=options)


def best_schedule(theta, N, head, peak):
    """(rates in model units, note, converged): the rates after the warm-up, from ``peak``
    down, that minimise ``final_loss``; ``head``: the warm-up's rates (numpy, model units).

    Long, because it is two stages: the ratios of _PIECES piecewise-constant values first (in
    O(pieces) per evaluation; L-BFGS-B converges in a few hundred iterations; a drop of the
    rate can sit at a piece's edge, which the law rewards), then every step's ratio from there
    for at most _REFINE iterations and _REFINE_WORK steps evaluated (a fixed amount of work,
    so the plan is the same on any machine; the ratios of single steps are
    ill-conditioned: 2000 iterations from WSD got less far than the pieces). The best of the
    start and both stages is kept; ``converged`` is L-BFGS-B's own verdict on the pieces.
    """
    head = np.asarray(head, np.float64)
    M = N - head.size
    with jax.enable_x64(True):
        theta = jnp.asarray(theta, jnp.float64)
        if M == 1:                                  # nothing to choose after the warm-up
            return np.concatenate([head, [peak]]), "the only rate after the warm-up", True
        K = min(_PIECES, M)
        piece = np.minimum(np.arange(M) * K // M, K - 1)
        lengths = jnp.asarray(np.bincount(piece, minlength=K), jnp.float64)
        head_j = jnp.asarray(head)
        coarse = jax.jit(jax.value_and_grad(
            lambda s: _pieces_loss(theta, _values(s, peak), lengths, jnp.sum(head_j))))
        fine = jax.jit(jax.value_and_grad(
            lambda s: final_loss(theta, jnp.concatenate([head_j, _values(s, peak)]))))
        starts = {n: _ratios(v) for n, v in _start_shapes(M, K).items()}
        name = min(starts, key=lambda n: float(coarse(jnp.asarray(starts[n]))[0]))
        stage1 = _minimise(coarse, starts[name], _MAX_ITER)
        candidates = [_ratios(np.asarray(_values(jnp.asarray(x), 1.0))[piece])
                      for x in (starts[name], stage1.x)]
        # A fixed amount of work, not of time: the same plan on any machine and load.
        evaluations = max(1, int(_REFINE_WORK // N))
        stage2 = _minimise(fine, candidates[1], _REFINE, evaluations) if K < M else None
        if stage2 is not None:
            candidates.append(stage2.x)
        values = [float(fine(jnp.asarray(s))[0]) for s in candidates]
        best = int(np.argmin(values))
        eta = np.concatenate([head, np.asarray(_values(jnp.asarray(candidates[best]), peak))])
    steps = f"{stage1.nit} iterations on {K} pieces ({stage1.message})"
    if stage2 is not None:
        steps += f", then {stage2.nit} on every step ({stage2.message})"
    note = (f"the lowest final loss of the Multi-Power Law that L-BFGS-B found over rates "
            f"that do not increase after the warm-up (a local search, no certificate: the "
            f"law is not convex in the rates; from {name}: {steps}; kept: "
            f"{('the start', 'the pieces', 'every step')[best]})")
    return eta, note, bool(stage1.success)


def plan(model, steps, max_lr, warmup):
    """(rates in LR units, note, converged) of ``model.best_schedule`` for the multi_power
    form: ``best_schedule`` above, at the peak ``peak`` gives, after ``warmup_head``'s rates."""
    gamma = float(np.exp(model.params["log_gamma"]))
    if gamma >= _forms.MPL_GAMMA_LIMIT:
        raise ValueError(f"the fitted multi_power law has gamma = {gamma:.3g} >= 1, for which "
                         "it has no best schedule (a last rate -> 0 earns its whole drop); "
                         "plan with the bound form (calibrate --form bound)")
    peak_lr, why = peak(model, max_lr)
    head = warmup_head(warmup, steps, peak_lr, why) / model.lr_scale
    eta, note, converged = best_schedule(model._theta(), steps, head, peak_lr / model.lr_scale)
    return eta * model.lr_scale, f"{note}; peak LR {peak_lr:.4g}: {why}", converged


def peak(model, max_lr):
    """(peak LR, why): the law's loss falls with every unit of LR area, so it cannot choose a
    peak; it is the best pilot's (the lowest last loss among the runs of the longest horizon,
    ``quality["best_pilot"]``), capped by ``max_lr`` and by a diverged pilot's peak."""
    best = model.quality.get("best_pilot")
    if best is not None:
        value, why = float(best["peak_lr"]), f"the peak of the best pilot {best['name']!r}"
    elif model.pilot_peak_lrs and model.pilot_peak_lrs[0] == model.pilot_peak_lrs[1]:
        value, why = float(model.pilot_peak_lrs[0]), "the pilots' peak"
    elif max_lr is not None:
        value, why = max_lr, "max_lr (this model records no best pilot)"
    else:
        raise ValueError("the multi_power form cannot choose a peak LR (its loss falls with "
                         "any added LR area) and this model records no best pilot (a model "
                         "file from before schedopt recorded it: run calibrate again): give "
                         "max_lr, the peak to plan with")
    if max_lr is not None and max_lr < value:
        value, why = max_lr, "max_lr (below the best pilot's peak)"
    if model.diverged_peak_lr is not None and value > model.diverged_peak_lr:
        value, why = model.diverged_peak_lr, "the peak of a diverged pilot (the cap)"
    return value, why


def warmup_head(warmup, steps, peak_lr, why):
    """The warm-up's rates (LR units) before the first free rate ``peak_lr``: the linear ramp
    t/(W+1)·peak of an int W, or fixed rates (a 1-D array, none above the peak)."""
    if warmup is None:
        return np.zeros(0)
    if isinstance(warmup, (int, np.integer)) and not isinstance(warmup, bool):
        return np.arange(1, int(warmup) + 1, dtype=np.float64) / (int(warmup) + 1) * peak_lr
    values = np.asarray(warmup, np.float64) if np.ndim(warmup) == 1 else None
    if values is None or not values.size < steps or not np.all(np.isfinite(values)) \
            or np.any(values < 0):
        raise ValueError(f"warmup must be an int number of steps or a 1-D array of fewer "
                         f"than {steps} fixed rates, each finite and >= 0, got {warmup!r}")
    if np.any(values > peak_lr * (1 + 1e-12)):
        raise ValueError(f"warmup rates up to {values.max():g} exceed the peak {peak_lr:g} the "
                         f"plan starts from ({why})")
    return values
