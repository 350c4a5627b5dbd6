"""``form="auto"``: the loss form and its variant chosen by cross-validation on the user's runs.

No single variant wins everywhere (issue 18: the bound form with points from half of each run
predicts the 124M runs best, the Multi-Power Law Luo et al.'s 25M runs), so the choice is made
on the runs given. Each scheme holds out what the user will ask of the model:

- two or more horizons: fit on the shorter runs, predict the runs of the longest horizon (short
  pilots, one long run), each scored over its points from half its horizon on;
- one horizon: fit every run's past (its points up to ``TIME_CUT`` of its horizon, rates
  unchanged) and predict its future (the points after), which is what a plan asks; holding a
  run out instead asks a fit of 2 runs to extrapolate across peak LRs (3 pilots of the 124M
  runs: it rated the best candidate 7.5% and chose one 9x worse at 35k);
- otherwise (the shorter runs too few to fit, or a run without points on both sides of the
  cut): leave one run out in turn, each held-out run scored over every point after its
  warm-up (the steps before its rate first reaches its peak), as a run of another shape is
  asked for its whole curve.

A candidate's CV error is the mean over held-out runs of their mean relative errors; the
signed relative errors of the held-out final losses are kept (``final_errors``) to widen the
bootstrap interval by the model's own error (split-conformal, ``LossModel.predict_interval``).
The winner is refitted on all runs.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from schedopt.calibration import _forms
from schedopt.calibration import _guards
from schedopt.calibration._leastsq import fit_form

CV_FROM = 0.5            # longest horizon held out: its points from this fraction of T scored
TIME_CUT = 0.75          # one horizon: points up to this fraction of T fitted, the rest scored

# (form, options) tried; options the caller fixed (not None) replace these.
CANDIDATES = (
    ("bound", dict(d_power=True, noise_power=True, min_fraction=0.5)),
    ("bound", dict(d_power=True, noise_power=True, min_fraction=0.25)),
    ("bound", dict(d_power=True, noise_power=True, min_fraction=0.0)),
    ("bound", dict(d_power=False, noise_power=False, min_fraction=0.5)),
    ("multi_power", dict(min_fraction=0.5)),
    ("multi_power", dict(min_fraction=0.0)),
)
_POINTS = {0.5: "points from T/2", 0.25: "points from T/4", 0.0: "all points"}


def label(form, kw):
    """A candidate's name, e.g. "bound, p and q fitted, points from T/2"."""
    points = _POINTS.get(kw["min_fraction"], f"points from {kw['min_fraction']:g}·T")
    if form != "bound":
        return f"{form}, {points}"
    powers = {(True, True): "bound, p and q fitted", (True, False): "bound, p fitted, q = 1",
              (False, True): "bound, q fitted, p = 1", (False, False): "bound (C), p = q = 1"}
    return f"{powers[kw['d_power'], kw['noise_power']]}, {points}"


def _label_form(form, opts):
    return "bound (C)" if form == "bound" and not (opts.get("d_power") or
                                                   opts.get("noise_power")) else form


def candidates(opts):
    """(label, form, options) of the candidates, with the options the caller fixed."""
    out = []
    for form, kw in CANDIDATES:
        if form == "multi_power" and (opts["grad_norms"] or opts["d_power"] is not None
                                      or opts["noise_power"] is not None):
            continue
        kw = {k: (v if opts.get(k) is None else opts[k]) for k, v in kw.items()}
        if all(label(form, kw) != c[0] for c in out):
            out.append((label(form, kw), form, kw))
    return out


def _past(run, cut):
    """``run`` with only its points at steps <= ``cut`` (its rates, hence its horizon, kept)."""
    keep = run.steps <= cut
    return dataclasses.replace(run, steps=run.steps[keep], loss=run.loss[keep])


def _after_warmup(run):
    """The first step scored of a run held out whole: the step its rate first peaks."""
    return int(np.argmax(run.lr)) + 1


def folds(runs, largest):
    """(scheme, [(training runs, [(held-out run, first scored step)])]); see the module's
    docstring. ``largest``: the most runs any candidate needs per fit."""
    horizons = np.array([r.updates for r in runs])
    longest = horizons >= (1 - _guards.HORIZON_TOL) * horizons.max()
    if np.count_nonzero(~longest) >= largest:
        return ("longest horizon held out",
                [([runs[i] for i in np.flatnonzero(~longest)],
                  [(runs[i], CV_FROM * runs[i].updates) for i in np.flatnonzero(longest)])])
    cuts = [TIME_CUT * r.updates for r in runs]
    if longest.all() and all(np.any(r.steps <= c) and np.any(r.steps > c)
                             for r, c in zip(runs, cuts)):
        return (f"future held out (each run fitted up to {TIME_CUT:g}·T, scored after)",
                [([_past(r, c) for r, c in zip(runs, cuts)],
                  [(r, np.floor(c) + 1) for r, c in zip(runs, cuts)])])
    return "leave one run out", [(runs[:i] + runs[i + 1:], [(r, _after_warmup(r))])
                                 for i, r in enumerate(runs)]


def run_error(model, run, first):
    """(mean relative error of ``model`` on ``run``'s points at steps >= ``first``, signed
    relative error of its last point); the last point alone if none is that late."""
    steps, index = np.unique(run.steps, return_index=True)
    keep = steps >= first
    if not keep.any():
        keep = steps == steps.max()
    pred = model.predict(run.lr, steps=steps[keep],
                         grad_norm=run.grad_norm if model.grad_norms else None)
    rel = pred / run.loss[index][keep] - 1.0
    return float(np.mean(np.abs(rel))), float(rel[-1])


def _cv(form, kw, fixed, split):
    """(CV error, signed relative errors of the held-out final losses) of one candidate."""
    errors, finals = [], []
    for train, test in split:
        model = fit_form(train, form, **fixed, **kw)
        for run, first in test:
            err, final = run_error(model, run, first)
            errors.append(err), finals.append(final)
    err = float(np.mean(errors))
    if not np.isfinite(err):
        raise ValueError("its predictions of the held-out runs are not finite")
    return err, finals


def auto(runs, opts):
    """The candidate with the lowest CV error, refitted on every run; every candidate is
    recorded in ``quality["cv"]["candidates"]``, a skipped one with the reason."""
    start = time.perf_counter()
    cands = candidates(opts)
    if len(runs) < 2:
        raise ValueError(f"need at least 2 runs for form auto (one is held out to "
                         f"cross-validate), got {len(runs)}; one run fits only bound (C) with "
                         "p = q = 1: fit_loss_curves(runs, form='bound', d_power=False, "
                         "noise_power=False), from Python (calibrate has no flag for it)")
    needs = {label: _forms.MIN_RUNS[_label_form(form, kw)] for label, form, kw in cands}
    scheme, split = folds(runs, max(needs.values()))
    fold_size = min(len(train) for train, _ in split)
    fixed = {k: opts[k] for k in ("grad_norms", "robust", "final_weight")}
    fixed["max_points"] = 100 if opts["max_points"] is None else opts["max_points"]
    table = []
    for label, form, kw in cands:
        row = {"label": label, "form": form, "options": dict(kw), "cv_error": None,
               "final_errors": None}
        if fold_size < needs[label]:
            row["skipped"] = (f"needs at least {needs[label]} runs per fit, the "
                              f"cross-validation fits {fold_size}")
        else:
            try:
                row["cv_error"], row["final_errors"] = _cv(form, kw, fixed, split)
            except ValueError as err:          # e.g. too few points in a fold
                row["skipped"] = str(err)
        table.append(row)
    scored = [r for r in table if r["cv_error"] is not None]
    if not scored:
        why = "; ".join(f"{r['label']}: {r.get('skipped', 'not finite')}" for r in table)
        raise ValueError(f"form auto: no candidate could be cross-validated on "
                         f"{len(runs)} runs ({why})")
    best, model = _choose(runs, scored, fixed, opts)
    quality = dict(model.quality, cv={"scheme": scheme, "chosen": best["label"],
                                      "cv_error": best["cv_error"],
                                      "final_errors": best["final_errors"], "candidates": table},
                   seconds=time.perf_counter() - start)
    return type(model)(**{**model.__dict__, "quality": quality})


def _choose(runs, scored, fixed, opts):
    """(row, model refitted on every run) of the lowest CV error whose refit is not degenerate
    (floor or power flagged by ``_guards.flags``), else of the lowest CV error: the CV of a
    few runs cannot see every failure (3 pilots of one horizon: the Multi-Power Law's floor
    above the data). A row gets ``degenerate``: the flags of its refit, where it was tried."""
    order = sorted(scored, key=lambda r: r["cv_error"])
    fits = {}
    for row in order:
        fits[row["label"]] = fit_form(runs, row["form"], **fixed, **row["options"])
        row["degenerate"] = [f for f in _guards.flags(fits[row["label"]], runs)
                             if "cross-valid" not in f and "did not converge" not in f]
        if not row["degenerate"]:
            break
    else:
        row = order[0]
    if opts["bootstrap"]:
        return row, fit_form(runs, row["form"], **fixed, **row["options"],
                             bootstrap=opts["bootstrap"], seed=opts["seed"])
    return row, fits[row["label"]]
