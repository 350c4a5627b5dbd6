"""The calibrated model used for the peak LR only: a practitioner's family at the model's peak.

``closed_loop.py`` trains the schedule that ``schedopt plan`` prints, the model's optimum. A
practitioner who keeps a family they trust (WSD, cosine, linear decay) asks the model for
its peak LR instead: ``LossModel.best_peak_lr(shape, T)``. This script takes a finished
closed-loop result (its JSON in ``benchmarks/results/``), rebuilds its pilot runs as the same
tracker CSVs from the logged curves (the rates are the pilots' WSD schedules, rebuilt exactly),
runs ``schedopt calibrate`` and ``schedopt plan`` again through the command line and checks
that the plan is the one of the result (the model is a deterministic function of the pilot
files), then for each family asks the model for its peak at T and trains it with K seeds.
Seed 0 of each family at the grid's best peak is trained again as a check that training
reproduces the result's grid (same code, same seeds: the same final loss to rounding).

The table sets each family at the model's peak beside the same family tuned on the grid (its
mean ± std over the K seeds, from the result) and the pooled standard deviation of the two.

Usage: ``python benchmarks/closed_loop_peak.py --result benchmarks/results/closed_loop_adamw.json
[--families wsd,cosine,linear] [--out DIR]``; writes ``results/closed_loop_peak_<name>.{json,md}``
(``<name>``: the result's file name after ``closed_loop_``; a ``--quick`` run's
``result.json`` gets its table beside it, ``closed_loop_peak.{json,md}``).
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


def rebuild_pilots(result, folder: pathlib.Path, T: int, eval_every: int) -> None:
    """The pilot CSVs of ``closed_loop.pilots``, from the logged curves and the rebuilt rates."""
    folder.mkdir(parents=True, exist_ok=True)
    horizons = sorted({r["steps"] for r in result["pilots"]})
    W = min(cl.warmup_steps(T), min(horizons) // 2)
    for r in result["pilots"]:
        lr = cl.baseline("wsd", r["steps"], r["peak_lr"], W)
        curve = np.asarray(r["curve"], np.float64)
        cl.write_run_csv(folder / f"{r['name']}.csv", lr,
                         eval_every * np.arange(1, curve.size + 1), curve)


def run(result_path: pathlib.Path, families, out: pathlib.Path) -> dict:
    from schedopt.calibration import load_model

    t_start = time.perf_counter()
    result_path = result_path.resolve()
    result = json.loads(result_path.read_text())
    T, K, optimizer = result["steps"], result["seeds"], result["optimizer"]
    mode = cl.QUICK if result["quick"] else cl.FULL
    cfg, eval_every = mode["cfg"], mode["eval_every"]
    if {**vars(cfg), "eval_every": eval_every} != {
            k: v for k, v in result["model"].items() if k != "parameters"}:
        raise ValueError(f"{result_path} was not run with closed_loop.py's current model")
    out.mkdir(parents=True, exist_ok=True)
    rebuild_pilots(result, out / "pilots", T, eval_every)
    plan_lr, plan = cl.calibrate_and_plan(out / "pilots", T, out)
    reproduced = {"plan_peak_lr": plan["peak_lr"], "result_plan_peak_lr": result["plan"]["peak_lr"],
                  "predicted_loss": plan["predicted_loss"],
                  "result_predicted_loss": result["plan"]["predicted_loss"]}
    model = load_model(out / "model.json")

    grid = result["grid"]
    asks, jobs = {}, []
    for f in families:
        decision = model.best_peak_lr(lambda steps, f=f: cl.baseline(f, steps, 1.0), T)
        asks[f] = {"peak_lr": decision.peak_lr, "predicted_loss": decision.loss,
                   "interval": list(decision.interval) if decision.interval else None,
                   "warnings": list(decision.warnings)}
        jobs += [(f, "model_peak", s, cl.baseline(f, T, decision.peak_lr)) for s in range(K)]
        best = grid[int(np.argmin(result["grid_final"][cl.FAMILIES.index(f)]))]
        jobs.append((f, "grid_best_check", 0, cl.baseline(f, T, best)))
    train_bytes, val = _lm.load_corpus(cl.ROOT / result["corpus"])
    train = _lm.make_trainer(cfg, optimizer, train_bytes, val, eval_every)
    t0 = time.perf_counter()
    loss = train(np.array([s for _, _, s, _ in jobs]), np.stack([lr for *_, lr in jobs]))
    train_s = time.perf_counter() - t0
    final = cl.finals(loss)

    rows = {}
    for f in families:
        mine = [v for (g, kind, _, _), v in zip(jobs, final) if g == f and kind == "model_peak"]
        check = [v for (g, kind, _, _), v in zip(jobs, final)
                 if g == f and kind == "grid_best_check"][0]
        tuned = result["methods"][f]
        ours = cl.stats(mine)
        pooled = _lm_report.pooled_std(ours, tuned)
        rows[f] = {**asks[f], "observed": ours, "tuned": {k: tuned[k] for k in
                                                           ("mean", "std", "peak_lr", "values")},
                   "difference": ours["mean"] - tuned["mean"], "pooled_std": pooled,
                   "within_one_pooled_std": bool(ours["mean"] - tuned["mean"] <= pooled),
                   "peak_ratio": asks[f]["peak_lr"] / tuned["peak_lr"],
                   "prediction_error": asks[f]["predicted_loss"] / ours["mean"] - 1,
                   "inside_interval": bool(_lm_report.inside(asks[f]["interval"], ours["mean"])),
                   "grid_best_seed0_rerun": float(check),
                   "grid_best_seed0_result": float(tuned["values"][0])}
    shown = result_path.relative_to(cl.ROOT) if result_path.is_relative_to(cl.ROOT) else result_path
    return {"result": str(shown), "optimizer": optimizer, "steps": T,
            "seeds": K, "reproduced_plan": reproduced, "families": rows, "train_s": train_s,
            "total_s": time.perf_counter() - t_start, "load_end": os.getloadavg()}


def markdown(summary: dict) -> str:
    lines = [f"### The model's peak for a chosen family: {summary['optimizer']}, T = "
             f"{summary['steps']}, K = {summary['seeds']} (from `{summary['result']}`)", "",
             "| family | model's peak (grid best, ratio) | predicted (90% interval) | observed "
             "mean ± std | tuned on the grid | difference / pooled std | error |",
             "|---|---|---|---|---|---|---|"]
    for f, r in summary["families"].items():
        iv = r["interval"]
        lines.append(
            f"| {f} | {r['peak_lr']:.4g} ({r['tuned']['peak_lr']:g}, ×{r['peak_ratio']:.2f}) | "
            f"{r['predicted_loss']:.4f} ({iv[0]:.4f}..{iv[1]:.4f}) | {r['observed']['mean']:.4f} ± "
            f"{r['observed']['std']:.4f} | {r['tuned']['mean']:.4f} ± {r['tuned']['std']:.4f} | "
            f"{r['difference']:+.4f} / {r['pooled_std']:.4f} "
            f"({'within' if r['within_one_pooled_std'] else 'not within'} one) | "
            f"{100 * r['prediction_error']:+.2f}% "
            f"({'inside' if r['inside_interval'] else 'outside'}) |")
    rp = summary["reproduced_plan"]
    lines += ["", f"- Plan reproduced from the rebuilt pilot files: peak {rp['plan_peak_lr']:.6g} "
              f"against the result's {rp['result_plan_peak_lr']:.6g}; predicted "
              f"{rp['predicted_loss']} against {rp['result_predicted_loss']}."]
    for f, r in summary["families"].items():
        lines.append(f"- Training check, {f} at the grid's best peak, seed 0: "
                     f"{r['grid_best_seed0_rerun']:.6f} now, {r['grid_best_seed0_result']:.6f} "
                     f"in the result.")
        lines += [f"- {f}: warning: {w}" for w in r["warnings"]]
    lines.append(f"- Training {summary['train_s']:.0f} s, whole script {summary['total_s']:.0f} s.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--result", required=True, type=pathlib.Path,
                   help="a closed_loop.py result JSON (benchmarks/results/closed_loop_*.json)")
    p.add_argument("--families", default="wsd", help="comma-separated, of cosine, wsd, linear")
    p.add_argument("--out", default=None, type=pathlib.Path, metavar="DIR",
                   help="the rebuilt pilots and CLI outputs (default /tmp/closed_loop_peak)")
    a = p.parse_args(argv)
    families = [f.strip() for f in a.families.split(",") if f.strip()]
    bad = [f for f in families if f not in cl.FAMILIES]
    if bad or not families:
        print(f"closed_loop_peak.py: --families must name some of {', '.join(cl.FAMILIES)}, "
              f"got {a.families!r}", file=sys.stderr)
        return 2
    if not a.result.is_file():
        print(f"closed_loop_peak.py: --result {a.result} is not a file", file=sys.stderr)
        return 2
    try:
        summary = run(a.result, families, a.out or pathlib.Path("/tmp/closed_loop_peak"))
    except ValueError as err:
        print(f"closed_loop_peak.py: {err}", file=sys.stderr)
        return 2
    print(write_tables(a.result, "closed_loop_peak", summary, markdown(summary)))
    return 0


def write_tables(result: pathlib.Path, kind: str, summary: dict, text: str) -> str:
    """``summary`` as JSON and ``text`` as Markdown, each written atomically, to
    ``results/<kind>_<name>.{json,md}`` (``<name>``: the result's file name after
    ``closed_loop_``) or, for a ``--quick`` run's ``result.json``, beside it as
    ``<kind>.{json,md}``; returns ``text``."""
    name = result.stem.removeprefix("closed_loop_")
    if name == "result":                    # a --quick result: its table stays beside it
        target = result.resolve().parent / kind
    else:
        target = HERE / "results" / f"{kind}_{name}"
    for suffix, content in ((".json", json.dumps(summary, indent=1) + "\n"), (".md", text)):
        tmp = target.with_name(target.name + suffix + ".tmp")
        tmp.write_text(content)
        tmp.replace(target.with_name(target.name + suffix))
    return text


if __name__ == "__main__":
    sys.exit(main())
