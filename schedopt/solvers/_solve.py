"""``optimal_schedule``: one entry point, one result type, a ``method=`` switch.

The problem is bound (C) of docs/math.md §2 over η ≥ 0 with optional linear constraints:
a warm-up (a fixed prefix, or a linear ramp up to the first free value), a cap
``η_t ≤ max_lr`` and a non-increasing schedule after the warm-up. It is convex
(docs/math.md §4.2), so every method aims at the same global optimum.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from schedopt._result import ScheduleResult
from schedopt.solvers._problem import Problem
from schedopt.solvers._problem import check_tolerances
from schedopt.solvers._problem import make_problem



@dataclasses.dataclass(frozen=True)
class Method:
    """What a method of ``optimal_schedule`` is and what it supports.

    Attributes:
      name: the ``method=`` value.
      module: where its ``solve(problem, tol, max_iter)`` lives (None: in this module).
      constraints: the constraint kinds it accepts (``"warmup"``, ``"max_lr"``,
        ``"monotone"``); ``combined`` says whether it takes monotone and max_lr together.
      certificate: what backs ``converged=True``.
      batched: whether ``optimal_schedule_batch`` runs it under ``jax.vmap``.
    """
    name: str
    module: str | None
    constraints: frozenset
    combined: bool
    certificate: str
    batched: bool = False


_ALL = frozenset({"warmup", "max_lr", "monotone"})

# The registry: one entry per method, in the order the docs list them. A new method is one
# entry here and one module with solve(problem, tol, max_iter) (docs/contributing.md).
METHODS = {
    "auto": Method("auto", None, _ALL, True, "that of the method it picks: exact when "
                   "nothing is constrained, newton otherwise"),
    "exact": Method("exact", None, frozenset(), False, "the closed-form recursion (gap 0)"),
    "newton": Method("newton", "schedopt.solvers._newton", _ALL, True,
                     "the barrier method's duality gap"),
    "lbfgsb": Method("lbfgsb", "schedopt.solvers._lbfgsb", _ALL, False,
                     "a KKT residual check"),
    "pgd": Method("pgd", "schedopt.solvers._pgd", _ALL, False, "a KKT residual check",
                  batched=True),
}


def _solve_exact(problem: Problem, tol, max_iter) -> ScheduleResult:
    from schedopt.solvers._exact import exact_schedule

    start = time.perf_counter()
    eta, bound = exact_schedule(problem.G2, problem.D)
    return ScheduleResult(eta=eta, bound=bound, method="exact",
                          converged=True, iterations=0, seconds=time.perf_counter() - start,
                          message="closed-form recursion (docs/math.md §4.4)", gap=0.0)


def _solver(method):
    module = METHODS[method].module
    if module is None:
        return _solve_exact
    import importlib

    return importlib.import_module(module).solve


def optimal_schedule(steps, D=1.0, G=1.0, *, method="auto", monotone=False, max_lr=None,
                     warmup=None, tol=1e-12, max_iter=None) -> ScheduleResult:
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
      warmup: an array of fixed values η_1..η_W, or an integer W of linear warm-up steps
        rising to the first free value (η_t = t/(W+1)·η_{W+1}).
      tol: relative tolerance on the bound (for the iterative methods).
      max_iter: iteration limit (None: the method's default).

    Returns:
      A ``ScheduleResult``. An iterative method that runs out of iterations returns
      ``converged=False`` with a message saying so.

    To solve many problems at once (different T or G profiles, in one ``jax.vmap``ped
    projected-gradient run), see ``optimal_schedule_batch``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    problem = make_problem(steps, D, G, monotone=monotone, max_lr=max_lr, warmup=warmup)
    if method == "auto":
        method = "newton" if problem.constrained else "exact"
    if method == "exact" and problem.constrained:
        raise ValueError("method='exact' solves the unconstrained problem only; with monotone, "
                         "max_lr or warmup use method='newton' (or 'lbfgsb', 'pgd', 'auto')")
    tol, max_iter = check_tolerances(tol, max_iter)
    result = _solver(method)(problem, tol, max_iter)
    return dataclasses.replace(result, problem=problem.summary())
