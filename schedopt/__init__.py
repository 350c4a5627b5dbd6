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

__version__ = "0.1.0"
