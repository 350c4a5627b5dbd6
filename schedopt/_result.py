"""The one result type every solver returns (after scipy's ``OptimizeResult``)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class ScheduleResult:
    """An optimised schedule and what is known about how good it is.

    Attributes:
      eta: the schedule η_1..η_T, float64 numpy array (read-only).
      bound: the value of bound (C) at ``eta``.
      method: the solver that produced it (``"exact"``, ``"newton"``, ``"lbfgsb"``, ``"pgd"``).
      converged: whether the solver met its tolerance; False means stopped short (see message).
      iterations: iterations the solver took (0 for the closed-form recursion).
      seconds: wall-clock time of the solve.
      message: a sentence on how the solve ended.
      gap: a certified upper bound on ``bound − optimum`` of the same constrained problem
        (0 for ``"exact"``, the barrier duality gap for ``"newton"``, ``bound`` minus a
        Lagrangian dual lower bound for ``"lbfgsb"`` and ``"pgd"``, docs/math.md §4.6), or
        None where none could be computed. ``converged`` is True only when
        ``gap ≤ tol·bound``.
      problem: what was solved, JSON-ready: steps, D, G (a number or a summary of the
        profile) and the constraints (``optimal_schedule`` fills it in).
    """

    eta: np.ndarray
    bound: float
    method: str
    converged: bool
    iterations: int
    seconds: float
    message: str
    gap: float | None = None
    problem: dict | None = None

    def __post_init__(self):
        eta = np.array(self.eta, dtype=np.float64, copy=True)
        eta.setflags(write=False)
        object.__setattr__(self, "eta", eta)
        object.__setattr__(self, "bound", float(self.bound))

    @property
    def steps(self) -> int:
        return int(self.eta.shape[0])

    def __repr__(self) -> str:
        gap = "None" if self.gap is None else f"{self.gap:.3g}"
        return (f"ScheduleResult(steps={self.steps}, bound={self.bound!r}, method={self.method!r}, "
                f"converged={self.converged}, iterations={self.iterations}, "
                f"seconds={self.seconds:.3g}, gap={gap}, message={self.message!r})")
