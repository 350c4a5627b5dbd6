r"""``extend_schedule``: the optimal continuation of rates already applied.

A run applied η_1..η_W and may now train to ``steps`` = N ≥ W updates in all. It keeps
θ_{N+1}, whose guarantee is bound (C) at horizon N + 1 (docs/math.md §5.1), so the
continuation is the optimum of (C) at horizon N + 1 with η_1..η_W frozen, of which the first
N rates are applied and η_{N+1} (the never-applied weight) is dropped.

Without a cap or a monotone constraint that optimum is exact and O(T): the prefix enters only
through the tail sum S_{W+1} (``_prefix``), and the tail is §4.4's recursion over
G_{W+1..N+1}. With ``max_lr`` or ``monotone`` the problem goes to ``optimal_schedule``'s
``newton`` method with the history as a fixed warm-up (its duality gap is the certificate).

A re-warm-up of K steps ramps linearly from the last applied rate to a peak, then the
continuation is free. Without constraints the peak, when not given, is chosen optimally:
the bound after minimising the rest is convex in the peak (a partial minimum of a convex
function of an affine image), and its derivative is the envelope derivative of ``_prefix``'s
f, so a bisection on its sign brackets the best peak with a certificate.
"""

from __future__ import annotations

import time

import numpy as np

from schedopt import _lr_units
from schedopt import _validation
from schedopt._result import ScheduleResult
from schedopt.solvers import _prefix
from schedopt.solvers._exact import exact_shape
from schedopt.solvers._exact import tail_ratios
from schedopt._sums import tail_sums


def extended_G(G, steps: int, name: str = "G") -> np.ndarray:
    """G_1²..G_{N+1}² for the horizon N + 1 of the applied-rate rule.

    G is a scalar, or per step with N values (the never-applied weight's G_{N+1} is taken
    equal to G_N: it multiplies no applied rate) or N + 1 values.
    """
    arr = np.asarray(G, dtype=np.float64) if not isinstance(G, (bool, np.bool_)) else G
    if np.ndim(arr) == 1 and np.shape(arr)[0] == steps + 1:
        arr = _validation.gradient_norms(arr, steps + 1, name)
        return np.square(arr)
    arr = _validation.gradient_norms(G, steps, name)
    G2 = np.square(np.broadcast_to(arr, (steps,)).astype(np.float64))
    return np.append(G2, G2[-1])


def check_history(applied, steps: int) -> np.ndarray:
    """The applied rates as float64, or an error that names what is wrong."""
    try:
        arr = np.asarray(applied, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"applied must be an array of learning rates, got "
                        f"{type(applied).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"applied must be a 1-D array of learning rates, got shape {arr.shape}")
    if arr.size:
        arr = _validation.schedule(arr, "applied")
    if arr.shape[0] > steps:
        raise ValueError(f"applied holds {arr.shape[0]} rates, more than steps = {steps}; "
                         f"steps is the total number of updates, history included")
    return arr


def _ramp(last: float, K: int) -> tuple[np.ndarray, np.ndarray]:
    """The re-warm-up rates last + j/K·(peak − last), j = 1..K, as ``a + b·peak``."""
    j = np.arange(1, K + 1) / K
    return last * (1.0 - j), j


def _solve_exact(history, G2, D):
    """The exact frozen-prefix optimum at horizon len(G2): (eta incl. weight, bound, gap)."""
    W = history.shape[0]
    J, _ = tail_ratios(G2[W:])
    tail = _prefix.minimise_tail(history, D, G2[:W], J)
    shape, _ = exact_shape(G2[W:])
    rest = shape * (tail.S / np.sum(shape))
    return np.concatenate([history, rest]), tail.value, tail.gap


def _peak_slope(history, a, b, peak, G2, D, J):
    """d/d(peak) of the optimal bound with the ramp a + b·peak after ``history`` (envelope)."""
    prefix = np.concatenate([history, a + b * peak])
    tail = _prefix.minimise_tail(prefix, D, G2[:prefix.size], J)
    S = tail.S
    suffix = tail_sums(prefix)
    q = np.append(suffix[1:], 0.0)
    den = q + S
    c = G2[:prefix.size] * prefix**2
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(prefix > 0, c / den**2, 0.0)
        own = np.where(prefix > 0, G2[:prefix.size] * prefix / den, 0.0)
    # ∂f/∂η_j = −D²/(2(P+S)²) + G_j² η_j/(q_j+S) − ½ Σ_{t<j} c_t/(q_t+S)²
    before = np.concatenate([[0.0], np.cumsum(inner)[:-1]])
    grad = -D**2 / (2 * (suffix[0] + S) ** 2) + own - 0.5 * before
    weights = np.concatenate([np.zeros(history.size), b])
    return float(grad @ weights), tail


def _best_peak(history, K, G2, D, iters=200):
    """The optimal re-warm-up peak by bisection on the sign of the envelope slope."""
    W = history.shape[0]
    J, _ = tail_ratios(G2[W + K:])
    last = float(history[-1]) if W else 0.0
    a, b = _ramp(last, K)
    slope = lambda p: _peak_slope(history, a, b, p, G2, D, J)[0]
    lo, hi = 0.0, max(last, D / np.sqrt(G2.size * np.max(G2)))
    while slope(hi) < 0:
        lo, hi = hi, 2 * hi
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if slope(mid) < 0:
            lo = mid
        else:
            hi = mid
    s_lo, s_hi = slope(lo), slope(hi)
    peak = lo if abs(s_lo) <= abs(s_hi) else hi
    return peak, abs(min(s_lo, s_hi, key=abs)) * (hi - lo), a + b * peak


def _check_rewarmup(rewarmup, rewarmup_peak, W, steps, constrained):
    if isinstance(rewarmup, (bool, np.bool_)) or not isinstance(rewarmup, (int, np.integer)):
        raise TypeError(f"rewarmup must be a whole number of steps >= 0, got {rewarmup!r}")
    K = int(rewarmup)
    if K < 0:
        raise ValueError(f"rewarmup must be a whole number of steps >= 0, got {K}")
    if W + K > steps:
        raise ValueError(f"rewarmup = {K} steps after {W} applied ones exceeds steps = {steps}")
    if rewarmup_peak is not None:
        if not K:
            raise ValueError("rewarmup_peak needs rewarmup > 0 (the number of ramp steps)")
        rewarmup_peak = _validation.positive_scalar(rewarmup_peak, "rewarmup_peak")
    elif K and constrained:
        raise ValueError("with max_lr or monotone give rewarmup_peak: the optimal peak is "
                         "computed for the unconstrained continuation only")
    return K, rewarmup_peak


def _frozen(history, K, peak, G2, D):
    """The history and its re-warm-up ramp (to ``peak``, or the best peak): the frozen
    rates, the peak and the certificate of its choice."""
    if not K:
        return history, peak, 0.0
    if peak is None:
        peak, gap_peak, ramp = _best_peak(history, K, G2, D)
        return np.concatenate([history, ramp]), peak, gap_peak
    a, b = _ramp(float(history[-1]) if history.size else 0.0, K)
    return np.concatenate([history, a + b * peak]), peak, 0.0


def extend_schedule(applied, steps, D=1.0, G=1.0, *, max_lr=None, monotone=False,
                    rewarmup=0, rewarmup_peak=None, tol=1e-12, units="bound", lr_scale=None,
                    model=None, above_peak=None) -> ScheduleResult:
    """The optimal continuation of the rates ``applied`` to ``steps`` updates in all.

    Minimises bound (C) of the kept parameters θ_{steps+1}, i.e. (C) at horizon steps + 1
    (docs/math.md §2, §5.1), over the rates after the history, with the history frozen.

    With learning rates (``units="lr"``) and no re-warm-up the continuation never rises
    above the history's peak: when the free optimum would, it is solved again with that
    peak as the cap (``above_peak=True`` lifts this).

    Args:
      applied: the rates η_1..η_W already applied (W ≤ steps; may be empty), in ``units``.
        A schedule family gives them, e.g. ``peak * warmup_stable_decay(4000, 0, 0)``.
      steps: N, the total number of updates, history included.
      D: ‖θ_1 − θ*‖ (> 0).
      G: gradient-norm bound: a scalar, or per step (N values, or N + 1 with the
        never-applied weight's).
      max_lr: cap every continuation rate (the history must not exceed it).
      monotone: non-increasing from the first rate after the history (and re-warm-up).
      rewarmup: K ≥ 0 steps rising linearly from the last applied rate to a peak.
      rewarmup_peak: that peak (None: chosen optimally; needed with max_lr or monotone).
      tol: relative tolerance of the newton method (with max_lr or monotone).
      units: ``"bound"`` (the default): ``applied``, ``max_lr`` and ``rewarmup_peak`` are in
        units of D/G; ``"lr"``: they are learning rates (a tracker's history), converted by
        ``lr_scale`` (lr = lr_scale · η) or by a calibrated ``model`` (its scale and its D,
        G), and the result's rates are learning rates too (``schedopt._lr_units``).
      lr_scale, model: the conversion for ``units="lr"`` (one of them, required there).
      above_peak: whether the continuation may rise above the history's peak without a
        re-warm-up; None (the default) means False for ``units="lr"``, True (the plain
        optimum) for ``units="bound"``.

    Returns:
      A ``ScheduleResult`` whose ``eta`` holds the N rates to apply (history, then the
      continuation), ``bound`` the value of (C) at horizon N + 1 with the best weight
      η_{N+1}, and ``gap`` a certified upper bound on its distance to the optimum.
    """
    return _lr_units.extend_in_units(_extend, applied, steps, D, G, units=units,
                                     lr_scale=lr_scale, model=model, max_lr=max_lr,
                                     monotone=monotone, rewarmup=rewarmup,
                                     rewarmup_peak=rewarmup_peak, tol=tol,
                                     above_peak=above_peak)


def _extend(applied, steps, D, G, *, max_lr, monotone, rewarmup, rewarmup_peak, tol):
    """extend_schedule in units of D/G."""
    start = time.perf_counter()
    N = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    history = check_history(applied, N)
    G2 = extended_G(G, N)
    if max_lr is not None:
        max_lr = _validation.positive_scalar(max_lr, "max_lr")
    if not isinstance(monotone, (bool, np.bool_)):
        raise TypeError(f"monotone must be True or False, got {monotone!r}")
    constrained = max_lr is not None or bool(monotone)
    K, peak = _check_rewarmup(rewarmup, rewarmup_peak, history.size, N, constrained)
    frozen, peak, gap_peak = _frozen(history, K, peak, G2, D)
    summary = {"steps": N, "horizon": N + 1, "D": D, "applied_steps": int(history.size),
               "rewarmup": K, "rewarmup_peak": peak, "max_lr": max_lr,
               "monotone": bool(monotone)}
    if constrained:
        return _extend_newton(frozen, N, D, np.sqrt(G2), max_lr, bool(monotone), tol,
                              summary, start)
    eta, value, gap = _solve_exact(frozen, G2, D)
    bound = _applied_bound(eta, D, G2)
    # The two evaluations of the optimum (the 1-D f and bound (C) itself) differ by rounding
    # only; their difference is added so that the gap also covers it.
    gap = gap + gap_peak + abs(bound - value)
    return ScheduleResult(eta=eta[:N], bound=bound, method="exact", converged=gap <= 1e-9 * bound,
                          iterations=0, seconds=time.perf_counter() - start,
                          message="frozen-prefix recursion (docs/math.md §4.4, §5.1)",
                          gap=gap, problem=summary, weight=float(eta[N]))


def _applied_bound(eta, D, G2) -> float:
    """(C) at horizon N + 1 of ``eta`` (N + 1 entries, weight last), by the library's bound."""
    from schedopt.bounds._bounds import last_iterate_bound

    return float(last_iterate_bound(eta, D, np.sqrt(G2)))


def _extend_newton(frozen, N, D, G, max_lr, monotone, tol, summary, start):
    """The newton method with the frozen rates as a fixed warm-up.

    The cap binds the continuation only (newton caps the free steps), so a history above
    it is allowed here, which ``make_problem``'s check for user warm-ups would refuse.
    """
    import dataclasses

    from schedopt.solvers import _constraints
    from schedopt.solvers._problem import make_problem
    from schedopt.solvers._solve import solve_problem

    if frozen.size == N + 1:
        raise ValueError("the history and re-warm-up leave no free step")
    problem = make_problem(N + 1, D, G, monotone=monotone,
                           warmup=frozen if frozen.size else None)
    if max_lr is not None:
        problem = dataclasses.replace(problem, constraints=_constraints.records(
            problem.constraints + (_constraints.Cap(max_lr),)))
    result = solve_problem(problem, "newton", tol=tol)
    summary = dict(summary, constraints=[c.summary() for c in problem.constraints
                                         if c.summary()["kind"] != "warmup"])
    return ScheduleResult(eta=result.eta[:N], bound=result.bound, method="newton",
                          converged=result.converged, iterations=result.iterations,
                          seconds=time.perf_counter() - start,
                          message=result.message + " (history frozen, horizon steps + 1)",
                          gap=result.gap, problem=summary, weight=float(result.eta[N]))
