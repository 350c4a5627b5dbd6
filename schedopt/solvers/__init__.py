"""Solvers: the schedule that minimises bound (C) (docs/math.md §4).

``optimal_schedule(steps, ..., method=...)`` is the one entry point (the mathematical
object: bound (C) at horizon ``steps``), ``applied_schedule(updates, ...)`` the rates to apply
for a run of that many updates (docs/math.md §5.1), ``optimal_schedule_batch`` its batched
projected-gradient form, ``extend_schedule`` the optimal continuation of applied rates,
``anytime_schedule`` the schedule with the best worst ratio over checkpoints, and ``METHODS``
the methods with what each supports.
Every method returns a ``ScheduleResult``. This layer imports the bounds and the foundation.
"""

from schedopt import _lazy

_EXPORTS = {
    "AnytimeResult": "schedopt.solvers._anytime",
    "anytime_schedule": "schedopt.solvers._anytime",
    "checkpoint_ratios": "schedopt.solvers._checkpoints",
    "extend_schedule": "schedopt.solvers._extend",
    "METHODS": "schedopt.solvers._solve",
    "ScheduleResult": "schedopt._result",
    "applied_schedule": "schedopt.solvers._applied",
    "optimal_schedule": "schedopt.solvers._solve",
    "optimal_schedule_batch": "schedopt.solvers._pgd",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)
