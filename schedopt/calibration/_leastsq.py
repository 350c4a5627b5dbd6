"""Fitting one loss form to checked runs: weighted least squares on log-loss, Jacobian from JAX.

Each run weighs the same whatever its number of logged points: its curve points share a
weight of 1 and its final point (a loss logged at the run's last step) adds ``final_weight``.
The bootstrap resamples whole runs, since points of one curve are not independent.
Losses are fitted in units of their geometric mean (a user's units may be 1e-300 or 1e300),
and the parameters are brought back to the user's units at the end.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from schedopt.calibration import _forms
from schedopt.calibration import _guards
from schedopt.calibration._model import LossModel

# A fit whose rms relative error exceeds this is not reported as converged.
FIT_TOL = 0.05


def _thin(steps, loss, max_points):
    """At most ``max_points`` points spread over the logged steps, the last one always kept."""
    order = np.argsort(steps, kind="stable")
    steps, loss = steps[order], loss[order]
    if steps.size > max_points:
        keep = np.unique(np.round(np.linspace(steps.size - 1, 0, max_points)).astype(int))
        steps, loss = steps[keep], loss[keep]
    return steps, loss


def _unique_steps(run):
    """The run's points with repeated steps merged; the same step with two losses is refused."""
    steps, first = np.unique(run.steps, return_index=True)
    if steps.size == run.steps.size:
        return run.steps, run.loss
    for s in steps:
        ys = run.loss[run.steps == s]
        if np.ptp(ys) > 1e-12 * np.max(ys):
            raise ValueError(f"run {run.name!r}: step {int(s)} is logged twice with different "
                             f"losses ({float(ys[0])!r} and "
                             f"{float(ys[np.argmax(ys != ys[0])])!r}); keep one or their mean")
    return steps, run.loss[first]


def _design(runs, form, lr_scale, grad_norms, max_points, final_weight, min_fraction):
    feats, loss, weight, owner = [], [], [], []
    for i, run in enumerate(runs):
        run_steps, run_loss = _unique_steps(run)
        late = run_steps >= min_fraction * run.updates
        if not late.any():
            raise ValueError(f"run {run.name!r}: no loss point at or after min_fraction = "
                             f"{min_fraction!r} of its {run.updates} steps")
        steps, y = _thin(run_steps[late], run_loss[late], max_points)
        g = None
        if grad_norms:
            if run.grad_norm is None:
                raise ValueError(f"run {run.name!r}: grad_norms=True needs a grad_norm log")
            g = run.grad_norm / np.mean(run.grad_norm)
        feats.append(_forms.features(form, run.lr / lr_scale, steps, g))
        w = np.full(steps.size, 1.0 / steps.size)
        w[steps == run.updates] += final_weight
        loss.append(y), weight.append(w), owner.append(np.full(steps.size, i))
    return (np.concatenate(feats), np.concatenate(loss), np.concatenate(weight),
            np.concatenate(owner))


def _residual(z, fixed, sw, X, logy, form, free_idx):
    theta = fixed.at[jnp.asarray(free_idx)].set(z)
    pred = _forms.predict_fn(form)(theta, X)
    # Losses are of order one here; below a floor the log is continued by its tangent, so a
    # trial point with a negative prediction still has a finite residual pointing back up.
    floor = 1e-6
    safe = jnp.maximum(pred, floor)
    return sw * (jnp.where(pred > floor, jnp.log(safe), np.log(floor) + (pred - floor) / floor)
                 - logy)


# One compiled residual and Jacobian per (form, free parameters), reused by every bootstrap
# refit (a refit changes only the weights).
_res = jax.jit(_residual, static_argnums=(5, 6))
_jac = jax.jit(jax.jacfwd(_residual), static_argnums=(5, 6))


def _solve(form, feats, loss, weight, free, theta0, robust):
    """Least squares on the log-losses; ``loss`` already in units of order one."""
    with jax.enable_x64(True):
        fixed = jnp.asarray(theta0, jnp.float64)
        free_idx = tuple(int(i) for i in np.flatnonzero(free))
        lo, hi = _forms.param_bounds(form)
        z0 = np.clip(np.asarray(theta0)[list(free_idx)], lo[list(free_idx)] + 1e-9,
                     hi[list(free_idx)] - 1e-9)
        args = (fixed, jnp.asarray(np.sqrt(weight)), jnp.asarray(feats),
                jnp.asarray(np.log(loss)), form, free_idx)
        out = scipy.optimize.least_squares(
            lambda z: np.asarray(_res(jnp.asarray(z), *args)), z0,
            jac=lambda z: np.asarray(_jac(jnp.asarray(z), *args)), method="trf",
            bounds=(lo[list(free_idx)], hi[list(free_idx)]),
            loss="soft_l1" if robust else "linear", f_scale=1e-3, x_scale="jac",
            max_nfev=2000, xtol=1e-12, ftol=1e-12, gtol=1e-12)
        theta = np.asarray(fixed.at[jnp.asarray(free_idx)].set(jnp.asarray(out.x)))
    return theta, out


def fit_form(runs, form, *, d_power=True, noise_power=True, grad_norms=False, robust=False,
             bootstrap=0, seed=0, max_points=100, final_weight=1.0, min_fraction=0.5):
    """One explicit form fitted to checked ``Run`` objects (see ``fit_loss_curves``)."""
    start = time.perf_counter()
    names = _forms.param_names(form)
    free = np.ones(len(names), bool)
    if form == "bound" and not d_power:
        free[names.index("log_p")] = False
    if form == "bound" and not noise_power:
        free[names.index("log_q")] = False
    label = "bound (C)" if form == "bound" and not (d_power or noise_power) else form
    _guards.check_enough(runs, label, int(free.sum()), min_fraction, max_points)
    lr_scale = float(max(np.max(r.lr) for r in runs))
    feats, loss, weight, owner = _design(runs, form, lr_scale, grad_norms, max_points,
                                         final_weight, min_fraction)
    scale = float(np.exp(np.mean(np.log(loss))))
    y = loss / scale
    theta0 = _forms.start(form, feats, y)
    theta, out = _solve(form, feats, y, weight, free, theta0, robust)
    samples = _bootstrap(form, feats, y, weight, owner, free, theta, robust, bootstrap, seed,
                         len(runs))
    with jax.enable_x64(True):
        pred = np.asarray(_forms.predict_fn(form)(jnp.asarray(theta), jnp.asarray(feats)))
    rel = pred / y - 1.0
    rms = float(np.sqrt(np.average(rel**2, weights=weight)))
    finite = bool(np.all(np.isfinite(theta)) and np.isfinite(rms))
    message = str(out.message)
    if not finite:
        message = "the fit is not finite; " + message
    elif rms > FIT_TOL:
        message = f"rms relative error {rms:.3g} above the tolerance {FIT_TOL:g}; " + message
    lo, hi = _forms.param_bounds(form)
    edge = [k for k in _forms.AMPLITUDE_RANGE.get(form, ())
            if not lo[names.index(k)] + 1e-6 < theta[names.index(k)] < hi[names.index(k)] - 1e-6]
    quality = {"runs": len(runs), "points": int(loss.size), "amplitudes_at_edge": edge,
               "rms_relative_error": rms, "max_relative_error": float(np.max(np.abs(rel))),
               "converged": bool(out.success) and finite and rms <= FIT_TOL,
               "message": message, "evaluations": int(out.nfev),
               "seconds": time.perf_counter() - start,
               "options": {"d_power": bool(d_power), "noise_power": bool(noise_power),
                           "min_fraction": float(min_fraction), "max_points": int(max_points),
                           "final_weight": float(final_weight), "robust": bool(robust)}}
    to_user = lambda th: dict(zip(names, map(float, _forms.rescale(form, th, scale))))
    return LossModel(form=form, params=to_user(theta), lr_scale=lr_scale,
                     grad_norms=bool(grad_norms), quality=quality,
                     bootstrap=[to_user(s) for s in samples])


def _bootstrap(form, feats, loss, weight, owner, free, theta, robust, n, seed, n_runs):
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        pick = rng.integers(0, n_runs, n_runs)
        counts = np.bincount(pick, minlength=n_runs)
        th, _ = _solve(form, feats, loss, weight * counts[owner], free, theta, robust)
        samples.append(th)
    return samples
