"""Runs are checked (a bad run is named with its problem) and read from tracker CSV exports."""

import numpy as np
import pytest

from schedopt.calibration import as_run
from schedopt.calibration import fit_loss_curves
from schedopt.calibration import read_runs


def _run(**kw):
    base = {"name": "pilot-1", "lr": np.linspace(1.0, 0.1, 100), "steps": [50, 100],
            "loss": [3.0, 2.9]}
    base.update(kw)
    return base


@pytest.mark.parametrize("change,message", [
    (dict(steps=[], loss=[]), "no loss points"),
    (dict(loss=[3.0, float("nan")]), "loss at step 100 is nan"),
    (dict(loss=[3.0, -1.0]), "finite and > 0"),
    (dict(lr=np.ones(80)), "lr has 80 rates but a loss is logged at step 100"),
    (dict(lr=np.r_[np.ones(10), -0.5, np.ones(89)]), "lr at step 11 is -0.5"),
    (dict(lr=np.r_[np.ones(10), np.inf, np.ones(89)]), "lr at step 11 is inf"),
    (dict(steps=[0, 100]), "steps count updates"),
    (dict(steps=[50]), "steps has 1 entries but loss has 2"),
    (dict(lr=[]), "lr is empty"),
])
def test_bad_runs_are_named_with_their_problem(change, message):
    with pytest.raises(ValueError, match="run 'pilot-1'") as err:
        as_run(_run(**change))
    assert message in str(err.value)


def test_fit_names_the_bad_run_among_good_ones():
    good = _run(name="ok", steps=[20, 50, 100], loss=[3.1, 3.0, 2.9])
    diverged = _run(name="broken", loss=[3.0, float("nan")])
    model = fit_loss_curves([good, diverged], form="bound", d_power=False, noise_power=False,
                            min_fraction=0.0)
    assert [d["name"] for d in model.quality["diverged"]] == ["broken"]
    assert model.quality["runs"] == 1
    with pytest.raises(ValueError, match="run 'broken'"):
        fit_loss_curves([good, _run(name="broken", loss=[3.0, -1.0])])


def test_missing_keys_and_wrong_types():
    with pytest.raises(ValueError, match="missing key"):
        as_run({"name": "x", "lr": [1.0]})
    with pytest.raises(TypeError, match="mapping"):
        as_run([1, 2, 3])


def _write(path, rows, header="step,lr,loss"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


def test_read_folder_of_exports_unordered_with_lr_only_rows(tmp_path):
    rows = [f"{s},{1.0 - s / 200:.6f},{'' if s % 20 else 3 - s / 100}" for s in range(1, 101)]
    _write(tmp_path / "a.csv", rows[::-1])                   # any order
    _write(tmp_path / "b.csv", rows[:60], header="Step,learning_rate,train_loss")
    runs = read_runs(tmp_path)
    assert [r.name for r in runs] == ["a", "b"]
    a = runs[0]
    assert a.updates == 100 and np.all(np.diff(a.steps) > 0)
    with pytest.warns(DeprecationWarning, match="Run.updates"):
        assert a.horizon == 100
    np.testing.assert_allclose(a.lr, 1.0 - np.arange(1, 101) / 200, atol=1e-6)
    np.testing.assert_array_equal(a.steps, np.arange(20, 101, 20))


def test_read_one_csv_with_run_column(tmp_path):
    rows = [f"{name},{s},0.5,{3 - s / 1000}" for name in ("x", "y") for s in range(1, 51)]
    _write(tmp_path / "all.csv", rows, header="run,step,lr,loss")
    runs = read_runs(tmp_path / "all.csv")
    assert sorted(r.name for r in runs) == ["x", "y"]
    assert all(r.steps.size == 50 for r in runs)


def test_reader_errors_name_file_and_problem(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_runs(tmp_path / "nope")
    with pytest.raises(ValueError, match="no .csv files"):
        read_runs(tmp_path)
    _write(tmp_path / "c.csv", ["1,0.1"], header="step,lr")
    with pytest.raises(ValueError, match="c.csv: no loss column"):
        read_runs(tmp_path / "c.csv")
    _write(tmp_path / "d.csv", [f"{s},0.1,3.0" for s in range(500, 600)])
    with pytest.raises(ValueError, match="lr is logged only from step 500"):
        read_runs(tmp_path / "d.csv")
    _write(tmp_path / "e.csv", [f"{s},0.1,nan" for s in range(1, 10)])
    (diverged,) = read_runs(tmp_path / "e.csv")      # kept, for the fit to set aside
    assert diverged.name == "e" and np.isnan(diverged.loss).all()
    with pytest.raises(ValueError, match="every run diverged .e: loss nan at step 1"):
        fit_loss_curves(read_runs(tmp_path / "e.csv"))
    _write(tmp_path / "g.csv", ["1,0.1,3.0", "2,abc,3.0"])
    with pytest.raises(ValueError, match="run .g.: lr .abc. is not a number"):
        read_runs(tmp_path / "g.csv")
    _write(tmp_path / "f.csv", [f"{s},-0.1,3.0" for s in range(1, 10)])
    with pytest.raises(ValueError, match="lr at step 1 is -0.1"):
        read_runs(tmp_path / "f.csv")
