"""The problem every solver receives: bound (C) with its constraints, validated once.

``make_problem`` turns ``optimal_schedule``'s arguments into a ``Problem``; its
``constraints`` are records (``Warmup``, ``Cap``, ``Monotone``) that say, in one place, what
was asked, and ``summary()`` is what a result and a written file record about the problem.
Every constraint is linear in the tail sums S_t = η_{t:T} (docs/math.md §4.3).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt import _validation
from schedopt._units import Units
from schedopt.solvers import _constraints
from schedopt.solvers._constraints import Cap          # noqa: F401  (the records, re-exported)
from schedopt.solvers._constraints import Monotone     # noqa: F401
from schedopt.solvers._constraints import Warmup       # noqa: F401


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A validated instance of problem (C) with its constraints.

    Attributes:
      steps: T.
      D: ‖θ_1 − θ*‖.
      G: the gradient norms as given: a float, or a float64 array of length T.
      G2: squared gradient norms G_t², float64 array of length T.
      constraints: the records (``Warmup``, ``Cap``, ``Monotone``), in that order;
        the only place a constraint is stored (``_constraints`` lowers them per method).
    """

    steps: int
    D: float
    G: float | np.ndarray
    G2: np.ndarray
    constraints: tuple = ()

    @property
    def warmup_length(self) -> int:
        return _constraints.warmup(self).length

    @property
    def constrained(self) -> bool:
        return bool(self.constraints)

    # Read-only views for callers outside the solvers (benchmarks, notebooks); no solver
    # reads them (tests/solvers/test_contract.py).
    @property
    def prefix(self) -> np.ndarray:
        return _constraints.warmup(self).values

    @property
    def ramp(self) -> int:
        return _constraints.warmup(self).ramp

    @property
    def max_lr(self) -> float | None:
        return _constraints.free_bounds(self)[1]

    @property
    def monotone(self) -> bool:
        return _constraints.monotone(self)

    def summary(self) -> dict:
        """What was solved: T, D, G (a number, or min/max/geometric mean of a profile) and
        the constraints; JSON-ready."""
        if np.ndim(self.G) == 0:
            G = float(self.G)
        else:
            G = {"per_step": True, "min": float(np.min(self.G)), "max": float(np.max(self.G)),
                 "geometric_mean": float(np.exp(np.mean(np.log(self.G))))}
        return {"steps": self.steps, "D": self.D, "G": G,
                "constraints": [c.summary() for c in self.constraints]}

    def bound(self, eta) -> float:
        # The caller's G, scalar or per step, so that the value is bit for bit what
        # last_iterate_bound(eta, D, G) gives the caller. Imported here: validating a
        # problem must not pay for JAX (the command line refuses bad input in milliseconds).
        from schedopt.bounds._bounds import last_iterate_bound

        return float(last_iterate_bound(eta, self.D, self.G))


def make_problem(steps, D=1.0, G=1.0, **constraints) -> Problem:
    """Validate the arguments of ``optimal_schedule`` into a ``Problem``; ``constraints`` are
    its constraint keywords (``monotone``, ``max_lr``, ``warmup``), turned into
    records by ``_constraints.from_arguments``."""
    T = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    G = _validation.gradient_norms(G, T)
    with np.errstate(over="ignore", under="ignore"):   # to_units forms the G² solvers use
        G2 = np.broadcast_to(np.square(G), (T,)).astype(np.float64)
    records = _constraints.from_arguments(T, **constraints)
    G = float(G) if G.ndim == 0 else G
    return Problem(steps=T, D=D, G=G, G2=G2, constraints=records)


def check_tolerances(tol, max_iter) -> tuple[float, int | None]:
    """``tol`` as a positive finite float and ``max_iter`` as a positive int (or None)."""
    tol = _validation.positive_scalar(tol, "tol")       # names tol, not float()
    if max_iter is not None:
        max_iter = _validation.steps(max_iter, "max_iter")
    return tol, max_iter


def check_time_limit(time_limit) -> float | None:
    """``time_limit`` as a positive finite float of seconds, or None."""
    if time_limit is None:
        return None
    out = _validation.positive_scalar(time_limit, "time_limit")
    return out


# ---------------------------------------------------------------------------------------
# Scale-free units (issue 15 item 2)
#
# Bound (C) is homogeneous: with η = (D/g)·η', D = d·D' and G = g·G', its value is d·g times
# the value at (η', D', G'), and the constraints scale like η (docs/math.md §4.1). Every
# method solves in units where D' ≈ 1 and G' has geometric mean ≈ 1, so that neither D² nor
# G² over- or underflows; d and g are powers of two, so the change of units is exact.
# ---------------------------------------------------------------------------------------


def to_units(problem: Problem) -> tuple[Problem, Units]:
    with np.errstate(over="ignore", under="ignore"):
        return _to_units(problem)


def _to_units(problem: Problem) -> tuple[Problem, Units]:
    """The same problem in units where D ≈ 1 and G has geometric mean ≈ 1.

    Raises a ValueError naming G when the profile spans so many decades that G_t² relative
    to its geometric mean leaves float64's range (its optimal schedule, ∝ G_t⁻² for
    isolated steps (docs/math.md §3), is then not representable either).
    """
    G = np.asarray(problem.G, dtype=np.float64)
    units = Units.of(problem.D, G)
    G1 = np.ldexp(G, -units.g)
    G2 = np.broadcast_to(np.square(G1), (problem.steps,)).astype(np.float64)
    if not (np.all(np.isfinite(G2)) and np.all(G2 > np.finfo(np.float64).tiny)):
        raise ValueError(f"G spans too many orders of magnitude for float64: from "
                         f"{float(np.min(G)):.3g} to {float(np.max(G)):.3g}; the ratio of the "
                         f"largest to the smallest must stay below about 1e300 (each G_t "
                         f"within ~1e150 of their geometric mean), or the optimal schedule, "
                         f"which scales like 1/G_t², is not representable")
    try:
        constraints = _constraints.scaled(problem.constraints,
                                          units.to_unit_eta)
    except ValueError as error:
        raise ValueError(f"{error} = {problem.D!r}/{float(np.exp(np.mean(np.log(G)))):.3g}"
                         if "range relative to D/G" in str(error) and "warm" not in str(error)
                         else str(error)) from None
    unit = dataclasses.replace(problem, D=float(np.ldexp(problem.D, -units.d)),
                               G=float(G1) if G1.ndim == 0 else G1, G2=G2,
                               constraints=constraints)
    return unit, units


def describe_G(problem: Problem) -> str:
    """G for an error message: the number, or the range of a per-step profile."""
    if np.ndim(problem.G) == 0:
        return f"G = {float(problem.G)!r}"
    return f"G (per step, from {float(np.min(problem.G)):.3g} to {float(np.max(problem.G)):.3g})"


def _log10_DG(problem: Problem) -> float:
    """log₁₀ of D times the geometric mean of G (D·G itself may overflow)."""
    return float(np.log10(problem.D) + np.mean(np.log10(np.asarray(problem.G, np.float64))))


def from_units(result, problem: Problem, units: Units):
    """A result solved in units, in the caller's units; a ValueError naming D and G when
    its schedule or bound is not representable in float64."""
    with np.errstate(over="ignore", under="ignore"):
        eta = units.eta(result.eta)
    bound = units.value(result.bound)
    gap = None if result.gap is None else units.value(result.gap)
    where = f"D = {problem.D!r} and {describe_G(problem)} (horizon T = {problem.steps})"
    if not np.all(np.isfinite(eta)):
        raise ValueError(f"the optimal schedule for {where} is not representable in float64: "
                         f"its rates, which scale like D/G, overflow; rescale D or G")
    if np.isfinite(result.bound) and not np.isfinite(bound):
        # Issue 21: D = G = 1e300 has rates ∝ D/G = 1, the bound ∝ D·G is what overflows.
        raise ValueError(f"the optimal schedule for {where} is not representable in float64: "
                         f"its bound, which scales like D·G (about 10^"
                         f"{_log10_DG(problem):.0f} here), overflows; rescale D or G")
    if result.eta[-1] > 0 and eta[-1] == 0 or (result.bound > 0 and bound == 0):
        raise ValueError(f"the optimal schedule for {where} is not representable in float64: "
                         f"its rates (∝ D/G) or its bound (∝ D·G) underflow to 0; rescale D or G")
    return dataclasses.replace(result, eta=eta, bound=bound, gap=gap)
