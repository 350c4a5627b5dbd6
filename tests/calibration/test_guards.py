"""Guardrails (issue 18 §5): too few runs, degenerate fits flagged, diverged pilots set aside and
capping the peak, intervals holding their point, the noisy quadratic flagged."""

import dataclasses
import json

import numpy as np
import pytest

import schedopt
from schedopt import cli
from schedopt.calibration import LossModel
from schedopt.calibration import fit_loss_curves
from schedopt.calibration import load_model
from schedopt.calibration import _guards

from synthetic_runs import TRUE, synthetic_runs, wsd


def quadratic_pilots(seed=0, dim=10, sigma=1.0):
    """8 pilots of SGD on f(x) = 1 + ½‖x‖² with gradients x + σ·ξ: every loss ≥ 1.0."""
    rng = np.random.default_rng(seed)
    runs = []
    for T in (100, 200):
        for peak in (0.05, 0.1, 0.2, 0.4):
            lr = peak * schedopt.warmup_stable_decay(T, warmup_fraction=0.05, decay_fraction=0.2)
            x = np.full(dim, 3.0)
            steps, loss = [], []
            for t in range(1, T + 1):
                x = x - lr[t - 1] * (x + sigma * rng.standard_normal(dim))
                if t % 10 == 0:
                    steps.append(t), loss.append(1.0 + 0.5 * float(x @ x))
            runs.append({"name": f"T{T}-lr{peak}", "lr": lr, "steps": steps, "loss": loss})
    return runs


def _write_runs(folder, runs):
    folder.mkdir()
    for r in runs:
        loss = dict(zip(np.asarray(r["steps"]).tolist(), np.asarray(r["loss"]).tolist()))
        rows = [f"{s},{float(r['lr'][s - 1])!r},{loss.get(s, '')}" for s in range(1, r["lr"].size + 1)]
        (folder / f"{r['name']}.csv").write_text("step,lr,loss\n" + "\n".join(rows) + "\n")
    return folder


@pytest.mark.parametrize("n", [1, 2, 3])
def test_few_runs_fit_or_get_one_line(synthetic, n):
    _, runs = synthetic
    runs = runs[:n]
    for form, kw in (("bound", {}), ("multi_power", {})):
        if n < 2:
            with pytest.raises(ValueError, match=f"need at least 2 runs for form {form}, got 1"):
                fit_loss_curves(runs, form=form, min_fraction=0.0, **kw)
        else:
            model = fit_loss_curves(runs, form=form, min_fraction=0.0, **kw)
            assert all(np.isfinite(v) for v in model.params.values())
    if n == 1:
        with pytest.raises(ValueError, match="need at least 2 runs for form auto"):
            fit_loss_curves(runs)
        model = fit_loss_curves(runs, form="bound", d_power=False, noise_power=False,
                                min_fraction=0.0)
        assert model.quality["runs"] == 1 and np.isfinite(model.predict(runs[0]["lr"]))
    elif n == 2:                  # one horizon: both runs' pasts fit the powers
        model = fit_loss_curves(runs, d_power=True, noise_power=True, min_fraction=0.0)
        assert model.quality["cv"]["scheme"].startswith("future held out")
        # Logged only late, they cannot be split in time; one run per fold is too few.
        late = [dict(r, steps=r["steps"][r["steps"] > 150], loss=r["loss"][r["steps"] > 150])
                for r in runs]
        with pytest.raises(ValueError, match="no candidate could be cross-validated on 2 runs "
                                             r"\(bound, p and q fitted, all points: needs at "
                                             "least 2 runs per fit, the cross-validation fits 1"):
            fit_loss_curves(late, d_power=True, noise_power=True, min_fraction=0.0)
    else:
        model = fit_loss_curves(runs, d_power=True, noise_power=True, min_fraction=0.0)
        assert model.quality["cv"]["scheme"].startswith("future held out")


def test_calibrate_with_one_run_is_one_line(synthetic, tmp_path, capsys):
    _, runs = synthetic
    folder = _write_runs(tmp_path / "one", runs[:1])
    assert cli.main(["calibrate", str(folder), "--out", str(tmp_path / "m.json"),
                     "--form", "bound"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "need at least 2 runs for form bound, got 1" in err


def test_degenerate_models_are_flagged():
    runs = synthetic_runs()[1][:2]
    from schedopt.calibration._runs import as_runs

    checked = as_runs(runs)
    lowest = min(float(r.loss.min()) for r in checked)
    base = LossModel(form="bound", params=dict(TRUE), lr_scale=1.0)
    assert _guards.flags(base, checked) == []
    cases = [(dict(TRUE, L_inf=-313.0), "below 0"),
             (dict(TRUE, L_inf=lowest + 0.1), "above the lowest observed loss"),
             (dict(TRUE, log_p=np.log(1e-3)), "power p = 0.001 is at the edge"),
             (dict(TRUE, log_q=np.log(10.0)), "power q = 10 is at the edge")]
    for params, words in cases:
        (flag,) = _guards.flags(LossModel(form="bound", params=params, lr_scale=1.0), checked)
        assert words in flag
    high_cv = LossModel(form="bound", params=dict(TRUE), lr_scale=1.0,
                        quality={"cv": {"cv_error": 0.025}})
    assert _guards.flags(high_cv, checked) == ["the cross-validated error 2.50% is above 2%"]


def test_noisy_quadratic_is_flagged_not_silently_planned(tmp_path, capsys):
    runs = quadratic_pilots(seed=0)
    assert min(min(r["loss"]) for r in runs) >= 1.0
    model = fit_loss_curves(runs)
    assert model.quality["flags"], "a fit to the noisy quadratic must be flagged"
    folder = _write_runs(tmp_path / "quad", [dict(r, lr=np.asarray(r["lr"])) for r in runs])
    out = tmp_path / "m.json"
    assert cli.main(["calibrate", str(folder), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    flags = load_model(out).quality["flags"]
    assert flags and all(f"warning: {f}" in stdout for f in flags)
    assert json.loads(out.read_text())["quality"]["flags"] == flags
    assert cli.main(["plan", "--model", str(out), "--steps", "400"]) == 0
    stdout = capsys.readouterr().out
    assert all(f"warning: {f}" in stdout for f in flags)


@pytest.fixture(scope="module")
def with_diverged():
    _, runs = synthetic_runs()
    runs = [r for r in runs if r["name"].endswith("lr0.5")]          # fitted peaks: 0.5
    lr = wsd(200, 0.2, 0.5)
    nan = {"name": "nan-pilot", "lr": 2 * lr, "steps": [20, 100, 200],
           "loss": [3.0, np.nan, np.nan]}
    up = {"name": "up-pilot", "lr": lr, "steps": [20, 100, 200], "loss": [3.0, 2.5, 7.6]}
    return fit_loss_curves(runs + [nan, up], form="bound", min_fraction=0.0), runs


def test_diverged_pilots_are_named_left_out_and_cap_the_peak(with_diverged):
    model, runs = with_diverged
    names = {d["name"]: d for d in model.quality["diverged"]}
    assert set(names) == {"nan-pilot", "up-pilot"}
    assert "nan" in names["nan-pilot"]["reason"] and "above its first" in names["up-pilot"]["reason"]
    assert model.quality["runs"] == len(runs)
    assert model.diverged_peak_lr == pytest.approx(0.2)
    assert model.pilot_peak_lrs == pytest.approx((0.5, 0.5))
    # Uncapped, this model's best peak is above 0.2 (checked), capped it is not.
    free = LossModel(form="bound", params=model.params, lr_scale=model.lr_scale)
    shape = schedopt.linear_decay(300)
    assert free.best_peak_lr(shape, 300).peak_lr > 0.2
    dec = model.best_peak_lr(shape, 300)
    assert dec.peak_lr <= 0.2 * (1 + 1e-9)
    assert any("outside the peaks the pilots covered" in w for w in dec.warnings)
    assert any("'up-pilot' diverged" in w for w in dec.warnings)
    assert free.best_schedule(300).peak_lr > 0.2
    assert model.best_schedule(300).peak_lr <= 0.2 * (1 + 1e-9)
    with pytest.raises(ValueError, match="lie above the peak LR 0.2 at which a pilot diverged"):
        model.best_peak_lr(shape, 300, bounds=(1.0, 2.0))


def test_plan_names_diverged_pilots_and_caps(with_diverged, tmp_path, capsys):
    model, _ = with_diverged
    path = model.save(tmp_path / "m.json")
    assert load_model(path).diverged_peak_lr == pytest.approx(0.2)
    out = tmp_path / "plan.json"
    assert cli.main(["plan", "--model", str(path), "--steps", "300", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "warning: run 'nan-pilot' diverged" in stdout
    assert json.loads(out.read_text())["peak_lr"] <= 0.2 * (1 + 1e-9)


def test_calibrate_names_a_diverged_csv_run(tmp_path, capsys):
    _, runs = synthetic_runs()
    folder = _write_runs(tmp_path / "runs", runs)
    bad = ["step,lr,loss"] + [f"{s},0.9,{'' if s % 50 else 'nan'}" for s in range(1, 201)]
    (folder / "exploded.csv").write_text("\n".join(bad) + "\n")
    assert cli.main(["calibrate", str(folder), "--out", str(tmp_path / "m.json"),
                     "--form", "bound", "--min-fraction", "0"]) == 0
    stdout = capsys.readouterr().out
    assert "diverged: run 'exploded' (loss nan at step 50), peak LR 0.9" in stdout
    assert "exploded " not in stdout.split("error\n", 1)[1]          # not in the fit table


def test_bootstrap_interval_contains_its_point(synthetic):
    truth, runs = synthetic
    model = fit_loss_curves(runs, form="bound", min_fraction=0.0, bootstrap=4, seed=3)
    # Every bootstrap set moved above the point: the interval must still hold the point.
    high = [dict(p, L_inf=p["L_inf"] + 0.5) for p in model.bootstrap]
    skewed = LossModel(form="bound", params=model.params, lr_scale=model.lr_scale,
                       bootstrap=high)
    for lr in (wsd(300, 0.7, 0.3), wsd(800, 1.0, 0.5)):
        point = skewed.predict(lr)
        lo, hi = skewed.predict_interval(lr)
        assert lo <= point <= hi and lo == point
        lo, hi = model.predict_interval(lr)
        assert lo <= model.predict(lr) <= hi
    steps = np.arange(10, 301, 10)
    lo, hi = skewed.predict_interval(wsd(300, 0.7, 0.3), steps)
    pts = skewed.predict(wsd(300, 0.7, 0.3), steps)
    assert np.all(lo <= pts) and np.all(pts <= hi)


def test_interval_is_widened_by_the_cross_validated_final_errors(synthetic, tmp_path):
    """Split-conformal: with n = 9 held-out final errors the 90% half-width h is the
    ⌈10·0.9⌉ = 9th smallest |e|, the 80% one the 8th, the 50% one the 5th; the interval holds
    point/(1+h)..point/(1-h) and the bootstrap's own interval."""
    _, runs = synthetic
    model = fit_loss_curves(runs, form="bound", min_fraction=0.0, bootstrap=4, seed=3)
    errors = [0.001, -0.004, 0.002, -0.03, 0.0005, 0.006, -0.002, 0.01, -0.0001]
    cv = {"cv_error": 0.01, "chosen": "bound", "scheme": "leave one run out",
          "final_errors": errors}
    widened = dataclasses.replace(model, quality=dict(model.quality, cv=cv))
    lr = wsd(300, 0.7, 0.3)
    point = model.predict(lr)
    for level, h in ((0.9, 0.03), (0.8, 0.01), (0.5, 0.002)):
        lo0, hi0 = model.predict_interval(lr, level=level)
        lo, hi = widened.predict_interval(lr, level=level)
        assert lo == pytest.approx(min(lo0, point / (1 + h)), rel=1e-12)
        assert hi == pytest.approx(max(hi0, point / (1 - h)), rel=1e-12)
        assert lo <= point <= hi
    assert widened.predict_interval(lr, level=0.99) == widened.predict_interval(lr, level=0.9)
    assert load_model(widened.save(tmp_path / "m.json")) \
        .predict_interval(lr) == widened.predict_interval(lr)
