"""Real training with the schedules, through optax (issue 5 §2).

a. Where the theory's assumptions hold: SGD (one sample per step) on two convex, G-Lipschitz
   problems on scikit-learn data with θ* from ``linprog`` (``_training_problems``). Every
   schedule runs at its bound-optimal multiplier ``optimal_scale(shape, D, G)`` (docs/math.md
   §4.1). Bound (C) bounds ``E[L(θ_T)] − L*`` for θ_T, the iterate at which the T-th
   gradient is taken (after T − 1 updates, docs/math.md §1–2); the table reports its mean over
   the seeds with a 95% t-interval next to the bound, and the Spearman correlation between
   the ranking by measured gap and the ranking by bound. A mean above the bound is a bug.
b. Beyond the theory: an MLP on digits with optax SGD + momentum and Adam, every schedule
   on the same grid of peak learning rates; final training loss and test accuracy at each
   schedule's best peak LR (best = lowest mean final training loss), and the loss curves.

Run ``python benchmarks/training.py`` (full, a few minutes on 2 cores) or ``--quick`` (well
under a minute, used by the test suite). ``run(quick)`` returns the results dict, also
written as JSON to ``benchmarks/results/training.json`` (``training_quick.json`` in quick
mode); ``markdown(results)`` renders the tables (also written next to the JSON as ``.md``);
figures go to ``benchmarks/figures/`` (``_training_figures``).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.stats

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _training_problems as problems  # noqa: E402

import schedopt  # noqa: E402
from schedopt import schedules as families  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------
# Settings of the two modes
# ---------------------------------------------------------------------------------------

FULL = dict(convex_horizons=(100, 1000, 10000), convex_seeds=100, convex_chunks=50,
            mlp_steps=1000, mlp_seeds=5, mlp_chunks=50, mlp_batch=64,
            mlp_peak_lrs={"sgd_momentum": (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
                          "adam": (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5)})
QUICK = dict(convex_horizons=(200,), convex_seeds=30, convex_chunks=10,
             mlp_steps=60, mlp_seeds=2, mlp_chunks=6, mlp_batch=32,
             mlp_peak_lrs={"sgd_momentum": (0.03, 0.1, 0.3, 1.0),
                           "adam": (1e-3, 3e-3, 1e-2, 3e-2)})

OPTIMIZERS = {"sgd_momentum": lambda schedule: optax.sgd(schedule, momentum=0.9),
              "adam": lambda schedule: optax.adam(schedule)}

FAMILY_NAMES = ("linear_decay", "cosine_decay", "warmup_stable_decay", "constant",
                "inverse_sqrt")


def convex_shapes(steps):
    """Every schedule of part a as a shape (peak 1 for the families)."""
    shapes = {"optimal": schedopt.optimal_schedule(steps, method="exact").eta,
              "optimal_monotone": schedopt.optimal_schedule(steps, monotone=True).eta}
    shapes.update({name: families.FAMILIES[name](steps) for name in FAMILY_NAMES})
    return shapes


def mlp_schedule(name, steps, peak_lr):
    """η_1..η_T with peak ``peak_lr``; the optimum through ``optimal_optax_schedule`` (the T
    rates to apply, of the horizon-(T+1) optimum, docs/math.md §5.1; monotone as named)."""
    if name == "optimal_monotone":
        schedule = schedopt.optimal_optax_schedule(steps, peak_lr, monotone=True)
        with jax.enable_x64(True):
            return np.asarray(jax.vmap(schedule)(jnp.arange(steps)))
    return peak_lr * families.FAMILIES[name](steps)


# ---------------------------------------------------------------------------------------
# a. Convex problems
# ---------------------------------------------------------------------------------------

def _mean_ci(samples):
    """Mean, standard deviation and the 95% t-interval half-width of the mean."""
    n = samples.shape[-1]
    mean, sd = samples.mean(-1), samples.std(-1, ddof=1)
    half = scipy.stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    return mean, sd, half


def _convex_horizon(problem, steps, seeds, chunks, bar):
    shapes = convex_shapes(steps)
    scales = {name: schedopt.optimal_scale(shape, problem.D, problem.G)
              for name, shape in shapes.items()}
    etas = [scales[name].scale * shape for name, shape in shapes.items()]
    init, advance = problems.convex_chunk_runner(problem, etas, steps // chunks)
    runs = len(etas) * seeds
    index = jnp.repeat(jnp.arange(len(etas)), seeds)
    keys = jnp.tile(jax.random.split(jax.random.PRNGKey(steps), seeds), (len(etas), 1))
    carry = init(index, keys)
    curve = []
    for _ in range(chunks):
        carry, (before_last, last) = advance(carry)
        curve.append(np.asarray(last))
        bar.update(1)
    gap_T = np.asarray(before_last).reshape(len(etas), seeds) - problem.L_star   # L(θ_T) − L*
    gap_after = np.asarray(last).reshape(len(etas), seeds) - problem.L_star      # L(θ_{T+1}) − L*
    curve = np.stack(curve).reshape(chunks, len(etas), seeds) - problem.L_star
    if min(gap_T.min(), gap_after.min(), curve.min()) < -1e-9:
        raise RuntimeError(f"{problem.name}: an iterate has loss below L* by "
                           f"{-min(gap_T.min(), curve.min()):.3g}; θ* from linprog is wrong")
    mean, sd, half = _mean_ci(gap_T)
    rows = []
    for i, name in enumerate(shapes):
        bound = scales[name].value
        rows.append(dict(
            schedule=name, multiplier=scales[name].scale, peak_lr=float(etas[i].max()),
            bound=bound,
            bound_G_max=float(schedopt.last_iterate_bound(etas[i], problem.D, problem.G_max)),
            gap_mean=float(mean[i]), gap_sd=float(sd[i]), gap_ci95=float(half[i]),
            gap_after_last_update_mean=float(gap_after[i].mean()),
            gap_min=float(gap_T[i].min()), gap_max=float(gap_T[i].max()),
            bound_holds=bool(mean[i] + half[i] <= bound),
            curve_mean_gap=curve[:, i, :].mean(-1).tolist()))
    rho = scipy.stats.spearmanr([r["bound"] for r in rows], [r["gap_mean"] for r in rows])
    return dict(steps=steps, seeds=seeds, runs=runs,
                curve_iterate=[(c + 1) * (steps // chunks) + 1 for c in range(chunks)],
                schedules=rows, spearman_rho=float(rho.statistic),
                spearman_pvalue=float(rho.pvalue))


def run_convex(settings, bar):
    out = []
    with jax.enable_x64(True):
        for problem in problems.convex_problems():
            horizons = [_convex_horizon(problem, T, settings["convex_seeds"],
                                        settings["convex_chunks"], bar)
                        for T in settings["convex_horizons"]]
            pooled = scipy.stats.spearmanr(
                [r["bound"] for h in horizons for r in h["schedules"]],
                [r["gap_mean"] for h in horizons for r in h["schedules"]])
            out.append(dict(problem=problem.name, dataset=problem.dataset, kind=problem.kind,
                            n=int(problem.X.shape[0]), d=int(problem.X.shape[1]),
                            D=problem.D, G=problem.G, G_max=problem.G_max,
                            L_star=problem.L_star, horizons=horizons,
                            spearman_rho_all_horizons=float(pooled.statistic),
                            spearman_pvalue_all_horizons=float(pooled.pvalue)))
    return out


# ---------------------------------------------------------------------------------------
# b. MLP on digits
# ---------------------------------------------------------------------------------------

MLP_SCHEDULES = ("optimal_monotone",) + FAMILY_NAMES


def _mlp_optimizer(data, name, settings, bar):
    T, seeds, chunks = settings["mlp_steps"], settings["mlp_seeds"], settings["mlp_chunks"]
    lrs = settings["mlp_peak_lrs"][name]
    etas = [mlp_schedule(s, T, lr) for s in MLP_SCHEDULES for lr in lrs]
    init, advance, evaluate = problems.mlp_chunk_runner(data, etas, OPTIMIZERS[name],
                                                         T // chunks, settings["mlp_batch"])
    index = jnp.repeat(jnp.arange(len(etas)), seeds)
    keys = jnp.tile(jax.random.split(jax.random.PRNGKey(1), seeds), (len(etas), 1))
    carry = init(index, keys)     # seed s: the same weights and minibatches for every schedule
    curve = []
    for _ in range(chunks):
        carry, loss = advance(carry)
        curve.append(np.asarray(loss))
        bar.update(1)
    shape = (len(MLP_SCHEDULES), len(lrs), seeds)
    train, test = (np.asarray(v, np.float64).reshape(shape) for v in evaluate(carry[0]))
    curve = np.stack(curve).astype(np.float64).reshape((chunks,) + shape)
    rows = []
    for i, schedule in enumerate(MLP_SCHEDULES):
        finite = np.all(np.isfinite(train[i]), axis=-1)
        score = np.where(finite, train[i].mean(-1), np.inf)
        best = int(np.argmin(score))
        rows.append(dict(
            schedule=schedule, best_peak_lr=lrs[best],
            train_loss_mean=float(train[i, best].mean()), train_loss_std=float(train[i, best].std(ddof=1)),
            test_accuracy_mean=float(test[i, best].mean()), test_accuracy_std=float(test[i, best].std(ddof=1)),
            per_peak_lr=[dict(peak_lr=lr, train_loss_mean=float(train[i, j].mean()),
                              train_loss_std=float(train[i, j].std(ddof=1)),
                              test_accuracy_mean=float(test[i, j].mean()),
                              diverged=int(np.sum(~np.isfinite(train[i, j]))))
                         for j, lr in enumerate(lrs)],
            curve_batch_loss_mean=curve[:, i, best, :].mean(-1).tolist()))
    return dict(optimizer=name, peak_lrs=list(lrs), schedules=rows,
                curve_step=[(c + 1) * (T // chunks) for c in range(chunks)])


def run_mlp(settings, bar):
    data = problems.digits()
    return dict(dataset="digits (1797 × 64, 10 classes)", train=int(data.X_train.shape[0]),
                test=int(data.X_test.shape[0]), architecture=f"64-{data.hidden}-10 ReLU MLP",
                steps=settings["mlp_steps"], batch=settings["mlp_batch"],
                seeds=settings["mlp_seeds"], dtype="float32",
                optimizers=[_mlp_optimizer(data, name, settings, bar) for name in OPTIMIZERS])


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------

def run(quick: bool = False, progress: bool = True) -> dict:
    """Run the benchmark and return the results dict (what the JSON file holds)."""
    from tqdm import tqdm

    settings = QUICK if quick else FULL
    total = (2 * len(settings["convex_horizons"]) * settings["convex_chunks"]
             + len(OPTIMIZERS) * settings["mlp_chunks"])
    start = time.perf_counter()
    with tqdm(total=total, desc="training benchmark", disable=not progress,
              file=sys.stderr) as bar:
        convex = run_convex(settings, bar)
        middle = time.perf_counter()
        mlp = run_mlp(settings, bar)
    end = time.perf_counter()
    return dict(
        benchmark="training", mode="quick" if quick else "full",
        seconds=end - start, seconds_convex=middle - start, seconds_mlp=end - middle,
        machine=dict(cpu_count=os.cpu_count(), platform=platform.platform(),
                     python=platform.python_version(), jax=jax.__version__,
                     optax=optax.__version__,
                     note="timings taken while other engineers were using the same 2 cores"),
        settings={k: (dict(v) if isinstance(v, dict) else v) for k, v in settings.items()},
        convex=convex, mlp=mlp)


def bound_violations(results) -> list[str]:
    """Every (problem, T, schedule) whose mean gap's 95% interval reaches above the bound."""
    return [f"{p['problem']} T={h['steps']} {r['schedule']}: gap {r['gap_mean']:.4g} ± "
            f"{r['gap_ci95']:.2g} vs bound {r['bound']:.4g}"
            for p in results["convex"] for h in p["horizons"] for r in h["schedules"]
            if not r["bound_holds"]]


def markdown(results) -> str:
    """The tables of both parts as GitHub markdown."""
    lines = []
    for p in results["convex"]:
        lines += [f"**{p['problem']}** on {p['dataset']}: D = {p['D']:.4g}, "
                  f"G = {p['G']:.4g} (max per-sample {p['G_max']:.4g}), L* = {p['L_star']:.6g}; "
                  f"Spearman ρ over all horizons {p['spearman_rho_all_horizons']:.3f}", ""]
        lines += ["| T | schedule | peak η (best multiplier) | bound (C) | mean gap L(θ_T) − L* "
                  "(95% CI) | gap / bound |", "|---|---|---|---|---|---|"]
        for h in p["horizons"]:
            for r in h["schedules"]:
                lines.append(f"| {h['steps']} | {r['schedule']} | {r['peak_lr']:.4g} | "
                             f"{r['bound']:.4g} | {r['gap_mean']:.4g} ± {r['gap_ci95']:.2g} | "
                             f"{r['gap_mean'] / r['bound']:.3f} |")
            lines.append(f"| {h['steps']} | *Spearman ρ (p)* | | | "
                         f"{h['spearman_rho']:.3f} ({h['spearman_pvalue']:.2g}) | |")
        lines.append("")
    m = results["mlp"]
    for opt in m["optimizers"]:
        lines += [f"**{opt['optimizer']}** on {m['dataset']}, {m['architecture']}, "
                  f"{m['steps']} steps of batch {m['batch']}, {m['seeds']} seeds, peak LRs "
                  f"{', '.join(f'{x:g}' for x in opt['peak_lrs'])}", "",
                  "| schedule | best peak LR | final training loss | test accuracy |",
                  "|---|---|---|---|"]
        for r in opt["schedules"]:
            lines.append(f"| {r['schedule']} | {r['best_peak_lr']:g} | "
                         f"{r['train_loss_mean']:.4g} ± {r['train_loss_std']:.2g} | "
                         f"{r['test_accuracy_mean']:.4f} ± {r['test_accuracy_std']:.4f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the ≤ 60 s version")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="JSON file to write")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    out = args.out or HERE / "results" / ("training_quick.json" if args.quick else "training.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    out.with_suffix(".md").write_text(markdown(results) + "\n")
    print(markdown(results))
    print(f"{results['mode']} run: {results['seconds']:.1f} s; JSON in {out}")
    if not args.no_figures:
        from _training_figures import figures
        for path in figures(results, HERE / "figures", suffix="_quick" if args.quick else ""):
            print(f"figure: {path}")
    violations = bound_violations(results)
    for line in violations:
        print(f"BOUND VIOLATED (a bug): {line}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
