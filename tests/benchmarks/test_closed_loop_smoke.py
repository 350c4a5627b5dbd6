"""The closed loop's quick mode runs the user's whole CLI path (issue 18 §2): pilots written as
run files → ``schedopt calibrate`` → ``schedopt plan --out plan.csv`` → the plan trained, beside
the tuned baselines; everything lands in tmp_path, never in the tracked results."""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import closed_loop  # noqa: E402

from schedopt import load_schedule  # noqa: E402
from schedopt.calibration import read_runs  # noqa: E402


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("closed_loop")
    tracked = sorted((ROOT / "benchmarks" / "results").glob("closed_loop*"))
    before = {p: p.stat().st_mtime for p in tracked}
    assert closed_loop.main(["--quick", "--seeds", "1", "--optimizer", "adamw",
                             "--out", str(out)]) == 0
    assert {p: p.stat().st_mtime for p in tracked} == before      # tracked files untouched
    return out, json.loads((out / "result.json").read_text())


def test_the_cli_path_leaves_the_files_a_user_would_have(quick):
    out, r = quick
    runs = read_runs(out / "pilots")                 # what calibrate read
    assert len(runs) == 6 and {run.updates for run in runs} == {50, 100}
    assert "exit 0" in (out / "calibrate.txt").read_text()
    assert "exit 0" in (out / "plan.txt").read_text()
    plan = load_schedule(out / "plan.csv")
    assert plan.shape == (200,) and np.all(plan >= 0)
    assert r["methods"]["planned"]["peak_lr"] == pytest.approx(plan.max())
    assert r["plan"]["predicted_loss"] is not None
    lo, hi = r["plan"]["interval"]
    assert lo <= r["plan"]["predicted_loss"] <= hi
    for name in ("closed_loop_adamw.md", "closed_loop_adamw.json", "closed_loop_adamw.png",
                 "runs/planned_seed0.csv", "runs/grid_wsd_peak0.001.csv"):
        assert (out / name).is_file(), name


def test_the_table_has_every_method_and_the_costs(quick):
    out, r = quick
    assert set(r["methods"]) == {"planned", "sqrt_rule_wsd", "cosine", "wsd", "linear"}
    for row in r["methods"].values():
        assert np.isfinite(row["mean"]) and row["seeds"] == 1
    a = r["acceptance"]
    assert r["pilot_steps"] == 3 * (50 + 100) and r["grid_steps"] == 3 * len(r["grid"]) * 200
    assert a["pilot_cost_fraction"] == pytest.approx(450 / r["grid_steps"])
    best = min(("cosine", "wsd", "linear"), key=lambda f: r["methods"][f]["mean"])
    assert a["best_baseline"] == best
    assert r["methods"][best]["peak_lr"] in r["grid"]
    # The 1/√T rule: the best of the longest pilots, its peak times √(T_p / T).
    longest = [p for p in r["pilots"] if p["steps"] == 100]
    bp = min(longest, key=lambda p: p["final_loss"])
    assert r["sqrt_rule_peak"] == pytest.approx(bp["peak_lr"] * np.sqrt(100 / 200))
    md = (out / "closed_loop_adamw.md").read_text()
    assert "planned (pilots → calibrate → plan)" in md and "GPU row" in md
    # A run CSV is what the tracker reader accepts, its losses those of the result.
    with open(out / "runs" / "planned_seed0.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["loss"]]
    assert float(rows[-1]["loss"]) == pytest.approx(r["methods"]["planned"]["mean"])


def test_baseline_shapes():
    T, peak = 1000, 2.0
    t = np.arange(1, T + 1)
    for family in ("cosine", "wsd", "linear"):
        lr = closed_loop.baseline(family, T, peak)
        np.testing.assert_allclose(lr[:50], peak * t[:50] / 50)        # 5% linear warm-up
        assert lr.max() == pytest.approx(peak) and np.all(np.diff(lr[50:]) <= 1e-15)
    cos = closed_loop.baseline("cosine", T, peak)
    assert cos[-1] == pytest.approx(0.1 * peak, rel=1e-4)               # to 10% of the peak
    wsd = closed_loop.baseline("wsd", T, peak)
    assert np.all(wsd[50:800] == peak) and wsd[-1] == pytest.approx(peak / 200)
    np.testing.assert_allclose(np.diff(wsd[800:]), -peak / 200)          # 20% linear cool-down
    lin = closed_loop.baseline("linear", T, peak)
    assert lin[-1] == pytest.approx(peak / 951) and np.allclose(np.diff(lin[50:]), -peak / 951)


def test_bad_flags_exit_2_with_one_line(capsys):
    assert closed_loop.main(["--quick", "--steps", "205"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--steps" in err and "205" in err
    with pytest.raises(SystemExit) as exc:
        closed_loop.main(["--quick", "--grid", "1e-3,abc"])
    assert exc.value.code == 2 and "--grid" in capsys.readouterr().err


def _beside_the_result(script, out, kind):
    """Run a script on the quick result; its tables land beside it, the tracked ones are
    untouched. Returns its JSON summary."""
    tracked = sorted((ROOT / "benchmarks" / "results").glob("closed_loop*"))
    before = {p: p.stat().st_mtime for p in tracked}
    assert script.main(["--result", str(out / "result.json"), "--out", str(out / kind)]) == 0
    assert {p: p.stat().st_mtime for p in tracked} == before
    return json.loads((out / f"{kind}.json").read_text())


def test_the_peak_only_script_reproduces_the_plan_and_the_training(quick):
    # closed_loop_peak.py rebuilds the pilot files from the result, so its plan must be the
    # result's, and retraining a grid run with the same seed must give the same loss.
    import closed_loop_peak

    out, r = quick
    summary = _beside_the_result(closed_loop_peak, out, "closed_loop_peak")
    rp = summary["reproduced_plan"]
    assert rp["plan_peak_lr"] == pytest.approx(rp["result_plan_peak_lr"], rel=1e-12)
    row = summary["families"]["wsd"]
    # Another batch size is another compiled program: equal to float32 rounding, not bit for bit.
    assert row["grid_best_seed0_rerun"] == pytest.approx(row["grid_best_seed0_result"], rel=1e-4)
    assert row["peak_lr"] > 0 and row["observed"]["seeds"] == 1
    assert (out / "closed_loop_peak.md").read_text().startswith("### The model's peak")


def test_the_shape_script_tunes_the_planned_shape_on_the_grid(quick):
    import closed_loop_shape

    out, r = quick
    s = _beside_the_result(closed_loop_shape, out, "closed_loop_shape")
    assert s["plan_peak_lr"] == pytest.approx(r["plan"]["peak_lr"], rel=1e-12)
    assert len(s["shape_on_grid_seed0"]) == len(r["grid"])
    best = int(np.argmin(s["shape_on_grid_seed0"]))
    assert s["best_peak_lr"] == r["grid"][best]
    assert s["shape_at_best"]["values"] == [s["shape_on_grid_seed0"][best]]   # K = 1
    assert s["difference"] == pytest.approx(s["shape_at_best"]["mean"] - s["tuned"]["mean"])
    assert (out / "closed_loop_shape.md").read_text().startswith("### The plan's shape")
