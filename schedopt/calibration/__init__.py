"""Loss models fitted to real training runs: predict the loss of any schedule, and choose the
peak learning rate and the schedule for a new horizon (bound (C), docs/math.md §2, §5.1).

Names load on first use, as in every other layer: ``import schedopt.calibration`` does not
import the fitting code (scipy's least squares, the solvers) until a name is used.
"""

from schedopt import _lazy

_EXPORTS = {
    "Decision": "schedopt.calibration._model",
    "FORMS": "schedopt.calibration._forms",
    "LossModel": "schedopt.calibration._model",
    "Run": "schedopt.calibration._runs",
    "as_run": "schedopt.calibration._runs",
    "fit_loss_curves": "schedopt.calibration._fit",
    "load_model": "schedopt.calibration._model",
    "prefix_bounds": "schedopt.calibration._prefix",
    "read_runs": "schedopt.calibration._runs",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)
