"""``best_schedule`` of the Multi-Power Law, checked with the law summed over every step
(``test_forms.multi_power_every_step``, an independent numpy formula)."""

import dataclasses
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from schedopt.calibration import LossModel
from schedopt.calibration import _guards
from schedopt.calibration import _mpl_plan

from test_forms import PARAMS, multi_power_every_step

N, W, PEAK = 3000, 100, 1e-3
MODEL = LossModel(form="multi_power", params=PARAMS, lr_scale=1.0)


def _final(lr):
    return float(multi_power_every_step(PARAMS, np.asarray(lr), [lr.size])[0])


def _families(peak):
    ramp = np.arange(1, W + 1) / (W + 1) * peak
    j = np.arange(N - W)
    M = N - W
    shapes = {"constant": np.ones(M), "linear": (M - j) / M,
              "cosine to 10%": 0.1 + 0.45 * (1 + np.cos(np.pi * j / M)),
              "wsd 20%": np.minimum(1.0, (M - j) / (0.2 * M)),
              "wsd 10%": np.minimum(1.0, (M - j) / (0.1 * M)),
              "step down at 80%": np.where(j < 0.8 * M, 1.0, 0.1)}
    return {k: np.concatenate([ramp, peak * v]) for k, v in shapes.items()}


@pytest.fixture(scope="module")
def plan():
    return MODEL.best_schedule(N, warmup=W, max_lr=PEAK)


def test_final_loss_is_the_law_summed_over_every_step():
    rng = np.random.default_rng(3)
    ends_at_zero = np.concatenate([np.full(300, 1e-3), np.zeros(50)])
    for lr in [*_families(PEAK).values(), rng.uniform(0, 1e-3, 500), ends_at_zero]:
        with jax.enable_x64(True):
            ours = float(_mpl_plan.final_loss(MODEL._theta(), jnp.asarray(lr)))
        assert ours == pytest.approx(_final(lr), rel=1e-12)


def test_plan_beats_every_family_at_its_peak(plan):
    ours = _final(plan.lr)
    for name, lr in _families(PEAK).items():
        assert ours <= _final(lr) + 1e-12, name
    # The law rewards a late, quick decay: the plan is not one of the starting shapes.
    assert ours < _final(_families(PEAK)["wsd 20%"]) - 1e-4


def test_plan_keeps_the_peak_the_ramp_and_never_increases(plan):
    lr = plan.lr
    assert lr.shape == (N,) and plan.peak_lr == pytest.approx(PEAK, rel=1e-15)
    np.testing.assert_allclose(lr[:W], np.arange(1, W + 1) / (W + 1) * PEAK, rtol=1e-15)
    assert lr[W] == pytest.approx(PEAK, rel=1e-15)
    assert np.all(np.diff(lr[W:]) <= 0) and lr.min() >= 0
    assert plan.loss == pytest.approx(_final(lr), rel=2.5e-4)     # predict() pools the steps
    assert "no certificate" in plan.message and "max_lr" in plan.message


def test_peak_comes_from_the_best_pilot_and_is_capped_by_a_diverged_one():
    quality = {"best_pilot": {"name": "p", "peak_lr": 5e-4, "updates": 1000, "loss": 3.0}}
    model = dataclasses.replace(MODEL, quality=quality)
    assert model.best_schedule(500, warmup=10).peak_lr == pytest.approx(5e-4)
    capped = dataclasses.replace(model, diverged_peak_lr=2e-4)
    decision = capped.best_schedule(500, max_lr=1e-3)
    assert decision.peak_lr == pytest.approx(2e-4) and "diverged" in decision.message


def test_without_a_pilot_or_max_lr_it_says_what_to_give():
    with pytest.raises(ValueError, match="cannot choose a peak LR.*calibrate again.*max_lr"):
        MODEL.best_schedule(500)
    older = dataclasses.replace(MODEL, pilot_peak_lrs=(1e-4, 1e-3))     # no best pilot saved
    with pytest.raises(ValueError, match="calibrate again"):
        older.best_schedule(500)
    same = dataclasses.replace(MODEL, pilot_peak_lrs=(4e-4, 4e-4))
    assert same.best_schedule(500).peak_lr == pytest.approx(4e-4)


def test_max_lr_caps_the_best_pilots_peak_and_never_raises_it():
    quality = {"best_pilot": {"name": "p", "peak_lr": 5e-4, "updates": 1000, "loss": 3.0}}
    model = dataclasses.replace(MODEL, quality=quality)
    assert model.best_schedule(500, max_lr=1.0).peak_lr == pytest.approx(5e-4)
    assert model.best_schedule(500, max_lr=3e-4).peak_lr == pytest.approx(3e-4)


def test_gamma_of_one_or_more_is_refused():
    # There a last rate -> 0 earns its whole drop: no best schedule exists.
    steep = dict(PARAMS, log_gamma=np.log(2.0))
    last = [float(multi_power_every_step(steep, np.append(np.full(999, PEAK), PEAK * e),
                                         [1000])[0]) for e in (1e-2, 1e-4, 1e-6, 1e-8)]
    assert np.all(np.diff(last) < 0)                  # ever lower as the last rate -> 0
    model = LossModel(form="multi_power", params=steep, lr_scale=1.0)
    with pytest.raises(ValueError, match="gamma = 2 >= 1.*bound form"):
        model.best_schedule(500, max_lr=PEAK)
    # and the fit is flagged, so form="auto" passes over it (its refit counts as degenerate)
    assert any("gamma = 2 is >= 1" in f for f in _guards.flags(model, []))
    assert not any("gamma" in f for f in _guards.flags(MODEL, []))


def test_best_peak_lr_is_refused_for_a_law_that_cannot_choose_a_peak():
    with pytest.raises(ValueError, match="cannot choose a peak LR"):
        MODEL.best_peak_lr(np.ones(100), 100)


def test_the_pieces_are_the_law_of_their_rates():
    rng = np.random.default_rng(5)
    values = np.sort(rng.uniform(0, 1e-3, 7))[::-1]
    values[-2:] = 0.0
    lengths = rng.integers(1, 40, 7)
    head = np.linspace(1e-5, 5e-4, 12)
    lr = np.concatenate([head, np.repeat(values, lengths)])
    with jax.enable_x64(True):
        pieces = float(_mpl_plan._pieces_loss(MODEL._theta(), jnp.asarray(values),
                                              jnp.asarray(lengths, float), head.sum()))
    assert pieces == pytest.approx(_final(lr), rel=1e-12)


def test_fixed_warmup_rates_are_kept_and_checked_against_the_peak():
    head = np.array([1e-4, 2e-4, 4e-4])
    lr = MODEL.best_schedule(400, warmup=head, max_lr=PEAK).lr
    np.testing.assert_array_equal(lr[:3], head)
    assert lr[3] == pytest.approx(PEAK)
    with pytest.raises(ValueError, match=r"exceed the peak 0\.001 .*\(max_lr"):
        MODEL.best_schedule(400, warmup=np.array([2e-3]), max_lr=PEAK)
    with pytest.raises(ValueError, match="1-D array"):
        MODEL.best_schedule(400, warmup=10.0, max_lr=PEAK)


def test_plan_on_the_command_line(tmp_path):
    quality = {"best_pilot": {"name": "p", "peak_lr": PEAK, "updates": N, "loss": 3.0}}
    path = dataclasses.replace(MODEL, quality=quality).save(tmp_path / "model.json")
    out = subprocess.run([sys.executable, "-m", "schedopt", "plan", "--model", str(path),
                          "--steps", "800", "--warmup", "40", "--out",
                          str(tmp_path / "plan.csv")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "peak LR 0.001" in out.stdout
    assert "how: the lowest final loss of the Multi-Power Law" in out.stdout
    assert "the peak of the best pilot 'p'" in out.stdout
    assert "error to expect: not cross-validated" in out.stdout
    assert (tmp_path / "plan.csv").is_file()


def test_a_plan_far_beyond_the_longest_pilot_says_so():
    quality = {"best_pilot": {"name": "p", "peak_lr": PEAK, "updates": 300, "loss": 3.0}}
    model = dataclasses.replace(MODEL, quality=quality)
    far = model.best_schedule(3100, warmup=W)
    assert any("3100 updates are 10 times the longest pilot's 300" in w for w in far.warnings)
    near = model.best_schedule(2900, warmup=W)
    assert not any("extrapolates" in w for w in near.warnings)
