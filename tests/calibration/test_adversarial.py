"""Issue 21's calibration cases: tiny losses fit, clear errors naming the argument, tampered
model files refused on load."""

import json

import numpy as np
import pytest

from schedopt.calibration import LossModel
from schedopt.calibration import fit_loss_curves
from schedopt.calibration import load_model

from synthetic_runs import TRUE, synthetic_runs, wsd

TRUTH = LossModel(form="bound", params=dict(TRUE), lr_scale=1.0)

CV = {"cv_error": 0.01, "chosen": "bound, p and q fitted, points from T/2",
      "scheme": "leave one run out"}


def _bound(runs, **kw):
    return fit_loss_curves(runs, form="bound", min_fraction=0.0, **kw)


@pytest.mark.parametrize("scale", [1e-12, 1e-300, 1e200])
def test_losses_in_any_units_fit_like_order_one(synthetic, scale):
    truth, runs = synthetic
    scaled = [dict(r, loss=np.asarray(r["loss"]) * scale) for r in runs]
    model = _bound(scaled)
    assert model.quality["converged"] and model.quality["rms_relative_error"] < 1e-8
    lr = wsd(500, 0.7, 0.4)
    assert model.predict(lr) == pytest.approx(truth.predict(lr) * scale, rel=1e-7)


def test_unfittable_tiny_losses_are_not_converged():
    # 1e-12·(3 + 1/√t): the issue's case, fitted (rescaled) rather than clamped at 1e-9.
    runs = []
    for T, peak in ((200, 0.5), (400, 1.0), (300, 0.7)):
        steps = np.arange(10, T + 1, 10)
        runs.append({"name": f"r{T}", "lr": wsd(T, peak, 0.3), "steps": steps,
                     "loss": 1e-12 * (3 + 1 / np.sqrt(steps))})
    model = _bound(runs)
    q = model.quality
    assert np.isfinite(q["rms_relative_error"])
    assert q["rms_relative_error"] < 0.05
    assert not q["converged"] or q["rms_relative_error"] <= 0.05
    assert model.predict(runs[1]["lr"]) == pytest.approx(1e-12 * (3 + 1 / 20), rel=0.02)


@pytest.mark.parametrize("grad_norm,words", [
    (np.full(100, np.nan), "grad_norm must be finite and > 0"),
    (np.zeros(100), "grad_norm must be finite and > 0"),
    (np.ones(7), "grad_norm must have one value per rate (100), got 7"),
])
def test_predict_refuses_bad_grad_norm(grad_norm, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        TRUTH.predict(wsd(100, 1.0, 0.3), grad_norm=grad_norm)


@pytest.mark.parametrize("steps,words", [
    ([], "steps must hold at least one"), (2.5, "steps must be whole numbers"),
    ([1, 2.5], "steps must be whole numbers"), (0, "steps must lie in 1..100"),
    ("10", "steps must be whole numbers"), (True, "steps must hold at least one"),
])
def test_predict_refuses_bad_steps(steps, words):
    with pytest.raises(ValueError, match=words):
        TRUTH.predict(wsd(100, 1.0, 0.3), steps=steps)


@pytest.mark.parametrize("kw,words", [
    (dict(form=["bound"]), "form must be one of 'auto', 'bound', 'multi_power', got \\['bound'\\]"),
    (dict(form="cubic"), "form must be one of"),
    (dict(min_fraction="0.5"), "min_fraction must be a finite number in \\[0, 1\\], got '0.5'"),
    (dict(min_fraction=float("nan")), "min_fraction must be a finite number"),
    (dict(final_weight=-1), "final_weight must be a finite number >= 0, got -1"),
    (dict(final_weight=float("inf")), "final_weight must be a finite number >= 0, got inf"),
    (dict(final_weight="1"), "final_weight must be a finite number"),
    (dict(bootstrap=True), "bootstrap must be a whole number >= 0, got True"),
    (dict(bootstrap=2.0), "bootstrap must be a whole number"),
    (dict(bootstrap="5"), "bootstrap must be a whole number"),
    (dict(max_points=0), "max_points must be a whole number >= 1"),
    (dict(seed=-1), "seed must be a whole number >= 0"),
    (dict(d_power="yes"), "d_power must be True or False"),
    (dict(form="multi_power", d_power=True), "options of the 'bound' form"),
])
def test_fit_options_get_clear_errors(synthetic, kw, words):
    _, runs = synthetic
    with pytest.raises(ValueError, match=words):
        fit_loss_curves(runs, **kw)


def test_duplicate_step_with_another_loss_is_named(synthetic):
    _, runs = synthetic
    r = dict(runs[0])
    r["steps"] = np.r_[r["steps"], r["steps"][0]]
    r["loss"] = np.r_[r["loss"], r["loss"][0] * 1.1]
    with pytest.raises(ValueError, match=f"run '{r['name']}': step {int(r['steps'][0])} is "
                                         "logged twice with different losses"):
        _bound([r] + runs[1:])
    same = dict(runs[0], steps=np.r_[runs[0]["steps"], runs[0]["steps"][0]],
                loss=np.r_[runs[0]["loss"], runs[0]["loss"][0]])
    assert _bound([same] + runs[1:]).quality["converged"]


def test_five_parameters_from_one_point_is_refused(synthetic):
    _, runs = synthetic
    one = [dict(runs[0], steps=runs[0]["steps"][:1], loss=runs[0]["loss"][:1])]
    with pytest.raises(ValueError, match="need at least 2 runs for form bound"):
        _bound(one)
    two = [dict(r, steps=r["steps"][:1], loss=r["loss"][:1]) for r in runs[:2]]
    with pytest.raises(ValueError, match="a fit of 5 parameters .* needs at least 5 loss "
                                         "points, got 2"):
        _bound(two)


@pytest.mark.parametrize("shape,bounds,words", [
    (np.zeros(50), None, "shape must be finite, >= 0 and not all 0"),
    (np.full(50, np.nan), None, "shape must be finite"),
    (np.ones(50), (0, 1), "bounds must be \\(low, high\\) with 0 < low < high"),
    (np.ones(50), (np.nan, 1), "bounds must be \\(low, high\\)"),
    (np.ones(50), (1.0, 0.1), "bounds must be \\(low, high\\) with 0 < low < high"),
    (np.ones(50), ("0.1", "1"), "bounds must be \\(low, high\\)"),
    (np.ones(50), 5, "bounds must be \\(low, high\\) peak LRs"),
    (np.ones(49), None, "shape must have 50 values"),
])
def test_best_peak_lr_refuses_bad_shape_and_bounds(shape, bounds, words):
    with pytest.raises(ValueError, match=words):
        TRUTH.best_peak_lr(shape, 50, bounds=bounds)


def test_best_schedule_refuses_bad_max_lr():
    for bad in (-1.0, float("nan"), "0.1", True):
        with pytest.raises(ValueError, match="max_lr must be a finite number > 0"):
            TRUTH.best_schedule(50, max_lr=bad)


def test_interval_level_is_checked():
    model = LossModel(form="bound", params=dict(TRUE), lr_scale=1.0, bootstrap=[dict(TRUE)])
    for bad in (0, 1.5, "0.9", True):
        with pytest.raises(ValueError, match="level must be a number in \\(0, 1\\)"):
            model.predict_interval(wsd(50, 1.0, 0.3), level=bad)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    _, runs = synthetic_runs()
    model = fit_loss_curves(runs, form="bound", min_fraction=0.0, bootstrap=2)
    return model.to_dict(), tmp_path_factory.mktemp("models")


def _tampered(d, path, change):
    d = json.loads(json.dumps(d))
    change(d)
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("change,words", [
    (lambda d: d["params"].update(log_p=50.0), "params\\['log_p'\\] = 50.0 puts the power p"),
    (lambda d: d["params"].update(log_q=-50.0), ".*puts the power q"),
    (lambda d: d["params"].update(L_inf="2.0"), "params\\['L_inf'\\] must be a finite number"),
    (lambda d: d["params"].update(log_A=1e6), "params\\['log_A'\\] = 1000000.0 is out of range"),
    (lambda d: d["params"].pop("log_B"), "params must hold exactly .* missing log_B"),
    (lambda d: d["bootstrap"][0].update(L_inf=None), "bootstrap\\[0\\]\\['L_inf'\\] must be"),
    (lambda d: d["bootstrap"][1].pop("log_q"), "bootstrap\\[1\\] must hold exactly"),
    (lambda d: d.update(bootstrap=5), "bootstrap must be a list of parameter sets, got int"),
    (lambda d: d.update(bootstrap=[5]), "bootstrap\\[0\\] must be a mapping"),
    (lambda d: d.pop("lr_scale"), "missing key\\(s\\) 'lr_scale'"),
    (lambda d: d.pop("params"), "missing key\\(s\\) 'params'"),
    (lambda d: d.update(lr_scale=0.0), "lr_scale must be > 0"),
    (lambda d: d.update(lr_scale=float("inf")), "lr_scale must be a finite number"),
    (lambda d: d.update(form="cubic"), "form must be one of"),
    (lambda d: d.update(diverged_peak_lr=-1.0), "diverged_peak_lr must be > 0"),
    (lambda d: d.update(pilot_peak_lrs=[1.0]), "pilot_peak_lrs must be"),
    (lambda d: d.update(pilot_peak_lrs=[2.0, 1.0]), "pilot_peak_lrs must satisfy 0 < lowest"),
    (lambda d: d.update(quality=[]), "quality must be a mapping"),
    (lambda d: d.update(grad_norms="no"), "grad_norms must be true or false"),
    (lambda d: d["quality"].update(cv=dict(CV, final_errors=0.01)),
     "quality\\['cv'\\]\\['final_errors'\\] must be a list of numbers, got float"),
    (lambda d: d["quality"].update(cv=dict(CV, final_errors=[0.01, "x"])),
     "quality\\['cv'\\]\\['final_errors'\\]\\[1\\] must be a finite number"),
    (lambda d: d["quality"].update(cv=dict(CV, final_errors=[-1.5])),
     "quality\\['cv'\\]\\['final_errors'\\]\\[0\\] must be > -1, got -1.5"),
    # what plan reads: a null or mistyped record is refused with its key, not a traceback
    (lambda d: d["quality"].update(cv=None), "quality\\['cv'\\] must be a mapping, got None"),
    (lambda d: d["quality"].update(cv=dict(CV, cv_error=None)),
     "quality\\['cv'\\]\\['cv_error'\\] must be a finite number, got None"),
    (lambda d: d["quality"].update(cv=dict(CV, chosen=3)),
     "quality\\['cv'\\]\\['chosen'\\] must be a string"),
    (lambda d: d["quality"].update(flags=None), "quality\\['flags'\\] must be a list of sentences"),
    (lambda d: d["quality"].update(flags=[1, 2]), "quality\\['flags'\\] must be a list of sentences"),
    (lambda d: d["quality"].update(diverged=[{"name": "a"}]),
     "quality\\['diverged'\\] must be a list of runs"),
    (lambda d: d["quality"].update(best_pilot={"name": "p", "peak_lr": None}),
     "quality\\['best_pilot'\\]\\['peak_lr'\\] must be a finite number, got None"),
    (lambda d: d["quality"].update(best_pilot={"name": "p", "peak_lr": 1e-3, "updates": "9"}),
     "quality\\['best_pilot'\\]\\['updates'\\] must be an int >= 1, got '9'"),
])
def test_tampered_model_files_are_refused(saved, change, words):
    d, folder = saved
    with pytest.raises(ValueError, match="model file: " + words):
        load_model(_tampered(d, folder / "bad.json", change))


def test_nan_in_a_file_is_refused(saved):
    d, folder = saved
    text = json.dumps(d).replace(f'"L_inf": {json.dumps(d["bootstrap"][0]["L_inf"])}',
                                 '"L_inf": NaN', 1)
    (folder / "nan.json").write_text(text)
    with pytest.raises(ValueError, match="model file: .*L_inf.* must be a finite number, got nan"):
        load_model(folder / "nan.json")


def test_an_untampered_file_round_trips(saved):
    d, folder = saved
    model = load_model(_tampered(d, folder / "ok.json", lambda d: None))
    assert model.to_dict() == json.loads(json.dumps(d))
