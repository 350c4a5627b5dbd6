"""fit_loss_curves recovers a known model; predictions, decisions and files are consistent."""

import json

import numpy as np
import pytest

import schedopt
from schedopt.calibration import LossModel
from schedopt.calibration import fit_loss_curves
from schedopt.calibration import load_model

from synthetic_runs import TRUE, synthetic_runs, wsd


@pytest.fixture(scope="module")
def fitted(synthetic):
    truth, runs = synthetic
    return truth, runs, fit_loss_curves(runs, min_fraction=0.0, bootstrap=3)


def test_recovers_the_parameters_of_the_generating_model(fitted):
    truth, runs, model = fitted
    for k, v in TRUE.items():
        assert model.params[k] == pytest.approx(v, abs=1e-5), k
    assert model.quality["rms_relative_error"] < 1e-8
    lr = wsd(1000, 0.7, 0.3)                     # another horizon, shape and peak
    assert model.predict(lr) == pytest.approx(truth.predict(lr), rel=1e-7)


def test_recovers_bound_c_itself_with_powers_fixed():
    params = dict(TRUE, log_p=0.0, log_q=0.0)
    truth, runs = synthetic_runs(params)
    model = fit_loss_curves(runs, d_power=False, noise_power=False, min_fraction=0.0)
    for k, v in params.items():
        assert model.params[k] == pytest.approx(v, abs=1e-6), k


def test_sparse_tail_only_and_final_only_runs_fit(synthetic):
    truth, runs = synthetic
    runs = [dict(r, steps=r["steps"][:1], loss=r["loss"][:1]) for r in runs]   # one point each
    model = fit_loss_curves(runs, min_fraction=0.0)
    assert model.quality["converged"]
    lr = wsd(400, 1.0, 0.5)
    assert model.predict(lr) == pytest.approx(truth.predict(lr), rel=1e-3)


@pytest.mark.slow
def test_multi_power_form_recovers_its_own_curves(synthetic):
    params = {"L0": 2.0, "log_A": np.log(2.0), "log_alpha": np.log(0.4), "log_B": np.log(0.5),
              "log_C": np.log(1.5), "log_beta": np.log(0.6), "log_gamma": np.log(0.5)}
    truth = LossModel(form="multi_power", params=params, lr_scale=1.0)
    _, runs = synthetic
    runs = [dict(r, loss=truth.predict(r["lr"], steps=r["steps"])) for r in runs]
    model = fit_loss_curves(runs, form="multi_power", min_fraction=0.0)
    assert model.quality["rms_relative_error"] < 1e-4
    lr = wsd(600, 0.8, 0.3)
    assert model.predict(lr) == pytest.approx(truth.predict(lr), rel=1e-3)


def test_predict_at_steps_agrees_with_the_final_prediction(fitted):
    _, _, model = fitted
    lr = wsd(300, 0.8, 0.4)
    curve = model.predict(lr, steps=np.arange(1, 301))
    assert curve.shape == (300,)
    assert curve[-1] == pytest.approx(model.predict(lr), rel=1e-12)
    assert model.predict(lr, steps=150) == pytest.approx(model.predict(lr[:150]), rel=1e-12)
    lo, hi = model.predict_interval(lr)
    assert lo <= hi


def test_best_peak_lr_is_a_minimum(fitted):
    _, _, model = fitted
    dec = model.best_peak_lr(schedopt.linear_decay, 500)
    base = schedopt.linear_decay(500)
    for f in (0.9, 1.1):
        assert dec.loss <= model.predict(f * dec.peak_lr * base / base.max()) + 1e-12
    assert dec.loss == pytest.approx(model.predict(dec.lr), rel=1e-12)


def test_best_schedule_is_bound_c_optimum_for_p_q_one():
    truth, _ = synthetic_runs(dict(TRUE, log_p=0.0, log_q=0.0))
    dec = truth.best_schedule(300, monotone=False)
    A, B = np.exp(TRUE["log_A"]), np.exp(TRUE["log_B"])
    ref = schedopt.optimal_schedule(301, np.sqrt(2 * A), np.sqrt(2 * B)).eta[:-1]
    np.testing.assert_allclose(dec.lr, ref, rtol=1e-9)
    assert dec.lr.shape == (300,)


@pytest.mark.parametrize("max_lr", [None, 0.3])
def test_best_schedule_beats_the_families(fitted, max_lr):
    _, _, model = fitted
    dec = model.best_schedule(400, max_lr=max_lr)
    assert dec.lr.shape == (400,)
    if max_lr is not None:
        assert dec.lr.max() <= max_lr * (1 + 1e-9)
    stable_decay = schedopt.warmup_stable_decay(400, warmup_fraction=0.0, decay_fraction=0.5)
    for shape in (stable_decay, schedopt.linear_decay(400), schedopt.cosine_decay(400)):
        best = model.best_peak_lr(shape, 400, bounds=(1e-3, max_lr or 1e3))
        assert dec.loss <= best.loss + 1e-6


def test_json_round_trip(fitted, tmp_path):
    _, _, model = fitted
    path = model.save(tmp_path / "m.json")
    back = load_model(path)
    assert back == model
    lr = wsd(250, 0.6, 0.5)
    assert back.predict(lr) == model.predict(lr)
    assert back.predict_interval(lr) == model.predict_interval(lr)


def test_load_model_refuses_other_files(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_model(tmp_path / "missing.json")
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        load_model(tmp_path / "x.json")
    (tmp_path / "y.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a schedopt calibration model"):
        load_model(tmp_path / "y.json")


def test_fit_options_are_checked(synthetic):
    _, runs = synthetic
    with pytest.raises(ValueError, match="form"):
        fit_loss_curves(runs, form="cubic")
    with pytest.raises(ValueError, match="bootstrap"):
        fit_loss_curves(runs, bootstrap=-1)
    with pytest.raises(ValueError, match="min_fraction"):
        fit_loss_curves(runs, min_fraction=2.0)


def test_load_model_refuses_broken_params(fitted, tmp_path):
    _, _, model = fitted
    d = model.to_dict()
    for broken in (dict(d, params={}), dict(d, lr_scale=-1.0),
                   {k: v for k, v in d.items() if k != "lr_scale"}):
        (tmp_path / "b.json").write_text(json.dumps(broken))
        with pytest.raises(ValueError, match="model file: (params|lr_scale|missing)"):
            load_model(tmp_path / "b.json")
