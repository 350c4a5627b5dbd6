"""The loss-curve forms a calibration can fit: bound (C) with the applied-rate rule, and the
Multi-Power Law of Luo et al. (arXiv 2503.12811). Each form turns a run into fixed numpy
features once, and maps (parameters, features) to predicted losses in JAX, so the fit's
Jacobian comes from ``jax.jacfwd``.

Learning rates enter in units of ``lr_scale`` (the largest fitted rate) so that every
parameter is of order one; the model stores that scale.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from schedopt.calibration._prefix import noise_terms

FORMS = ("bound", "multi_power")
AUTO = "auto"                      # fit_loss_curves: choose a form by cross-validation

# The fewest runs each form is fitted on: bound (C) with p = q = 1 separates its three
# constants on one run's curve; the powers (bound) and the decay term (multi_power) need two
# schedules to tell the distance term from the noise/decay term.
MIN_RUNS = {"bound": 2, "bound (C)": 1, "multi_power": 2}

# Range of each power (the parameter is its log): a fit that ends at an edge is degenerate.
POWER_RANGES = {"log_p": (1e-3, 10.0), "log_q": (1e-3, 10.0), "log_alpha": (1e-3, 10.0),
                "log_beta": (1e-3, 1e4), "log_gamma": (1e-3, 10.0)}


# ---------------------------------------------------------------------------------------
# Bound (C) with the applied-rate rule (docs/math.md §2, §5.1)
#
#   loss after t updates = L∞ + A·(η_{1:t} + x_t)^{−p} + B·N_t^q,
#   N_t = min_x Σ_{s≤t} G_s²η_s²/(η_{s+1:t} + x) + G_{t+1}² x,   x_t its minimiser.
#
# With p = q = 1 this is L∞ + M·(C at horizon t+1) with A = M D²/2 and B = M/2 (G in units
# of the gradient-norm profile), the analysis weight η_{t+1} = x_t chosen by the noise term.
# The powers p, q are the data's correction to the convex theory's exponents.
# ---------------------------------------------------------------------------------------

BOUND_PARAMS = ("L_inf", "log_A", "log_B", "log_p", "log_q")


def bound_features(lr, steps, grad_norm=None):
    """(P_t + x_t, N_t) at the given steps for rates ``lr`` (already in model units)."""
    lr = np.asarray(lr, np.float64)
    steps = np.asarray(steps, np.int64)
    g2 = np.ones_like(lr) if grad_norm is None else np.square(np.asarray(grad_norm, np.float64))
    g2_next = g2[np.minimum(steps, lr.size - 1)]          # G_{t+1}, the last one past the end
    N, x = noise_terms(lr, g2 * lr**2, steps, g2_next)
    P = np.cumsum(lr)[steps - 1]
    return np.stack([P + x, N], axis=1)


def bound_predict(theta, feats):
    L_inf, log_A, log_B, log_p, log_q = theta[0], theta[1], theta[2], theta[3], theta[4]
    return (L_inf + jnp.exp(log_A) * feats[:, 0] ** (-jnp.exp(log_p))
            + jnp.exp(log_B) * feats[:, 1] ** jnp.exp(log_q))


def bound_start(feats, loss):
    """Starting values: L∞ below the smallest loss, A and B by least squares with p = 1."""
    L0 = 0.9 * float(np.min(loss))
    X = np.stack([1.0 / feats[:, 0], feats[:, 1]], axis=1)
    coef, *_ = np.linalg.lstsq(X, loss - L0, rcond=None)
    coef = np.maximum(coef, 1e-6 * np.abs(coef).max() + 1e-12)
    return np.array([L0, np.log(coef[0]), np.log(coef[1]), 0.0, 0.0])


# ---------------------------------------------------------------------------------------
# Multi-Power Law (Luo et al. 2025, eq. 1):
#   L(t) = L0 + A·(S1(t) + S_W)^{−α} − LD(t),
#   LD(t) = B Σ_{k=1}^{t} (η_{k−1} − η_k)·G(η_k^{−γ} S_k(t)),  S_k(t) = Σ_{τ=k}^{t} η_τ,
#   G(x) = 1 − (C x + 1)^{−β}.
# S1 + S_W is the sum of every applied rate, warm-up included; the sum over k runs over the
# steps after the peak (the paper's k counts from the end of warm-up). Consecutive steps are
# pooled into at most _POOL groups (the decrements summed, η_k and S_k taken at the group's
# last step up to t) so that a curve of n points costs n·_POOL terms, not n·T.
# ---------------------------------------------------------------------------------------

MPL_PARAMS = ("L0", "log_A", "log_alpha", "log_B", "log_C", "log_beta", "log_gamma")
# From γ = 1 on the law has no best schedule: a last rate ε → 0 earns its whole drop, since
# η^{−γ}·η_{k:N} ≈ ε^{1−γ} does not vanish (calibration/_mpl_plan.py).
MPL_GAMMA_LIMIT = 1.0
_POOL = 256


def _weighted_prefix_mean(x, w, i):
    """Σ_{s≤i} w_s x_s / Σ_{s≤i} w_s for each index i (x_i where those weights are all 0)."""
    total = np.cumsum(w)[i]
    return np.where(total > 0, np.cumsum(w * x)[i] / np.where(total > 0, total, 1.0), x[i])


def mpl_features(lr, steps):
    """Per step: [S(t), then per group k: Δ_k, η_k, S_k(t) (0 where k > t)].

    A group stands for its steps up to t: its decrements summed, and η_k and P_{k−1} (hence
    S_k(t) = P_t − P_{k−1}) averaged with the weights |Δ_k|, so a drop in the rate lowers the
    predicted loss from the step after it, not from the end of its group, and a uniform decay
    is taken at its middle.
    """
    lr = np.asarray(lr, np.float64)
    steps = np.asarray(steps, np.int64)
    P = np.cumsum(lr)
    peak = int(np.argmax(lr))
    k = np.arange(peak + 1, lr.size)                        # 0-based index of η_k, k ≥ 1
    delta = lr[k - 1] - lr[k]
    groups = np.array_split(np.arange(k.size), min(_POOL, max(k.size, 1))) if k.size else []
    out = np.zeros((steps.size, 1 + 3 * _POOL))
    out[:, 1 + _POOL:1 + 2 * _POOL] = 1.0           # η of unused groups (their Δ is 0)
    out[:, 0] = P[steps - 1]
    for j, g in enumerate(groups):
        if g.size == 0:
            continue
        ks = k[g]
        i = np.searchsorted(ks, steps - 1, side="right") - 1    # the group's last step ≤ t − 1
        seen = i >= 0
        i = np.maximum(i, 0)
        w = np.abs(delta[g])
        out[:, 1 + j] = np.where(seen, np.cumsum(delta[g])[i], 0.0)
        out[:, 1 + _POOL + j] = np.maximum(_weighted_prefix_mean(lr[ks], w, i), 1e-12)
        start = _weighted_prefix_mean(P[ks - 1], w, i)
        out[:, 1 + 2 * _POOL + j] = np.where(seen, np.maximum(P[steps - 1] - start, 0.0), 0.0)
    return out


def mpl_predict(theta, feats):
    L0, A, alpha, B, C, beta, gamma = (theta[0],) + tuple(jnp.exp(theta[1:]))
    S = feats[:, 0]
    d = feats[:, 1:1 + _POOL]
    eta = feats[:, 1 + _POOL:1 + 2 * _POOL]
    Sk = feats[:, 1 + 2 * _POOL:]
    G = 1.0 - (C * eta ** (-gamma) * Sk + 1.0) ** (-beta)
    return L0 + A * S ** (-alpha) - B * jnp.sum(d * G, axis=1)


def mpl_start(feats, loss):
    """L0 below the smallest loss, α = 0.5 and A through the median point; B, β, γ of order
    one and C so that the decay term saturates over ~10% of the typical LR sum."""
    L0 = 0.9 * float(np.min(loss))
    S = feats[:, 0]
    i = int(np.argsort(S)[S.size // 2])
    A = max(float(loss[i]) - L0, 1e-3) * np.sqrt(S[i])
    C = 10.0 / max(float(np.median(S)), 1e-12)
    return np.array([L0, np.log(A), np.log(0.5), np.log(0.3), np.log(C), np.log(0.5),
                     np.log(0.5)])


def features(form, lr, steps, grad_norm=None):
    if form == "bound":
        return bound_features(lr, steps, grad_norm)
    return mpl_features(lr, steps)


def predict_fn(form):
    return bound_predict if form == "bound" else mpl_predict


def start(form, feats, loss):
    return bound_start(feats, loss) if form == "bound" else mpl_start(feats, loss)


def param_names(form):
    return BOUND_PARAMS if form == "bound" else MPL_PARAMS


def floor_name(form):
    """The parameter that is the loss the model tends to (L∞ of bound, L0 of multi_power)."""
    return "L_inf" if form == "bound" else "L0"


# The Multi-Power Law's log-amplitudes (losses in units of their geometric mean, rates in
# model units): B·G has a flat valley B → ∞, C → 0 in which only B·C·β matters (G ≈ βCx), and
# the solver followed it to exp(564) = inf (an AdamW closed-loop pilot set). A fit that ends at
# these bounds is flagged like a power at its edge.
AMPLITUDE_RANGE = {"multi_power": ("log_A", "log_B", "log_C")}
LOG_AMPLITUDE = 50.0


def param_bounds(form):
    """(low, high) arrays of the parameters for the solver: powers in POWER_RANGES (in log),
    the Multi-Power Law's amplitudes within ±LOG_AMPLITUDE (in log)."""
    names = param_names(form)
    lo = np.array([np.log(POWER_RANGES[k][0]) if k in POWER_RANGES else -np.inf for k in names])
    hi = np.array([np.log(POWER_RANGES[k][1]) if k in POWER_RANGES else np.inf for k in names])
    for k in AMPLITUDE_RANGE.get(form, ()):
        lo[names.index(k)], hi[names.index(k)] = -LOG_AMPLITUDE, LOG_AMPLITUDE
    return lo, hi


def rescale(form, theta, scale):
    """Parameters for losses multiplied by ``scale``: the floor and the log-amplitudes move,
    the powers do not (every form is L = floor + amplitudes × shape terms)."""
    theta = np.array(theta, np.float64)
    names = param_names(form)
    theta[names.index(floor_name(form))] *= scale
    for k in ("log_A", "log_B"):
        theta[names.index(k)] += np.log(scale)
    return theta
