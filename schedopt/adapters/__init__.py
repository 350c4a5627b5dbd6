"""Adapters: schedules into training and logs out of it.

optax (``as_optax``, ``optimal_optax_schedule``, ``resample``), gradient-norm logs
(``read_grad_norms``, ``grad_norm_log``, the ``log_grad_norms`` optax transformation), the
refinement of a logged run into the next run's schedule (``refine``), and schedule files
(``save_schedule``/``load_schedule``: JSON with provenance, CSV and NPY, written atomically
by ``_io``). PyTorch lives in the public module ``schedopt.torch`` (the only one importing
torch). This layer imports everything below it and
nothing above (the report and the command line).

Every adapter that hands a user rates to apply hands out ``applied_schedule``'s: for N
updates, η_1..η_N of the horizon-(N+1) optimum, never the last entry of
``optimal_schedule(N)``, which is bound (C)'s weight (docs/math.md §5.1).
"""

from schedopt import _lazy

_EXPORTS = {
    "as_optax": "schedopt.adapters._optax",
    "optimal_optax_schedule": "schedopt.adapters._optax",
    "resample": "schedopt.adapters._optax",
    "GradNormLog": "schedopt.adapters._gradlogs",
    "grad_norm_log": "schedopt.adapters._gradlogs",
    "read_grad_norms": "schedopt.adapters._gradlogs",
    "log_grad_norms": "schedopt.adapters._gradlog_optax",
    "logged_grad_norms": "schedopt.adapters._gradlog_optax",
    "grad_norm_profile": "schedopt.adapters._refine",
    "refine": "schedopt.adapters._refine",
    "save_schedule": "schedopt.adapters._schedule_files",
    "load_schedule": "schedopt.adapters._schedule_files",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)
