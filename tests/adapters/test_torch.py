"""schedopt.torch against real PyTorch (issues 15 and 19).

Marked ``torch``; ``make test`` installs torch from PyPI and runs them (``.ci/run`` does it on
every submission), and they are skipped only where torch cannot be imported.
"""

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
schedopt_torch = pytest.importorskip("schedopt.torch")

from schedopt.adapters import read_grad_norms  # noqa: E402
from schedopt.solvers import optimal_schedule  # noqa: E402

pytestmark = pytest.mark.torch


def _model_and_data(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(5, 1, dtype=torch.float64)
    x = torch.randn(64, 5, dtype=torch.float64)
    y = x @ torch.arange(1.0, 6.0, dtype=torch.float64)[:, None]
    return model, x, y


def _train(model, opt, sched, x, y, steps, seen, recorder=None):
    for _ in range(steps):
        loss = torch.mean((model(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()


def test_sgd_applies_exactly_the_schedules_rates_and_survives_a_save_load():
    """100 SGD steps: the lr of step t is η_t bit for bit, across a checkpoint at step 40."""
    eta = 0.05 * optimal_schedule(100, monotone=True, warmup=10).eta / 0.1
    model, x, y = _model_and_data()
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    sched = schedopt_torch.ScheduleLR(opt, eta, absolute=True)
    seen = []
    _train(model, opt, sched, x, y, 40, seen)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                "sched": sched.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer)                     # weights_only: the state is plain data

    model2, _, _ = _model_and_data(seed=1)         # a fresh process would start elsewhere
    model2.load_state_dict(saved["model"])
    opt2 = torch.optim.SGD(model2.parameters(), lr=123.0, momentum=0.9)
    opt2.load_state_dict(saved["opt"])
    sched2 = schedopt_torch.ScheduleLR(opt2, eta, absolute=True)
    sched2.load_state_dict(saved["sched"])
    assert sched2.last_epoch == 40 and opt2.param_groups[0]["lr"] == eta[40]
    _train(model2, opt2, sched2, x, y, 60, seen)
    assert seen == eta.tolist()                    # exactly, as Python floats

    # and the same 100 steps without the checkpoint give the same parameters
    model3, _, _ = _model_and_data()
    opt3 = torch.optim.SGD(model3.parameters(), lr=0.0, momentum=0.9)
    sched3 = schedopt_torch.ScheduleLR(opt3, eta, absolute=True)
    _train(model3, opt3, sched3, x, y, 100, [])
    for a, b in zip(model2.parameters(), model3.parameters()):
        assert torch.equal(a, b)


def test_update_rule_is_sgd_with_the_schedule():
    """θ_{t+1} = θ_t − η_t g_t checked by hand for plain SGD."""
    eta = np.array([0.3, 0.2, 0.1, 0.05])
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.0)
    sched = schedopt_torch.ScheduleLR(opt, eta, absolute=True)
    theta = np.array([1.0, -2.0])
    for t in range(4):
        opt.zero_grad()
        (p ** 2).sum().backward()                  # g = 2θ
        opt.step()
        sched.step()
        theta = theta - eta[t] * 2 * theta
    np.testing.assert_array_equal(p.detach().numpy(), theta)


def test_after_the_horizon_and_lambda_lr():
    eta = np.array([0.4, 0.3, 0.2])
    for after, tail in (("hold", 0.2), ("zero", 0.0)):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        sched = schedopt_torch.ScheduleLR(opt, eta, after=after, absolute=True)
        lrs = []
        for _ in range(5):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        assert lrs == [0.4, 0.3, 0.2, tail, tail]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedopt_torch.schedule_lambda(eta))
    lrs = []
    for _ in range(3):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == eta.tolist()


def test_loading_another_schedules_state_is_an_error():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    state = schedopt_torch.ScheduleLR(opt, [0.3, 0.2, 0.1], absolute=True).state_dict()
    other = schedopt_torch.ScheduleLR(opt, [0.3, 0.2, 0.2], absolute=True)
    with pytest.raises(ValueError, match="another schedule"):
        other.load_state_dict(state)


def test_bad_arguments():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="eta must be >= 0"):
        schedopt_torch.ScheduleLR(opt, [0.1, -1.0])
    with pytest.raises(ValueError, match="after must be"):
        schedopt_torch.ScheduleLR(opt, [0.1], after="cycle")
    with pytest.raises(TypeError, match="torch.optim.Optimizer"):
        schedopt_torch.GradNormRecorder(object())


def test_grad_norm_recorder_matches_clip_grad_norm_and_round_trips(tmp_path):
    model, x, y = _model_and_data()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    sched = schedopt_torch.ScheduleLR(opt, np.full(10, 0.01), absolute=True)
    recorder = schedopt_torch.GradNormRecorder(opt)
    expected = []
    for _ in range(10):
        opt.zero_grad()
        torch.mean((model(x) - y) ** 2).backward()
        flat = np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])
        expected.append(float(np.sqrt(np.sum(flat ** 2))))
        opt.step()
        sched.step()
    np.testing.assert_allclose(recorder.grad_norms, expected, rtol=1e-14)
    log = recorder.log()
    np.testing.assert_array_equal(log.step, np.arange(1.0, 11.0))
    recorder.save(tmp_path / "norms.csv")
    np.testing.assert_array_equal(read_grad_norms(tmp_path / "norms.csv").grad_norm,
                                  recorder.grad_norms)
    again = schedopt_torch.GradNormRecorder(opt)
    again.load_state_dict(recorder.state_dict())
    np.testing.assert_array_equal(again.grad_norms, recorder.grad_norms)
    recorder.remove()
    again.remove()
    opt.step()
    assert len(recorder) == 10


def test_groups_keep_their_ratio_by_default():
    """Two groups at 1e-3 and 1e-2: each is its initial_lr × the schedule's shape."""
    from schedopt.solvers import applied_schedule

    result = applied_schedule(50, warmup=5)
    shape = result.eta / result.eta.max()
    a = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    b = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = torch.optim.SGD([{"params": [a], "lr": 1e-3}, {"params": [b], "lr": 1e-2}])
    sched = schedopt_torch.ScheduleLR(opt, result)
    seen = []
    for _ in range(50):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    seen = np.array(seen)
    np.testing.assert_allclose(seen[:, 0], 1e-3 * shape, rtol=1e-15)
    np.testing.assert_allclose(seen[:, 1], 1e-2 * shape, rtol=1e-15)
    np.testing.assert_allclose(seen[:, 1] / seen[:, 0], 10.0, rtol=1e-12)
    assert seen[:, 0].max() == 1e-3 and seen[:, 1].max() == 1e-2
    # the absolute form sets both to η itself
    opt2 = torch.optim.SGD([{"params": [a], "lr": 1e-3}, {"params": [b], "lr": 1e-2}])
    schedopt_torch.ScheduleLR(opt2, result, absolute=True)
    assert [g["lr"] for g in opt2.param_groups] == [result.eta[0]] * 2


def test_a_zero_lr_optimizer_is_refused_with_the_fix():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.0)
    with pytest.raises(ValueError, match="lr = your peak learning rate.*absolute=True"):
        schedopt_torch.ScheduleLR(opt, [0.3, 0.2])


def test_results_and_the_one_line_scheduler():
    from schedopt.solvers import applied_schedule

    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    full = optimal_schedule(30)
    opt = torch.optim.SGD([p], lr=1.0)
    with pytest.warns(UserWarning, match="never applied"):
        sched = schedopt_torch.ScheduleLR(opt, full, absolute=True)
    assert sched.steps == 29
    factor = schedopt_torch.schedule_lambda(applied_schedule(30))
    assert factor(0) == applied_schedule(30).eta[0]
    opt = torch.optim.SGD([p], lr=0.0)
    sched = schedopt_torch.optimal_scheduler(opt, 200, peak_lr=0.1, warmup_steps=10)
    want = applied_schedule(200, warmup=10, peak_lr=0.1).eta
    seen = []
    for _ in range(200):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == want.tolist() and max(seen) == 0.1
