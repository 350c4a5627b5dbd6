"""The pooled Multi-Power Law against its own formula summed over every step (Luo et al. 2025,
eq. 1), at every step of schedules much longer than the number of pooled groups."""

import numpy as np
import pytest

from schedopt.calibration import LossModel
from schedopt.calibration import _forms

PARAMS = {"L0": 2.0, "log_A": np.log(0.8), "log_alpha": np.log(0.5), "log_B": np.log(400.0),
          "log_C": np.log(2.0), "log_beta": np.log(0.6), "log_gamma": np.log(0.6)}


def multi_power_every_step(params, lr, steps):
    """L(t) = L0 + A·P_t^{−α} − B Σ_{peak<k<t} (η_{k−1} − η_k)(1 − (C η_k^{−γ} η_{k:t} + 1)^{−β}),
    with η_k^{−γ} taken at max(η_k, 1e-12) as the law's code does."""
    L0 = params["L0"]
    A, alpha, B, C, beta, gamma = (np.exp(params[k]) for k in
                                   ("log_A", "log_alpha", "log_B", "log_C", "log_beta",
                                    "log_gamma"))
    peak = int(np.argmax(lr))
    out = []
    for t in steps:
        k = np.arange(peak + 1, t)
        tail = np.cumsum(lr[:t][::-1])[::-1]                # η_{k:t}, each a sum of rates
        x = C * np.maximum(lr[k], 1e-12) ** -gamma * tail[k]
        decay = (lr[k - 1] - lr[k]) * (1 - (x + 1) ** -beta)
        out.append(L0 + A * tail[0] ** -alpha - B * np.sum(decay))
    return np.array(out)


def _schedules(T=6000, warmup=200):
    t = np.arange(T)
    ramp = np.minimum(1.0, (t + 1) / warmup)
    drop = np.where(t < 4000, 1e-3, 2e-4)                                 # one step down
    cool = np.where(t < 4800, 1e-3, 1e-3 * (T - t) / (T - 4800))          # WSD, linear
    cosine = 1e-4 + 0.5 * 9e-4 * (1 + np.cos(np.pi * np.clip(t - warmup, 0, None) /
                                             (T - warmup)))
    rewarm = np.where((t > 3000) & (t < 3500), 5e-4, 1e-3)                # down, then up again
    return {"drop": drop * ramp, "wsd": np.maximum(cool, 1e-6) * ramp, "cosine": cosine * ramp,
            "rewarm": rewarm * ramp}


@pytest.mark.parametrize("name", ["drop", "wsd", "cosine", "rewarm"])
def test_pooled_multi_power_law_matches_the_sum_over_every_step(name):
    lr = _schedules()[name]
    assert lr.size > 20 * _forms._POOL
    steps = np.unique(np.concatenate([np.arange(1, lr.size + 1, 97), np.arange(3990, 4060),
                                      np.arange(4790, 4830), [lr.size]]))
    model = LossModel(form="multi_power", params=PARAMS, lr_scale=1.0)
    exact = multi_power_every_step(PARAMS, lr, steps)
    assert np.ptp(exact) > 0.1                         # the decay term matters here
    # Inside a group, right after a drop, the prediction already carries the drop. Measured:
    # at most 1.3e-4 (wsd) here; the groups counted from their last step only were 5.3e-4
    # (cosine) to 5e-2 (drop) off.
    np.testing.assert_allclose(model.predict(lr, steps=steps), exact, rtol=2.5e-4)


def test_one_step_drop_is_exact_at_every_step_after_it():
    lr = _schedules()["drop"]
    steps = np.arange(3995, 4100)
    model = LossModel(form="multi_power", params=PARAMS, lr_scale=1.0)
    np.testing.assert_allclose(model.predict(lr, steps=steps),
                               multi_power_every_step(PARAMS, lr, steps), rtol=1e-12)


def test_a_schedule_that_ends_at_zero_keeps_its_last_drops_exact():
    # With gamma = 5 the floor's η^{−γ} is 1e60: a tail of rounding noise instead of 0 would
    # turn the drops to 0 into a full reward (numpy's sequential cumsum keeps P_t − P_{k−1}
    # exactly 0 over zero rates; a tree-ordered sum, as jnp.cumsum's, does not: _mpl_plan).
    params = dict(PARAMS, log_gamma=np.log(5.0))
    lr = np.concatenate([np.full(2000, 1e-3), np.linspace(1e-3, 0, 1000), np.zeros(500)])
    model = LossModel(form="multi_power", params=params, lr_scale=1.0)
    steps = np.array([2500, 2999, 3000, 3200, 3500])
    np.testing.assert_allclose(model.predict(lr, steps=steps),
                               multi_power_every_step(params, lr, steps), rtol=2.5e-4)
