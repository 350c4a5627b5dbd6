"""schedopt: provably good learning-rate schedules.

SGD's last-iterate convergence bound is a function of the whole schedule η_1..η_T. schedopt
writes the bounds of THEORY §2 as differentiable JAX functions, finds the schedule that
minimises them, compares the optimum with the variational prediction and hands schedules
to optax.
"""

import importlib
import typing

__version__ = "0.1.0"

# Every public name and the private module that defines it, one per line. They are imported
# on first use (PEP 562), so that `import schedopt` and the command line's --help do not pay
# for importing JAX, optax and scipy before they are needed.
_EXPORTS = {
    # Bounds (THEORY §2, §4.1)
    "BOUNDS": "schedopt._bounds",
    "Scale": "schedopt._bounds",
    "average_iterate_bound": "schedopt._bounds",
    "last_iterate_bound": "schedopt._bounds",
    "monotone_last_iterate_bound": "schedopt._bounds",
    "optimal_scale": "schedopt._bounds",
    # Solvers (THEORY §4)
    "ScheduleResult": "schedopt._result",
    "METHODS": "schedopt._solve",
    "optimal_schedule": "schedopt._solve",
    "optimal_schedule_batch": "schedopt._pgd",
    # Schedule families (peak-1 shapes; optax's names where optax has the schedule)
    "FAMILIES": "schedopt._schedules",
    "constant": "schedopt._schedules",
    "cosine_decay": "schedopt._schedules",
    "exponential_decay": "schedopt._schedules",
    "inverse_sqrt": "schedopt._schedules",
    "linear_decay": "schedopt._schedules",
    "linear_decay_to_zero": "schedopt._schedules",
    "step_decay": "schedopt._schedules",
    "warmup_stable_decay": "schedopt._schedules",
    # Theory against the optimum (THEORY §3): predictions, comparison tables, the 1/√T fit
    "ScalingFit": "schedopt._scaling",
    "ScalingTable": "schedopt._scaling",
    "fit_power_law": "schedopt._scaling",
    "fit_scaling": "schedopt._scaling",
    "Comparison": "schedopt._theory",
    "FamilyTable": "schedopt._theory",
    "Prediction": "schedopt._theory",
    "compare": "schedopt._theory",
    "family_table": "schedopt._theory",
    "linear_decay_guarantee": "schedopt._theory",
    "variational_schedule": "schedopt._theory",
    # optax adapters (THEORY §1: optax's count k is step k + 1)
    "as_optax": "schedopt._optax",
    "optimal_optax_schedule": "schedopt._optax",
    "resample": "schedopt._optax",
    # Refined schedules from gradient-norm logs (THEORY §3, per-step G)
    "GradNormLog": "schedopt._gradlogs",
    "grad_norm_log": "schedopt._gradlogs",
    "log_grad_norms": "schedopt._gradlog_optax",
    "logged_grad_norms": "schedopt._gradlog_optax",
    "read_grad_norms": "schedopt._gradlogs",
    "continuous_schedule": "schedopt._refine",
    "defazio_schedule": "schedopt._refine",
    "grad_norm_profile": "schedopt._refine",
    "refine": "schedopt._refine",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'schedopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value            # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


if typing.TYPE_CHECKING:   # static tools see the eager imports
    from schedopt._bounds import BOUNDS
    from schedopt._bounds import Scale
    from schedopt._bounds import average_iterate_bound
    from schedopt._bounds import last_iterate_bound
    from schedopt._bounds import monotone_last_iterate_bound
    from schedopt._bounds import optimal_scale
    from schedopt._result import ScheduleResult
    from schedopt._solve import METHODS
    from schedopt._solve import optimal_schedule
    from schedopt._pgd import optimal_schedule_batch
    from schedopt._schedules import FAMILIES
    from schedopt._schedules import constant
    from schedopt._schedules import cosine_decay
    from schedopt._schedules import exponential_decay
    from schedopt._schedules import inverse_sqrt
    from schedopt._schedules import linear_decay
    from schedopt._schedules import linear_decay_to_zero
    from schedopt._schedules import step_decay
    from schedopt._schedules import warmup_stable_decay
    from schedopt._scaling import ScalingFit
    from schedopt._scaling import ScalingTable
    from schedopt._scaling import fit_power_law
    from schedopt._scaling import fit_scaling
    from schedopt._theory import Comparison
    from schedopt._theory import FamilyTable
    from schedopt._theory import Prediction
    from schedopt._theory import compare
    from schedopt._theory import family_table
    from schedopt._theory import linear_decay_guarantee
    from schedopt._theory import variational_schedule
    from schedopt._optax import as_optax
    from schedopt._optax import optimal_optax_schedule
    from schedopt._optax import resample
    from schedopt._gradlogs import GradNormLog
    from schedopt._gradlogs import grad_norm_log
    from schedopt._gradlog_optax import log_grad_norms
    from schedopt._gradlog_optax import logged_grad_norms
    from schedopt._gradlogs import read_grad_norms
    from schedopt._refine import continuous_schedule
    from schedopt._refine import defazio_schedule
    from schedopt._refine import grad_norm_profile
    from schedopt._refine import refine
