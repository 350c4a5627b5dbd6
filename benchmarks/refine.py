"""Benchmark for ``schedopt.refine``: refined schedules from logged gradient norms (issue 7).

Part 1, synthetic G_t profiles (warm-up spike, slow decay, noisy plateau, late rise). For each
profile the true G_t and a noisy log ‖g_t‖ = G_t·ε_t (ε_t log-normal, σ = 0.3). Every schedule
is scored by bound (C) (docs/math.md §2) under the true G_t with D = 1, as a ratio to the exact
optimum: refine from the noisy log (median filter 10 %, or none), the two closed forms of
docs/math.md §3 (Defazio et al.'s η_t ∝ G_t⁻² Σ_{p>t} G_p⁻², published with η_T = 0 and so +∞ on
bound (C), and its p ≥ t variant; part V's continuous formula at its own scale and at its best
multiplier), Defazio et al.'s recipe (closed form on the median-filtered log), linear decay and
cosine at their best multipliers. The time of ``refine`` against the closed form's is measured
in the same run.

Part 2, a neural network: the training benchmark's problem (``_training_problems``: a 64–64–10
ReLU MLP on scikit-learn's bundled digits, optax SGD with momentum 0.9 through
``schedopt.as_optax``, its peak-LR grid, seeds, batch and T in full mode). The two-pass workflow: run 1 uses linear decay with
``schedopt.log_grad_norms(T)`` first in the chain; its log goes through ``refine(log,
peak_lr=…)``; run 2 trains with the refined schedule. Against linear decay (run 1 itself: the
logger does not change the updates) and cosine, all at the same peak-LR grid and seeds, and
Defazio et al.'s closed form made from the same log. Final training loss (full training set)
and test accuracy of the last iterate, mean ± std over seeds, at each schedule's best peak LR
(lowest mean final training loss; a diverged run counts as +∞); std is the sample std.

Usage: ``python benchmarks/refine.py [--quick]``. Writes ``benchmarks/results/refine.json``
(``refine_quick.json`` with ``--quick``) and the figures ``benchmarks/figures/refine_*.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _training_problems as problems  # noqa: E402  (the training benchmark's MLP on digits)
import training  # noqa: E402

import schedopt  # noqa: E402
from schedopt import (continuous_schedule, cosine_decay, defazio_schedule, grad_norm_profile,
                      last_iterate_bound, linear_decay, log_grad_norms, logged_grad_norms,
                      optimal_schedule, optimal_scale, refine)
from schedopt.adapters._refine import median_smooth  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FIGURES = HERE / "figures"
NOISE = 0.3


# ---------------------------------------------------------------------------------------
# Part 1: synthetic profiles
# ---------------------------------------------------------------------------------------

def synthetic_profiles(T: int, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name ↦ (true G_t, noisy log G_t·ε_t) for t = 1..T."""
    u = np.arange(1, T + 1) / T
    rng = np.random.default_rng(seed)
    truths = {
        "warm-up spike": 1.0 + 4.0 * np.exp(-u / 0.03),
        "slow decay": 2.0 / (1.0 + 3.0 * u),
        "noisy plateau": np.ones(T),
        "late rise": 1.0 + 2.0 * u**2,
    }
    return {name: (G, G * rng.lognormal(0.0, NOISE, T)) for name, G in truths.items()}


def _at_best(shape, G):
    return optimal_scale(shape, 1.0, G).value if shape[-1] > 0 else float("inf")


def synthetic_rows(T: int) -> list[dict]:
    rows = []
    for name, (G, log) in synthetic_profiles(T).items():
        best = optimal_schedule(T, 1.0, G, method="exact").bound

        def score(eta):
            return float(last_iterate_bound(eta, 1.0, G))

        def score_refine(**kwargs):
            # refine hands out the T − 1 rates of a run that keeps θ_T (docs/math.md §5.1);
            # with its never-applied weight η_T they are the horizon-T schedule scored here
            result = refine(log, updates=T - 1, **kwargs)
            return score(np.append(result.eta, result.weight))

        smoothed = median_smooth(log, 0.1)
        candidates = {
            "refine (median 10%)": score_refine(),
            "refine (no smoothing)": score_refine(smoothing=None),
            "Defazio, published (η_T = 0)": score(defazio_schedule(G)),
            "Defazio, Σ_{p≥t}, best mult.": _at_best(defazio_schedule(G, last="inclusive"), G),
            "Defazio recipe (median log), best mult.":
                _at_best(defazio_schedule(smoothed, last="inclusive"), G),
            "part V (midpoint), own scale": score(continuous_schedule(G, 1.0, last="midpoint")),
            "part V (midpoint), best mult.":
                _at_best(continuous_schedule(G, 1.0, last="midpoint"), G),
            "linear decay, best mult.": _at_best(linear_decay(T), G),
            "cosine, best mult.": _at_best(cosine_decay(T, alpha=1.0 / T), G),
        }
        rows.append({"profile": name, "T": T, "optimum": best,
                     "ratios": {k: v / best for k, v in candidates.items()}})
    return rows


def timing_rows(sizes, repeats=3) -> list[dict]:
    """Seconds for refine (median filter + exact solve) and the closed form, same log."""
    rows = []
    rng = np.random.default_rng(1)
    for T in sizes:
        log = (1.0 + 4.0 * np.exp(-np.arange(T) / (0.03 * T))) * rng.lognormal(0, NOISE, T)
        refine(log)                                    # compile the recursion's bucket once
        times = {"refine": [], "refine (no smoothing)": [], "Defazio closed form": []}
        for _ in range(repeats):
            for key, fn in (("refine", lambda: refine(log)),
                            ("refine (no smoothing)", lambda: refine(log, smoothing=None)),
                            ("Defazio closed form",
                             lambda: defazio_schedule(median_smooth(log, 0.1), last="inclusive"))):
                start = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - start)
        rows.append({"T": T, **{k: min(v) for k, v in times.items()}})
    return rows


def plot_synthetic(T: int, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    profiles = synthetic_profiles(T)
    fig, axes = plt.subplots(2, len(profiles), figsize=(4.2 * len(profiles), 7), sharex=True)
    t = np.arange(1, T + 1)
    for col, (name, (G, log)) in enumerate(profiles.items()):
        top, bottom = axes[0, col], axes[1, col]
        top.plot(t, log, ".", ms=1.5, color="0.7", label="noisy log ‖g_t‖")
        top.plot(t, median_smooth(log, 0.1), color="C1", label="median filter (10%)")
        top.plot(t, G, color="k", lw=1.2, label="true G_t")
        top.set_title(name)
        top.set_ylabel("gradient norm")
        opt = optimal_schedule(T, 1.0, G, method="exact").eta
        ref = refine(log).eta
        defz = defazio_schedule(G, last="inclusive")
        defz = defz * optimal_scale(defz, 1.0, G).scale
        lin = linear_decay(T) * optimal_scale(linear_decay(T), 1.0, G).scale
        bottom.plot(t, opt, color="k", lw=1.5, label="optimum (true G)")
        bottom.plot(t, ref, color="C1", lw=1.2, label="refine(noisy log)")
        bottom.plot(t, defz, "--", color="C2", lw=1.2, label="Defazio Σ_{p≥t}, best mult.")
        bottom.plot(t, continuous_schedule(G, 1.0, last="midpoint"), ":", color="C3", lw=1.5,
                    label="part V (midpoint)")
        bottom.plot(t, lin, color="C0", lw=1, alpha=0.7, label="linear decay, best mult.")
        bottom.set_xlabel("step t")
        bottom.set_ylabel("learning rate η_t (D = 1)")
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    fig.suptitle(f"Refined schedules for synthetic gradient-norm profiles, T = {T}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------
# Part 2: an MLP on digits, two-pass refinement
# ---------------------------------------------------------------------------------------

def _train_batch(data, etas, seed_of_run, steps, settings, progress, label):
    """Train one run per schedule in ``etas`` (run i with seed ``seed_of_run[i]``), all at once.

    The MLP, the data, the minibatches and the optax SGD-with-momentum optimizer are the
    training benchmark's (``_training_problems.mlp_chunk_runner``, schedules through
    ``schedopt.as_optax``), with ``schedopt.log_grad_norms(T)`` first in the chain.
    """
    chunks = settings["chunks"]
    make = lambda schedule: optax.chain(log_grad_norms(steps),            # noqa: E731
                                        training.OPTIMIZERS["sgd_momentum"](schedule))
    start = time.perf_counter()
    init, advance, evaluate = problems.mlp_chunk_runner(data, list(etas), make, steps // chunks,
                                                         settings["batch"])
    seed_keys = jax.random.split(jax.random.PRNGKey(1), settings["seeds"])   # as training.py
    carry = init(jnp.arange(len(etas)), seed_keys[jnp.asarray(seed_of_run)])
    curve = []
    for _ in range(chunks):
        carry, loss = advance(carry)
        curve.append(np.asarray(loss, np.float64))
    train, test = (np.asarray(v, np.float64) for v in evaluate(carry[0]))
    norms = np.asarray(carry[1][0].grad_norms, np.float64)                # GradNormLogState
    progress(f"  {label}: {len(etas)} runs of {steps} steps in "
             f"{time.perf_counter() - start:.1f} s")
    return {"loss": train, "acc": test, "curve": np.stack(curve, axis=1), "norms": norms}


def nn_experiment(settings, progress=print) -> dict:
    steps, peak_lrs, seeds = settings["steps"], settings["peak_lrs"], settings["seeds"]
    data = problems.digits()
    lin, cos = linear_decay(steps), cosine_decay(steps)
    configs = [(lr, s) for lr in peak_lrs for s in range(seeds)]
    R = len(configs)
    seed_of = [s for _, s in configs]

    first = _train_batch(data, [lr * lin for lr, _ in configs] + [lr * cos for lr, _ in configs],
                         seed_of * 2, steps, settings, progress,
                         "run 1 (linear decay, logging ‖g_t‖) and cosine")
    split = lambda run, k: {key: value[k * R:(k + 1) * R] for key, value in run.items()}  # noqa: E731
    out = {"linear decay": split(first, 0), "cosine": split(first, 1)}

    refined, monotone, defazio, profiles, fallbacks = [], [], [], [], 0
    for i, (lr, _) in enumerate(configs):
        norms = out["linear decay"]["norms"][i]
        if not np.all(np.isfinite(norms)) or np.any(norms <= 0):
            # A diverged run 1 has no usable log: its run 2 repeats run 1's schedule (counted).
            fallbacks += 1
            for bucket in (refined, monotone, defazio):
                bucket.append(lr * lin)
            profiles.append(np.full(steps, np.nan))
            continue
        refined.append(refine(norms, peak_lr=lr).eta)
        monotone.append(refine(norms, peak_lr=lr, monotone=True).eta)
        shape = defazio_schedule(median_smooth(norms, 0.1), last="inclusive")
        defazio.append(lr * shape / shape.max())
        profiles.append(grad_norm_profile(norms))
    if fallbacks:
        progress(f"  {fallbacks} diverged run(s) 1 left no log; their run 2 repeats linear decay")
    schedules = {"linear decay": lin, "cosine": cos, "refined (two-pass)": np.array(refined),
                 "refined, monotone (two-pass)": np.array(monotone),
                 "Defazio closed form (two-pass)": np.array(defazio)}
    second = _train_batch(data, refined + monotone + defazio, seed_of * 3, steps, settings,
                          progress, "run 2 (refined, refined monotone, Defazio closed form)")
    for k, name in enumerate(list(schedules)[2:]):
        out[name] = split(second, k)
    return {"configs": configs, "runs": out, "profiles": np.array(profiles),
            "schedules": schedules, "fallbacks": fallbacks}


def summarise_nn(result, peak_lrs) -> dict:
    configs = result["configs"]
    summary = {}
    for name, run in result["runs"].items():
        grid = {}
        for lr in peak_lrs:
            idx = [i for i, (l, _) in enumerate(configs) if l == lr]
            loss, acc = run["loss"][idx], run["acc"][idx]
            diverged = int(np.sum(~np.isfinite(loss)))
            grid[lr] = {"loss_mean": float(np.mean(loss)) if not diverged else float("inf"),
                        "loss_std": float(np.std(loss, ddof=1)) if not diverged else float("nan"),
                        "acc_mean": float(np.mean(acc)), "acc_std": float(np.std(acc, ddof=1)),
                        "diverged": diverged}
        best = min(grid, key=lambda lr: grid[lr]["loss_mean"])
        summary[name] = {"best_peak_lr": best, "grid": grid, **grid[best]}
    return summary


def plot_nn(result, summary, steps, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = result["configs"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    t = np.arange(1, steps + 1)
    best_ref = summary["refined (two-pass)"]["best_peak_lr"]
    idx = [i for i, (lr, _) in enumerate(configs) if lr == best_ref]
    norms = result["runs"]["linear decay"]["norms"][idx]
    for row in norms:
        axes[0].plot(t, row, color="0.75", lw=0.4)
    axes[0].plot(t, np.nanmean(result["profiles"][idx], axis=0), color="C1", lw=1.5,
                 label="median-filtered (10%), mean over seeds")
    axes[0].set_title(f"run 1 (linear decay, peak LR {best_ref:g}): logged ‖g_t‖")
    axes[0].set_xlabel("step t")
    axes[0].set_ylabel("minibatch gradient norm")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    for k, (name, sched) in enumerate(result["schedules"].items()):
        lr = summary[name]["best_peak_lr"]
        i = next(i for i, (l, _) in enumerate(configs) if l == lr)
        eta = sched[i] if sched.ndim == 2 else lr * sched
        style = "--" if name.startswith("Defazio") else "-"
        axes[1].plot(t, eta, style, color=f"C{k}", label=f"{name} (peak {lr:g})")
        curve = result["runs"][name]["curve"][[j for j, (l, _) in enumerate(configs) if l == lr]]
        x = np.arange(1, curve.shape[1] + 1) * (steps // curve.shape[1])
        mean = np.mean(curve, axis=0)
        axes[2].plot(x, mean, style, color=f"C{k}", label=name)
        axes[2].fill_between(x, np.min(curve, axis=0), np.max(curve, axis=0), color=f"C{k}",
                             alpha=0.15)
    axes[1].set_title("schedules at each one's best peak LR (seed 0)")
    axes[1].set_xlabel("step t")
    axes[1].set_ylabel("learning rate η_t")
    axes[1].legend(fontsize=8)
    axes[2].set_title("loss curves (mean over seeds, band: min–max)")
    axes[2].set_xlabel("step t")
    axes[2].set_ylabel(f"minibatch cross-entropy, mean over {steps // curve.shape[1]} steps")
    axes[2].set_yscale("log")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------

def _grad_norm_drop(nn, summary) -> dict:
    """First over last value of run 1's filtered ‖g_t‖ profile, over the seeds at each peak LR."""
    out = {}
    for lr in {lr for lr, _ in nn["configs"]}:
        rows = [nn["profiles"][i] for i, (l, _) in enumerate(nn["configs"]) if l == lr]
        drops = [row[0] / row[-1] for row in rows if np.all(np.isfinite(row))]
        if drops:
            out[str(lr)] = {"min": float(np.min(drops)), "max": float(np.max(drops))}
    return out


def _ratio_cell(r: float) -> str:
    if not np.isfinite(r):
        return "+∞"
    return f"{r:.5f}" if r - 1 >= 1e-3 else f"1 + {r - 1:.1e}"


def markdown(payload) -> str:
    """The tables of benchmarks/README.md's Refine section, from the JSON payload."""
    lines = []
    synthetic = payload["synthetic"]
    for T in sorted({row["T"] for row in synthetic}):
        rows = [row for row in synthetic if row["T"] == T]
        lines += [f"T = {T}", "", "| schedule (scored on the true G_t) | "
                  + " | ".join(row["profile"] for row in rows) + " |",
                  "|---|" + "---|" * len(rows),
                  "| exact optimum, bound (C) | "
                  + " | ".join(f"{row['optimum']:.6g}" for row in rows) + " |"]
        for name in rows[0]["ratios"]:
            lines.append(f"| {name} | "
                         + " | ".join(_ratio_cell(row["ratios"][name]) for row in rows) + " |")
        lines.append("")
    keys = [k for k in payload["timings"][0] if k != "T"]
    lines += ["| T | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for row in payload["timings"]:
        lines.append(f"| {row['T']} | " + " | ".join(f"{row[k]:.2g} s" for k in keys) + " |")
    summary = payload["nn"]["summary"]
    lines += ["", "| schedule | best peak LR | final training loss | test accuracy |",
              "|---|---|---|---|"]
    for name, s in summary.items():
        lines.append(f"| {name} | {s['best_peak_lr']:g} | {s['loss_mean']:.4g} ± "
                     f"{s['loss_std']:.2g} | {s['acc_mean']:.4f} ± {s['acc_std']:.4f} |")
    lrs = list(next(iter(summary.values()))["grid"])
    lines += ["", "| schedule | " + " | ".join(map(str, lrs)) + " |",
              "|---|" + "---|" * len(lrs)]
    for name, s in summary.items():
        lines.append(f"| {name} | " + " | ".join(
            ("diverged" if s["grid"][lr]["diverged"] else f"{s['grid'][lr]['loss_mean']:.3g}")
            for lr in lrs) + " |")
    return "\n".join(lines)


def _fmt_ratio(r: float) -> str:
    """A ratio to the optimum as its excess in percent (the optimum itself is +0%)."""
    return "+∞" if not np.isfinite(r) else f"+{100 * (r - 1):.2g}%"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 30 s)")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [1000] if quick else [1000, 100_000]
    timing_sizes = [10_000] if quick else [10_000, 100_000, 1_000_000]
    # The MLP settings of the training benchmark (its SGD-momentum grid and seeds) in full mode.
    full = training.FULL
    nn_settings = (dict(steps=300, peak_lrs=[0.03, 0.3], seeds=2, batch=64, chunks=10) if quick
                   else dict(steps=full["mlp_steps"],
                             peak_lrs=list(full["mlp_peak_lrs"]["sgd_momentum"]),
                             seeds=full["mlp_seeds"], batch=full["mlp_batch"],
                             chunks=full["mlp_chunks"]))
    start = time.perf_counter()

    print("Part 1: bound (C) under the true G_t (D = 1), excess over the exact optimum")
    synthetic = [row for T in sizes for row in synthetic_rows(T)]
    names = list(synthetic[0]["ratios"])
    for row in synthetic:
        print(f"\n{row['profile']}, T = {row['T']}: optimum {row['optimum']:.6g}")
        for name in names:
            print(f"  {name:42s} {_fmt_ratio(row['ratios'][name])}")
    timings = timing_rows(timing_sizes)
    print("\nseconds (best of 3): refine vs Defazio's closed form on the same log")
    for row in timings:
        print("  T = {T:>8d}: ".format(**row)
              + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "T"))

    steps = nn_settings["steps"]
    print(f"\nPart 2: MLP on digits, SGD momentum 0.9, T = {steps}, peak LRs "
          f"{nn_settings['peak_lrs']}, {nn_settings['seeds']} seeds")
    nn = nn_experiment(nn_settings)
    summary = summarise_nn(nn, nn_settings["peak_lrs"])
    print(f"\n  {'schedule':34s} {'best peak LR':>12s} {'final train loss':>22s} "
          f"{'test accuracy':>18s}")
    for name, s in summary.items():
        print(f"  {name:34s} {s['best_peak_lr']:>12g} {s['loss_mean']:>11.4g} ± "
              f"{s['loss_std']:<8.2g} {s['acc_mean']:>9.4f} ± {s['acc_std']:.4f}")

    FIGURES.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if quick else ""
    plot_synthetic(1000, FIGURES / f"refine_synthetic{suffix}.png")
    plot_nn(nn, summary, steps, FIGURES / f"refine_nn{suffix}.png")
    elapsed = time.perf_counter() - start
    payload = {
        "benchmark": "refine", "quick": quick, "seconds": elapsed,
        "machine_note": "2 shared CPU cores; timings disturbed by other work on the machine",
        "jax": jax.__version__, "schedopt": schedopt.__version__, "noise_sigma": NOISE,
        "synthetic": synthetic, "timings": timings,
        "nn": {**nn_settings, "optimizer": "optax SGD, momentum 0.9",
               "model": "the training benchmark's MLP (64-64-10 ReLU, float32)",
               "diverged_run1_fallbacks": nn["fallbacks"],
               "grad_norm_drop": _grad_norm_drop(nn, summary),
               "data": "sklearn digits, 75/25 stratified split (random_state 0)",
               "summary": {k: {**v, "grid": {str(lr): g for lr, g in v["grid"].items()}}
                           for k, v in summary.items()}},
    }
    out = RESULTS / f"refine{suffix}.json"
    out.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    (RESULTS / f"refine{suffix}.md").write_text(markdown(json.loads(out.read_text())) + "\n")
    print(f"\nwrote {out.relative_to(HERE.parent)} and benchmarks/figures/refine_*{suffix}.png "
          f"in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
