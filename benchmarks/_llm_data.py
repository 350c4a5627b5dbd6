"""The 64 real runs of benchmarks/data/llm-runs/ as calibration runs (see its README.md).

The applied rates are rebuilt from each run's WSD parameters and checked against every
logged rate: warm-up from 1% of the peak to the peak over 300 steps, constant, then the
cool-down (linear: peak·(1 − u), sqrt: peak·(1 − √u), u the cool-down's elapsed fraction)
reaching 0 at the last step. Observed points: the validation curve (every 200 steps) and the
final validation loss at the last step; the validation loss at step 0 (before any update)
is left out, and a step logged twice (a restarted run) keeps the mean of its losses.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "llm-runs"


def wsd_rates(steps, peak_lr, cooldown_fraction, decay, warmup=300):
    t = np.arange(1, steps + 1, dtype=np.float64)
    lr = np.full(steps, peak_lr)
    w = t <= warmup
    lr[w] = peak_lr * (0.01 + 0.99 * t[w] / warmup)
    start = steps - round(cooldown_fraction * steps)
    c = t > start
    u = (t[c] - start) / (steps - start)
    lr[c] = peak_lr * (1 - (np.sqrt(u) if decay == "sqrt" else u))
    return lr


def load(data=DATA):
    """One dict per run: the calibration run (name, lr, steps, loss, grad_norm) and its grid
    coordinates (decay, cooldown, peak_lr, horizon, final)."""
    out = []
    with open(Path(data) / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        T = int(r["steps"])
        lr = wsd_rates(T, float(r["peak_lr"]), float(r["cooldown_fraction"]), r["decay"],
                       int(r["warmup_steps"]))
        with open(Path(data) / "curves" / (r["run"] + ".csv"), newline="") as f:
            curve = list(csv.DictReader(f))
        train = [c for c in curve if c["kind"] == "train"]
        s_lr = np.array([int(c["step"]) for c in train])
        v_lr = np.array([float(c["lr"]) for c in train])
        ok = (s_lr >= 1) & (s_lr <= T)
        err = np.max(np.abs(lr[s_lr[ok] - 1] - v_lr[ok])) / float(r["peak_lr"])
        if err > 1e-9:
            raise RuntimeError(f"{r['run']}: rebuilt WSD rates differ from the log by {err:.2e}")
        g = [(int(c["step"]), float(c["grad_norm"])) for c in train if c["grad_norm"]]
        grad = None
        if len(g) >= 2:
            gs, gv = map(np.array, zip(*sorted(g)))
            grad = np.interp(np.arange(1, T + 1), gs, gv)
        val = [(int(c["step"]), float(c["loss"])) for c in curve if c["kind"] == "val"]
        val = [(s, v) for s, v in val if 1 <= s < T] + [(T, float(r["final_val_loss"]))]
        merged = {}
        for s, v in val:
            merged.setdefault(s, []).append(v)
        steps = np.array(sorted(merged))
        loss = np.array([np.mean(merged[s]) for s in steps])
        out.append({"run": {"name": r["run"], "lr": lr, "steps": steps, "loss": loss,
                            "grad_norm": grad},
                    "decay": r["decay"], "cooldown": float(r["cooldown_fraction"]),
                    "peak_lr": float(r["peak_lr"]), "horizon": T,
                    "final": float(r["final_val_loss"])})
    return out


def export_csv(path, data=None, stride=50):
    """The runs as one tracker-style CSV (run, step, lr, loss): the rate every ``stride``
    steps and at the schedule's corners (so linear interpolation rebuilds the linear pieces
    exactly), the loss where one was observed; for ``schedopt calibrate``."""
    data = load() if data is None else data
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "step", "lr", "loss"])
        for d in data:
            r, T = d["run"], d["horizon"]
            corners = {1, 300, T - round(d["cooldown"] * T), T}
            steps = sorted(corners | set(range(stride, T + 1, stride)) | set(r["steps"].tolist()))
            loss = dict(zip(r["steps"].tolist(), r["loss"].tolist()))
            short = f"{d['decay']}-cd{d['cooldown']:g}-lr{d['peak_lr']:g}-T{T}"
            for s in steps:
                w.writerow([short, s, repr(float(r["lr"][s - 1])),
                            repr(loss[s]) if s in loss else ""])
    return path
