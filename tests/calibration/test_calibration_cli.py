"""schedopt calibrate / plan: exit 0 with files written, exit 2 with one line on bad input."""

import json

import numpy as np
import pytest

from schedopt import cli
from schedopt.calibration import load_model

from synthetic_runs import synthetic_runs


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    _, runs = synthetic_runs()
    for r in runs:
        loss = dict(zip(r["steps"].tolist(), r["loss"].tolist()))
        lines = [f"{s},{float(r['lr'][s - 1])!r},{loss.get(s, '')}" for s in range(1, r["lr"].size + 1)]
        (folder / f"{r['name']}.csv").write_text("step,lr,loss\n" + "\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def model_file(runs_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "model.json"
    assert cli.main(["calibrate", str(runs_folder), "--out", str(out), "--bootstrap", "2",
                     "--min-fraction", "0"]) == 0
    return out


def test_calibrate_writes_a_model_and_a_table(model_file, runs_folder, capsys):
    model = load_model(model_file)
    assert model.quality["runs"] == 12 and len(model.bootstrap) == 2
    assert model.quality["rms_relative_error"] < 1e-6


def test_plan_prints_and_writes_the_schedule(model_file, tmp_path, capsys):
    out = tmp_path / "plan.json"
    status, stdout, err = run(capsys, "plan", "--model", model_file, "--steps", 500,
                              "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    model = load_model(model_file)
    dec = model.best_schedule(500)
    np.testing.assert_allclose(record["eta"], dec.lr, rtol=1e-12)
    assert record["predicted_loss"] == pytest.approx(dec.loss, rel=1e-12)
    assert f"{dec.peak_lr:.4g}" in stdout
    status, _, err = run(capsys, "plan", "--model", model_file, "--steps", 300, "--warmup", 10,
                         "--out", tmp_path / "plan.csv")
    assert status == 0, err
    assert (tmp_path / "plan.csv").read_text().startswith("step,eta,count\n1,")
    import schedopt
    assert schedopt.load_schedule(tmp_path / "plan.csv").shape[0] > 0


@pytest.mark.parametrize("argv_tail,message", [
    (["--out", "m.txt"], "out must end in .json"),
])
def test_calibrate_bad_output(runs_folder, tmp_path, capsys, argv_tail, message):
    argv_tail = [str(tmp_path / a) if a.endswith(".txt") else a for a in argv_tail]
    status, _, err = run(capsys, "calibrate", runs_folder, *argv_tail)
    assert status == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("content,message", [
    ("step,lr,loss\n1,0.1,nan\n2,0.1,3.0\n", "loss nan at step 1"),
    ("step,lr,loss\n1,0.1,3.0\n2,-0.1,3.0\n", "lr at step 2 is -0.1"),
    ("step,lr,loss\n1,0.1,\n2,0.1,\n", "no loss points"),
    ("step,lr\n1,0.1\n", "no loss column"),
])
def test_calibrate_bad_run_exits_2_with_one_line(tmp_path, capsys, content, message):
    (tmp_path / "bad.csv").write_text(content)
    status, _, err = run(capsys, "calibrate", tmp_path / "bad.csv", "--out", tmp_path / "m.json")
    assert status == 2
    assert err.startswith("schedopt calibrate: error: ") and err.count("\n") == 1
    assert message in err and "bad" in err
    assert not (tmp_path / "m.json").exists()


def test_plan_bad_model_and_steps(model_file, tmp_path, capsys):
    status, _, err = run(capsys, "plan", "--model", tmp_path / "none.json", "--steps", 10)
    assert status == 2 and "no such file" in err and err.count("\n") == 1
    status, _, err = run(capsys, "plan", "--model", model_file, "--steps", 0)
    assert status == 2 and "steps" in err and err.count("\n") == 1


def test_plan_refuses_a_warmup_that_covers_the_run(model_file, capsys):
    status, _, err = run(capsys, "plan", "--model", model_file, "--steps", 100, "--warmup", 100)
    assert status == 2 and "warmup must be >= 0 and leave at least one update" in err


def test_calibrate_with_a_warmup_the_exports_do_not_log(tmp_path, capsys):
    # Luo et al.'s 25M curves log the rate from step 2176, after a 2160-step warm-up.
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mpl-25m"
    for name in ("cosine_24000", "constant_24000", "wsdcon_9"):
        (tmp_path / f"{name}.csv").write_text((src / f"{name}.csv").read_text())
    status, _, err = run(capsys, "calibrate", tmp_path, "--out", tmp_path / "m.json")
    assert status == 2 and err.count("\n") == 1 and "--warmup W" in err
    status, out, err = run(capsys, "calibrate", tmp_path, "--out", tmp_path / "m.json",
                           "--form", "bound", "--warmup", "2160", "--bootstrap", "0")
    assert status == 0, err
    assert "linear warm-up from 0 over 2160 steps" in err
    assert load_model(tmp_path / "m.json").form == "bound"
