"""The rates to apply: N updates keep θ_{N+1}, so solve bound (C) at horizon N + 1.

Bound (C) at horizon T covers θ_T, which η_1..η_{T−1} reach; η_T only weighs the analysis
(docs/math.md §1, §5.1). A run of N updates keeps θ_{N+1}, so its guarantee is bound (C) at
horizon N + 1, and the N rates to apply are η_1..η_N of the horizon-(N+1) optimum, under
the same constraints. The weight η_{N+1}, which carries the 1 + √2 bump of docs/math.md
§4.5, is never applied. Applying all T rates of the horizon-T optimum instead ends at
θ_{T+1}, which no bound covers; measured against the exact worst case that costs 1.50, 1.35,
1.21, 1.12 × the minimax value DG/√(N+1) at N = 5, 10, 20, 40, where linear decay is within
1.001 × (docs/math.md §5.3).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt import _lr_units
from schedopt import _validation
from schedopt._result import ScheduleResult


def horizon_profile(G, updates: int):
    """G for the horizon N + 1 of ``updates = N`` updates: a scalar as it is, a per-step
    array of length N + 1 as it is, and one of length N with its last value repeated for
    G_{N+1}, the gradient at θ_{N+1} (the kept parameters, whose gradient is never used)."""
    if _validation.is_traced(G) or np.ndim(G) != 1:
        return G
    arr = np.asarray(G)
    if arr.shape[0] == updates:
        return np.append(arr, arr[-1:]) if updates else arr
    if arr.shape[0] != updates + 1:
        raise ValueError(f"G must be a scalar or a 1-D array of length updates = {updates} "
                         f"(G_{updates + 1} is then taken equal to G_{updates}) or "
                         f"updates + 1 = {updates + 1}, got length {arr.shape[0]}")
    return arr


def applied_result(full: ScheduleResult) -> ScheduleResult:
    """The rates to apply from a horizon-T result: η_1..η_{T−1}, with ``bound`` (on θ_T)
    and ``gap`` unchanged and η_T kept as the never-applied ``weight``."""
    if full.applied:
        return full
    if full.horizon < 2:
        raise ValueError("a horizon-1 schedule has no rate to apply (its only entry is the "
                         "bound's weight)")
    N = full.updates
    return dataclasses.replace(
        full, eta=full.eta[:N], weight=float(full.eta[N]),
        message=f"{full.message}; the first {N} rates of the horizon-{N + 1} optimum, to "
                f"apply: η_{N + 1} is the bound's weight and is never applied "
                f"(docs/math.md §5.1)")


def applied_schedule(updates, D=1.0, G=1.0, *, method="auto", monotone=False, max_lr=None,
                     warmup=None, tol=1e-12, max_iter=None, min_lr=None,
                     peak_lr=None) -> ScheduleResult:
    """The N rates to apply for N updates, and the guarantee on θ_{N+1} (docs/math.md §5.1).

    ``optimal_schedule(updates + 1, ...)`` under the same constraints, cut to its first
    ``updates`` entries: η_{N+1}, the bound's weight with the 1 + √2 bump of docs/math.md
    §4.5, is never applied. ``bound`` is bound (C) at horizon N + 1, the guarantee on the
    parameters a run of N updates keeps. ``optimal_schedule(T)`` is the mathematical object
    (T entries, bound on θ_T); this is what to train with.

    With constant G the rates are strictly decreasing (the bump sits on the weight), so
    ``monotone=True`` is rarely needed; a per-step G can make them rise where G falls.

    Args:
      updates: N, the number of updates (training steps) the rates are applied to.
      D: ``‖θ_1 − θ*‖`` (> 0).
      G: gradient-norm bound: a scalar, one value per update (length N; G_{N+1} is then
        taken equal to G_N) or one per step of the horizon (length N + 1).
      method, monotone, max_lr, min_lr, tol, max_iter: as in ``optimal_schedule``, applied
        to the horizon-(N+1) problem (so ``monotone``, ``max_lr`` and ``min_lr`` also hold
        for the weight).
      warmup: as in ``optimal_schedule``; it must leave at least one update after it.
      peak_lr: if given, the rates (and weight) are scaled so that their largest value is
        this learning rate, and ``bound`` is recomputed for the scaled rates (the shape does
        not depend on D, docs/math.md §4.1); ``max_lr`` stays in units of D/G.

    Returns:
      A ``ScheduleResult`` with ``eta`` the N rates to apply, ``updates = N``,
      ``horizon = N + 1``, ``bound`` the guarantee on θ_{N+1} (bit for bit
      ``optimal_schedule(N + 1, ...).bound``), ``weight`` = η_{N+1} and ``problem`` the
      horizon-(N+1) problem that was solved.
    """
    from schedopt.solvers._problem import make_problem
    from schedopt.solvers._solve import optimal_schedule

    N = _validation.steps(updates, "updates")
    from schedopt import _memory
    from schedopt.solvers._solve import _BYTES_PER_STEP

    _memory.check(N, "updates", _BYTES_PER_STEP)         # before any O(N) array (issue 21)
    _check_warmup_length(warmup, N)
    G = horizon_profile(G, N)
    W = make_problem(N + 1, D, G, monotone=monotone, max_lr=max_lr, min_lr=min_lr,
                     warmup=warmup).warmup_length
    if W >= N:
        raise ValueError(f"warmup must leave at least one update after it: it covers {W} "
                         f"updates but updates = {N}; use a warm-up shorter than {N}")
    full = optimal_schedule(N + 1, D, G, method=method, monotone=monotone, max_lr=max_lr,
                            warmup=warmup, tol=tol, max_iter=max_iter, min_lr=min_lr)
    if peak_lr is None:
        return applied_result(full)
    from schedopt.bounds._bounds import last_iterate_bound

    return _lr_units.rescale(applied_result(full), peak_lr, D, G, last_iterate_bound)


def _check_warmup_length(warmup, N: int) -> None:
    """A warm-up must leave an update after it; said in updates before the horizon-(N+1)
    problem (whose own check counts N + 1 steps) sees it."""
    import numbers

    if isinstance(warmup, (bool, np.bool_)):
        return                                            # make_problem names the type
    if isinstance(warmup, numbers.Integral):
        W = int(warmup)
    elif warmup is not None and np.ndim(warmup) == 1:
        W = int(np.shape(warmup)[0])
    else:
        return
    if W >= N:
        raise ValueError(f"warmup must leave at least one update after it: it covers {W} "
                         f"updates but updates = {N}; use a warm-up shorter than {N}")
