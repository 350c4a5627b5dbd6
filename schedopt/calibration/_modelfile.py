"""Checks of a model read from a file: every parameter finite and in its range, the bootstrap a
list of complete parameter sets, the LR fields positive (issue 21: a tampered file must be
refused on load, not planned with)."""

from __future__ import annotations

import numbers

import numpy as np

from schedopt.calibration import _forms


def _bad(problem):
    return ValueError(f"model file: {problem}")


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise _bad(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _params(p, names, what):
    if not isinstance(p, dict):
        raise _bad(f"{what} must be a mapping of {', '.join(names)}, got {type(p).__name__}")
    missing = [k for k in names if k not in p]
    extra = [k for k in p if k not in names]
    if missing or extra:
        raise _bad(f"{what} must hold exactly {', '.join(names)}; "
                   + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"))
    out = {k: _number(p[k], f"{what}[{k!r}]") for k in names}
    for k, (lo, hi) in _forms.POWER_RANGES.items():
        if k in out and not np.log(lo) - 1e-9 <= out[k] <= np.log(hi) + 1e-9:
            raise _bad(f"{what}[{k!r}] = {out[k]!r} puts the power {k[4:]} = "
                       f"exp({out[k]:g}) outside its range [{lo:g}, {hi:g}]")
    for k in ("log_A", "log_B", "log_C"):
        if k in out and not -745 < out[k] < 709:
            raise _bad(f"{what}[{k!r}] = {out[k]!r} is out of range (-745 < log < 709)")
    return out


def _quality(quality):
    """What ``plan`` and ``LossModel`` read from ``quality``: the cross-validation record, the
    flags and the diverged runs (each absent, or of the type written), and the best pilot."""
    cv = quality.get("cv")
    if "cv" in quality:
        if not isinstance(cv, dict):
            raise _bad(f"quality['cv'] must be a mapping, got {cv!r}")
        if not _number(cv.get("cv_error"), "quality['cv']['cv_error']") >= 0:
            raise _bad(f"quality['cv']['cv_error'] must be >= 0, got {cv['cv_error']!r}")
        for k in ("chosen", "scheme"):
            if not isinstance(cv.get(k), str):
                raise _bad(f"quality['cv'][{k!r}] must be a string, got {cv.get(k)!r}")
        _final_errors(cv)
    flags = quality.get("flags", [])
    if not (isinstance(flags, list) and all(isinstance(f, str) for f in flags)):
        raise _bad(f"quality['flags'] must be a list of sentences, got {flags!r}")
    runs = quality.get("diverged", [])
    if not (isinstance(runs, list) and all(
            isinstance(r, dict) and isinstance(r.get("name"), str)
            and isinstance(r.get("reason"), str) for r in runs)):
        raise _bad(f"quality['diverged'] must be a list of runs, got {runs!r}")
    _best_pilot(quality)


def _final_errors(cv):
    """The cross-validated final-loss errors that widen the interval: a list of finite
    numbers above -1 (a prediction is positive), or absent."""
    errors = cv.get("final_errors")
    if errors is None:
        return
    if not isinstance(errors, list):
        raise _bad(f"quality['cv']['final_errors'] must be a list of numbers, got "
                   f"{type(errors).__name__}")
    for i, e in enumerate(errors):
        if not _number(e, f"quality['cv']['final_errors'][{i}]") > -1:
            raise _bad(f"quality['cv']['final_errors'][{i}] must be > -1, got {e!r}")


def _best_pilot(quality):
    """The best pilot (``_guards.best_pilot``), whose peak a multi_power plan uses, or absent."""
    best = quality.get("best_pilot")
    if best is None:
        return
    if not isinstance(best, dict) or not isinstance(best.get("name"), str):
        raise _bad(f"quality['best_pilot'] must be a mapping with a name, got {best!r}")
    if not _number(best.get("peak_lr"), "quality['best_pilot']['peak_lr']") > 0:
        raise _bad(f"quality['best_pilot']['peak_lr'] must be > 0, got {best['peak_lr']!r}")
    updates = best.get("updates")
    if not (isinstance(updates, int) and not isinstance(updates, bool) and updates >= 1):
        raise _bad(f"quality['best_pilot']['updates'] must be an int >= 1, got {updates!r}")


def check(d, fmt):
    """The keyword arguments of ``LossModel`` from a file's mapping, or ValueError."""
    if not isinstance(d, dict) or d.get("format") != fmt:
        raise ValueError(f"not a schedopt calibration model (expected format {fmt!r})")
    missing = [k for k in ("form", "params", "lr_scale") if k not in d]
    if missing:
        raise _bad(f"missing key(s) {', '.join(map(repr, missing))}")
    form = d["form"]
    if not isinstance(form, str) or form not in _forms.FORMS:
        raise _bad(f"form must be one of {', '.join(map(repr, _forms.FORMS))}, got {form!r}")
    names = _forms.param_names(form)
    lr_scale = _number(d["lr_scale"], "lr_scale")
    if lr_scale <= 0:
        raise _bad(f"lr_scale must be > 0, got {lr_scale!r}")
    boot = d.get("bootstrap", [])
    if not isinstance(boot, list):
        raise _bad(f"bootstrap must be a list of parameter sets, got {type(boot).__name__}")
    quality = d.get("quality", {})
    if not isinstance(quality, dict):
        raise _bad(f"quality must be a mapping, got {type(quality).__name__}")
    _quality(quality)
    cap = d.get("diverged_peak_lr")
    if cap is not None and not _number(cap, "diverged_peak_lr") > 0:
        raise _bad(f"diverged_peak_lr must be > 0 or null, got {cap!r}")
    peaks = d.get("pilot_peak_lrs", [])
    if not isinstance(peaks, list) or len(peaks) not in (0, 2):
        raise _bad(f"pilot_peak_lrs must be [lowest, highest] or [], got {peaks!r}")
    peaks = tuple(_number(v, "pilot_peak_lrs") for v in peaks)
    if peaks and not 0 < peaks[0] <= peaks[1]:
        raise _bad(f"pilot_peak_lrs must satisfy 0 < lowest <= highest, got {list(peaks)}")
    grad = d.get("grad_norms", False)
    if not isinstance(grad, bool):
        raise _bad(f"grad_norms must be true or false, got {grad!r}")
    return {"form": form, "params": _params(d["params"], names, "params"),
            "lr_scale": lr_scale, "grad_norms": grad, "quality": dict(quality),
            "bootstrap": [_params(p, names, f"bootstrap[{i}]") for i, p in enumerate(boot)],
            "diverged_peak_lr": None if cap is None else float(cap), "pilot_peak_lrs": peaks}
