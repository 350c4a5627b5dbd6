"""form="auto": candidates cross-validated on the runs, the winner refitted, the table kept."""

import dataclasses

import numpy as np
import pytest

from schedopt import cli
from schedopt.calibration import fit_loss_curves
from schedopt.calibration import load_model
from schedopt.calibration import _select
from schedopt.calibration._leastsq import fit_form
from schedopt.calibration._runs import as_runs

from synthetic_runs import synthetic_runs


@pytest.fixture(scope="module")
def noisy():
    return synthetic_runs(noise=0.002, seed=1)


@pytest.fixture(scope="module")
def auto_model(noisy):
    _, runs = noisy
    return fit_loss_curves(runs, bootstrap=2)


def test_auto_records_every_candidate_and_refits_the_best(auto_model, noisy):
    cv = auto_model.quality["cv"]
    labels = [r["label"] for r in cv["candidates"]]
    assert labels == [c[0] for c in _select.candidates(
        {"grad_norms": False, "d_power": None, "noise_power": None, "min_fraction": None})]
    scored = [r for r in cv["candidates"] if r["cv_error"] is not None]
    assert len(scored) == len(labels)              # 12 runs: nothing skipped
    best = min(scored, key=lambda r: r["cv_error"])
    assert cv["chosen"] == best["label"] and cv["cv_error"] == best["cv_error"]
    assert best["form"] == "bound"                 # the runs come from the bound form
    # The winner refitted on every run is the explicit fit with the winner's options.
    _, runs = noisy
    explicit = fit_loss_curves(runs, form=best["form"], **best["options"])
    for k, v in explicit.params.items():
        assert auto_model.params[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k
    assert len(auto_model.bootstrap) == 2


def test_cv_error_is_the_held_out_error_of_the_shorter_runs(auto_model, noisy):
    """Two horizons (200, 400): fit on the 200-step runs, score the 400-step runs' points
    from step 200 on, recomputed here by hand."""
    _, runs = noisy
    cv = auto_model.quality["cv"]
    assert cv["scheme"] == "longest horizon held out"
    row = next(r for r in cv["candidates"] if r["label"] == "bound (C), p = q = 1, points from T/2")
    checked = as_runs(runs)
    short = [r for r in checked if r.updates == 200]
    model = fit_form(short, "bound", **row["options"])
    errors = []
    for r in (r for r in checked if r.updates == 400):
        keep = r.steps >= 200
        pred = model.predict(r.lr, steps=r.steps[keep])
        errors.append(np.mean(np.abs(pred / r.loss[keep] - 1)))
    assert row["cv_error"] == pytest.approx(np.mean(errors), rel=1e-9)


def test_one_horizon_fits_the_past_and_scores_the_future(noisy):
    """Two runs of one horizon (400): every run's points up to step 300 are fitted, its
    points after 300 scored; recomputed here by hand, with the final-loss errors kept."""
    _, runs = noisy
    two = [r for r in runs if r["name"].startswith("T400-cd0.5")]
    model = fit_loss_curves(two, d_power=None, min_fraction=0.0)
    cv = model.quality["cv"]
    assert cv["scheme"].startswith("future held out")
    checked = as_runs(two)
    for row in cv["candidates"]:
        past = [dataclasses.replace(r, steps=r.steps[r.steps <= 300], loss=r.loss[r.steps <= 300])
                for r in checked]
        fitted = fit_form(past, row["form"], **row["options"])
        errors, finals = [], []
        for r in checked:
            order = np.argsort(r.steps)
            steps, loss = r.steps[order], r.loss[order]
            rel = fitted.predict(r.lr, steps=steps[steps > 300]) / loss[steps > 300] - 1
            errors.append(np.mean(np.abs(rel))), finals.append(rel[-1])
        assert row["cv_error"] == pytest.approx(np.mean(errors), rel=1e-9), row["label"]
        assert row["final_errors"] == pytest.approx(finals, rel=1e-9), row["label"]
    best = min(cv["candidates"], key=lambda r: r["cv_error"])
    assert cv["chosen"] == best["label"] and cv["final_errors"] == best["final_errors"]


def test_late_points_only_leave_one_run_out_and_skip_what_cannot_fit(noisy):
    """Runs logged only after 3/4 of their horizon cannot be split in time: each is left
    out in turn, and with 2 runs the fits of one run skip the fitted powers."""
    _, runs = noisy
    two = [dict(r, steps=r["steps"][r["steps"] > 300], loss=r["loss"][r["steps"] > 300])
           for r in runs if r["name"].startswith("T400-cd0.5")]
    model = fit_loss_curves(two, d_power=None, min_fraction=0.0)
    cv = model.quality["cv"]
    assert cv["scheme"] == "leave one run out"
    skipped = {r["label"]: r["skipped"] for r in cv["candidates"] if r["cv_error"] is None}
    assert "needs at least 2 runs per fit, the cross-validation fits 1" in \
        skipped["bound, p and q fitted, all points"]
    assert cv["chosen"] == "bound (C), p = q = 1, all points"


def test_fixed_options_restrict_the_candidates(noisy):
    _, runs = noisy
    model = fit_loss_curves(runs, d_power=True, noise_power=True, min_fraction=0.5)
    labels = [r["label"] for r in model.quality["cv"]["candidates"]]
    assert labels == ["bound, p and q fitted, points from T/2"]


def test_calibrate_table_and_plan_error_to_expect(noisy, tmp_path, capsys):
    _, runs = noisy
    folder = tmp_path / "runs"
    folder.mkdir()
    for r in runs:
        loss = dict(zip(r["steps"].tolist(), r["loss"].tolist()))
        rows = [f"{s},{float(r['lr'][s - 1])!r},{loss.get(s, '')}" for s in range(1, r["lr"].size + 1)]
        (folder / f"{r['name']}.csv").write_text("step,lr,loss\n" + "\n".join(rows) + "\n")
    out = tmp_path / "m.json"
    assert cli.main(["calibrate", str(folder), "--out", str(out), "--bootstrap", "0",
                     "--min-fraction", "0.5"]) == 0
    stdout = capsys.readouterr().out
    model = load_model(out)
    cv = model.quality["cv"]
    for row in cv["candidates"]:
        assert row["label"] in stdout
        assert f"{100 * row['cv_error']:.3f}%" in stdout
    assert f" * {cv['chosen']}" in stdout
    assert cli.main(["plan", "--model", str(out), "--steps", "500"]) == 0
    stdout = capsys.readouterr().out
    assert f"error to expect: {100 * cv['cv_error']:.2f}%" in stdout
    assert cli.main(["calibrate", str(folder), "--out", str(out), "--form", "bound"]) == 0
    assert "cross-validation" not in capsys.readouterr().out
    assert "cv" not in load_model(out).quality
