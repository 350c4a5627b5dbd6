"""What keeps a calibration honest: checked options, diverged pilots set aside, too few runs
refused in one line, and the flags of a doubtful fit (issue 18 §5).

A diverged pilot (a NaN/inf loss, or a run whose last loss is above its first) is not fitted:
the model records it, and its peak LR caps every peak the model recommends.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping

import numpy as np

from schedopt.calibration import _forms
from schedopt.calibration._runs import Run
from schedopt.calibration._runs import as_run
from schedopt.calibration._runs import as_runs

DEFAULTS = {"d_power": True, "noise_power": True, "grad_norms": False, "robust": False,
            "bootstrap": 0, "seed": 0, "max_points": 100, "final_weight": 1.0,
            "min_fraction": 0.5}
CV_LIMIT = 0.02          # a cross-validated error above this flags the model

HORIZON_TOL = 0.05       # horizons this close to the longest count as the longest


def _whole(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def _real(name, value, low, high, allowed):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not (np.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be a finite number {allowed}, got {value!r}")
    return float(value)


def _flag(name, value):
    if value is None:
        return None
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_options(*, form, d_power, noise_power, grad_norms, robust, bootstrap, seed,
                  max_points, final_weight, min_fraction):
    """The options of ``fit_loss_curves``, checked; None stays None (a default to choose)."""
    forms = (_forms.AUTO,) + _forms.FORMS
    if not isinstance(form, str) or form not in forms:
        raise ValueError(f"form must be one of {', '.join(map(repr, forms))}, got {form!r}")
    out = {"form": form, "d_power": _flag("d_power", d_power),
           "noise_power": _flag("noise_power", noise_power),
           "grad_norms": _flag("grad_norms", grad_norms), "robust": _flag("robust", robust),
           "bootstrap": _whole("bootstrap", bootstrap, 0), "seed": _whole("seed", seed, 0),
           "max_points": None if max_points is None else _whole("max_points", max_points, 1),
           "final_weight": _real("final_weight", final_weight, 0.0, np.inf, ">= 0"),
           "min_fraction": None if min_fraction is None
           else _real("min_fraction", min_fraction, 0.0, 1.0, "in [0, 1]")}
    if form == "multi_power" and (d_power is not None or noise_power is not None
                                  or grad_norms):
        raise ValueError("d_power, noise_power and grad_norms are options of the 'bound' "
                         "form; form='multi_power' takes none of them")
    return out


def _diverged(run):
    """Why a checked run diverged, or None."""
    bad = ~np.isfinite(run.loss)
    if bad.any():
        i = int(np.flatnonzero(bad)[np.argmin(run.steps[bad])])
        return f"loss {float(run.loss[i])!r} at step {int(run.steps[i])}"
    order = np.argsort(run.steps, kind="stable")
    first, last = run.loss[order[0]], run.loss[order[-1]]
    if run.steps.size >= 2 and last > first:
        return (f"its last loss {float(last):.6g} (step {int(run.steps[order[-1]])}) is above "
                f"its first {float(first):.6g} (step {int(run.steps[order[0]])})")
    return None


def split_diverged(runs):
    """(checked runs to fit, [{"name", "peak_lr", "reason"} of each diverged run])."""
    if isinstance(runs, (Mapping, Run)):
        runs = [runs]
    if isinstance(runs, (str, bytes)) or not hasattr(runs, "__iter__"):
        raise TypeError(f"runs must be a list of runs (mappings or Run), got "
                        f"{type(runs).__name__}")
    checked = [as_run(r, i, diverged_ok=True) for i, r in enumerate(runs)]
    keep, diverged = [], []
    for r in checked:
        why = _diverged(r)
        if why is None:
            keep.append(r)
        else:
            peak = float(np.max(r.lr[: int(r.steps.max())]))
            diverged.append({"name": r.name, "peak_lr": peak, "reason": why})
    if not keep and diverged:
        raise ValueError(f"every run diverged ("
                         f"{'; '.join(d['name'] + ': ' + d['reason'] for d in diverged)}); "
                         "nothing is left to fit")
    return as_runs(keep), diverged


def check_enough(runs, form, n_free, min_fraction, max_points):
    """One-line refusals: fewer runs than the form needs, fewer points than parameters."""
    need = _forms.MIN_RUNS[form]
    if len(runs) < need:
        raise ValueError(f"need at least {need} runs for form {form}, got {len(runs)}")
    points = sum(min(int(np.count_nonzero(np.unique(r.steps) >= min_fraction * r.updates)),
                     max_points) for r in runs)
    if points < n_free:
        raise ValueError(f"a fit of {n_free} parameters (form {form}) needs at least {n_free} "
                         f"loss points, got {points} (min_fraction = {min_fraction:g}, "
                         f"max_points = {max_points})")


def flags(model, runs):
    """What makes a fitted model doubtful, as sentences (empty: nothing found)."""
    out = []
    p = model.params
    floor = p[_forms.floor_name(model.form)]
    lowest = min(float(np.min(r.loss)) for r in runs) if runs else np.inf
    if floor < 0:
        out.append(f"the fitted floor {_forms.floor_name(model.form)} = {floor:.4g} is below 0")
    elif floor > lowest:
        out.append(f"the fitted floor {_forms.floor_name(model.form)} = {floor:.6g} is above "
                   f"the lowest observed loss {lowest:.6g}")
    for k, (lo, hi) in _forms.POWER_RANGES.items():
        if k in p and model.quality.get("free", {}).get(k, True):
            v = float(np.exp(p[k]))
            if v <= lo * 1.001 or v >= hi / 1.001:
                out.append(f"the power {k[4:]} = {v:.4g} is at the edge of its range "
                           f"[{lo:g}, {hi:g}]")
    if model.form == "multi_power" and np.exp(p["log_gamma"]) >= _forms.MPL_GAMMA_LIMIT:
        out.append(f"the power gamma = {np.exp(p['log_gamma']):.4g} is >= 1: the multi_power "
                   "law then has no best schedule (a last rate -> 0 earns its whole drop), and "
                   "plan refuses it")
    for k in model.quality.get("amplitudes_at_edge", []):
        out.append(f"the amplitude {k[4:]} ended at the edge of its range (exp(±"
                   f"{_forms.LOG_AMPLITUDE:g}) in the fit's units): a flat direction of the fit, "
                   "in which only a product of parameters is determined")
    cv = model.quality.get("cv", {}).get("cv_error")
    if cv is not None and cv > CV_LIMIT:
        out.append(f"the cross-validated error {100 * cv:.2f}% is above {100 * CV_LIMIT:g}%")
    q = model.quality
    if not q.get("converged", True):
        out.append(f"the fit did not converge ({q.get('message', '')})")
    return out


def finish(model, runs, diverged):
    """The model with its flags, diverged runs and the range of pilot peaks recorded."""
    quality = dict(model.quality, diverged=diverged)
    model = dataclasses.replace(model, quality=quality)
    peaks = [float(np.max(r.lr)) for r in runs]
    cap = min((d["peak_lr"] for d in diverged), default=None)
    quality["flags"] = flags(model, runs)
    quality["best_pilot"] = best_pilot(runs)
    return dataclasses.replace(model, quality=quality, diverged_peak_lr=cap,
                               pilot_peak_lrs=(min(peaks), max(peaks)))


def best_pilot(runs):
    """The run of the longest horizon with the lowest last logged loss (its name, peak LR,
    updates and that loss): the peak the multi_power form plans with."""
    longest = max(r.updates for r in runs)
    r = min((r for r in runs if r.updates >= (1 - HORIZON_TOL) * longest), key=_last_loss)
    return {"name": r.name, "peak_lr": float(np.max(r.lr)), "updates": int(r.updates),
            "loss": _last_loss(r)}


def _last_loss(run):
    return float(run.loss[np.argmax(run.steps)])
