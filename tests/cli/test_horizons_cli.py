"""``schedopt extend`` and ``schedopt anytime``: outputs match the API, bad input exits 2."""

import json

import numpy as np

import schedopt
import pytest

from schedopt import cli
from schedopt.adapters import _io
from schedopt.solvers import anytime_schedule, extend_schedule


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture()
def tracker_export(tmp_path):
    """A tracker's LR export: a quoted header, optax counts from 0, one row per update."""
    lr = np.concatenate([np.linspace(0.005, 0.05, 10), np.full(90, 0.05)])
    path = tmp_path / "run1.csv"
    rows = "".join(f"{i},{float(x)!r}\n" for i, x in enumerate(lr))
    path.write_text('"Step","run1 - lr"\n' + rows)
    return path, lr


@pytest.mark.parametrize("command", ["extend", "anytime"])
def test_help_has_an_example(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0 and f"example:\n  schedopt {command}" in out


def test_extend_matches_the_api(tmp_path, capsys, tracker_export):
    path, lr = tracker_export
    out = tmp_path / "run2.json"
    status, stdout, err = run(capsys, "extend", "--units", "bound", "--applied", path, "--steps", 400, "--D", 2,
                              "--out", out)
    assert status == 0, err
    api = extend_schedule(lr, 400, 2.0)
    record = json.loads(out.read_text())
    np.testing.assert_array_equal(np.array(record["eta"]), api.eta)
    assert record["bound"] == api.bound and len(record["eta"]) == 400
    assert "history: 100 applied rates" in stdout


def test_extend_reads_its_own_schedule_files(tmp_path, capsys, tracker_export):
    path, lr = tracker_export
    first = tmp_path / "a.csv"
    assert run(capsys, "extend", "--units", "bound", "--applied", path, "--steps", 200, "--out", first)[0] == 0
    again = tmp_path / "b.npy"
    assert run(capsys, "extend", "--units", "bound", "--applied", first, "--steps", 200, "--out", again)[0] == 0
    np.testing.assert_allclose(np.load(again), schedopt.load_schedule(first), rtol=1e-12)


@pytest.mark.parametrize("content, match", [
    ("a,b,c\n0,1,2\n", "exactly two columns"),
    ("step,lr\n0,0.1\n1,nan\n", "finite"),
    ("step,lr\n0,0.1\n1,-0.1\n", ">= 0"),
    ("step,lr\n0,0.1\n5,0.1\n", "consecutive"),
    ("step,lr\n0,abc\n", "not a number"),
    ("step,lr\n", "no rows"),
])
def test_bad_histories_exit_2_with_one_line(tmp_path, capsys, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    status, _, err = run(capsys, "extend", "--units", "bound", "--applied", path, "--steps", 50,
                         "--out", tmp_path / "x.csv")
    assert status == 2 and match in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


def test_history_longer_than_steps_and_missing_files(tmp_path, capsys, tracker_export):
    path, _ = tracker_export
    status, _, err = run(capsys, "extend", "--units", "bound", "--applied", path, "--steps", 50, "--out",
                         tmp_path / "x.csv")
    assert status == 2 and "more than --steps = 50" in err and err.count("\n") == 1
    (tmp_path / "wrong.json").write_text('{"lr": [0.1]}')
    for bad in ("nofile.csv", "wrong.json"):
        status, _, err = run(capsys, "extend", "--units", "bound", "--applied", tmp_path / bad, "--steps", 50,
                             "--out", tmp_path / "x.csv")
        assert status == 2 and err.count("\n") == 1


def test_anytime_matches_the_api(tmp_path, capsys):
    out = tmp_path / "a.json"
    status, stdout, err = run(capsys, "anytime", "--checkpoints", "20,40,80", "--out", out)
    assert status == 0, err
    api = anytime_schedule([20, 40, 80])
    record = json.loads(out.read_text())
    np.testing.assert_allclose(record["eta"], api.eta, rtol=1e-12)
    assert record["worst_ratio"] == pytest.approx(api.worst_ratio, rel=1e-12)
    assert "checkpoint 80: ratio" in stdout


@pytest.mark.parametrize("value", ["10,5", "10,x", "0,10", ""])
def test_anytime_bad_checkpoints_exit_2(tmp_path, capsys, value):
    status, _, err = run(capsys, "anytime", "--checkpoints", value, "--out", tmp_path / "a.npy")
    assert status == 2 and err.count("\n") == 1
