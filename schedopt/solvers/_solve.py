"""``optimal_schedule``: one entry point, one result type, a ``method=`` switch.

The problem is bound (C) of docs/math.md §2 over η ≥ 0 with optional linear constraints:
a warm-up (a fixed prefix, or a linear ramp up to the first free value), a cap
``η_t ≤ max_lr``, a floor ``η_t ≥ min_lr`` and a non-increasing schedule after the warm-up. It is convex
(docs/math.md §4.2), so every method aims at the same global optimum.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from schedopt import _memory
from schedopt import _validation
from schedopt._result import ScheduleResult
from schedopt.solvers import _capped
from schedopt.solvers._problem import Problem
from schedopt.solvers._problem import check_time_limit
from schedopt.solvers._problem import check_tolerances
from schedopt.solvers._problem import describe_G
from schedopt.solvers._problem import from_units
from schedopt.solvers._problem import make_problem
from schedopt.solvers._problem import to_units


@dataclasses.dataclass(frozen=True)
class Method:
    """What a method of ``optimal_schedule`` is and what it supports; ``optimal_schedule``
    refuses what it does not (``refuse_unsupported``), and tests/solvers/test_contract.py
    checks every claim.

    Attributes:
      name: the ``method=`` value.
      module: where its ``solve(problem, tol, max_iter)`` lives (None: in this module).
      constraints: the constraint kinds it accepts (``"warmup"``, ``"max_lr"``,
        ``"min_lr"``, ``"monotone"``, the records' ``kind``).
      excludes: pairs of kinds it accepts alone but not together.
      certificate: what backs ``converged=True``.
      batched: whether ``optimal_schedule_batch`` runs it under ``jax.vmap``.
      timed: whether its ``solve`` takes a ``time_limit`` (seconds).
    """
    name: str
    module: str | None
    constraints: frozenset
    certificate: str
    excludes: frozenset = frozenset()
    batched: bool = False
    timed: bool = False

    @property
    def combined(self) -> bool:
        """Whether it takes monotone and max_lr together."""
        return frozenset({"monotone", "max_lr"}) not in self.excludes


_ALL = frozenset({"warmup", "max_lr", "min_lr", "monotone"})
# A cap on a non-increasing schedule is not a box in the first-order coordinates (issue 3 §5).
_NOT_A_BOX = frozenset({frozenset({"monotone", "max_lr"})})

# The registry: one entry per method, in the order the docs list them. A new method is one
# entry here and one module with solve(problem, tol, max_iter) (docs/contributing.md).
METHODS = {
    "auto": Method("auto", None, _ALL, "that of the method it picks: exact when "
                   "nothing is constrained, newton otherwise"),
    "exact": Method("exact", None, frozenset(), "the closed-form recursion (gap 0)"),
    "newton": Method("newton", "schedopt.solvers._newton", _ALL,
                     "the barrier method's duality gap"),
    "lbfgsb": Method("lbfgsb", "schedopt.solvers._lbfgsb", _ALL,
                     "a Lagrangian duality gap (solvers/_certificate.py)", excludes=_NOT_A_BOX,
                     timed=True),
    "pgd": Method("pgd", "schedopt.solvers._pgd", _ALL,
                  "a Lagrangian duality gap (solvers/_certificate.py)", excludes=_NOT_A_BOX,
                  batched=True, timed=True),
}


def _supports(method: Method, kinds: frozenset) -> bool:
    return kinds <= method.constraints and not any(pair <= kinds for pair in method.excludes)


def refuse_unsupported(problem, method: str) -> None:
    """A ValueError, from what ``METHODS[method]`` declares, when it cannot take the
    problem's constraints together; the message names the methods that can."""
    kinds = frozenset(c.kind for c in problem.constraints)
    entry = METHODS[method]
    if _supports(entry, kinds):
        return
    # The named methods first, then auto, which picks one of them.
    able = sorted((name for name, m in METHODS.items() if name != method and _supports(m, kinds)),
                  key=lambda name: name == "auto")
    others = " (or " + ", ".join(repr(a) for a in able[1:]) + ")" if len(able) > 1 else ""
    asked = ", ".join(sorted(kinds))
    if not entry.constraints:
        raise ValueError(f"method={method!r} solves the unconstrained problem only; with "
                         f"{asked} use method={able[0]!r}{others}")
    missing = sorted(kinds - entry.constraints)
    if missing:
        raise ValueError(f"method={method!r} does not support {', '.join(missing)}; use "
                         f"method={able[0]!r}{others}")
    pair = next(sorted(p, reverse=True) for p in entry.excludes if p <= kinds)
    named = [f"{k}=True" if k == "monotone" else k for k in pair]
    raise ValueError(f"method={method!r} cannot combine {' with '.join(named)}: together "
                     f"they are not a box constraint in its coordinates; use "
                     f"method={able[0]!r}{others} for both, or drop one")


def _solve_exact(problem: Problem, tol, max_iter) -> ScheduleResult:
    from schedopt.solvers._exact import exact_schedule

    start = time.perf_counter()
    # Extreme profiles may divide by an underflowed 0 here; the checks below refuse them.
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        try:
            eta, optimum = exact_schedule(problem.G2, problem.D)
        except ValueError:
            raise ValueError(_UNREPRESENTABLE.format(describe_G(problem))) from None
    # In units where D ≈ 1 and G ≈ 1 the rates are far from float64's limits unless the
    # optimal rates span more decades than float64 holds: then some underflow (to 0 or a
    # subnormal, which has lost digits) and the schedule's own bound would not be the optimum.
    if not (np.isfinite(optimum) and optimum > 0 and np.isfinite(np.max(eta))
            and np.min(eta) >= np.finfo(np.float64).tiny):
        raise ValueError(_UNREPRESENTABLE.format(describe_G(problem)))
    return ScheduleResult(eta=eta, bound=optimum, method="exact",
                          converged=True, iterations=0, seconds=time.perf_counter() - start,
                          message="closed-form recursion (docs/math.md §4.4)", gap=0.0)


_UNREPRESENTABLE = ("{} spans too many orders of magnitude: the optimal rates, which "
                    "scale like 1/G_t² (docs/math.md §3), would span more decades than float64 "
                    "holds; narrow the range of G")


def _inactive_result(unit: Problem, problem: Problem, units, optimum) -> ScheduleResult:
    """The closed form (§4.4) for a problem whose constraints do not bind: ``optimum`` is
    ``_capped.decreasing_optimum(unit)`` and no cap lies below its peak. Built in logarithms
    in the caller's units: rates that span 400 decades (G from 1e-100 to 1e100) fit float64
    for some D, if not for D = 1. G growing fast makes the optimum non-increasing; newton
    stopped short there, 1e26 above the optimum for G from 1e-20 to 1e20 (issue 21)."""
    start = time.perf_counter()
    log_eta, J = optimum[0], optimum[1][0]
    log_eta = log_eta + (np.log(unit.D) - 0.5 * np.log(J) + (units.d - units.g) * np.log(2.0))
    bound = units.value(unit.D * np.sqrt(J))
    low, high = log_eta[-1] / np.log(10.0), log_eta[0] / np.log(10.0)
    if not (log_eta[-1] >= np.log(np.finfo(np.float64).tiny)
            and log_eta[0] <= np.log(np.finfo(np.float64).max) and 0 < bound < np.inf):
        raise ValueError(f"the optimal schedule for D = {problem.D!r} and {describe_G(problem)} "
                         f"is not representable in float64: its rates, which scale like D/G, "
                         f"run from about 1e{high:.0f} down to 1e{low:.0f} (float64 holds "
                         f"1e-308 to 1e308), and its bound is {bound:.3g}; rescale D or G")
    return ScheduleResult(
        eta=np.exp(log_eta), bound=bound, method="exact", converged=True, iterations=0,
        seconds=time.perf_counter() - start, gap=0.0,
        message="closed-form recursion (docs/math.md §4.4): the unconstrained optimum is "
                "non-increasing and within the constraints, so it is the constrained optimum")


def _solver(method):
    module = METHODS[method].module
    if module is None:
        return _solve_exact
    import importlib

    return importlib.import_module(module).solve


# Peak bytes a step of optimal_schedule's solvers, rounded up (the command line measured 160
# for compare, which solves and evaluates the references; newton's banded systems are
# within it). Checked before any O(T) array is allocated (issue 21).
_BYTES_PER_STEP = 160


def optimal_schedule(steps, D=1.0, G=1.0, *, method="auto", monotone=False, max_lr=None,
                     warmup=None, tol=1e-12, max_iter=None, time_limit=None,
                     min_lr=None) -> ScheduleResult:
    """The schedule η_1..η_T minimising bound (C) (docs/math.md §2), with optional constraints.

    This is the mathematical object: bound (C) at horizon T covers θ_T, which η_1..η_{T−1}
    reach; η_T (the 1 + √2 bump of docs/math.md §4.5) only weighs the analysis and is never
    to be applied. To train for N updates, use ``applied_schedule(N)`` (docs/math.md §5.1).

    Args:
      steps: the number of steps T.
      D: ``‖θ_1 − θ*‖`` (> 0).
      G: gradient-norm bound, a scalar or one value per step (each > 0).
      method: ``"exact"`` (the O(T) recursion, unconstrained only), ``"newton"`` (interior
        point in tail-sum coordinates, every constraint), ``"lbfgsb"`` (scipy L-BFGS-B),
        ``"pgd"`` (projected gradient, batchable with ``jax.vmap``) or ``"auto"`` (exact when
        nothing is constrained, newton otherwise).
      monotone: force η non-increasing after the warm-up.
      max_lr: cap every η_t at this value.
      min_lr: keep every η_t after the warm-up at or above this value (below ``max_lr``),
        as cosine decay's floor or a warmup-stable-decay's end value do.
      warmup: an array of fixed values η_1..η_W, or an integer W of linear warm-up steps
        rising to the first free value (η_t = t/(W+1)·η_{W+1}).
      tol: relative tolerance on the bound (for the iterative methods).
      max_iter: iteration limit (None: the method's default).
      time_limit: wall-clock limit in seconds for ``"lbfgsb"`` and ``"pgd"`` (None: their
        default of 60 s); the other methods finish in a bounded number of O(T) steps.

    Returns:
      A ``ScheduleResult``. ``converged=True`` means the bound is certified within ``tol``
      (relative) of the optimum, and ``gap`` is the certified ``bound − optimum`` bound; an
      iterative method that stops short (iterations, time) returns ``converged=False`` with
      a message saying so.

    To solve many problems at once (different T or G profiles, in one ``jax.vmap``ped
    projected-gradient run), see ``optimal_schedule_batch``.
    """
    _check_method(method)
    _memory.check(_validation.steps(steps), "steps", _BYTES_PER_STEP)
    problem = make_problem(steps, D, G, monotone=monotone, max_lr=max_lr, warmup=warmup,
                           min_lr=min_lr)
    return solve_problem(problem, method, tol=tol, max_iter=max_iter, time_limit=time_limit)


def _check_method(method) -> None:
    if not isinstance(method, str) or method not in METHODS:      # a list is unhashable
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")


def solve_problem(problem: Problem, method="auto", *, tol=1e-12, max_iter=None,
                  time_limit=None) -> ScheduleResult:
    """``optimal_schedule`` for a ``Problem`` whose records are already built: the one door
    behind it (refusals from ``METHODS``, units, the closed forms, the method) for callers
    that build constraints the keywords cannot say, as ``extend_schedule``'s frozen history
    under a cap that binds only the steps after it."""
    _check_method(method)
    if method == "auto":
        method = "newton" if problem.constrained else "exact"
    refuse_unsupported(problem, method)
    tol, max_iter = check_tolerances(tol, max_iter)
    time_limit = check_time_limit(time_limit)
    extra = {"time_limit": time_limit} if METHODS[method].timed else {}
    # Every method solves in units where D ≈ 1 and G ≈ 1 (issue 15 item 2), so that no
    # finite positive input over- or underflows inside a solver.
    unit, units = to_units(problem)
    # A non-increasing unconstrained optimum: only a cap can bind (solvers/_capped.py). The
    # capped solver runs in logarithms, where newton's blocks underflow for G spanning 200
    # decades; where it cannot certify, newton takes the problem as usual.
    optimum = _capped.decreasing_optimum(unit)
    result = None
    if optimum is not None and not _capped.cap_binds(unit, optimum):
        result = _inactive_result(unit, problem, units, optimum)
    elif optimum is not None and method == "newton":
        result = _capped.solve(unit, tol, optimum)
        result = None if result is None else from_units(result, problem, units)
    if result is None:
        result = from_units(_solver(method)(unit, tol, max_iter, **extra), problem, units)
    return dataclasses.replace(result, problem=problem.summary())
