"""Loss models fitted to real training runs: predict the loss of any schedule, and choose the
peak learning rate and the schedule for a new horizon (bound (C), docs/math.md §2, §5.1)."""

from schedopt.calibration._fit import fit_loss_curves
from schedopt.calibration._forms import FORMS
from schedopt.calibration._model import Decision
from schedopt.calibration._model import LossModel
from schedopt.calibration._model import load_model
from schedopt.calibration._prefix import prefix_bounds
from schedopt.calibration._runs import Run
from schedopt.calibration._runs import as_run
from schedopt.calibration._runs import read_runs

__all__ = ["Decision", "FORMS", "LossModel", "Run", "as_run", "fit_loss_curves", "load_model",
           "prefix_bounds", "read_runs"]
