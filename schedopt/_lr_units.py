"""Units of a rate: the one place where learning rates and D/G-unit rates are converted.

A rate is either in **D/G units** (the bounds' world: ``optimal_schedule(T, D, G)`` returns
rates of order D/(G√T)) or in the user's **LR units** (a tracker's world: the learning rate
the optimizer was given). The two differ by a scale, ``lr = lr_scale · η``, which a user
either knows (``lr_scale=``) or has fitted: a loss model from ``schedopt calibrate`` stores it
as ``lr_scale`` beside the constants A, B of its bound form, whose p = q = 1 reading is bound
(C) with D = √(2A), G = √(2B) in model units (``schedopt.calibration._forms``).

Every entry point that takes rates a user applied says which units they are in
(``units="bound"`` or ``units="lr"``) and converts here, through ``scale_of``; this module
also turns a ``ScheduleResult`` into the rates an adapter applies (``rates_of``), and holds
the rescaling to a peak learning rate (``scale_to_peak``, ``rescale``: a peak LR is the other
way of giving the scale), which ``applied_schedule(peak_lr=)`` and the adapters share.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

UNITS = ("bound", "lr")
# The jump η_T/η_{T-1} = 1 + √2 of the horizon-T optimum's never-applied weight
# (docs/math.md §4.5); a decreasing array ending with a jump near it looks like one.
_WEIGHT_JUMP = (2.2, 2.7)


@dataclasses.dataclass(frozen=True)
class Scale:
    """``lr = lr_scale · η``; ``D``, ``G`` the bound's constants in those units, or None
    where the caller's D and G stand; ``source`` says where the scale came from."""
    lr_scale: float
    D: float | None
    G: float | None
    source: str


def scale_of(units="bound", *, lr_scale=None, model=None, what="applied") -> Scale:
    """The conversion of rates given in ``units``.

    ``units="bound"``: rates already in D/G units (scale 1, no model or scale allowed).
    ``units="lr"``: learning rates, converted by ``lr_scale`` (η = lr/lr_scale) or by a
    calibrated ``model`` (a ``schedopt.calibration.LossModel`` of the bound form: its
    ``lr_scale`` and D = √(2A), G = √(2B)); without either it is refused with a sentence
    that says which to give.
    """
    if not isinstance(units, str) or units not in UNITS:
        raise ValueError(f"units must be 'bound' (rates in units of D/G) or 'lr' (learning "
                         f"rates in your units), got {units!r}")
    if units == "bound":
        if lr_scale is not None or model is not None:
            raise ValueError(f"lr_scale and model convert learning rates; with units='bound' "
                             f"the {what} rates are already in units of D/G: give units='lr' "
                             f"or leave them out")
        return Scale(1.0, None, None, "units of D/G")
    if lr_scale is not None and model is not None:
        raise ValueError("give lr_scale or model, not both: each sets the learning-rate scale")
    if model is not None:
        return _model_scale(model)
    if lr_scale is None:
        raise ValueError(f"the {what} rates are learning rates (units='lr'): give model= (a "
                         f"model fitted by schedopt calibrate) or lr_scale= (lr = lr_scale · "
                         f"the D/G-unit rate) to convert them")
    try:
        s = float(lr_scale)
    except (TypeError, ValueError):
        s = math.nan
    if isinstance(lr_scale, bool) or not (math.isfinite(s) and s > 0):
        raise ValueError(f"lr_scale must be a finite number > 0, got {lr_scale!r}")
    return Scale(s, None, None, f"lr_scale = {s:g}")


def _model_scale(model) -> Scale:
    form = getattr(model, "form", None)
    params = getattr(model, "params", None)
    if form != "bound" or not isinstance(params, dict):
        raise ValueError(f"model must be a loss model of the 'bound' form (schedopt "
                         f"calibrate --form bound), got {type(model).__name__} with form "
                         f"{form!r}")
    A, B = math.exp(params["log_A"]), math.exp(params["log_B"])
    return Scale(float(model.lr_scale), math.sqrt(2 * A), math.sqrt(2 * B),
                 f"the calibrated model (lr_scale = {float(model.lr_scale):g}, "
                 f"D = √(2A) = {math.sqrt(2 * A):.4g}, G = √(2B) = {math.sqrt(2 * B):.4g})")


def to_bound_units(lr, scale: Scale):
    """Learning rates (or None) in D/G units."""
    if lr is None or scale.lr_scale == 1.0:
        return lr
    return np.asarray(lr, dtype=np.float64) / scale.lr_scale


def to_lr_units(result, scale: Scale):
    """A ``ScheduleResult`` in D/G units with its rates (and weight) in LR units; its
    problem record says the scale. ``bound`` keeps its value (it does not depend on units
    of η once D and G are given)."""
    s = scale.lr_scale
    problem = dict(result.problem or {}, units="lr", lr_scale=s, scale_source=scale.source)
    return dataclasses.replace(
        result, eta=np.asarray(result.eta) * s,
        weight=None if result.weight is None else result.weight * s, problem=problem,
        message=f"{result.message}; rates in LR units ({scale.source})")


def extend_in_units(solve, applied, steps, D, G, *, units, lr_scale, model, max_lr,
                    rewarmup, rewarmup_peak, above_peak=None, **rest):
    """``solve`` (extend_schedule's D/G-unit body) on rates given in ``units``: converted in,
    solved, converted out. Unless ``above_peak`` (default: only in D/G units), without a
    re-warm-up the continuation never rises above the history's peak: when the free optimum
    does, it is solved again with that peak as the cap.
    """
    scale = scale_of(units, lr_scale=lr_scale, model=model)
    if above_peak is None:
        above_peak = units == "bound"
    if not isinstance(above_peak, (bool, np.bool_)):
        raise TypeError(f"above_peak must be True, False or None, got {above_peak!r}")
    if scale.D is not None:
        if (D, G) != (1.0, 1.0):
            raise ValueError("model sets D and G (its fitted constants); leave D and G out")
        D, G = scale.D, scale.G
    history = to_bound_units(applied, scale)
    max_lr, rewarmup_peak = (to_bound_units(x, scale) for x in (max_lr, rewarmup_peak))
    args = dict(rest, rewarmup=rewarmup, rewarmup_peak=rewarmup_peak)
    result = solve(history, steps, D, G, max_lr=max_lr, **args)
    done = np.asarray(history, dtype=np.float64).reshape(-1)       # checked by solve
    W = done.shape[0]
    if not above_peak and not rewarmup and W and W < result.eta.shape[0]:
        peak = float(np.max(done))
        if float(np.max(result.eta[W:])) > peak and (max_lr is None or max_lr > peak):
            result = solve(history, steps, D, G, max_lr=peak, **args)
            result = dataclasses.replace(
                result, message=result.message + "; capped at the history's peak (a "
                "continuation does not rise above it without a re-warm-up)")
    return to_lr_units(result, scale) if units == "lr" else result


def rates_of(eta, name="eta", *, include_weight=False, who="as_optax"):
    """The rates an adapter applies: a ``ScheduleResult``'s ``rates_to_apply`` (a horizon-T
    result's never-applied weight η_T is dropped, with a warning saying so, unless
    ``include_weight=True``), or an array as given (a warning when it ends with the 1 + √2
    jump of the horizon-T optimum's weight, docs/math.md §4.5)."""
    from schedopt._result import ScheduleResult

    if isinstance(eta, ScheduleResult):
        if eta.applied or include_weight:
            return eta.eta
        if eta.horizon >= 2:
            warnings.warn(f"{who}: applying the {eta.updates} rates η_1..η_{eta.updates} of "
                          f"the horizon-{eta.horizon} result; η_{eta.horizon} is bound (C)'s "
                          f"weight, never applied (docs/math.md §5.1); include_weight=True "
                          f"applies it too", UserWarning, stacklevel=3)
            return eta.rates_to_apply
        return eta.eta
    if include_weight:
        raise ValueError("include_weight only applies to a ScheduleResult (an array is "
                         "applied as given)")
    try:
        arr = np.asarray(eta, dtype=np.float64)
    except (TypeError, ValueError):
        return eta                                   # the adapter's own check names it
    if arr.ndim == 1 and arr.shape[0] >= 3 and 0 < arr[-2] <= arr[-3] \
            and _WEIGHT_JUMP[0] * arr[-2] < arr[-1] < _WEIGHT_JUMP[1] * arr[-2]:
        warnings.warn(f"{who}: {name} ends with a jump of ×{arr[-1] / arr[-2]:.3g}, like the "
                      f"never-applied weight of optimal_schedule(T).eta (docs/math.md §5.1); "
                      f"pass the result itself, its rates_to_apply, or applied_schedule(N)",
                      UserWarning, stacklevel=3)
    return eta


def scale_to_peak(eta, peak_lr) -> np.ndarray:
    """``eta`` multiplied so that its largest value is exactly ``peak_lr`` (to the bit).

    ``min`` and the exact assignment keep every other value at or below the peak
    (``x·c`` can round up to ``c·top`` + 1 ulp).
    """
    from schedopt import _validation

    peak_lr = _validation.positive_scalar(peak_lr, "peak_lr")
    eta = np.asarray(eta, dtype=np.float64)
    top = float(np.max(eta))
    if not top > 0:
        raise ValueError(f"eta must have a positive value to scale to peak_lr, got max {top!r}")
    out = np.minimum(eta * (peak_lr / top), peak_lr)
    out[eta == top] = peak_lr
    return out


def rescale(result, peak_lr, D, G_horizon, bound):
    """``result`` with η scaled to ``peak_lr``; ``bound(eta_full, D, G_horizon)`` recomputes
    bound (C) (the caller's, so that this module imports no bound), and the gap is carried
    over honestly: within ``max(bound(rescaled) − result.bound, 0) + gap`` of the optimum.
    For rates to apply the never-applied weight η_{N+1} is scaled by the same factor (no
    cap: it is not an applied rate). ``peak_lr=None`` returns ``result`` unchanged."""
    if peak_lr is None:
        return result
    eta = scale_to_peak(result.eta, peak_lr)
    weight, full = None, eta
    if result.applied:
        weight = result.weight * (float(np.max(eta)) / float(np.max(result.eta)))
        full = np.append(eta, weight)
    value = float(bound(full, D, G_horizon))
    gap = None if result.gap is None else max(value - result.bound, 0.0) + result.gap
    return dataclasses.replace(
        result, eta=eta, bound=value, gap=gap, weight=weight,
        message=f"{result.message}; rescaled to peak_lr = {peak_lr!r} (bound: bound (C) of the "
                f"rescaled schedule, D = {float(D)!r})")
