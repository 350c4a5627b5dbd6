"""save_schedule / load_schedule: public round trips, provenance, and files that lie."""

import json
import os

import numpy as np
import pytest

import schedopt
from schedopt import cli


@pytest.mark.parametrize("suffix", [".json", ".csv", ".npy"])
def test_round_trip_of_a_result_and_of_an_array(tmp_path, suffix):
    result = schedopt.optimal_schedule(40, 2.0, np.linspace(1, 3, 40), monotone=True)
    path = schedopt.save_schedule(tmp_path / f"r{suffix}", result, D=2.0,
                                  G=np.linspace(1, 3, 40), tol=1e-9)
    np.testing.assert_array_equal(schedopt.load_schedule(path), result.eta)
    eta = np.array([0.5, 0.25, 1e-300, 0.0])
    path = schedopt.save_schedule(tmp_path / f"a{suffix}", eta)
    np.testing.assert_array_equal(schedopt.load_schedule(str(path)), eta)
    np.testing.assert_array_equal(schedopt.load_schedule(os.fsencode(path)), eta)


def test_json_records_the_problem_and_the_solve(tmp_path):
    result = schedopt.optimal_schedule(30, 2.0, np.linspace(1, 2, 30), warmup=3,
                                       method="newton", tol=1e-10)
    path = schedopt.save_schedule(tmp_path / "r.json", result, D=2.0,
                                  G=np.linspace(1, 2, 30), tol=1e-10)
    record = json.loads(path.read_text())
    assert record["tol"] == 1e-10 and record["method"] == "newton"
    assert record["message"] == result.message and record["version"] == schedopt.__version__
    assert record["problem"]["D"] == 2.0
    assert record["problem"]["G"]["min"] == 1.0 and record["problem"]["G"]["max"] == 2.0
    assert record["problem"]["constraints"] == [{"kind": "warmup", "ramp": 3}]


def _bad_files(tmp_path):
    (tmp_path / "noeta.json").write_text('{"steps": 2}')
    (tmp_path / "broken.json").write_text('{"eta": [1, 2')
    (tmp_path / "inf.json").write_text('{"eta": [1, "inf"]}')
    (tmp_path / "neg.csv").write_text("step,eta\n1,0.5\n2,-0.1\n")
    (tmp_path / "noeta.csv").write_text("step,lr\n1,0.5\n")
    (tmp_path / "word.csv").write_text("step,eta\n1,abc\n")
    np.savez(tmp_path / "z.npz", eta=np.ones(3))
    os.replace(tmp_path / "z.npz", tmp_path / "zip.npy")
    with open(tmp_path / "huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 11,)})
        f.write(b"\0" * 8)
    np.save(tmp_path / "two.npy", np.ones((2, 2)))
    return {"noeta.json": "holds no 'eta'", "broken.json": "not valid JSON",
            "inf.json": "list of numbers", "neg.csv": "must be >= 0",
            "noeta.csv": "has no 'eta' column", "word.csv": "line 2: eta 'abc' is not a number",
            "zip.npy": "zip archive", "huge.npy": "not a readable .npy array",
            "two.npy": "1-D"}


def test_files_that_lie_give_one_sentence(tmp_path):
    for name, message in _bad_files(tmp_path).items():
        with pytest.raises(ValueError, match=message) as info:
            schedopt.load_schedule(tmp_path / name)
        assert name in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(FileNotFoundError):
        schedopt.load_schedule(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="must end in"):
        schedopt.load_schedule(tmp_path / "x.yaml")


def test_cli_records_tol_and_the_log(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("step,grad_norm\n" + "".join(f"{10 * i},{1 + 1 / i}\n" for i in range(1, 31)))
    out = tmp_path / "e.json"
    assert cli.main(["refine", "--grad-norms", str(log), "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["tol"] == 1e-12 and record["updates"] == 300
    assert record["grad_norms"]["horizon"] == 300 and record["grad_norms"]["rows"] == 30
    assert record["grad_norms"]["smoothing"] == "median"
    assert cli.main(["optimize", "--steps", "50", "--tol", "1e-9", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["tol"] == 1e-9


def test_summary_after_peak_lr_is_in_the_users_units(tmp_path, capsys):
    out = tmp_path / "e.json"
    assert cli.main(["optimize", "--steps", "100", "--peak-lr", "0.1", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "certified gap" not in stdout and "bound (C) =" not in stdout
    assert "max η = 0.1," in stdout and "(learning rates, your units)" in stdout


def test_the_record_takes_D_and_G_from_the_result(tmp_path):
    import schedopt

    result = schedopt.optimal_schedule(9, D=5.0, G=2.0)
    path = schedopt.save_schedule(tmp_path / "r.json", result)
    record = json.loads(path.read_text())
    assert (record["D"], record["G"]) == (5.0, 2.0) == (record["problem"]["D"],
                                                         record["problem"]["G"])
    per_step = schedopt.optimal_schedule(9, G=np.linspace(1, 2, 9))
    with pytest.raises(ValueError, match="G: this result was solved for a per-step G"):
        schedopt.save_schedule(tmp_path / "p.json", per_step)
    schedopt.save_schedule(tmp_path / "p.json", per_step, G=np.linspace(1, 2, 9))
