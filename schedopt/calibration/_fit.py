"""``fit_loss_curves``: the public fit — options checked, diverged runs set aside, one form
fitted (``_leastsq``) or chosen by cross-validation (``_select``), the model's flags recorded."""

from __future__ import annotations

from schedopt.calibration import _forms
from schedopt.calibration import _guards
from schedopt.calibration import _select
from schedopt.calibration._leastsq import fit_form
from schedopt.calibration._model import LossModel


def fit_loss_curves(runs, *, form="auto", d_power=None, noise_power=None, grad_norms=False,
                    robust=False, bootstrap=0, seed=0, max_points=None, final_weight=1.0,
                    min_fraction=None) -> LossModel:
    """Fit a loss-curve model shared by ``runs`` (docs/math.md §2, bound (C); or the Multi-Power Law).

    Args:
      runs: ``Run`` objects or mappings ``{"lr": rates applied at steps 1..T, "steps":
        observed step numbers, "loss": observed losses}`` with optional ``"grad_norm"`` (one
        per step) and ``"name"``. Curves may be sparse, unordered, tail-only or one final loss.
        A diverged run (a NaN/inf loss, or a last loss above its first) is left out of the
        fit, named in ``quality["diverged"]``, and caps the peak LR the model recommends.
      form: ``"auto"`` (default) — choose among the bound and Multi-Power forms and their
        variants by cross-validation on ``runs`` (``schedopt.calibration._select``) and
        refit the winner on all runs; ``"bound"`` — ``L∞ + A·(η_{1:t} + x_t)^{−p} +
        B·N_t^q``, bound (C) at horizon t+1 after t applied steps with the unapplied analysis
        weight x_t chosen by the noise term (see ``schedopt.calibration._forms``); or
        ``"multi_power"`` (Luo et al. 2025).
      d_power, noise_power: fit the powers p and q of the distance and noise terms (bound
        form; default both); both False keep p = q = 1, bound (C) itself. With ``"auto"``
        None lets the cross-validation choose.
      grad_norms: weight step s of the noise term by the run's logged G_s² (bound form).
      robust: a soft-L1 loss on the log-loss residuals instead of squares.
      bootstrap: number of refits on runs resampled with replacement, for intervals.
      max_points: the most curve points used per run (spread over its steps; default 100).
      final_weight: extra weight (finite, >= 0) of a run's final loss beside its curve.
      min_fraction: use only points at steps ≥ this fraction of each run's horizon (the
        first part of a run, warm-up transient included, follows another regime); default
        0.5, with ``"auto"`` None lets the cross-validation choose.

    Returns:
      A ``LossModel`` with ``predict``, ``best_peak_lr``, ``best_schedule`` and ``save``;
      ``quality["flags"]`` lists what makes the fit doubtful (empty when nothing does).
    """
    opts = _guards.check_options(form=form, d_power=d_power, noise_power=noise_power,
                                 grad_norms=grad_norms, robust=robust, bootstrap=bootstrap,
                                 seed=seed, max_points=max_points, final_weight=final_weight,
                                 min_fraction=min_fraction)
    runs, diverged = _guards.split_diverged(runs)
    if opts["form"] == _forms.AUTO:
        model = _select.auto(runs, opts)
    else:
        kw = {k: v for k, v in opts.items() if k != "form"}
        kw = {k: (_guards.DEFAULTS[k] if v is None else v) for k, v in kw.items()}
        model = fit_form(runs, opts["form"], **kw)
    return _guards.finish(model, runs, diverged)
