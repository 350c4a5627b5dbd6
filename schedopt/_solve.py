"""``optimal_schedule``: one entry point, one result type, a ``method=`` switch.

The problem is bound (C) of THEORY §2 over η ≥ 0 with optional linear constraints:
a warm-up (a fixed prefix, or a linear ramp up to the first free value), a cap
``η_t ≤ max_lr`` and a non-increasing schedule after the warm-up. It is convex
(THEORY §4.2), so every method aims at the same global optimum.
"""

from __future__ import annotations

import dataclasses
import numbers
import time

import numpy as np

from schedopt import _validation
from schedopt._bounds import last_iterate_bound
from schedopt._result import ScheduleResult

METHODS = ("auto", "exact", "newton", "lbfgsb", "pgd")


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A validated instance of problem (C) with its constraints.

    Attributes:
      steps: T.
      D: ‖θ_1 − θ*‖.
      G: the gradient norms as given: a float, or a float64 array of length T.
      G2: squared gradient norms G_t², float64 array of length T.
      prefix: fixed values η_1..η_W of an array warm-up (length 0 when there is none).
      ramp: W for a linear warm-up η_t = t/(W+1)·η_{W+1}, t ≤ W (0 when there is none).
      max_lr: cap on every η_t, or None.
      monotone: η non-increasing from the first free step on.
    """

    steps: int
    D: float
    G: float | np.ndarray
    G2: np.ndarray
    prefix: np.ndarray
    ramp: int
    max_lr: float | None
    monotone: bool

    @property
    def warmup_length(self) -> int:
        return int(self.prefix.shape[0]) + self.ramp

    @property
    def constrained(self) -> bool:
        return self.warmup_length > 0 or self.max_lr is not None or self.monotone

    def bound(self, eta) -> float:
        # The caller's G, scalar or per step, so that the value is bit for bit what
        # last_iterate_bound(eta, D, G) gives the caller.
        return float(last_iterate_bound(eta, self.D, self.G))


def make_problem(steps, D=1.0, G=1.0, *, monotone=False, max_lr=None, warmup=None) -> Problem:
    """Validate the arguments of ``optimal_schedule`` into a ``Problem``."""
    T = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    G = _validation.gradient_norms(G, T)
    G2 = np.broadcast_to(np.square(G), (T,)).astype(np.float64)
    if not isinstance(monotone, (bool, np.bool_)):
        raise TypeError(f"monotone must be True or False, got {monotone!r}")
    if max_lr is not None:
        max_lr = _validation.positive_scalar(max_lr, "max_lr")
    prefix, ramp = np.zeros(0), 0
    if warmup is None:
        pass
    elif isinstance(warmup, numbers.Integral) and not isinstance(warmup, (bool, np.bool_)):
        ramp = int(warmup)
        if ramp < 0:
            raise ValueError(f"warmup must be a number of steps >= 0 or an array of fixed "
                             f"values, got {ramp}")
    else:
        prefix = _validation.schedule(warmup, "warmup")
    W = prefix.shape[0] + ramp
    if W >= T:
        raise ValueError(f"warmup must leave at least one free step: it covers {W} steps "
                         f"but steps = {T}; use a warm-up shorter than {T}")
    if max_lr is not None and prefix.size and np.max(prefix) > max_lr:
        i = int(np.argmax(prefix))
        raise ValueError(f"warmup must not exceed max_lr = {max_lr!r}, but warmup[{i}] = "
                         f"{prefix[i]!r}; lower the warm-up or raise max_lr")
    G = float(G) if G.ndim == 0 else G
    return Problem(steps=T, D=D, G=G, G2=G2, prefix=prefix, ramp=ramp, max_lr=max_lr,
                   monotone=bool(monotone))


def _solve_exact(problem: Problem, tol, max_iter) -> ScheduleResult:
    from schedopt._exact import exact_schedule

    start = time.perf_counter()
    eta, bound = exact_schedule(problem.G2, problem.D)
    return ScheduleResult(eta=eta, bound=bound, method="exact",
                          converged=True, iterations=0, seconds=time.perf_counter() - start,
                          message="closed-form recursion (THEORY §4.4)", gap=0.0)


def _solver(method):
    if method == "exact":
        return _solve_exact
    if method == "newton":
        from schedopt._newton import solve
    elif method == "lbfgsb":
        from schedopt._lbfgsb import solve
    else:
        from schedopt._pgd import solve
    return solve


def optimal_schedule(steps, D=1.0, G=1.0, *, method="auto", monotone=False, max_lr=None,
                     warmup=None, tol=1e-12, max_iter=None) -> ScheduleResult:
    """The schedule η_1..η_T minimising bound (C) (THEORY §2), with optional constraints.

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
    return _solver(method)(problem, tol, max_iter)


def check_tolerances(tol, max_iter) -> tuple[float, int | None]:
    """``tol`` as a positive finite float and ``max_iter`` as a positive int (or None)."""
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    if max_iter is not None:
        max_iter = _validation.steps(max_iter, "max_iter")
    return tol, max_iter
