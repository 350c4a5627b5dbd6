"""schedopt: provably good learning-rate schedules.

SGD's last-iterate convergence bound is a function of the whole schedule η_1..η_T. schedopt
writes the bounds of docs/math.md §2 as differentiable JAX functions, finds the schedule that
minimises them, compares the optimum with the variational prediction and hands schedules
to optax. ``optimal_schedule(T)`` is the mathematical optimum at horizon T (its last entry is a
weight of the bound, never applied); ``applied_schedule(N)`` is what a run of N updates
applies (docs/math.md §5.1).

The package is layered, and the folders are the layers (data flows one way, nothing imports
upward; ``tests/test_layers.py`` checks it):

- foundation: ``_validation``, ``_result``, ``_sums``, ``_closed_forms``, ``_lazy``;
- ``bounds``: what a schedule costs;
- ``solvers``: the schedule that minimises bound (C);
- ``schedules``: the families people already use;
- ``theory``: predictions and comparisons against the optimum;
- ``adapters``: optax, gradient-norm logs, refinement, files;
- ``report`` and ``cli``: tables, figures and the command line.
"""

import typing

from schedopt import _lazy

__version__ = "0.2.0"

# Every public name and the layer that defines it, one per line. They are imported on first
# use (PEP 562), so that `import schedopt` and the command line's --help do not pay for
# importing JAX, optax and scipy before they are needed.
_EXPORTS = {
    # Bounds (docs/math.md §2, §4.1)
    "BOUNDS": "schedopt.bounds",
    "applied_bound": "schedopt.bounds",
    "applied_bound_weight": "schedopt.bounds",
    "Scale": "schedopt.bounds",
    "average_iterate_bound": "schedopt.bounds",
    "last_iterate_bound": "schedopt.bounds",
    "monotone_last_iterate_bound": "schedopt.bounds",
    "optimal_scale": "schedopt.bounds",
    # Solvers (docs/math.md §4)
    "ScheduleResult": "schedopt.solvers",
    "METHODS": "schedopt.solvers",
    "optimal_schedule": "schedopt.solvers",
    "optimal_schedule_batch": "schedopt.solvers",
    "applied_schedule": "schedopt.solvers",
    "extend_schedule": "schedopt.solvers",
    "AnytimeResult": "schedopt.solvers",
    "anytime_schedule": "schedopt.solvers",
    "checkpoint_ratios": "schedopt.solvers",
    # Schedule families (peak-1 shapes; optax's names where optax has the schedule)
    "FAMILIES": "schedopt.schedules",
    "constant": "schedopt.schedules",
    "cosine_decay": "schedopt.schedules",
    "exponential_decay": "schedopt.schedules",
    "inverse_sqrt": "schedopt.schedules",
    "linear_decay": "schedopt.schedules",
    "linear_decay_to_zero": "schedopt.schedules",
    "step_decay": "schedopt.schedules",
    "warmup_stable_decay": "schedopt.schedules",
    # Theory against the optimum (docs/math.md §3): predictions, comparison tables, the 1/√T fit
    "ScalingFit": "schedopt.theory",
    "ScalingTable": "schedopt.theory",
    "fit_power_law": "schedopt.theory",
    "fit_scaling": "schedopt.theory",
    "Comparison": "schedopt.theory",
    "FamilyTable": "schedopt.theory",
    "Prediction": "schedopt.theory",
    "compare": "schedopt.theory",
    "family_table": "schedopt.theory",
    "linear_decay_guarantee": "schedopt.theory",
    "variational_schedule": "schedopt.theory",
    "WorstCase": "schedopt.theory",
    "minimax_schedule": "schedopt.theory",
    "worst_case": "schedopt.theory",
    # Loss models fitted to real training runs: predictions and decisions (docs/calibration.md)
    "LossModel": "schedopt.calibration",
    "fit_loss_curves": "schedopt.calibration",
    "load_model": "schedopt.calibration",
    "read_runs": "schedopt.calibration",
    # optax adapters (docs/math.md §1: optax's count k is step k + 1)
    "as_optax": "schedopt.adapters",
    "optimal_optax_schedule": "schedopt.adapters",
    "resample": "schedopt.adapters",
    # Refined schedules from gradient-norm logs (docs/math.md §3, per-step G)
    "GradNormLog": "schedopt.adapters",
    "grad_norm_log": "schedopt.adapters",
    "log_grad_norms": "schedopt.adapters",
    "logged_grad_norms": "schedopt.adapters",
    "read_grad_norms": "schedopt.adapters",
    "continuous_schedule": "schedopt.theory",
    "defazio_schedule": "schedopt.theory",
    "grad_norm_profile": "schedopt.adapters",
    "refine": "schedopt.adapters",
    # Schedule files (.json with provenance, .csv, .npy)
    "save_schedule": "schedopt.adapters",
    "load_schedule": "schedopt.adapters",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)


if typing.TYPE_CHECKING:   # static tools see the eager imports
    from schedopt.bounds import BOUNDS
    from schedopt.bounds import applied_bound
    from schedopt.bounds import applied_bound_weight
    from schedopt.bounds import Scale
    from schedopt.bounds import average_iterate_bound
    from schedopt.bounds import last_iterate_bound
    from schedopt.bounds import monotone_last_iterate_bound
    from schedopt.bounds import optimal_scale
    from schedopt.solvers import ScheduleResult
    from schedopt.solvers import METHODS
    from schedopt.solvers import optimal_schedule
    from schedopt.solvers import optimal_schedule_batch
    from schedopt.solvers import applied_schedule
    from schedopt.solvers import extend_schedule
    from schedopt.solvers import AnytimeResult
    from schedopt.solvers import anytime_schedule
    from schedopt.solvers import checkpoint_ratios
    from schedopt.schedules import FAMILIES
    from schedopt.schedules import constant
    from schedopt.schedules import cosine_decay
    from schedopt.schedules import exponential_decay
    from schedopt.schedules import inverse_sqrt
    from schedopt.schedules import linear_decay
    from schedopt.schedules import linear_decay_to_zero
    from schedopt.schedules import step_decay
    from schedopt.schedules import warmup_stable_decay
    from schedopt.theory import ScalingFit
    from schedopt.theory import ScalingTable
    from schedopt.theory import fit_power_law
    from schedopt.theory import fit_scaling
    from schedopt.theory import Comparison
    from schedopt.theory import FamilyTable
    from schedopt.theory import Prediction
    from schedopt.theory import compare
    from schedopt.theory import family_table
    from schedopt.theory import linear_decay_guarantee
    from schedopt.theory import variational_schedule
    from schedopt.theory import WorstCase
    from schedopt.theory import minimax_schedule
    from schedopt.theory import worst_case
    from schedopt.calibration import LossModel
    from schedopt.calibration import fit_loss_curves
    from schedopt.calibration import load_model
    from schedopt.calibration import read_runs
    from schedopt.adapters import as_optax
    from schedopt.adapters import optimal_optax_schedule
    from schedopt.adapters import resample
    from schedopt.adapters import GradNormLog
    from schedopt.adapters import grad_norm_log
    from schedopt.adapters import log_grad_norms
    from schedopt.adapters import logged_grad_norms
    from schedopt.adapters import read_grad_norms
    from schedopt.theory import continuous_schedule
    from schedopt.theory import defazio_schedule
    from schedopt.adapters import grad_norm_profile
    from schedopt.adapters import refine
    from schedopt.adapters import save_schedule
    from schedopt.adapters import load_schedule
