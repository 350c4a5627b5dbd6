"""extend in learning-rate units: a tracker's history is converted by a calibrated model or a
scale, the continuation is written in learning rates and stays at or below the history's
peak; without a conversion, or with a gradient-norm file, extend refuses in one line."""

import json

import numpy as np
import pytest

from schedopt import cli
from schedopt.adapters import load_schedule
from schedopt.solvers import extend_schedule

W, N = 1000, 2000
LR = np.minimum(np.arange(1, W + 1) / 50, 1.0) * 1e-3       # warm-up to 1e-3, then constant


def _run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture()
def lr_export(tmp_path):
    path = tmp_path / "lr_export.csv"
    path.write_text("Step,run1 - lr\n" + "".join(f"{k},{float(x)!r}\n" for k, x in
                                                 enumerate(LR)))
    return path


def test_without_a_model_or_scale_it_refuses_in_one_line(capsys, tmp_path, lr_export):
    status, out, err = _run(capsys, "extend", "--applied", lr_export, "--steps", N,
                            "--out", tmp_path / "x.csv")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--model" in err and "--lr-scale" in err and "--units bound" in err


def test_a_grad_norm_file_is_refused_as_applied(capsys, tmp_path):
    path = tmp_path / "run1.csv"
    path.write_text("step,grad_norm\n" + "".join(f"{t},1.5\n" for t in range(1, 101)))
    status, _, err = _run(capsys, "extend", "--applied", path, "--steps", 200,
                          "--lr-scale", 0.01, "--out", tmp_path / "x.csv")
    assert status == 2 and "gradient norms, not learning rates" in err


@pytest.mark.parametrize("scale", [0.01, 1.0])
def test_a_scale_gives_learning_rates_at_or_below_the_history_peak(capsys, tmp_path,
                                                                   lr_export, scale):
    out = tmp_path / "run2.csv"
    status, text, _ = _run(capsys, "extend", "--applied", lr_export, "--steps", N,
                           "--lr-scale", scale, "--out", out)
    assert status == 0 and "learning rates" in text
    eta = load_schedule(out)
    np.testing.assert_allclose(eta[:W], LR, rtol=1e-15)
    assert eta.shape == (N,) and eta[W:].max() <= LR.max() * (1 + 1e-12)
    # the same as the API in D/G units, scaled back (at 1.0 the free optimum rises above
    # the history's 1e-3 D/G, and the continuation is capped there)
    ref = extend_schedule(LR / scale, N, above_peak=False)
    np.testing.assert_allclose(eta, np.asarray(ref.eta) * scale, rtol=1e-9)
    free = extend_schedule(LR / scale, N)
    if scale == 1.0:
        assert free.eta[W:].max() > (LR / scale).max()       # the cap did something
        assert "capped at the history's peak" in ref.message


def test_a_calibrated_model_converts_the_history(capsys, tmp_path, lr_export):
    A, B, s = 0.8, 2e-4, 1e-3
    model = {"format": "schedopt.calibration/1", "form": "bound", "lr_scale": s,
             "params": {"L_inf": 2.0, "log_A": np.log(A), "log_B": np.log(B),
                        "log_p": 0.0, "log_q": 0.0}}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model))
    out = tmp_path / "run2.csv"
    status, text, err = _run(capsys, "extend", "--applied", lr_export, "--steps", N,
                             "--model", path, "--out", out)
    assert status == 0, err
    eta = load_schedule(out)
    ref = extend_schedule(LR / s, N, np.sqrt(2 * A), np.sqrt(2 * B), above_peak=False)
    np.testing.assert_allclose(eta, np.asarray(ref.eta) * s, rtol=1e-9)
    assert eta[W:].max() <= LR.max() * (1 + 1e-12)


def test_api_needs_a_conversion_for_learning_rates():
    with pytest.raises(ValueError, match="model= .*lr_scale="):
        extend_schedule(LR, N, units="lr")
    with pytest.raises(ValueError, match="units='bound'"):
        extend_schedule(LR, N, lr_scale=0.1)
    r = extend_schedule(LR, N, units="lr", lr_scale=1e-3)
    assert r.problem["units"] == "lr" and r.eta[W:].max() <= LR.max() * (1 + 1e-12)
    np.testing.assert_allclose(r.eta[:W], LR, rtol=1e-15)
