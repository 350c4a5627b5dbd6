"""Real trackers' gradient-norm exports through the command line (issue 15, item 4).

The fixtures mimic the formats: Defazio et al.'s wide exports with several ``…/gnorm_*``
columns, TensorBoard's ``Wall time,Step,Value`` CSV and a W&B export kept every 10 steps.
Each must be read, give the logged run's horizon (its last step) and the same schedule as the
Python API on the same numbers.
"""

import json

import numpy as np
import pytest

from schedopt import cli
from schedopt.adapters import grad_norm_log
from schedopt.adapters import grad_norm_profile
from schedopt.adapters import read_grad_norms
from schedopt.solvers import applied_schedule
from schedopt.solvers import optimal_schedule


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _norms(n, seed=3):
    rng = np.random.default_rng(seed)
    return 1.0 + 0.3 * rng.random(n) + 2.0 * np.exp(-np.arange(n) / 20)


@pytest.fixture()
def defazio(tmp_path):
    """A wide export: step, loss and three gradient-norm columns under group prefixes."""
    g1, g2 = _norms(120, 1), _norms(120, 2)
    rows = "".join(f"{i},{3.0 - i / 100!r},{float(a)!r},{float(b)!r},{float(a * b)!r}\n"
                   for i, (a, b) in enumerate(zip(g1, g2), start=1))
    path = tmp_path / "gpt_gnorms.csv"
    path.write_text("step,train/loss,optimizer/gnorm_l1,optimizer/gnorm_l2,optimizer/gnorm_max\n"
                    + rows)
    return path, g1, g2


def test_defazio_export_needs_a_column_and_says_which(defazio, capsys, tmp_path):
    path, _, _ = defazio
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "several gradient-norm columns" in err and "optimizer/gnorm_l1" in err
    assert "--column" in err


@pytest.mark.parametrize("column", ["optimizer/gnorm_l1", "gnorm_l1", "2"])
def test_defazio_export_read_with_column(defazio, capsys, tmp_path, column):
    path, g1, _ = defazio
    out = tmp_path / "e.json"
    status, stdout, err = run(capsys, "refine", "--grad-norms", path, "--column", column,
                              "--smoothing", "none", "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    assert record["updates"] == 120 and "horizon T = 120" in stdout
    # the 120 rates to apply: the first 120 of the horizon-121 optimum (G_121 = G_120)
    np.testing.assert_array_equal(record["eta"],
                                  optimal_schedule(121, 1.0, np.append(g1, g1[-1])).eta[:120])


def test_tensorboard_export(tmp_path, capsys):
    g = _norms(300)
    rows = "".join(f"{float(1.7e9 + 3.1 * i)!r},{i},{float(x)!r}\n" for i, x in enumerate(g))
    path = tmp_path / "run-train-tag-grad_norm.csv"
    path.write_text("Wall time,Step,Value\n" + rows)
    log = read_grad_norms(path)
    np.testing.assert_array_equal(log.grad_norm, g)       # Value, not the wall time
    np.testing.assert_array_equal(log.step, np.arange(300.0))
    out = tmp_path / "e.npy"
    status, stdout, err = run(capsys, "optimize", "--grad-norms", path, "--out", out)
    assert status == 0, err
    assert "horizon T = 300 (0-based counter: last step + 1)" in stdout
    G = grad_norm_profile(grad_norm_log(g, step=np.arange(300.0)))
    np.testing.assert_array_equal(np.load(out), applied_schedule(300, 1.0, G).eta)


def test_wandb_export_kept_every_10_steps_keeps_its_horizon(tmp_path, capsys):
    """Steps 10, 20, …, 500 500 (50 050 rows): the horizon is 500 500, not 50 050."""
    g = _norms(50_050)
    steps = 10 * np.arange(1, 50_051)
    rows = "".join(f"{s},{float(x)!r},{float(0.9 * x)!r},{float(1.1 * x)!r}\n"
                   for s, x in zip(steps, g))
    path = tmp_path / "wandb_export.csv"
    path.write_text('"Step","run7 - grad_norm","run7 - grad_norm__MIN","run7 - grad_norm__MAX"\n'
                    + rows)
    out = tmp_path / "e.npy"
    status, stdout, err = run(capsys, "refine", "--grad-norms", path, "--smoothing", "none",
                              "--out", out)
    assert status == 0, err
    assert "horizon T = 500500 (the last logged step); 50050 logged values kept every 10 " \
           "steps: G_t interpolated linearly" in stdout
    eta = np.load(out)
    assert eta.shape == (500_500,)
    G = np.interp(np.arange(1.0, 500_501), steps, g)
    np.testing.assert_array_equal(eta, applied_schedule(500_500, 1.0, G).eta)


def test_explicit_steps_resample_and_say_so(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("step,grad_norm\n" + "".join(f"{10 * i},{1 + i / 50}\n"
                                                  for i in range(1, 51)))
    status, stdout, err = run(capsys, "refine", "--grad-norms", path, "--steps", 100,
                              "--out", tmp_path / "e.json")
    assert status == 0, err
    assert "resampled to --steps 100" in stdout and "horizon T = 500" in stdout


def test_invalid_and_duplicates_flags_reach_the_reader(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("step,grad_norm\n1,1.0\n2,nan\n3,0.5\n3,0.7\n4,0.6\n")
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 2 and "invalid" in err
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--invalid", "drop",
                         "--duplicates", "mean", "--smoothing", "none",
                         "--out", tmp_path / "e.json")
    assert status == 0, err
    assert "dropped 1 row(s)" in err and "merged 1 repeated step(s)" in err
    record = json.loads((tmp_path / "e.json").read_text())
    # step 2 was dropped: interpolated between steps 1 and 3; G_5 = G_4 for the horizon-5 bound
    np.testing.assert_allclose(record["G"], [1.0, 0.8, 0.6, 0.6, 0.6], rtol=1e-15)


def test_optimize_smooths_like_refine(tmp_path, capsys):
    """The same log gives the same schedule through optimize and refine (issue 15)."""
    path = tmp_path / "log.csv"
    g = _norms(400) * np.random.default_rng(0).lognormal(0, 0.5, 400)
    path.write_text("step,grad_norm\n"
                    + "".join(f"{i},{float(x)!r}\n" for i, x in enumerate(g, 1)))
    etas = []
    for command in ("optimize", "refine"):
        out = tmp_path / f"{command}.npy"
        status, _, err = run(capsys, command, "--grad-norms", path, "--steps", 400,
                             "--out", out)
        assert status == 0, err
        etas.append(np.load(out))
    np.testing.assert_array_equal(etas[0], etas[1])


def test_an_unreadable_log_is_exit_2(tmp_path, capsys):
    import os

    path = tmp_path / "secret.csv"
    path.write_text("step,grad_norm\n1,1.0\n")
    path.chmod(0)
    if os.access(path, os.R_OK):                 # root reads anything
        pytest.skip("this user can read a file with mode 000")
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 2 and "cannot read" in err and len(err.strip().splitlines()) == 1


def test_a_log_whose_last_step_is_huge_is_refused_before_allocating(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("step,grad_norm\n1,1.0\n1000000000000,0.5\n")
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 2 and "horizon" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ValueError, match="pass steps="):
        grad_norm_profile(read_grad_norms(path))
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--steps", 100,
                         "--out", tmp_path / "e.json")
    assert status == 0, err


@pytest.mark.parametrize("command", [["optimize", "--steps", "50", "--out", "{d}/e.json"],
                                     ["report", "--steps", "50", "--quick", "--out", "{d}/r"]])
def test_log_flags_without_a_log_are_refused(tmp_path, capsys, command):
    argv = [a.replace("{d}", str(tmp_path)) for a in command] + ["--column", "gnorm_l1"]
    status, _, err = run(capsys, *argv)
    assert status == 2 and "--column only apply to a gradient-norm log" in err


def test_log_errors_name_the_flags_a_cli_user_types(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("step,grad_norm\n1,1.0\n2,nan\n3,0.5\n")
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 2 and "--invalid drop" in err
    path.write_text("step,grad_norm\n1,1.0\n2,0.7\n2,0.6\n")
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 2 and "--duplicates last" in err
