"""The plan's shape tuned on the grid: how close any calibration of the bound form can come.

For every calibrated bound model, ``best_schedule`` returns the bound (C) optimum's shape scaled
to a peak (with fitted powers p, q the (C) shape is scale-free and the model's stationary
point is that shape at the best peak; ``LossModel.best_schedule``): a calibration chooses only
the peak. So the planned shape at the best peak the grid finds for it bounds what any bound-form
calibration can reach on a task. This script takes a finished closed-loop result, rebuilds its
pilot files and its plan through the command line (as ``closed_loop_peak.py`` does), trains the
planned shape scaled to every peak of the result's grid (seed 0), then K seeds at the best of
them, and sets that beside the best tuned baseline of the result.

Usage: ``python benchmarks/closed_loop_shape.py --result benchmarks/results/closed_loop_adamw.json
[--out DIR]``; writes ``results/closed_loop_shape_<name>.{json,md}`` (a ``--quick`` run's
``result.json`` gets its table beside it, ``closed_loop_shape.{json,md}``).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _lm  # noqa: E402
import _lm_report  # noqa: E402
import closed_loop as cl  # noqa: E402
import closed_loop_peak  # noqa: E402


def run(result_path: pathlib.Path, out: pathlib.Path) -> dict:
    t_start = time.perf_counter()
    result = json.loads(result_path.read_text())
    T, K, optimizer = result["steps"], result["seeds"], result["optimizer"]
    mode = cl.QUICK if result["quick"] else cl.FULL
    cfg, eval_every = mode["cfg"], mode["eval_every"]
    out.mkdir(parents=True, exist_ok=True)
    closed_loop_peak.rebuild_pilots(result, out / "pilots", T, eval_every)
    plan_lr, plan = cl.calibrate_and_plan(out / "pilots", T, out)
    shape = plan_lr / plan_lr.max()
    grid = [float(g) for g in result["grid"]]
    train_bytes, val = _lm.load_corpus(cl.ROOT / result["corpus"])
    train = _lm.make_trainer(cfg, optimizer, train_bytes, val, eval_every)
    t0 = time.perf_counter()
    on_grid = cl.finals(train(np.zeros(len(grid), int), np.stack([g * shape for g in grid])))
    best = int(np.argmin(on_grid))
    seeds = (cl.finals(train(np.arange(1, K), np.stack([grid[best] * shape] * (K - 1))))
             if K > 1 else [])
    train_s = time.perf_counter() - t0
    ours = cl.stats([on_grid[best], *seeds])
    name = result["acceptance"]["best_baseline"]
    tuned = result["methods"][name]
    pooled = _lm_report.pooled_std(ours, tuned)
    planned = result["methods"]["planned"]
    return {"result": str(result_path.relative_to(cl.ROOT) if result_path.is_relative_to(cl.ROOT)
                          else result_path),
            "optimizer": optimizer, "steps": T, "seeds": K,
            "plan_peak_lr": float(plan_lr.max()), "result_plan_peak_lr": result["plan"]["peak_lr"],
            "grid": grid, "shape_on_grid_seed0": [float(v) for v in on_grid],
            "best_peak_lr": grid[best], "shape_at_best": ours,
            "planned": {k: planned[k] for k in ("mean", "std", "peak_lr")},
            "best_baseline": name, "tuned": {k: tuned[k] for k in ("mean", "std", "peak_lr")},
            "difference": ours["mean"] - tuned["mean"], "pooled_std": pooled,
            "within_one_pooled_std": bool(ours["mean"] - tuned["mean"] <= pooled),
            "train_s": train_s, "total_s": time.perf_counter() - t_start,
            "load_end": os.getloadavg()}


def markdown(s: dict) -> str:
    o, t, p = s["shape_at_best"], s["tuned"], s["planned"]
    cells = " | ".join(f"{v:.4f}" for v in s["shape_on_grid_seed0"])
    return "\n".join([
        f"### The plan's shape tuned on the grid: {s['optimizer']}, T = {s['steps']}, "
        f"K = {s['seeds']} (from `{s['result']}`)", "",
        "| peak LR | " + " | ".join(f"{g:g}" for g in s["grid"]) + " |",
        "|---|" + "---|" * len(s["grid"]),
        f"| planned shape, seed 0 | {cells} |", "",
        "| method | peak LR | final val loss, mean ± std |", "|---|---|---|",
        f"| planned (the model's peak) | {p['peak_lr']:.4g} | {p['mean']:.4f} ± {p['std']:.4f} |",
        f"| planned shape at the grid's best peak | {s['best_peak_lr']:g} | {o['mean']:.4f} ± "
        f"{o['std']:.4f} |",
        f"| {s['best_baseline']}, tuned (best baseline) | {t['peak_lr']:g} | {t['mean']:.4f} ± "
        f"{t['std']:.4f} |", "",
        f"- Planned shape at its best grid peak against {s['best_baseline']}: "
        f"{s['difference']:+.4f} nats, pooled std {s['pooled_std']:.4f} "
        f"({'within' if s['within_one_pooled_std'] else 'not within'} one pooled std). A "
        "bound-form calibration chooses only the peak of this shape; between the grid's peaks "
        "it can do a little better than the grid's best (the planned row is such a peak).",
        f"- Plan reproduced: peak {s['plan_peak_lr']:.6g} (result {s['result_plan_peak_lr']:.6g}).",
        f"- Training {s['train_s']:.0f} s, whole script {s['total_s']:.0f} s.", ""])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--result", required=True, type=pathlib.Path,
                   help="a closed_loop.py result JSON (benchmarks/results/closed_loop_*.json)")
    p.add_argument("--out", default=pathlib.Path("/tmp/closed_loop_shape"), type=pathlib.Path,
                   metavar="DIR", help="the rebuilt pilots and CLI outputs")
    a = p.parse_args(argv)
    if not a.result.is_file():
        print(f"closed_loop_shape.py: --result {a.result} is not a file", file=sys.stderr)
        return 2
    summary = run(a.result.resolve(), a.out)
    print(closed_loop_peak.write_tables(a.result, "closed_loop_shape", summary,
                                        markdown(summary)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
