"""The limits every iterative solver runs under, said once (issue 20 item 4).

A solver owns its iterations (L-BFGS-B's restarts, projected gradient's rounds, the barrier
method's Newton steps); this module owns what they share: the iteration budget
(``max_iter``, with each method's default), the wall clock (``time_limit``, for the methods
that take one), the best certified point seen so far, and the one sentence that says why a
run stopped short of its certificate. So "stopped at the iteration limit max_iter = 3" reads
the same whichever method wrote it, and a new limit is one field here.
"""

from __future__ import annotations

import dataclasses
import math
import time


@dataclasses.dataclass
class Budget:
    """Iterations spent against ``max_iter``, and the clock against ``deadline``
    (a ``time.perf_counter()`` value; infinite for an untimed method)."""
    max_iter: int
    start: float
    deadline: float = math.inf
    iterations: int = 0
    limit: float | None = None       # the time limit in seconds, as given

    @classmethod
    def begin(cls, max_iter: int | None, default_max_iter: int, time_limit: float | None = None,
              default_time_limit: float | None = None) -> "Budget":
        """A budget starting now: ``max_iter`` (None: the method's default) and ``time_limit``
        seconds (None: the method's default, itself None for an untimed method)."""
        start = time.perf_counter()
        limit = default_time_limit if time_limit is None else time_limit
        return cls(default_max_iter if max_iter is None else int(max_iter), start,
                   math.inf if limit is None else start + limit, limit=limit)

    def left(self) -> int:
        """Iterations still allowed."""
        return max(0, self.max_iter - self.iterations)

    def spent(self) -> bool:
        return self.iterations >= self.max_iter

    def late(self) -> bool:
        return time.perf_counter() >= self.deadline

    def seconds(self) -> float:
        """Seconds since the budget began."""
        return time.perf_counter() - self.start

    def per_round(self, cap: int, done: int) -> int:
        """Iterations for the next round between checks: ``cap``, or fewer when the time per
        iteration so far (``done`` of them; the first round includes any compilation, so this
        only overestimates the cost) says that ``cap`` would overrun the deadline."""
        if done == 0 or math.isinf(self.deadline):
            return cap
        per_iteration = self.seconds() / done
        return int(max(1, min(cap, (self.deadline - time.perf_counter()) / per_iteration)))

    def why_stopped(self, unit: str | None = None) -> str | None:
        """The sentence for a run that ended on a limit (``unit``: what an iteration is, when
        not plain iterations), or None when no limit was reached."""
        if self.spent():
            return (f"stopped at the iteration limit max_iter = {self.max_iter}"
                    + (f" ({unit})" if unit else ""))
        if self.late():
            return f"stopped at the time limit of {self.limit:g} s"
        return None


@dataclasses.dataclass
class Best:
    """The point with the smallest certificate (a certified bound on its optimality gap) seen
    so far; a solver that wanders after it returns it rather than its last iterate."""
    point: object = None
    certificate: float = math.inf

    def offer(self, point, certificate: float) -> None:
        if certificate < self.certificate:
            self.point, self.certificate = point, certificate

    def __bool__(self) -> bool:
        return self.point is not None
