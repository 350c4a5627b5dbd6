"""read_runs on real tracker exports (W&B, TensorBoard, kind columns, BOM/CRLF, 0-based
steps), each checked against the run a hand-built list gives through as_run."""

from pathlib import Path

import numpy as np
import pytest

from schedopt.calibration import read_runs
from schedopt.calibration._runs import as_run

T = 60
LR = np.concatenate([np.linspace(1e-4, 1e-3, 10), np.full(30, 1e-3), np.linspace(1e-3, 1e-4, 20)])
VAL_STEPS = np.array([10, 20, 30, 40, 50, 60])


def _val(s):
    return 3.0 + 5.0 / np.sqrt(s)


def _train(s):
    return 3.1 + 5.0 / np.sqrt(s)


def _expected(name="r", steps=VAL_STEPS, loss=None):
    return as_run({"name": name, "lr": LR, "steps": steps,
                   "loss": _val(steps) if loss is None else loss})


def _same(run, want):
    np.testing.assert_allclose(run.lr, want.lr, rtol=1e-12)
    np.testing.assert_array_equal(run.steps, want.steps)
    np.testing.assert_allclose(run.loss, want.loss, rtol=1e-12)


def test_wandb_history_export_uses_val_loss_and_says_so(tmp_path):
    # _step counts from 0: the rate logged at _step k is that of update k + 1, and the
    # validation at _step 0 is the loss before any update.
    lines = ["_step,_runtime,train/loss,val/loss,lr"]
    for k in range(T):
        val = f"{_val(k):.17g}" if k in VAL_STEPS else ("8.0" if k == 0 else "")
        train = f"{_train(max(k, 1)):.17g}"
        lines.append(f"{k},{0.1 * k:.3f},{train},{val},{float(LR[k])!r}")
    lines.append(f"{T},6.0,{_train(T):.17g},{_val(T):.17g},")     # last eval after T updates
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    (run,) = read_runs(tmp_path / "r.csv")
    _same(run, _expected())
    text = " ".join(run.notes)
    assert "'val/loss' (validation" in text and "count from 0" in text and "step 0" in text


def test_tensorboard_exports_one_file_per_metric(tmp_path):
    lr = ["Wall time,Step,Value"] + [f"1.7e9,{t},{float(LR[t - 1])!r}" for t in range(1, T + 1)]
    loss = ["Wall time,Step,Value"] + [f"1.7e9,{s},{float(_val(s))!r}" for s in VAL_STEPS]
    (tmp_path / "run-r-tag-train_lr.csv").write_text("\n".join(lr) + "\n")
    (tmp_path / "run-r-tag-val_loss.csv").write_text("\n".join(loss) + "\n")
    (run,) = read_runs(tmp_path)
    assert run.name == "r"
    _same(run, _expected())


def test_kind_column_fits_validation_by_default(tmp_path):
    lines = ["run,kind,step,lr,loss"]
    for name in ("a", "b"):
        for t in range(1, T + 1):
            lines.append(f"{name},train,{t},{float(LR[t - 1])!r},{float(_train(t))!r}")
            if t in VAL_STEPS:
                lines.append(f"{name},val,{t},{float(LR[t - 1])!r},{float(_val(t))!r}")
    (tmp_path / "all.csv").write_text("\n".join(lines) + "\n")
    runs = read_runs(tmp_path / "all.csv")
    assert [r.name for r in runs] == ["a", "b"]
    for r in runs:
        _same(r, _expected(r.name))
        assert any("validation losses are fitted" in n for n in r.notes)
    train = read_runs(tmp_path / "all.csv", kind="train")
    steps = np.arange(1, T + 1)
    _same(train[0], _expected(steps=steps, loss=_train(steps)))


def test_bom_crlf_and_quoted_numbers(tmp_path):
    rows = [f'"{t}","{float(LR[t - 1])!r}",' + (f'"{float(_val(t))!r}"' if t in VAL_STEPS else "")
            for t in range(1, T + 1)]
    data = "\ufeffstep,lr,loss\r\n" + "\r\n".join(rows) + "\r\n"
    (tmp_path / "r.csv").write_bytes(data.encode("utf-8"))
    (run,) = read_runs(tmp_path / "r.csv")
    _same(run, _expected())


def test_column_flags_pick_any_column(tmp_path):
    lines = ["it,my/rate,a/loss_smooth,b/loss_smooth"]
    for t in range(1, T + 1):
        lines.append(f"{t},{float(LR[t - 1])!r},{float(_val(t))!r},{float(_train(t))!r}")
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="r.csv: no lr, loss column"):
        read_runs(tmp_path / "r.csv")
    (run,) = read_runs(tmp_path / "r.csv", lr_column="rate", loss_column="a/loss_smooth",
                       step_column="it")
    steps = np.arange(1, T + 1)
    _same(run, _expected(steps=steps, loss=_val(steps)))
    with pytest.raises(ValueError, match="--loss-column"):
        read_runs(tmp_path / "r.csv", lr_column="rate", loss_column="loss_smooth")


def test_two_loss_columns_without_a_validation_one_are_refused(tmp_path):
    (tmp_path / "r.csv").write_text("step,lr,train/loss,other/loss\n1,0.1,3,3\n")
    with pytest.raises(ValueError, match="several loss columns.*--loss-column"):
        read_runs(tmp_path / "r.csv")


def test_a_drop_between_sparse_rate_rows_is_filled_linearly_and_said(tmp_path):
    # The rate logged every 100 steps, with a one-step drop at 450: linear filling turns it
    # into a ramp over 400..500, which the note names; a smooth decay logged as sparsely is
    # filled without one.
    steps = np.arange(1, 1001, 100)
    sharp = np.where(steps < 450, 1e-3, 2e-4)
    smooth = 1e-3 * (1 - 0.5 * steps / 1000)
    for name, lr in (("sharp", sharp), ("smooth", smooth)):
        rows = [f"{s},{r:.17g},{3 + 1 / s ** 0.5:.17g}" for s, r in zip(steps, lr)]
        (tmp_path / f"{name}.csv").write_text("step,lr,loss\n" + "\n".join(rows) + "\n")
    runs = {r.name: r for r in read_runs(tmp_path)}
    assert runs["sharp"].lr[450] == pytest.approx(1e-3 - 0.5 * 8e-4, rel=1e-9)  # step 451
    assert any("from 0.001 to 0.0002 between the logged steps 401 and 501" in n
               and "filled linearly" in n for n in runs["sharp"].notes)
    assert not any("filled linearly" in n for n in runs["smooth"].notes)


def test_an_export_that_logs_the_rate_after_its_warmup(tmp_path):
    # Luo et al.'s files (benchmarks/data/mpl-25m) log from step 2176, after a linear
    # warm-up from 0 over 2160 steps: read without it, the run is refused with the way out.
    src = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mpl-25m"
    (tmp_path / "wsdcon_9.csv").write_text((src / "wsdcon_9.csv").read_text())
    with pytest.raises(ValueError, match="logged only from step 2176.*--warmup W"):
        read_runs(tmp_path)
    run, = read_runs(tmp_path, warmup=2160)
    peak = 3e-4
    np.testing.assert_allclose(run.lr[:2160], np.arange(1, 2161) / 2160 * peak, rtol=1e-12)
    np.testing.assert_allclose(run.lr[2160:2176], peak, rtol=1e-12)   # held to the first row
    assert any("linear warm-up from 0 over 2160 steps" in n for n in run.notes)
    run, = read_runs(tmp_path, warmup=2176)                       # ends at the first row
    np.testing.assert_allclose(run.lr[:2176], np.arange(1, 2177) / 2176 * peak, rtol=1e-12)
    with pytest.raises(ValueError, match="warmup = 2177 must end by the first logged"):
        read_runs(tmp_path, warmup=2177)
    with pytest.raises(ValueError, match="warmup must be an int number of steps >= 1"):
        read_runs(tmp_path, warmup=0)
