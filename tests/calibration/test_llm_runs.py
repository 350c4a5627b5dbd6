"""The real-run acceptance of issue 12 on benchmarks/data/llm-runs (slow: fits 46 runs)."""

import pathlib
import sys

import numpy as np
import pytest
import scipy.stats

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.mark.slow
def test_default_model_predicts_the_35k_holdout():
    import _llm_data

    from schedopt.calibration import fit_loss_curves

    data = _llm_data.load()
    train = [d for d in data if d["horizon"] < 35000]
    test = [d for d in data if d["horizon"] == 35000]
    model = fit_loss_curves([d["run"] for d in train])
    pred = np.array([model.predict(d["run"]["lr"]) for d in test])
    obs = np.array([d["final"] for d in test])
    assert np.mean(np.abs(pred / obs - 1)) <= 0.005
    assert scipy.stats.spearmanr(pred, obs)[0] >= 0.9
    assert obs[np.argmin(pred)] <= obs.min() * 1.001


def test_rebuilt_wsd_rates_match_the_logged_rates():
    import _llm_data

    data = _llm_data.load()                 # raises if any logged rate differs by > 1e-9·peak
    assert len(data) == 64
    assert sum(d["horizon"] == 35000 for d in data) == 18
