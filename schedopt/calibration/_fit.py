"""Fitting a loss form to runs: weighted least squares on log-loss, Jacobian from JAX.

Each run weighs the same whatever its number of logged points: its curve points share a
weight of 1 and its final point (a loss logged at the run's last step) adds ``final_weight``.
The bootstrap resamples whole runs, since points of one curve are not independent.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from schedopt.calibration import _forms
from schedopt.calibration._model import LossModel
from schedopt.calibration._runs import as_runs


def _thin(steps, loss, max_points):
    """At most ``max_points`` points spread over the logged steps, the last one always kept."""
    order = np.argsort(steps, kind="stable")
    steps, loss = steps[order], loss[order]
    if steps.size > max_points:
        keep = np.unique(np.round(np.linspace(steps.size - 1, 0, max_points)).astype(int))
        steps, loss = steps[keep], loss[keep]
    return steps, loss


def _design(runs, form, lr_scale, grad_norms, max_points, final_weight, min_fraction):
    feats, loss, weight, owner = [], [], [], []
    for i, run in enumerate(runs):
        late = run.steps >= min_fraction * run.horizon
        if not late.any():
            raise ValueError(f"run {run.name!r}: no loss point at or after min_fraction = "
                             f"{min_fraction!r} of its {run.horizon} steps")
        steps, y = _thin(run.steps[late], run.loss[late], max_points)
        g = None
        if grad_norms:
            if run.grad_norm is None:
                raise ValueError(f"run {run.name!r}: grad_norms=True needs a grad_norm log")
            g = run.grad_norm / np.mean(run.grad_norm)
        feats.append(_forms.features(form, run.lr / lr_scale, steps, g))
        w = np.full(steps.size, 1.0 / steps.size)
        w[steps == run.horizon] += final_weight
        loss.append(y), weight.append(w), owner.append(np.full(steps.size, i))
    return (np.concatenate(feats), np.concatenate(loss), np.concatenate(weight),
            np.concatenate(owner))


def _solve(form, feats, loss, weight, free, theta0, robust):
    with jax.enable_x64(True):
        return _solve_x64(form, feats, loss, weight, free, theta0, robust)


def _residual(z, fixed, sw, X, logy, form, free_idx):
    theta = fixed.at[jnp.asarray(free_idx)].set(z)
    pred = _forms.predict_fn(form)(theta, X)
    return sw * (jnp.log(jnp.maximum(pred, 1e-9)) - logy)


# One compiled residual and Jacobian per (form, free parameters), reused by every bootstrap
# refit (a refit changes only the weights).
_res = jax.jit(_residual, static_argnums=(5, 6))
_jac = jax.jit(jax.jacfwd(_residual), static_argnums=(5, 6))


def _solve_x64(form, feats, loss, weight, free, theta0, robust):
    fixed = jnp.asarray(theta0, jnp.float64)
    free_idx = tuple(int(i) for i in np.flatnonzero(free))
    args = (fixed, jnp.asarray(np.sqrt(weight)), jnp.asarray(feats),
            jnp.asarray(np.log(loss)), form, free_idx)
    out = scipy.optimize.least_squares(
        lambda z: np.asarray(_res(jnp.asarray(z), *args)), np.asarray(theta0)[list(free_idx)],
        jac=lambda z: np.asarray(_jac(jnp.asarray(z), *args)), method="trf",
        loss="soft_l1" if robust else "linear", f_scale=1e-3, x_scale="jac",
        max_nfev=2000, xtol=1e-12, ftol=1e-12, gtol=1e-12)
    theta = np.asarray(fixed.at[jnp.asarray(free_idx)].set(jnp.asarray(out.x)))
    return theta, out


def fit_loss_curves(runs, *, form="bound", d_power=True, noise_power=True, grad_norms=False,
                    robust=False,
                    bootstrap=0, seed=0, max_points=100, final_weight=1.0,
                    min_fraction=0.5) -> LossModel:
    """Fit a loss-curve model shared by ``runs`` (docs/math.md §2, bound (C); or the Multi-Power Law).

    Args:
      runs: ``Run`` objects or mappings ``{"lr": rates applied at steps 1..T, "steps":
        observed step numbers, "loss": observed losses}`` with optional ``"grad_norm"`` (one
        per step) and ``"name"``. Curves may be sparse, unordered, tail-only or one final loss.
      form: ``"bound"`` — ``L∞ + A·(η_{1:t} + x_t)^{−p} + B·N_t^q``, bound (C) at horizon t+1
        after t applied steps with the unapplied analysis weight x_t chosen by the noise term
        (see ``schedopt.calibration._forms``) — or ``"multi_power"`` (Luo et al. 2025).
      d_power, noise_power: fit the powers p and q of the distance and noise terms (bound
        form); both False keep p = q = 1, bound (C) itself. The defaults (both fitted, points
        from half of each run on) are the variant that predicted held-out real runs best
        (benchmarks/llm_runs.py).
      grad_norms: weight step s of the noise term by the run's logged G_s² (bound form).
      robust: a soft-L1 loss on the log-loss residuals instead of squares.
      bootstrap: number of refits on runs resampled with replacement, for intervals.
      max_points: the most curve points used per run (spread over its steps).
      final_weight: extra weight of a run's final loss beside its curve.
      min_fraction: use only points at steps ≥ this fraction of each run's horizon (the
        first part of a run, warm-up transient included, follows another regime).

    Returns:
      A ``LossModel`` with ``predict``, ``best_peak_lr``, ``best_schedule`` and ``save``.
    """
    if form not in _forms.FORMS:
        raise ValueError(f"form must be one of {', '.join(map(repr, _forms.FORMS))}, got {form!r}")
    if not (isinstance(bootstrap, int) and bootstrap >= 0):
        raise ValueError(f"bootstrap must be a whole number >= 0, got {bootstrap!r}")
    if not (isinstance(max_points, int) and max_points >= 1):
        raise ValueError(f"max_points must be a whole number >= 1, got {max_points!r}")
    runs = as_runs(runs)
    start = time.perf_counter()
    lr_scale = float(max(np.max(r.lr) for r in runs))
    if not 0.0 <= min_fraction <= 1.0:
        raise ValueError(f"min_fraction must lie in [0, 1], got {min_fraction!r}")
    feats, loss, weight, owner = _design(runs, form, lr_scale, grad_norms, max_points,
                                         float(final_weight), float(min_fraction))
    names = _forms.param_names(form)
    free = np.ones(len(names), bool)
    if form == "bound" and not d_power:
        free[names.index("log_p")] = False
    if form == "bound" and not noise_power:
        free[names.index("log_q")] = False
    theta0 = _forms.start(form, feats, loss)
    theta, out = _solve(form, feats, loss, weight, free, theta0, robust)
    samples = _bootstrap(form, feats, loss, weight, owner, free, theta, robust, bootstrap, seed,
                         len(runs))
    with jax.enable_x64(True):
        pred = np.asarray(_forms.predict_fn(form)(jnp.asarray(theta), jnp.asarray(feats)))
    rel = pred / loss - 1.0
    quality = {"runs": len(runs), "points": int(loss.size),
               "rms_relative_error": float(np.sqrt(np.average(rel**2, weights=weight))),
               "max_relative_error": float(np.max(np.abs(rel))),
               "converged": bool(out.success), "message": str(out.message),
               "evaluations": int(out.nfev), "seconds": time.perf_counter() - start}
    return LossModel(form=form, params=dict(zip(names, map(float, theta))), lr_scale=lr_scale,
                     grad_norms=bool(grad_norms), quality=quality,
                     bootstrap=[dict(zip(names, map(float, s))) for s in samples])


def _bootstrap(form, feats, loss, weight, owner, free, theta, robust, n, seed, n_runs):
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        pick = rng.integers(0, n_runs, n_runs)
        counts = np.bincount(pick, minlength=n_runs)
        th, _ = _solve(form, feats, loss, weight * counts[owner], free, theta, robust)
        samples.append(th)
    return samples
