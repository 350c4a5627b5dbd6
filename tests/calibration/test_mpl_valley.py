"""The Multi-Power Law's flat valley B → ∞, C → 0 (only B·C·β determined there): on real pilot
curves the solver once followed it to exp(564) = inf and scipy raised "array must not contain
infs or NaNs"; the log-amplitudes are now bounded and a fit that ends at a bound is flagged."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from schedopt.calibration import LossModel
from schedopt.calibration import _forms
from schedopt.calibration import _guards
from schedopt.calibration import _leastsq
from schedopt.calibration import fit_loss_curves
from schedopt.calibration import read_runs

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "benchmarks" / "results" / "closed_loop_adamw_pilots_half.json"


@pytest.fixture(scope="module")
def pilots(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import closed_loop_peak

    folder = tmp_path_factory.mktemp("pilots")
    closed_loop_peak.rebuild_pilots(json.loads(RESULT.read_text()), folder, 1000, 25)
    return [r for r in read_runs(folder) if np.all(np.isfinite(r.loss))]


def test_the_start_that_overflowed_now_stops_at_the_bound(pilots):
    lr_scale = max(float(np.max(r.lr)) for r in pilots)
    feats, loss, weight, _ = _leastsq._design(pilots, "multi_power", lr_scale, False, 100, 1.0,
                                              0.75)
    y = loss / np.exp(np.mean(np.log(loss)))
    start = _forms.start("multi_power", feats, y)
    start[2:7] = 0.0, np.log(0.1), start[4] - 3.0, np.log(0.5), np.log(0.8)
    theta, _ = _leastsq._solve("multi_power", feats, y, weight, np.ones(7, bool), start, False)
    assert np.all(np.isfinite(theta))
    assert np.all(np.abs(theta[1:5]) <= _forms.LOG_AMPLITUDE + 1e-9)


def test_a_fit_at_an_amplitude_bound_is_flagged(pilots):
    params = {"L0": 2.0, "log_A": 0.0, "log_alpha": np.log(0.5), "log_B": 50.0,
              "log_C": -50.0, "log_beta": np.log(0.5), "log_gamma": np.log(0.5)}
    fitted = LossModel(form="multi_power", params=params, lr_scale=1.0,
                       quality={"amplitudes_at_edge": ["log_B", "log_C"]})
    assert sum("amplitude" in f and "edge of its range" in f
               for f in _guards.flags(fitted, pilots)) == 2
    # and the fit records which amplitudes it left at a bound (none on these pilots' default fit)
    model = fit_loss_curves(pilots, form="multi_power", min_fraction=0.75)
    assert model.quality["amplitudes_at_edge"] == [] or any(
        "amplitude" in f for f in model.quality["flags"])
