"""Figures of the training benchmark (matplotlib, Agg backend), from its results dict."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLOURS = {"optimal": "#d62728", "optimal_monotone": "#ff7f0e", "linear_decay": "#1f77b4",
           "cosine_decay": "#2ca02c", "warmup_stable_decay": "#9467bd", "constant": "#7f7f7f",
           "inverse_sqrt": "#8c564b"}
MARKERS = ["o", "s", "^", "D"]


def gap_vs_bound(results, path):
    """Measured mean gap (95% CI) against bound (C), every schedule and horizon."""
    problems = results["convex"]
    fig, axes = plt.subplots(1, len(problems), figsize=(5.2 * len(problems), 4.4))
    for ax, p in zip(np.atleast_1d(axes), problems):
        low, high = np.inf, 0.0
        for h, marker in zip(p["horizons"], MARKERS):
            for r in h["schedules"]:
                ax.errorbar(r["bound"], r["gap_mean"], yerr=r["gap_ci95"], fmt=marker,
                            color=COLOURS[r["schedule"]], ms=5, capsize=2)
                low = min(low, r["gap_mean"] - r["gap_ci95"], r["bound"])
                high = max(high, r["bound"], r["gap_mean"])
        line = np.array([low / 2, high * 2])
        ax.plot(line, line, "k--", lw=1, label="gap = bound")
        ax.set(xscale="log", yscale="log", xlabel="bound (C) at the best multiplier",
               ylabel="mean last-iterate gap  E[L(θ_T)] − L*",
               title=f"{p['problem']} ({p['dataset'].split(' (')[0].split(',')[0]})")
        for name, colour in COLOURS.items():
            ax.plot([], [], "o", color=colour, label=name)
        for h, marker in zip(p["horizons"], MARKERS):
            ax.plot([], [], marker, color="k", mfc="none", label=f"T = {h['steps']}")
        ax.grid(True, which="both", alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("SGD through optax: every measured gap lies below its bound", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# Curves that coincide (optimal_monotone on linear_decay) stay visible: each schedule has
# its own dash pattern, drawn wider first.
_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)))


def _style(i):
    return dict(ls=_DASHES[i % len(_DASHES)], lw=2.4 - 0.25 * i, zorder=2 + i)


def convex_curves(results, path):
    """Mean gap L(θ_t) − L* along training, at the longest horizon."""
    problems = results["convex"]
    fig, axes = plt.subplots(1, len(problems), figsize=(5.2 * len(problems), 4.0))
    for ax, p in zip(np.atleast_1d(axes), problems):
        h = p["horizons"][-1]
        for i, r in enumerate(h["schedules"]):
            ax.plot(h["curve_iterate"], r["curve_mean_gap"], color=COLOURS[r["schedule"]],
                    label=r["schedule"], **_style(i))
        ax.set(yscale="log", xlabel="iterate t", ylabel="mean gap L(θ_t) − L*",
               title=f"{p['problem']}, T = {h['steps']}, {h['seeds']} seeds")
        ax.grid(True, which="both", alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def mlp_curves(results, path):
    """Minibatch training loss at each schedule's best peak LR, both optimizers."""
    m = results["mlp"]
    fig, axes = plt.subplots(1, len(m["optimizers"]), figsize=(5.2 * len(m["optimizers"]), 4.0))
    for ax, opt in zip(np.atleast_1d(axes), m["optimizers"]):
        for i, r in enumerate(opt["schedules"]):
            ax.plot(opt["curve_step"], r["curve_batch_loss_mean"], color=COLOURS[r["schedule"]],
                    label=f"{r['schedule']} (peak {r['best_peak_lr']:g})", **_style(i))
        ax.set(yscale="log", xlabel="step", ylabel="training loss (minibatch mean per chunk)",
               title=f"MLP on digits, {opt['optimizer']}, {m['seeds']} seeds")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def mlp_lr_sweep(results, path):
    """Final training loss against the peak LR, every schedule, both optimizers."""
    m = results["mlp"]
    fig, axes = plt.subplots(1, len(m["optimizers"]), figsize=(5.2 * len(m["optimizers"]), 4.0))
    for ax, opt in zip(np.atleast_1d(axes), m["optimizers"]):
        for i, r in enumerate(opt["schedules"]):
            lrs = [x["peak_lr"] for x in r["per_peak_lr"]]
            loss = [x["train_loss_mean"] for x in r["per_peak_lr"]]
            ax.plot(lrs, loss, marker="o", color=COLOURS[r["schedule"]], label=r["schedule"],
                    ms=4, **_style(i))
        ax.set(xscale="log", yscale="log", xlabel="peak learning rate",
               ylabel="final training loss (mean over seeds)",
               title=f"MLP on digits, {opt['optimizer']}")
        _label_swept_values(ax, opt["peak_lrs"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _label_swept_values(ax, values):
    """Tick exactly the swept values, rotated: a log axis spanning under a decade or two
    otherwise labels its minor ticks too (2×10⁻¹, 3×10⁻¹, …), which overlap."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    values = sorted(set(float(v) for v in values))
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([f"{v:g}" for v in values], rotation=45, ha="right",
                       rotation_mode="anchor", fontsize=8)


def figures(results, folder, suffix="") -> list[pathlib.Path]:
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, draw in [("training_gap_vs_bound", gap_vs_bound),
                       ("training_convex_curves", convex_curves),
                       ("training_mlp_curves", mlp_curves),
                       ("training_mlp_lr_sweep", mlp_lr_sweep)]:
        path = folder / f"{name}{suffix}.png"
        draw(results, path)
        made.append(path)
    return made
