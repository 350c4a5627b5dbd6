"""One run's rows of a tracker export (step, lr, loss, grad_norm as strings) into a run
mapping: the step conventions, the rates filled between logged steps, the notes."""

from __future__ import annotations

import numpy as np


def bad_run(name, problem):
    """The ValueError for a run that cannot be used, naming it."""
    return ValueError(f"run {name!r}: {problem}")


def _num(text, name, column):
    if text == "":
        return np.nan
    try:
        return float(text)
    except ValueError:
        raise bad_run(name, f"{column} {text!r} is not a number") from None


def rows_to_run(name, rows, notes, warmup=None):
    """Rows of (step, lr, loss, grad) strings, '' for missing, into a run mapping.

    Long because it is the one place the step conventions live: 0-based steps (the first
    logged rate at step 0, as W&B's ``_step`` and optax's count) move the rates one step on,
    t = k + 1, while a loss logged at step k is still the loss after k updates; a loss at
    step 0 (before any update) is dropped with a note; repeated steps keep the last loss.
    """
    vals = np.array([[_num(a, name, "step"), _num(b, name, "lr"), _num(c, name, "loss"),
                      _num(d, name, "grad_norm")] for a, b, c, d in rows]).reshape(-1, 4)
    has_loss = np.array([c != "" for _, _, c, _ in rows], bool)
    if vals.shape[0] == 0 or not np.all(np.isfinite(vals[:, 0])):
        raise bad_run(name, "every row needs a step")
    order = np.argsort(vals[:, 0], kind="stable")
    vals, has_loss = vals[order], has_loss[order]
    step = vals[:, 0].astype(np.int64)
    has_lr = ~np.isnan(vals[:, 1])
    if not has_lr.any():
        raise bad_run(name, "no lr values; the lr column must be filled")
    notes = list(notes)
    lr_step = step.copy()
    if step[has_lr].min() == 0:
        lr_step = step + 1
        notes.append(f"run {name!r}: steps count from 0 (the rate logged at step k is that of "
                     f"update k + 1; a loss at step k is the loss after k updates)")
    T = int(max(lr_step[has_lr].max(), step[has_loss].max() if has_loss.any() else 0))
    knots = _rate_knots(name, lr_step[has_lr], vals[has_lr, 1], T, warmup, notes)
    grid = np.arange(1, T + 1)
    # The rate between two logged steps is interpolated linearly: exact for the linear
    # pieces of warm-up/stable/decay schedules, an approximation otherwise.
    lr = np.interp(grid, *knots)
    notes += _jumps_filled(name, lr_step[has_lr], vals[has_lr, 1])
    if np.any(has_loss & (step < 1)):
        notes.append(f"run {name!r}: the loss at step 0 (before any update) is not fitted: "
                     f"the model predicts losses after 1..T updates")
    keep = has_loss & (step >= 1)
    s_loss, loss = step[keep], vals[keep, 2]
    if s_loss.size and np.any(np.diff(s_loss) == 0):
        last = np.append(np.diff(s_loss) != 0, True)
        notes.append(f"run {name!r}: {int((~last).sum())} repeated loss step(s); the last "
                     f"row of each is kept")
        s_loss, loss = s_loss[last], loss[last]
    g = vals[:, 3]
    grad = None
    if np.isfinite(g).sum() >= 2:
        ok = np.isfinite(g)
        grad = np.interp(grid, lr_step[ok], g[ok])
    return {"name": name, "lr": lr, "steps": s_loss, "loss": loss, "grad_norm": grad,
            "notes": tuple(notes)}


def _rate_knots(name, steps, lr, T, warmup, notes):
    """(steps, rates) to interpolate: the logged ones, after a linear warm-up from 0 over the
    first ``warmup`` steps when the export logs the rate only after it."""
    first = int(steps.min())
    if warmup:
        if warmup > first:
            raise bad_run(name, f"warmup = {warmup} must end by the first logged rate "
                                f"(step {first})")
        notes.append(f"run {name!r}: the rates of steps 1..{first - 1} are a linear warm-up "
                     f"from 0 over {warmup} steps to the first logged rate {lr[0]:.4g}")
        if warmup == first:
            return np.concatenate([[0], steps]), np.concatenate([[0.0], lr])
        return np.concatenate([[0, warmup], steps]), np.concatenate([[0.0, lr[0]], lr])
    if first > max(1, T // 100):
        raise bad_run(name, f"lr is logged only from step {first}; the rates of the earlier "
                            "steps are needed (rows with an empty loss are fine), or give "
                            "warmup=W (calibrate --warmup W) for a linear warm-up from 0")
    return steps, lr


def _jumps_filled(name, steps, lr):
    """A note if the rate changes by more than 2x between logged rows more than a step apart."""
    a, b = lr[:-1], lr[1:]
    big = (np.diff(steps) > 1) & (np.maximum(a, b) > 2 * np.minimum(a, b))
    if not big.any():
        return []
    i = int(np.argmax(big))
    return [f"run {name!r}: the rate goes from {a[i]:.4g} to {b[i]:.4g} between the logged "
            f"steps {int(steps[i])} and {int(steps[i + 1])} ({int(big.sum())} such gap(s)), "
            "filled linearly; if it changed in one step, log the step before it too"]
