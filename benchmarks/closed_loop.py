"""Follow the plan in a real training run (issue 18 §1–2): pilot runs → ``schedopt calibrate`` →
``schedopt plan`` → train the plan, against baselines tuned on a grid of peak LRs.

The task: a byte-level decoder-only transformer LM (``_lm``) on a shipped public-domain
corpus (``data/kjv/``, the King James Bible), AdamW (weight decay 0.1, β₂ 0.95, clipping
1.0) or SGD with momentum 0.9. The loss everywhere is the validation loss (nats per byte)
on a fixed held-out set.

* The user's way, through the command line and files: a few short pilot runs (WSD with the long
  run's warm-up of 5% of T in steps, as a practitioner keeps a fixed warm-up, then a 20% linear
  cool-down, at ``--pilot-fractions`` of T with ``--pilot-peaks``) written as
  tracker CSVs (step, lr, loss) → ``python -m schedopt calibrate pilots/ --out model.json``
  → ``python -m schedopt plan --model model.json --steps T --warmup W --out plan.csv`` (and
  ``plan.json`` for the predicted loss and its interval) → the rates read back with
  ``schedopt.load_schedule`` and trained with K seeds.
* The baselines, each with 5% linear warm-up: cosine to 10% of the peak, WSD with a 20% linear
  cool-down, linear decay to zero; every peak of ``--grid`` at the full horizon T (seed 0),
  then K seeds at each family's best peak. Plus the 1/√T rule: WSD at T with peak
  ``η_p·√(T_p/T)``, where (η_p, T_p) is the pilot with the lowest final loss among the
  longest pilots.

Seed s fixes the initial weights and the batch order for every method (common random
numbers). Writes per-run CSVs, the calibrate/plan outputs and ``result.json`` under
``--out``; the table (``closed_loop_<optimizer>.{md,json}``) into ``benchmarks/results/``
and the figure into ``benchmarks/figures/`` (with ``--quick``: all into ``--out``).

Run: ``python benchmarks/closed_loop.py --optimizer adamw --seeds 3 --out /tmp/cl_adamw``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _lm  # noqa: E402
import _lm_report  # noqa: E402

# Batch 8 and 64 validation windows (it was 4 and 32): at 4 the grid's finals were not even
# monotone in the peak, seed noise as large as the effect being measured.
FULL = dict(cfg=_lm.Config(d_model=128, layers=2, heads=4, context=128, batch=8, val_windows=64),
            steps=1000, eval_every=25)
QUICK = dict(cfg=_lm.Config(d_model=32, layers=1, heads=2, context=32, batch=4, val_windows=8),
             steps=200, eval_every=10)
# Grids ×2 apart from below the best peak of a 300-step probe (AdamW 1e-3, SGD 0.03; SGD at
# 1.0 diverged) to 32× it: AdamW's best sat at the top of 5e-4..8e-3 before, so that grid did
# not bracket its optimum. The pilots span the same range at ×√32 apart, as a user who knows
# only the range would guess before any tuning (they sat in its lower half before, so no model
# fitted to them could place an optimum above 6e-3).
GRIDS = {"adamw": (1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2),
         "sgd": (0.0125, 0.025, 0.05, 0.1, 0.2, 0.4)}
PILOT_PEAKS = {"adamw": (1e-3, 5.66e-3, 3.2e-2), "sgd": (0.0125, 0.0707, 0.4)}
FAMILIES = ("cosine", "wsd", "linear")
WARMUP = 0.05


# ---------------------------------------------------------------------------------------
# Schedules: the rate applied at steps t = 1..T
# ---------------------------------------------------------------------------------------

def warmup_steps(T: int) -> int:
    """The long run's linear warm-up: 5% of its horizon T, in steps."""
    return max(1, round(WARMUP * T))


def baseline(family: str, T: int, peak: float, warmup: int | None = None) -> np.ndarray:
    """A linear warm-up of ``warmup`` steps (default 5% of T), then cosine to 10% of the peak,
    WSD with a 20% linear cool-down to 0, or linear decay to 0 (the rate of step t decays with
    t − W over the T − W steps)."""
    t = np.arange(1, T + 1, dtype=np.float64)
    W = warmup_steps(T) if warmup is None else int(warmup)
    if not 1 <= W < T:
        raise ValueError(f"warm-up must be 1..{T - 1} steps for T = {T}, got {W}")
    warm = np.minimum(1.0, t / W)
    s = np.clip((t - W) / (T - W + 1), 0.0, 1.0)          # 0 at the peak, → 1 at step T + 1
    if family == "cosine":
        shape = 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * s))
    elif family == "linear":
        shape = 1.0 - s
    elif family == "wsd":
        C = round(0.2 * T)
        shape = np.clip((T + 1 - t) / C, 0.0, 1.0)
    else:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    return peak * np.where(t <= W, warm, shape)


# ---------------------------------------------------------------------------------------
# The user's way: files and the command line
# ---------------------------------------------------------------------------------------

def write_run_csv(path, lr, eval_steps, loss, extra=None):
    """A tracker-style CSV: one row per step (step, lr, loss), the loss only where logged."""
    logged = dict(zip((int(s) for s in eval_steps), loss))
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "lr", "loss"])
        for t in range(1, len(lr) + 1):
            w.writerow([t, repr(float(lr[t - 1])), repr(float(logged[t])) if t in logged else ""])


def schedopt_cli(args, log):
    """Run ``python -m schedopt ARGS`` as a user would; its output goes to ``log``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    cmd = [sys.executable, "-m", "schedopt", *map(str, args)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    pathlib.Path(log).write_text(f"$ schedopt {' '.join(map(str, args))}\n{done.stdout}{done.stderr}"
                                 f"exit {done.returncode}\n")
    if done.returncode != 0:
        raise RuntimeError(f"schedopt {args[0]} failed (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout, time.perf_counter() - t0


def pilots(train, T, eval_every, fractions, peaks, out):
    """Train the pilots (seed 0), write them as the run folder ``out/pilots`` calibrate reads.

    Each pilot warms up over the long run's warm-up steps (``warmup_steps(T)``), not 5% of its
    own horizon: with a 12-step warm-up at T/4, AdamW's higher peaks lost to the lowest in
    every pilot while 4e-3 won at T (a 50-step warm-up: 4e-3 best at T/2 too), so the pilots
    measured their warm-up, not the peak that the long run wants.

    All pilots share one compiled program: a shorter one is padded with rate 0 up to the
    longest (AdamW's decay is scaled by the rate, so rate 0 leaves the weights as they are)
    and only its own steps are kept and counted.
    """
    folder = out / "pilots"
    folder.mkdir(parents=True, exist_ok=True)
    horizons = [max(eval_every, int(round(f * T / eval_every)) * eval_every) for f in fractions]
    longest = max(horizons)
    W = min(warmup_steps(T), min(horizons) // 2)
    jobs = [(Tp, p, baseline("wsd", Tp, p, W)) for Tp in horizons for p in peaks]
    padded = np.stack([np.concatenate([lr, np.zeros(longest - Tp)]) for Tp, _, lr in jobs])
    losses = train(np.zeros(len(jobs), np.int64), padded)
    rows = []
    for (Tp, p, lr), loss in zip(jobs, losses):
        r = loss[: Tp // eval_every]
        name = f"pilot_T{Tp}_peak{p:g}"
        write_run_csv(folder / f"{name}.csv", lr, eval_every * np.arange(1, r.size + 1), r)
        rows.append({"name": name, "steps": Tp, "peak_lr": p, "final_loss": float(r[-1]),
                     "diverged": bool(not np.all(np.isfinite(r)) or r[-1] > r[0]),
                     "curve": r.tolist()})
    return folder, rows


def calibrate_and_plan(folder, T, out, form=None):
    """``schedopt calibrate`` then ``schedopt plan``; the planned rates read back from plan.csv
    and the predicted loss (with its interval) read from what plan prints."""
    import schedopt

    model, plan_csv = out / "model.json", out / "plan.csv"
    extra = [] if form is None else ["--form", form]
    cal_out, cal_s = schedopt_cli(["calibrate", folder, "--out", model, *extra],
                                  out / "calibrate.txt")
    W = warmup_steps(T)
    plan_out, plan_s = schedopt_cli(["plan", "--model", model, "--steps", T, "--warmup", W,
                                     "--out", plan_csv], out / "plan.txt")
    lr = schedopt.load_schedule(plan_csv)
    if lr.shape != (T,):
        raise RuntimeError(f"plan.csv holds {lr.shape[0]} rates, expected {T}")
    found = re.search(r"predicted final loss ([0-9.eE+-]+)", plan_out)
    iv = re.search(r"90% interval ([0-9.eE+-]+)\.\.([0-9.eE+-]+)", plan_out)
    return lr, {"predicted_loss": float(found.group(1)) if found else None,
                "interval": [float(iv.group(1)), float(iv.group(2))] if iv else None,
                "peak_lr": float(lr.max()), "calibrate_stdout": cal_out,
                "plan_stdout": plan_out, "calibrate_s": cal_s, "plan_s": plan_s,
                "model": json.loads(model.read_text())}


# ---------------------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------------------

def finals(loss):
    """Final losses; a non-finite one (a diverged run) counts as +inf."""
    f = np.asarray(loss)[:, -1]
    return np.where(np.isfinite(f), f, np.inf)


def stats(values):
    v = np.asarray(values, np.float64)
    k = v.size
    std = float(np.std(v, ddof=1)) if k > 1 and np.all(np.isfinite(v)) else float("nan")
    return {"mean": float(np.mean(v)), "std": std,
            "se": std / np.sqrt(k) if k > 1 else float("nan"), "seeds": k, "values": v.tolist()}


def run(optimizer="adamw", corpus=None, steps=None, seeds=3, out=None, quick=False,
        grid=None, pilot_peaks=None, pilot_fractions=(0.25, 0.5), progress=True, form=None):
    """The whole closed loop; returns the results dict (also written to ``out/result.json``).

    long because it is the experiment's script, step by step in order: pilots, the CLI,
    the grid, the seeds, then the summary.
    """
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    mode = QUICK if quick else FULL
    cfg, eval_every = mode["cfg"], mode["eval_every"]
    T = int(steps or mode["steps"])
    if T < 2 * eval_every or T % eval_every:
        raise ValueError(f"--steps must be a multiple of {eval_every} and >= {2 * eval_every}, "
                         f"got {T}")
    if seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {seeds}")
    grid = tuple(grid or GRIDS[optimizer])
    if len(grid) < (2 if quick else 5):
        raise ValueError(f"--grid needs at least 5 peak LRs, got {len(grid)}")
    pilot_peaks = tuple(pilot_peaks or PILOT_PEAKS[optimizer])
    corpus = pathlib.Path(corpus or HERE / "data" / "kjv" / "kjv.txt.gz")
    out = pathlib.Path(out or f"/tmp/closed_loop_{optimizer}")
    (out / "runs").mkdir(parents=True, exist_ok=True)
    say = (lambda *a: print(*a, flush=True)) if progress else (lambda *a: None)
    train_bytes, val = _lm.load_corpus(corpus)
    train = _lm.make_trainer(cfg, optimizer, train_bytes, val, eval_every)
    steps_axis = eval_every * np.arange(1, T // eval_every + 1)
    timings = {}

    say(f"[closed_loop] {optimizer}, T = {T}, K = {seeds}, {cfg.n_params():,} parameters")
    t0 = time.perf_counter()
    folder, pilot_rows = pilots(train, T, eval_every, pilot_fractions, pilot_peaks, out)
    timings["pilots_s"] = time.perf_counter() - t0
    say(f"  pilots: {[(r['name'], round(r['final_loss'], 4)) for r in pilot_rows]}")
    t0 = time.perf_counter()
    plan_lr, plan = calibrate_and_plan(folder, T, out, form)
    timings["cli_s"] = time.perf_counter() - t0
    say(f"  plan: peak {plan['peak_lr']:.4g}, predicted {plan['predicted_loss']} "
        f"{plan['interval']}")

    # One program for the grid (seed 0) and the two pilot-derived methods (K seeds); a
    # second for the K − 1 further seeds of each family at its best grid peak.
    longest = max(r["steps"] for r in pilot_rows)
    ok = [r for r in pilot_rows if r["steps"] == longest and not r["diverged"]]
    best_pilot = min(ok or pilot_rows, key=lambda r: r["final_loss"])
    sqrt_peak = best_pilot["peak_lr"] * np.sqrt(best_pilot["steps"] / T)
    methods = {"planned": plan_lr, "sqrt_rule_wsd": baseline("wsd", T, sqrt_peak)}
    grid_lr = np.stack([baseline(f, T, p) for f in FAMILIES for p in grid])
    jobs = [(m, s, lr) for m, lr in methods.items() for s in range(seeds)]
    t0 = time.perf_counter()
    loss = train(np.concatenate([np.zeros(len(grid_lr), np.int64), [s for _, s, _ in jobs]]),
                 np.concatenate([grid_lr, np.stack([lr for *_, lr in jobs])]))
    grid_loss, seed_loss = loss[: len(grid_lr)], loss[len(grid_lr):]
    timings["grid_and_planned_s"] = time.perf_counter() - t0
    grid_final = finals(grid_loss).reshape(len(FAMILIES), len(grid))
    best = {f: int(np.argmin(grid_final[i])) for i, f in enumerate(FAMILIES)}
    say(f"  grid best: {({f: grid[j] for f, j in best.items()})}")
    more = [(f, s, baseline(f, T, grid[best[f]])) for f in FAMILIES for s in range(1, seeds)]
    if more:
        t0 = time.perf_counter()
        seed_loss = np.concatenate([seed_loss, train(np.array([s for _, s, _ in more]),
                                                     np.stack([lr for *_, lr in more]))])
        timings["seeds_s"] = time.perf_counter() - t0
    jobs += more

    curves = {m: {} for m in (*methods, *FAMILIES)}
    for (m, s, lr), loss in zip(jobs, seed_loss):
        curves[m][s] = (lr, loss)
    for i, f in enumerate(FAMILIES):
        curves[f][0] = (grid_lr[i * len(grid) + best[f]], grid_loss[i * len(grid) + best[f]])
    for m, by_seed in curves.items():
        for s, (lr, loss) in by_seed.items():
            write_run_csv(out / "runs" / f"{m}_seed{s}.csv", lr, steps_axis, loss)
    for (f, p), lr, loss in zip([(f, p) for f in FAMILIES for p in grid], grid_lr, grid_loss):
        write_run_csv(out / "runs" / f"grid_{f}_peak{p:g}.csv", lr, steps_axis, loss)

    rows = {}
    for m, by_seed in curves.items():
        order = sorted(by_seed)
        lrs = np.stack([by_seed[s][0] for s in order])
        losses = np.stack([by_seed[s][1] for s in order])
        peak = float(lrs.max()) if m not in FAMILIES else float(grid[best[m]])
        rows[m] = {**stats(finals(losses)), "peak_lr": peak,
                   "mean_curve": np.nanmean(losses, axis=0).tolist(),
                   "lr": lrs[0].tolist() if m != "planned" else plan_lr.tolist()}
    pilot_steps = int(sum(r["steps"] for r in pilot_rows))
    grid_steps = int(len(grid_lr) * T)
    timings["total_s"] = time.perf_counter() - t_start
    result = {"optimizer": optimizer, "steps": T, "seeds": seeds, "quick": quick,
              "corpus": str(corpus.relative_to(ROOT) if corpus.is_relative_to(ROOT) else corpus),
              "model": {**vars(cfg), "parameters": cfg.n_params(), "eval_every": eval_every},
              "grid": list(grid), "grid_final": grid_final.tolist(),
              "pilots": pilot_rows, "pilot_steps": pilot_steps, "grid_steps": grid_steps,
              "best_pilot": best_pilot["name"], "sqrt_rule_peak": float(sqrt_peak),
              "plan": {k: v for k, v in plan.items() if k != "model"},
              "calibrated_model": plan["model"], "methods": rows,
              "steps_axis": steps_axis.tolist(), "timings_s": timings,
              "load_start": load_start, "load_end": os.getloadavg(),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
              "calibrate_form": form or "calibrate's default",
              "gpu": "none lent to this task (device tool: not drawn)", "out": str(out)}
    result["acceptance"] = _lm_report.acceptance(result)
    (out / "result.json").write_text(json.dumps(result, indent=1))
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=None, help="text file (.txt or .txt.gz); default the KJV")
    p.add_argument("--steps", type=int, default=None, metavar="T", help="horizon T of the long run")
    p.add_argument("--seeds", type=int, default=3, metavar="K")
    p.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw")
    p.add_argument("--out", default=None, metavar="DIR", help="per-run logs and CLI outputs")
    p.add_argument("--quick", action="store_true", help="tiny model, T = 200 (the smoke test)")
    p.add_argument("--grid", default=None, help="comma-separated peak LRs of the baselines' grid")
    p.add_argument("--pilot-peaks", default=None, help="comma-separated peak LRs of the pilots")
    p.add_argument("--pilot-fractions", default="0.25,0.5", help="pilot horizons as fractions of T")
    p.add_argument("--tag", default="", metavar="TAG",
                   help="suffix of the table and figure names (closed_loop_<optimizer><TAG>), so "
                        "that a variant of the design does not overwrite the main one")
    p.add_argument("--calibrate-form", default=None, metavar="F",
                   help="pass --form F to schedopt calibrate (default: calibrate's own default)")
    a = p.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_.-]*", a.tag):
        print(f"closed_loop.py: --tag may hold letters, digits, '_', '.' and '-', got {a.tag!r}",
              file=sys.stderr)
        return 2
    nums = lambda s, flag: None if s is None else _floats(s, flag)
    try:
        result = run(a.optimizer, a.corpus, a.steps, a.seeds, a.out, a.quick,
                     nums(a.grid, "--grid"), nums(a.pilot_peaks, "--pilot-peaks"),
                     nums(a.pilot_fractions, "--pilot-fractions"), form=a.calibrate_form)
    except ValueError as err:
        print(f"closed_loop.py: {err}", file=sys.stderr)
        return 2
    out = pathlib.Path(result["out"])
    results_dir = out if a.quick else HERE / "results"
    figures_dir = out if a.quick else HERE / "figures"
    name = f"closed_loop_{a.optimizer}{a.tag}"
    _lm_report.write(result, results_dir / name, figures_dir / f"{name}.png")
    print(_lm_report.markdown(result))
    return 0


def _floats(text, flag):
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        print(f"closed_loop.py: {flag} must be comma-separated numbers, got {text!r}",
              file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    sys.exit(main())
