"""The ``schedopt`` command line: outputs match the Python API, bad arguments exit 2 in one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import schedopt
from schedopt.adapters import _io
from schedopt import cli
from schedopt.solvers._solve import METHODS
from schedopt.solvers._applied import applied_schedule
from schedopt.solvers._solve import optimal_schedule

COMMANDS = ("optimize", "refine", "compare", "scaling", "report", "demo")


def run(capsys, *argv):
    """(exit status, stdout, stderr) of ``main(argv)`` in this process."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_subprocess(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "schedopt", *map(str, argv)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def grad_log(tmp_path):
    """A tracker-style CSV log every 2 steps from step 0, and its norms."""
    rng = np.random.default_rng(7)
    g = 1.0 + 0.5 * rng.random(200)
    g[:15] *= 4.0                                      # a warm-up spike
    path = tmp_path / "run1.csv"
    rows = "".join(f"{2 * i},{float(x)!r}\n" for i, x in enumerate(g))
    path.write_text('"Step","run1 - gradient_norm"\n' + rows)
    return path, g


# --- optimize ------------------------------------------------------------------------------

def test_optimize_json_matches_the_api(tmp_path, capsys):
    out = tmp_path / "eta.json"
    status, stdout, err = run(capsys, "optimize", "--steps", 100, "--D", 2.0, "--G", 0.5,
                              "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    assert set(record) == {"updates", "horizon", "D", "G", "method", "bound", "converged",
                           "gap", "iterations", "seconds", "eta", "weight", "tol", "message",
                           "problem", "version"}
    # --steps N: the N rates to apply, η_1..η_N of the horizon-(N+1) optimum (docs/math.md §5.1)
    api = applied_schedule(100, 2.0, 0.5)
    full = optimal_schedule(101, 2.0, 0.5)
    assert record["problem"] == api.problem == {"steps": 101, "D": 2.0, "G": 0.5,
                                                "constraints": []}
    assert len(record["eta"]) == 100
    assert np.array(record["eta"]).tobytes() == full.eta[:100].tobytes()
    assert record["weight"] == full.eta[100]
    assert record["bound"] == api.bound == full.bound
    assert (record["updates"], record["horizon"], record["D"], record["G"]) == (100, 101, 2.0, 0.5)
    assert (record["method"], record["converged"], record["gap"]) == ("exact", True, 0.0)
    assert schedopt.load_schedule(out).tobytes() == full.eta[:100].tobytes()
    assert f"{api.bound:.10g}" in stdout and str(out) in stdout
    assert "100 rates to apply" in stdout and "bound (C) on θ_101" in stdout


def test_optimize_updates_is_the_same_flag_as_steps(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run(capsys, "optimize", "--steps", 30, "--out", a)[0] == 0
    assert run(capsys, "optimize", "--updates", 30, "--out", b)[0] == 0
    assert json.loads(a.read_text())["eta"] == json.loads(b.read_text())["eta"]


def test_optimize_horizon_writes_the_mathematical_object(tmp_path, capsys):
    out = tmp_path / "eta.json"
    status, stdout, err = run(capsys, "optimize", "--horizon", 100, "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    api = optimal_schedule(100)
    assert np.array(record["eta"]).tobytes() == api.eta.tobytes()
    assert (record["updates"], record["horizon"], record["bound"]) == (99, 100, api.bound)
    assert "weight" not in record
    assert "the mathematical object" in stdout and "apply η_1..η_99" in stdout


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_optimize_csv_and_npy_match_the_api(tmp_path, capsys, suffix):
    out = tmp_path / f"eta{suffix}"
    status, _, err = run(capsys, "optimize", "--steps", 50, "--out", out)
    assert status == 0, err
    written = schedopt.load_schedule(out)
    assert written.shape == (50,)
    assert written.tobytes() == optimal_schedule(51).eta[:50].tobytes()
    np.testing.assert_array_equal(schedopt.load_schedule(out), written)


def test_optimize_with_constraints_matches_the_api(tmp_path, capsys):
    out = tmp_path / "eta.json"
    status, _, err = run(capsys, "optimize", "--steps", 60, "--monotone", "--warmup", 5,
                         "--max-lr", 0.15, "--method", "newton", "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    api = optimal_schedule(61, monotone=True, warmup=5, max_lr=0.15, method="newton")
    np.testing.assert_array_equal(np.array(record["eta"]), api.eta[:60])
    assert record["method"] == "newton" and record["bound"] == api.bound
    assert record["iterations"] == api.iterations


def test_optimize_peak_lr_rescales_the_optimal_shape(tmp_path, capsys):
    from schedopt import last_iterate_bound

    out = tmp_path / "eta.json"
    status, _, err = run(capsys, "optimize", "--steps", 80, "--monotone", "--peak-lr", 0.3,
                         "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    eta = np.array(record["eta"])
    shape = optimal_schedule(81, monotone=True).eta
    np.testing.assert_allclose(eta, shape[:80] * (0.3 / shape.max()), rtol=1e-15)
    assert record["peak_lr"] == 0.3 and eta.max() == pytest.approx(0.3, rel=1e-15)
    # the guarantee on θ_81: the rescaled rates and the weight η_81, scaled alike
    full = np.append(eta, record["weight"])
    assert record["weight"] == pytest.approx(shape[80] * 0.3 / shape.max(), rel=1e-14)
    assert record["bound"] == pytest.approx(float(last_iterate_bound(full)), rel=1e-14)
    assert record["gap"] >= record["bound"] - optimal_schedule(81, monotone=True).bound


def test_optimize_grad_norms_uses_the_resampled_log(tmp_path, capsys, grad_log):
    from schedopt.adapters._refine import grad_norm_profile

    path, _ = grad_log
    out = tmp_path / "eta.json"
    status, _, err = run(capsys, "optimize", "--steps", 300, "--grad-norms", path, "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    G = grad_norm_profile(path, steps=300)        # smoothed as refine does (issue 15)
    G_horizon = np.append(G, G[-1])                    # G_301 = G_300
    np.testing.assert_array_equal(np.array(record["G"]), G_horizon)
    np.testing.assert_array_equal(np.array(record["eta"]),
                                  optimal_schedule(301, 1.0, G_horizon).eta[:300])


def test_optimize_that_stops_short_says_so(tmp_path, capsys):
    out = tmp_path / "eta.json"
    status, _, err = run(capsys, "optimize", "--steps", 300, "--method", "lbfgsb",
                         "--max-iter", 1, "--out", out)
    api = applied_schedule(300, method="lbfgsb", max_iter=1)
    assert status == 0 and not api.converged
    record = json.loads(out.read_text())
    assert record["converged"] is False and record["eta"] == api.eta.tolist()
    assert "warning: the solver stopped short" in err


# --- refine --------------------------------------------------------------------------------

def test_refine_matches_the_api(tmp_path, capsys, grad_log):
    from schedopt.adapters._refine import refine

    path, _ = grad_log
    out = tmp_path / "run2.json"
    status, stdout, err = run(capsys, "refine", "--grad-norms", path, "--steps", 500,
                              "--peak-lr", 0.1, "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    api = refine(path, updates=500, peak_lr=0.1)
    np.testing.assert_array_equal(np.array(record["eta"]), api.eta)
    assert record["bound"] == api.bound and len(record["eta"]) == 500
    assert (record["updates"], record["horizon"]) == (500, 501)
    assert record["peak_lr"] == 0.1 and len(record["G"]) == 501
    assert "200 gradient norms" in stdout


def test_refine_defaults_to_the_logs_horizon_and_no_smoothing(tmp_path, capsys, grad_log):
    from schedopt.adapters._refine import refine

    path, g = grad_log
    out = tmp_path / "run2.npy"
    status, stdout, err = run(capsys, "refine", "--grad-norms", path, "--smoothing", "none",
                              "--monotone", "--out", out)
    assert status == 0, err
    eta = np.load(out)
    # logged every 2 steps from step 0 to 398: a run of 399 steps, not 200
    assert eta.shape == (399,) and "horizon T = 399" in stdout
    np.testing.assert_array_equal(eta, refine(path, smoothing=None, monotone=True).eta)
    G = np.interp(np.arange(399.0), 2.0 * np.arange(200), g)
    np.testing.assert_array_equal(eta, refine(G, smoothing=None, monotone=True).eta)


def test_refine_prints_the_logs_clean_up(tmp_path, capsys):
    path = tmp_path / "dup.csv"
    path.write_text("step,grad_norm\n3,1.0\n1,2.0\n2,1.5\n")
    status, _, err = run(capsys, "refine", "--grad-norms", path, "--out", tmp_path / "e.json")
    assert status == 0
    assert "note: sorted the rows by step" in err


# --- compare and scaling ------------------------------------------------------------------

def _inf_as_text(x):
    if isinstance(x, dict):
        return {k: _inf_as_text(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_inf_as_text(v) for v in x]
    return "inf" if x == float("inf") else x


def test_compare_json_matches_the_api(tmp_path, capsys):
    from schedopt.theory import compare
    from schedopt.theory import family_table

    out = tmp_path / "table.json"
    status, stdout, err = run(capsys, "compare", "--horizon", 200, "--D", 2, "--G", 3,
                              "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    table = family_table(200, 2.0, 3.0)
    assert record["family_table"] == json.loads(json.dumps(table.to_dict()))
    comparison = compare(optimal_schedule(200, 2.0, 3.0), 2.0, 3.0)
    assert record["comparison"]["bound"] == comparison.bound
    assert record["comparison"]["bump"] == comparison.bump
    by_key = {r["key"]: r for r in record["comparison"]["references"]}
    assert by_key["variational"]["ratio"] == "inf"
    assert by_key["linear_decay_best"]["ratio"] == comparison.reference("linear_decay_best").ratio
    assert table.to_markdown() in stdout and comparison.to_markdown() in stdout


def test_compare_csv_and_markdown(tmp_path, capsys):
    from schedopt.theory import family_table

    status, stdout, _ = run(capsys, "compare", "--horizon", 100, "--out", tmp_path / "t.md")
    assert status == 0
    assert (tmp_path / "t.md").read_text() == stdout.rsplit("wrote", 1)[0]
    status, _, _ = run(capsys, "compare", "--horizon", 100, "--out", tmp_path / "t.csv")
    assert status == 0
    import csv

    rows = list(csv.reader((tmp_path / "t.csv").open()))
    table = family_table(100)
    assert rows[0][0] == "schedule" and len(rows) == 1 + len(table.rows)
    for row, family in zip(rows[1:], table.rows):
        assert row[0] == family.name
        assert float(row[1]) == family.values["last_iterate"]


def test_scaling_json_matches_the_api(tmp_path, capsys):
    from schedopt.theory._scaling import default_steps_grid
    from schedopt.theory._scaling import fit_scaling

    out = tmp_path / "scaling.json"
    status, stdout, err = run(capsys, "scaling", "--min-horizon", 100, "--max-horizon", 3000,
                              "--num", 5, "--out", out)
    assert status == 0, err
    record = json.loads(out.read_text())
    table = fit_scaling(default_steps_grid(100, 3000, 5))
    assert record == json.loads(json.dumps(table.to_dict()))
    assert f"p = {table.fits['optimal'].p:.5f}" in stdout


# --- bad arguments: exit 2, one line -------------------------------------------------------

BAD = [
    (["optimize", "--steps", "0", "--out", "{d}/e.json"],
     "--steps must be a positive integer, got 0"),
    (["optimize", "--steps", "-5", "--out", "{d}/e.json"], "--steps must be a positive integer"),
    (["optimize", "--horizon", "0", "--out", "{d}/e.json"],
     "horizon must be a positive integer, got 0"),
    (["optimize", "--steps", "1.5", "--out", "{d}/e.json"],
     "argument --steps/--updates: expected a whole"),
    (["optimize", "--out", "{d}/e.json"], "give --steps N (the updates to apply), --horizon T"),
    (["optimize", "--steps", "5", "--horizon", "6", "--out", "{d}/e.json"],
     "argument --horizon: not allowed with argument --steps/--updates"),
    (["optimize", "--steps", "10"], "the following arguments are required: --out"),
    (["optimize", "--steps", "10", "--method", "bfgs", "--out", "{d}/e.json"],
     "method must be one of 'auto', 'exact'"),
    (["optimize", "--steps", "10", "--D", "-1", "--out", "{d}/e.json"],
     "D must be a positive finite number, got -1.0"),
    (["optimize", "--steps", "10", "--G", "0", "--out", "{d}/e.json"], "G must be > 0"),
    (["optimize", "--steps", "10", "--G", "nan", "--out", "{d}/e.json"],
     "G must contain only finite numbers"),
    (["optimize", "--steps", "10", "--out", "{d}/e.txt"], "out must end in .json, .csv or .npy"),
    (["optimize", "--steps", "10", "--out", "{d}/missing/e.json"],
     "out is in a folder that does not exist"),
    (["optimize", "--steps", "10", "--warmup", "10", "--out", "{d}/e.json"],
     "warmup must leave at least one update after it"),
    (["optimize", "--horizon", "10", "--warmup", "10", "--out", "{d}/e.json"],
     "warmup must leave at least one free step"),
    (["optimize", "--steps", "10", "--method", "exact", "--monotone", "--out", "{d}/e.json"],
     "--method exact solves the unconstrained problem only"),
    (["optimize", "--steps", "10", "--max-iter", "0", "--out", "{d}/e.json"],
     "--max-iter must be a positive integer, got 0"),
    (["optimize", "--steps", "10", "--tol", "-1", "--out", "{d}/e.json"],
     "tol must be a positive finite number"),
    (["optimize", "--steps", "10", "--peak-lr", "0", "--out", "{d}/e.json"],
     "--peak-lr must be a positive finite number"),
    (["optimize", "--steps", "10", "--peak-lr", "1", "--max-lr", "1", "--out", "{d}/e.json"],
     "give one of them, not both"),
    (["optimize", "--steps", "10", "--G", "2", "--grad-norms", "{d}/log.csv", "--out",
      "{d}/e.json"], "give either --G or --grad-norms"),
    (["optimize", "--steps", "10", "--grad-norms", "{d}/nope.csv", "--out", "{d}/e.json"],
     "--grad-norms: no such file"),
    (["refine", "--grad-norms", "{d}/nope.csv", "--out", "{d}/e.json"], "--grad-norms: no such file"),
    (["refine", "--grad-norms", "{d}/words.csv", "--out", "{d}/e.json"], "has no numeric column"),
    (["refine", "--grad-norms", "{d}/nan.csv", "--out", "{d}/e.json"], "non-finite gradient norm"),
    (["refine", "--grad-norms", "{d}/empty.csv", "--out", "{d}/e.json"], "is empty"),
    (["refine", "--grad-norms", "{d}/binary.csv", "--out", "{d}/e.json"], "is not a text file"),
    (["refine", "--grad-norms", "{d}", "--out", "{d}/e.json"], "--grad-norms: no such file"),
    (["optimize", "--steps", "10", "--grad-norms", "{d}/nan.csv", "--out", "{d}/e.json"],
     "non-finite gradient norm"),
    (["refine", "--grad-norms", "{d}/log.csv", "--out", "{d}/e.yaml"], "out must end in"),
    (["refine", "--grad-norms", "{d}/log.csv", "--steps", "0", "--out", "{d}/e.json"],
     "--steps must be a positive integer"),
    (["refine", "--grad-norms", "{d}/log.csv", "--width", "2", "--out", "{d}/e.json"], "width"),
    (["refine", "--grad-norms", "{d}/log.csv", "--smoothing", "mean", "--out", "{d}/e.json"],
     "invalid choice: 'mean'"),
    (["refine", "--out", "{d}/e.json"], "the following arguments are required: --grad-norms"),
    (["compare", "--horizon", "1"], "compare needs a schedule of at least 2 steps"),
    (["compare", "--horizon", "0"], "--horizon must be a positive integer"),
    (["compare", "--steps", "1000"], "takes the horizon T as --horizon"),
    (["compare", "--horizon", "10", "--G", "-2"], "G must be > 0"),
    (["compare", "--horizon", "10", "--out", "{d}/t.npy"], "out must end in .json, .csv or .md"),
    (["scaling", "--num", "3"], "at least 4 values of T"),
    (["scaling", "--min-horizon", "0"], "--min-horizon must be a positive integer, got 0"),
    (["scaling", "--min-steps", "10"], "takes the horizon T as --min-horizon/--max-horizon"),
    (["scaling", "--num", "-1"], "num must be a positive integer, got -1"),
    (["scaling", "--min-horizon", "1000", "--max-horizon", "10"],
     "--max-horizon must be >= --min-horizon"),
    (["scaling", "--out", "{d}/missing/s.json"], "out is in a folder that does not exist"),
    (["report", "--out", "{d}/log.csv/sub"], "out: cannot create folder"),
    (["demo", "--out", "{d}/log.csv"], "is not a folder"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "give a command"),
]


@pytest.fixture()
def bad_files(tmp_path):
    (tmp_path / "log.csv").write_text("step,grad_norm\n1,1.0\n2,0.5\n3,0.7\n")
    (tmp_path / "words.csv").write_text("step,grad_norm\nabc,def\n")
    (tmp_path / "nan.csv").write_text("step,grad_norm\n1,1.0\n2,nan\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01")
    return tmp_path


@pytest.mark.parametrize("argv, message", BAD, ids=lambda x: " ".join(x) if isinstance(x, list)
                         else None)
def test_bad_arguments_exit_2_with_one_line(bad_files, capsys, argv, message):
    argv = [a.format(d=bad_files) for a in argv]
    before = sorted(p.name for p in bad_files.iterdir())
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("schedopt"), err
    assert message in err
    assert "Traceback" not in err
    assert sorted(p.name for p in bad_files.iterdir()) == before     # nothing written


def test_read_only_folder_exits_2(tmp_path, capsys):
    from _support import read_only_folder

    folder = read_only_folder(tmp_path)
    if folder is None:
        pytest.skip("no folder here that this process cannot write to")
    status, _, err = run(capsys, "optimize", "--steps", 10, "--out", folder / "e.json")
    assert status == 2 and err.count("\n") == 1
    assert "cannot be written to" in err


def test_subprocess_bad_argument_has_no_traceback(tmp_path):
    proc = run_subprocess("optimize", "--steps", "0", "--out", tmp_path / "e.json")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("schedopt optimize: error: --steps must be a positive "
                                   "integer, got 0")


# --- writes that fail half-way -------------------------------------------------------------

def test_interrupted_write_keeps_the_old_schedule(tmp_path, capsys, monkeypatch):
    out = tmp_path / "eta.npy"
    old = np.arange(3.0)
    np.save(out, old)

    def fail_half_way(f, array, allow_pickle=False):
        f.write(b"\x93NUMPY")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.np, "save", fail_half_way)
    status, _, err = run(capsys, "optimize", "--steps", 20, "--out", out)
    assert status == 1
    assert err.strip() == "schedopt optimize: error: [Errno 28] No space left on device"
    monkeypatch.undo()
    np.testing.assert_array_equal(np.load(out), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eta.npy"]


def test_ctrl_c_during_write_keeps_the_old_schedule(tmp_path, capsys, monkeypatch):
    out = tmp_path / "eta.json"
    out.write_text('{"old": true}\n')
    real = _io.json.dumps

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(_io.json, "dumps", interrupted)
    status, _, err = run(capsys, "optimize", "--steps", 20, "--out", out)
    assert status == 130 and "interrupted" in err
    assert out.read_text() == '{"old": true}\n'


# --- help, entry points --------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert f"usage: schedopt {command}" in out
    assert f"example:\n  schedopt {command}" in out or f"example:\n  python -m schedopt {command}" in out


def test_top_level_help_lists_every_command(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in COMMANDS:
        assert command in out


def test_version(capsys):
    import schedopt

    status, out, _ = run(capsys, "--version")
    assert status == 0 and out == f"schedopt {schedopt.__version__}\n"


def test_help_lists_the_solvers_methods():
    assert cli._METHODS == tuple(METHODS)


def test_flags_have_the_apis_names():
    """--max-lr is max_lr, --peak-lr is peak_lr, --grad-norms is grad_norms, as in the API."""
    parser = cli.build_parser()
    args = parser.parse_args(["optimize", "--steps", "5", "--max-lr", "1", "--out", "x.json"])
    assert {"updates", "horizon", "D", "G", "grad_norms", "method", "monotone", "max_lr",
            "warmup", "peak_lr", "out", "tol", "max_iter"} <= set(vars(args))
    import inspect

    api = set(inspect.signature(applied_schedule).parameters)
    assert {"updates", "D", "G", "method", "monotone", "max_lr", "warmup", "tol",
            "max_iter"} <= api


def test_python_dash_m_and_the_script_agree(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    proc = run_subprocess("optimize", "--steps", 30, "--out", a)
    assert proc.returncode == 0, proc.stderr
    script = Path(sys.executable).with_name("schedopt")
    if not script.exists():
        pytest.skip("the schedopt script is not installed beside this Python")
    proc = subprocess.run([script, "optimize", "--steps", "30", "--out", b],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(a.read_text())["eta"] == json.loads(b.read_text())["eta"]


def test_cli_module_adds_no_import_to_the_package():
    """The command line imports only the standard library until a command runs."""
    code = ("import sys, schedopt; before = set(sys.modules); import schedopt.cli; "
            "print(sorted(m for m in set(sys.modules) - before "
            "if m.split('.')[0] not in sys.stdlib_module_names "
            "and not m.startswith('schedopt.cli')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
