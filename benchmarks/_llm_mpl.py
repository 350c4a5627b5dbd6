"""Luo et al.'s 25M-parameter runs (benchmarks/data/mpl-25m/, MIT licence, see its README.md) as
calibration runs, and the paper's split: fit on three curves, predict every logged point of six.

The applied rates are the logged ``lr`` column (one row about every 128 steps from the end of
warm-up), linearly interpolated between logged steps, after the linear warm-up from 0 to the
first logged rate over the first 2160 steps that the README states. A rate that drops by more
than half between two logged steps (the one-step decay of the ``wsdcon_K`` runs) is held until
the step before the later row, not interpolated. Each run ends at its last logged step.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "mpl-25m"
WARMUP = 2160
TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
TEST = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3",
        "wsdcon_18")


def rates(steps, lr):
    """The rate of every update 1..steps[-1] from the logged (step, lr) rows."""
    steps, lr = np.asarray(steps, np.int64), np.asarray(lr, np.float64)
    knots_s, knots_v = [0], [0.0]
    if steps[0] > WARMUP:
        knots_s.append(WARMUP), knots_v.append(float(lr[0]))
    for i, (s, v) in enumerate(zip(steps, lr)):
        if i and v < 0.5 * lr[i - 1] and s - 1 > steps[i - 1]:
            knots_s.append(int(s) - 1), knots_v.append(float(lr[i - 1]))
        knots_s.append(int(s)), knots_v.append(float(v))
    return np.interp(np.arange(1, steps[-1] + 1), knots_s, knots_v)


def load(data=DATA):
    """{name: calibration run (name, lr, steps, loss)} for every curve of the folder."""
    out = {}
    for path in sorted(Path(data).glob("*.csv")):
        with open(path, newline="") as f:
            rows = [(int(r["step"]), float(r["lr"]), float(r["loss"])) for r in csv.DictReader(f)]
        steps, lr, loss = map(np.array, zip(*sorted(rows)))
        out[path.stem] = {"name": path.stem, "lr": rates(steps, lr), "steps": steps,
                          "loss": loss}
    return out
