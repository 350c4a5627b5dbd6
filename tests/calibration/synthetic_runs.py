"""Small synthetic runs generated from a known loss model (WSD schedules, a few hundred steps)."""

import numpy as np
import schedopt
from schedopt.calibration import LossModel

TRUE = {"L_inf": 2.0, "log_A": np.log(3.0), "log_B": np.log(0.4), "log_p": np.log(0.6),
        "log_q": np.log(0.8)}


def wsd(steps, peak, cooldown):
    return peak * schedopt.warmup_stable_decay(steps, warmup_fraction=0.05,
                                               decay_fraction=cooldown)


def synthetic_runs(params=TRUE, noise=0.0, seed=0):
    """Runs at 200 and 400 steps, three cool-downs, two peaks (peak 1 = the LR scale)."""
    truth = LossModel(form="bound", params=dict(params), lr_scale=1.0)
    rng = np.random.default_rng(seed)
    runs = []
    for T in (200, 400):
        for cd in (0.2, 0.5, 0.8):
            for peak in (0.5, 1.0):
                lr = wsd(T, peak, cd)
                steps = np.r_[np.arange(T // 10, T, T // 10), T]
                loss = truth.predict(lr, steps=steps) * np.exp(noise * rng.standard_normal(steps.size))
                runs.append({"name": f"T{T}-cd{cd}-lr{peak}", "lr": lr,
                             "steps": rng.permutation(steps), "loss": None})
                runs[-1]["loss"] = truth.predict(lr, steps=runs[-1]["steps"]) * \
                    np.exp(noise * rng.standard_normal(steps.size))
    return truth, runs

