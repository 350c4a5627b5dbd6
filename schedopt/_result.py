"""The one result type every solver returns (after scipy's ``OptimizeResult``)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class ScheduleResult:
    """An optimised schedule and what is known about how good it is.

    Two kinds of result share this type, and ``horizon`` and ``updates`` tell them apart
    (docs/math.md §5.1). Bound (C) at horizon T covers θ_T, which η_1..η_{T−1} reach; η_T
    only weighs the analysis and never moves θ_T.

    - ``optimal_schedule(T)``, the mathematical object: ``eta`` has ``horizon = T``
      entries, and the last one is the bound's weight. Only ``updates = T − 1`` of them are
      covered by ``bound`` when applied (``rates_to_apply``); applying all T leaves the
      parameters at θ_{T+1}, which ``bound`` says nothing about.
    - ``applied_schedule(N)``, the rates to apply: ``eta`` has ``updates = N`` entries,
      η_1..η_N of the horizon-(N+1) optimum, and ``bound`` is the guarantee on θ_{N+1}, the
      parameters a run of N updates keeps. The weight η_{N+1} is in ``weight``.

    Attributes:
      eta: the schedule, float64 numpy array (read-only): η_1..η_T for the mathematical
        object, the N rates to apply for an applied result.
      bound: the value of bound (C) at horizon ``horizon``: a guarantee on θ_horizon.
      method: the solver that produced it (``"exact"``, ``"newton"``, ``"lbfgsb"``, ``"pgd"``).
      converged: whether the solver met its tolerance; False means stopped short (see message).
      iterations: iterations the solver took (0 for the closed-form recursion).
      seconds: wall-clock time of the solve.
      message: a sentence on how the solve ended.
      gap: a certified upper bound on ``bound − optimum`` of the same constrained problem
        (0 for ``"exact"``, the barrier duality gap for ``"newton"``, ``bound`` minus a
        Lagrangian dual lower bound for ``"lbfgsb"`` and ``"pgd"``, docs/math.md §4.7), or
        None where none could be computed. ``converged`` is True only when
        ``gap ≤ tol·bound``.
      problem: what was solved, JSON-ready: steps (the horizon), D, G (a number or a summary
        of the profile) and the constraints (``optimal_schedule`` fills it in).
      weight: for an applied result, η_{N+1}, the bound's weight that is never applied
        (so that ``bound`` can be recomputed); None for the mathematical object, whose
        ``eta`` ends with it. It decides ``horizon``: ``len(eta) + 1`` with a weight,
        ``len(eta)`` without.
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
    weight: float | None = None

    def __post_init__(self):
        eta = self.eta
        # A read-only float64 array that owns its memory is one a result already holds
        # (dataclasses.replace passes it on); anything else is copied and frozen, so that
        # nothing the caller keeps can change the result (8 MB and ~2 ms a copy at 10⁶).
        owned = (isinstance(eta, np.ndarray) and eta.dtype == np.float64 and eta.base is None
                 and not eta.flags.writeable)
        if not owned:
            eta = np.array(eta, dtype=np.float64, copy=True)
            eta.setflags(write=False)
        object.__setattr__(self, "eta", eta)
        object.__setattr__(self, "bound", float(self.bound))
        if self.weight is not None:
            weight = float(self.weight)
            if not (np.isfinite(weight) and weight >= 0):
                raise ValueError(f"weight (the never-applied η_(N+1)) must be a finite number "
                                 f">= 0, got {weight!r}")
            object.__setattr__(self, "weight", weight)

    @property
    def horizon(self) -> int:
        """The T of bound (C): ``bound`` covers θ_T. ``len(eta) + 1`` for rates to apply
        (their weight η_T is in ``weight``), ``len(eta)`` for the mathematical object."""
        return int(self.eta.shape[0]) + (self.weight is not None)

    @property
    def steps(self) -> int:
        """``len(eta)``; kept for old code. Say ``horizon`` or ``updates`` instead."""
        return int(self.eta.shape[0])

    @property
    def updates(self) -> int:
        """How many rates are meant to be applied: ``horizon − 1`` (θ_horizon is reached
        after that many updates, docs/math.md §5.1)."""
        return self.horizon - 1

    @property
    def applied(self) -> bool:
        """True when ``eta`` holds exactly the rates to apply (``applied_schedule``)."""
        return self.weight is not None

    @property
    def rates_to_apply(self) -> np.ndarray:
        """η_1..η_updates, the rates ``bound`` covers when applied: all of ``eta`` for an
        applied result, ``eta[:-1]`` for the mathematical object."""
        return self.eta[:self.updates]

    def __repr__(self) -> str:
        gap = "None" if self.gap is None else f"{self.gap:.3g}"
        if self.applied:
            kind = (f"updates={self.updates}, horizon={self.horizon}, eta=<the {self.updates} "
                    f"rates to apply>")
        else:
            kind = (f"horizon={self.horizon}, updates={self.updates}, eta=<{self.horizon} "
                    f"rates; apply eta[:{self.updates}], eta[-1] is the bound's weight>")
        return (f"ScheduleResult({kind}, bound={self.bound!r} (on θ_{self.horizon}), "
                f"method={self.method!r}, converged={self.converged}, "
                f"iterations={self.iterations}, seconds={self.seconds:.3g}, gap={gap}, "
                f"message={self.message!r})")
