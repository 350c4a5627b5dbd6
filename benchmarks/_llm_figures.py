"""Figures of benchmarks/llm_runs.py: predicted vs observed final loss at 35k, fitted curves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SHOWN = ("bound (C), constant G, all points", "+ powers p and q (chosen, default)",
         "Multi-Power Law (Luo et al.), points from T/2",
         "per-configuration a + b·T^-½ (needs 15k and 25k of each)")


def figures(results, models, data, folder):
    folder.mkdir(parents=True, exist_ok=True)
    return [_scatter(results, folder), _curves(models, data, folder)]


def _scatter(results, folder):
    obs = np.array([c["observed"] for c in results["holdout"]["configs"]])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for r in results["holdout"]["rows"]:
        if r["model"] in SHOWN:
            ax.plot(obs, r["predicted"], "o", ms=4, label=r["model"])
    lo, hi = obs.min() - 0.01, obs.max() + 0.01
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
    ax.set(xlim=(lo, hi), ylim=(lo - 0.05, hi + 0.1), xlabel="observed final val loss (35k)",
           ylabel="predicted", title="Fit on 15k/25k runs, predict 35k")
    ax.legend(fontsize=7)
    path = folder / "llm_runs_predicted_vs_observed.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _curves(models, data, folder):
    model = models["form='auto' (default): chosen by cross-validation"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, T in zip(axes, (15000, 25000, 35000)):
        for d in data:
            if d["horizon"] != T or d["peak_lr"] != 1e-3:
                continue
            r = d["run"]
            keep = r["steps"] >= 2000
            line, = ax.plot(r["steps"][keep], r["loss"][keep], ".", ms=3)
            t = np.unique(np.linspace(2000, T, 200).astype(int))
            ax.plot(t, model.predict(r["lr"], steps=t), "-", color=line.get_color(), lw=1,
                    label=f"cool-down {d['cooldown']:g}")
        ax.set(title=f"T = {T}, peak LR 1e-3" + (" (held out)" if T == 35000 else ""),
               xlabel="step", ylim=(2.95, 3.4))
    axes[0].set_ylabel("val loss (dots: observed; lines: model fitted on 15k/25k)")
    axes[0].legend(fontsize=7)
    path = folder / "llm_runs_curves.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
