"""Theory against the optimum (docs/math.md §3): predictions, comparisons, the 1/√T fit.

The variational schedule, the proven linear decay, the per-step closed forms, ``compare``
and ``family_table`` (every family at its best multiplier against the optimum) and
``fit_scaling``. This layer imports the solvers, the schedule families and below.
"""

from schedopt import _lazy

_EXPORTS = {
    "WorstCase": "schedopt.theory._worst_case",
    "minimax_schedule": "schedopt.theory._worst_case",
    "worst_case": "schedopt.theory._worst_case",
    "AnytimeRow": "schedopt.theory._horizons",
    "anytime_table": "schedopt.theory._horizons",
    "Comparison": "schedopt.theory._compare",
    "FamilyTable": "schedopt.theory._compare",
    "Prediction": "schedopt.theory._predictions",
    "compare": "schedopt.theory._compare",
    "family_table": "schedopt.theory._compare",
    "linear_decay_guarantee": "schedopt.theory._predictions",
    "variational_schedule": "schedopt.theory._predictions",
    "continuous_schedule": "schedopt._closed_forms",
    "defazio_schedule": "schedopt._closed_forms",
    "ScalingFit": "schedopt.theory._scaling",
    "ScalingTable": "schedopt.theory._scaling",
    "fit_power_law": "schedopt.theory._scaling",
    "fit_scaling": "schedopt.theory._scaling",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)
