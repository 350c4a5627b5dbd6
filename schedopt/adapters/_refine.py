"""Refined schedules: the optimum of bound (C) for the gradient norms of a previous run.

Bound (C) of docs/math.md §2 takes one G_t per step. Given a log of ‖g_t‖ from run 1, ``refine``
smooths it, resamples it onto the next run's N updates and solves problem (C) at horizon
N + 1 with that G_t (G_{N+1} = G_N), keeping the N rates to apply (docs/math.md §5.1),
exactly (docs/math.md §4.4, O(N)) or with constraints (``method="newton"``, docs/math.md §4.3). This is
the schedule Defazio et al. approximate in closed form, ``η_t ∝ G_t⁻² Σ_{p>t} G_p⁻²``, and
part V of the series by ``η(t) ≈ D G_t⁻² (Q_T − Q_t)/Q_T^{3/2}`` (docs/math.md §3); the exact
optimum is never worse than either on the bound.

The pipeline, in order:

1. the log (a path, an array or a ``GradNormLog``) is read and cleaned by ``_gradlogs``;
2. smoothing (``smoothing="median"``): a running median over the log's entries whose window
   is ``width`` × (number of entries), rounded to an odd number, at least 1 and at most the
   log's length. Near the ends the window is truncated to the entries that exist (entry 0
   takes the median of entries 0..h), so no end value is copied from a single noisy entry,
   which padding by the edge value (``mode="nearest"``) would do; the price is a lag of up to
   half a window on a steep trend at the ends. ``smoothing=None`` keeps the raw log;
3. resampling: the log spans its first to last logged step; the T steps of the new run are
   placed evenly over that span and G_t is interpolated linearly between logged steps (so a
   log kept every k steps, one with gaps, one starting at step 0 or 1, or one from a run of a
   different length all map onto 1..T). Without ``steps``, T is the logged run's horizon
   (``GradNormLog.horizon``: its last step) and G_t is read at the run's own steps, linear
   between logged steps and held before the first; for a contiguous log, G_t is the log.
"""

from __future__ import annotations

import dataclasses
import heapq
import os

import numpy as np
import scipy.ndimage

from schedopt import _validation
from schedopt.adapters._gradlogs import GradNormLog
from schedopt.adapters._peak import rescale_result
from schedopt.adapters._gradlogs import grad_norm_log
from schedopt.adapters._gradlogs import read_grad_norms
from schedopt._result import ScheduleResult
from schedopt.solvers._applied import applied_schedule

SMOOTHINGS = ("median", None)
# A horizon read from a log's last step is refused above this (8 GB of float64 per array),
# so that a log whose steps lie (step 10¹²) is an error, not an allocation.
MAX_HORIZON = 1_000_000_000


# ---------------------------------------------------------------------------------------
# Smoothing and resampling
# ---------------------------------------------------------------------------------------

def median_window(length: int, width: float) -> int:
    """The median filter's window (entries) for a log of ``length`` entries: odd, in [1, length]."""
    window = max(1, int(round(width * length)))
    window += 1 - window % 2
    cap = length if length % 2 else length - 1
    return min(window, max(cap, 1))


def _prefix_medians(x: np.ndarray, half: int) -> np.ndarray:
    """median(x[0 : i + half + 1]) for i = 0..half−1, by two heaps in O(half·log half)."""
    low, high, out = [], [], np.empty(half)       # low: max-heap (negated), high: min-heap

    def push(v):
        if low and v > -low[0]:
            heapq.heappush(high, v)
        else:
            heapq.heappush(low, -v)
        if len(low) > len(high) + 1:
            heapq.heappush(high, -heapq.heappop(low))
        elif len(high) > len(low):
            heapq.heappush(low, -heapq.heappop(high))

    for v in x[:half + 1]:
        push(float(v))
    for i in range(half):
        if i:
            push(float(x[i + half]))
        out[i] = -low[0] if len(low) > len(high) else 0.5 * (high[0] - low[0])
    return out


def median_smooth(values, width: float = 0.1) -> np.ndarray:
    """Running median of ``values`` with a window of ``width`` × len(values), truncated at the ends.

    Entry i is the median of ``values[max(0, i−h) : i+h+1]`` with ``h = window // 2`` and the
    window from ``median_window``. In the interior this is ``scipy.ndimage.median_filter``;
    at the ends the window keeps only entries that exist instead of padding.
    """
    x = np.asarray(values, dtype=np.float64)
    width = _width(width)
    half = median_window(x.shape[0], width) // 2
    if half == 0:
        return x.copy()
    out = scipy.ndimage.median_filter(x, size=2 * half + 1, mode="nearest")
    out[:half] = _prefix_medians(x, half)
    out[-half:] = _prefix_medians(x[::-1], half)[::-1]
    return out


def _width(width) -> float:
    if isinstance(width, (bool, np.bool_)):
        raise TypeError(f"width must be a fraction of the log in (0, 1], got {width!r}")
    if np.ndim(width) != 0:
        raise TypeError(f"width must be a fraction of the log in (0, 1], got "
                        f"{_validation._describe(width)}")
    try:
        out = float(width)
    except (TypeError, ValueError):
        raise TypeError(f"width must be a fraction of the log in (0, 1], got "
                        f"{_validation._describe(width)}") from None
    if not (np.isfinite(out) and 0 < out <= 1):
        raise ValueError(f"width must be a fraction of the log in (0, 1], got {out!r}")
    return out


def _as_log(grad_norms) -> GradNormLog:
    if isinstance(grad_norms, GradNormLog):
        return grad_norms
    if isinstance(grad_norms, (str, os.PathLike)):
        return read_grad_norms(grad_norms)
    return grad_norm_log(grad_norms)


def resample_grad_norms(log: GradNormLog, steps: int) -> np.ndarray:
    """G_t for t = 1..steps: the log's step span divided evenly, linear interpolation between."""
    if len(log) == 1:
        return np.full(steps, log.grad_norm[0])
    where = np.linspace(log.step[0], log.step[-1], steps)
    return np.interp(where, log.step, log.grad_norm)


def grad_norm_profile(grad_norms, *, steps=None, smoothing="median", width=0.1) -> np.ndarray:
    """The per-step G_t that ``refine`` optimises for: the log, smoothed and resampled.

    Args:
      grad_norms: a ``GradNormLog``, a path for ``read_grad_norms``, or an array for
        ``grad_norm_log`` (1-D norms, or n×2 rows of step, norm).
      steps: T of the new run (default: the logged run's horizon, ``GradNormLog.horizon``:
        its last step, so a log kept every k steps keeps its span).
      smoothing: ``"median"`` or None (see the module docstring).
      width: the median window as a fraction of the log's entries, in (0, 1].

    Returns:
      float64 array of length T, every entry finite and > 0.
    """
    log = _as_log(grad_norms)
    if not (smoothing is None or isinstance(smoothing, str)) or smoothing not in SMOOTHINGS:
        raise ValueError(f"smoothing must be 'median' or None, got "
                         f"{_validation._describe(smoothing)}")
    width = _width(width)
    norms = log.grad_norm if smoothing is None else median_smooth(log.grad_norm, width)
    if steps is None and log.horizon > MAX_HORIZON:
        raise ValueError(f"the log's last step is {log.step[-1]:g}, a horizon of "
                         f"{log.horizon:,} steps (more than {MAX_HORIZON:,}); pass steps= "
                         f"(--steps) to resample the log onto the run you plan")
    if steps is None and log.integer_steps:
        # the logged run's own steps (GradNormLog.horizon): a log kept every k steps keeps
        # its span, values interpolated between logged steps and held beyond them
        counter = np.arange(log.horizon, dtype=np.float64) + (0 if log.zero_based else 1)
        return np.interp(counter, log.step, norms)
    T = log.horizon if steps is None else _validation.steps(steps)
    return resample_grad_norms(dataclasses.replace(log, grad_norm=norms), T)


# ---------------------------------------------------------------------------------------
# refine
# ---------------------------------------------------------------------------------------

def refine(grad_norms, *, updates=None, smoothing="median", width=0.1, D=1.0, peak_lr=None,
           monotone=False, warmup=None, method="auto", steps=None) -> ScheduleResult:
    """The rates to apply in the next run, optimal for the gradient norms of a previous one.

    ``applied_schedule(N, D, G=grad_norm_profile(..., steps=N), ...)`` (docs/math.md §2, §3,
    §5.1): η_1..η_N of the horizon-(N+1) optimum of bound (C), with G_{N+1} = G_N, so that
    ``bound`` covers θ_{N+1}, the parameters the run keeps, and the 1 + √2 last-step bump
    (docs/math.md §4.5) stays on the never-applied weight. Solved by the exact O(N)
    recursion (docs/math.md §4.4) when unconstrained, the constrained Newton solve otherwise.
    The horizon-T object of earlier versions is ``optimal_schedule(T, D,
    grad_norm_profile(log, steps=T))``.

    Args:
      grad_norms: the log of run 1: a ``GradNormLog`` (``read_grad_norms``,
        ``grad_norm_log``), a file path, or an array of norms (see ``grad_norm_profile``).
      updates: N, the number of updates of the new run (default: the logged run's horizon,
        its last step); the log is resampled onto it, so it may have been kept every k steps
        or come from a run of another length.
      smoothing: ``"median"`` (running median, ends truncated) or None.
      width: the median window as a fraction of the log, in (0, 1] (Defazio et al. use ≈ 0.1).
      D: ``‖θ_1 − θ*‖`` (> 0); sets the schedule's scale when ``peak_lr`` is None.
      peak_lr: if given, the rates are rescaled so that ``max(eta) = peak_lr`` (the usual
        case: D and G are unknown and a peak learning rate is tuned).
      monotone: force non-increasing rates after the warm-up (a falling G_t otherwise
        makes them rise, as η_t ∝ G_t⁻² does).
      warmup: a number W < N of linear warm-up updates, or an array of fixed values
        η_1..η_W (an array cannot be combined with ``peak_lr``).
      method: as in ``optimal_schedule``; ``"auto"``: exact unless constrained.
      steps: the old name of ``updates``; warns (``DeprecationWarning``).

    Returns:
      ``applied_schedule``'s ``ScheduleResult``: ``eta`` the N rates to apply, ``horizon``
      N + 1. ``bound`` is always bound (C) at horizon N + 1 for the given D and the profile
      (of the rescaled rates and weight after a ``peak_lr``, so larger than the optimum, and
      ``gap`` then becomes ``bound − (optimum's bound − solver's gap)``, still a certified
      distance to the best bound of this problem). ``message`` records the rescaling.

    Raises:
      ValueError / TypeError: a malformed log or argument (the message says which); see
      ``read_grad_norms`` for the log's clean-up rules.
    """
    updates = _validation.renamed(steps, "steps", updates, "updates", default=None)
    if updates is not None:
        updates = _validation.steps(updates, "updates")
    G = grad_norm_profile(grad_norms, steps=updates, smoothing=smoothing, width=width)
    if peak_lr is not None:
        peak_lr = _validation.positive_scalar(peak_lr, "peak_lr")
        if warmup is not None and not isinstance(warmup, (int, np.integer)):
            raise ValueError("warmup as an array of fixed values cannot be combined with "
                             "peak_lr, which rescales the whole schedule; give warmup as a "
                             "number of linear warm-up steps, or leave peak_lr out")
    result = applied_schedule(G.shape[0], D, G, method=method, monotone=monotone,
                              warmup=warmup)
    return rescale_result(result, peak_lr, D, G)
