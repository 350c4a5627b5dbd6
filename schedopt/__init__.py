"""schedopt: provably good learning-rate schedules.

SGD's last-iterate convergence bound is a function of the whole schedule η_1..η_T. schedopt
writes the bounds of THEORY §2 as differentiable JAX functions, finds the schedule that
minimises them, compares the optimum with the variational prediction and hands schedules
to optax.
"""

# Bounds (THEORY §2, §4.1)
from schedopt._bounds import BOUNDS
from schedopt._bounds import Scale
from schedopt._bounds import average_iterate_bound
from schedopt._bounds import last_iterate_bound
from schedopt._bounds import monotone_last_iterate_bound
from schedopt._bounds import optimal_scale

# Solvers (THEORY §4)
from schedopt._result import ScheduleResult
from schedopt._solve import METHODS
from schedopt._solve import optimal_schedule
from schedopt._pgd import optimal_schedule_batch

# Schedule families (peak-1 shapes; optax's names where optax has the schedule)
from schedopt._schedules import FAMILIES
from schedopt._schedules import constant
from schedopt._schedules import cosine_decay
from schedopt._schedules import exponential_decay
from schedopt._schedules import inverse_sqrt
from schedopt._schedules import linear_decay
from schedopt._schedules import linear_decay_to_zero
from schedopt._schedules import step_decay
from schedopt._schedules import warmup_stable_decay

# Theory against the optimum (THEORY §3): predictions, comparison tables, the 1/√T fit
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

# optax adapters (THEORY §1: optax's count k is step k + 1)
from schedopt._optax import as_optax
from schedopt._optax import optimal_optax_schedule
from schedopt._optax import resample

# Refined schedules from gradient-norm logs (THEORY §3, per-step G)
from schedopt._gradlogs import GradNormLog
from schedopt._gradlogs import grad_norm_log
from schedopt._gradlog_optax import log_grad_norms
from schedopt._gradlog_optax import logged_grad_norms
from schedopt._gradlogs import read_grad_norms
from schedopt._refine import continuous_schedule
from schedopt._refine import defazio_schedule
from schedopt._refine import grad_norm_profile
from schedopt._refine import refine

__version__ = "0.1.0"
