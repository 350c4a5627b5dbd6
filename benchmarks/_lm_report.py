"""The closed loop's acceptance figures, Markdown table, JSON and figure (``closed_loop.py``)."""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np

FAMILIES = ("cosine", "wsd", "linear")
LABELS = {"planned": "planned (pilots → calibrate → plan)",
          "sqrt_rule_wsd": "1/√T rule on the best pilot (WSD)",
          "cosine": "cosine to 10%, tuned", "wsd": "WSD 20% cool-down, tuned",
          "linear": "linear to 0, tuned"}


def pooled_std(a, b) -> float:
    """Pooled std of two methods over their seeds: √((s_a² + s_b²)/2)."""
    return math.sqrt((a["std"] ** 2 + b["std"] ** 2) / 2)


def inside(interval, value):
    """Whether value lies in a (lo, hi) interval; None where there is no interval."""
    return None if not interval else bool(interval[0] <= value <= interval[1])


def acceptance(r):
    """Issue 18's acceptance figures from a result dict, each with its measured number.

    Pooled std of two methods: √((s_a² + s_b²)/2) over their seeds; "better by more than two
    standard errors": mean_b − mean_a > 2·√(se_a² + se_b²).
    """
    m = r["methods"]
    planned = m["planned"]
    best = min(FAMILIES, key=lambda f: m[f]["mean"])
    b = m[best]
    pooled = pooled_std(planned, b)
    gap = planned["mean"] - b["mean"]
    stretch = {f: (m[f]["mean"] - planned["mean"])
               / (2 * math.sqrt(planned["se"] ** 2 + m[f]["se"] ** 2)) for f in FAMILIES}
    pred, interval = r["plan"]["predicted_loss"], r["plan"]["interval"]
    rel = None if pred is None else (pred - planned["mean"]) / planned["mean"]
    inside_interval = inside(interval, planned["mean"])
    ratio = planned["peak_lr"] / b["peak_lr"]
    cost = r["pilot_steps"] / r["grid_steps"]
    ok = lambda x: None if x is None or (isinstance(x, float) and math.isnan(x)) else bool(x)
    return {
        "best_baseline": best, "planned_minus_best": gap, "pooled_std": pooled,
        "within_one_pooled_std": ok(gap <= pooled) if not math.isnan(pooled) else None,
        "pilot_cost_fraction": cost, "pilot_cost_ok": cost <= 0.30,
        "stretch_margin_in_2se": stretch,
        "stretch_better_than_every_baseline": ok(all(v > 1 for v in stretch.values()))
        if not any(math.isnan(v) for v in stretch.values()) else None,
        "prediction_rel_error": rel,
        "prediction_within_1pct": None if rel is None else bool(abs(rel) <= 0.01),
        "observed_inside_interval": inside_interval,
        "planned_peak_over_grid_best": ratio,
        "grid_best_at_edge": sorted(f for f, row in zip(FAMILIES, r["grid_final"])
                                    if int(np.nanargmin(row)) in (0, len(row) - 1)),
        "peak_within_1_5x": bool(1 / 1.5 <= ratio <= 1.5),
        "total_s": r["timings_s"]["total_s"], "within_30_min": r["timings_s"]["total_s"] <= 1800,
    }


def _fmt(x, digits=4):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _yes(x):
    return {True: "met", False: "not met", None: "n/a"}[x]


def markdown(r):
    """The closed-loop table and its acceptance lines."""
    a, m, T = r["acceptance"], r["methods"], r["steps"]
    cfg = r["model"]
    lines = [f"### Closed loop, {r['optimizer']}, T = {T}, K = {r['seeds']} seeds"
             + (" (quick)" if r["quick"] else ""), "",
             f"Byte-level transformer, {cfg['parameters']:,} parameters (d {cfg['d_model']}, "
             f"{cfg['layers']} layers, context {cfg['context']}, batch {cfg['batch']}), corpus "
             f"`{r['corpus']}`; validation loss in nats per byte on {cfg['val_windows']} fixed "
             "held-out windows.", "",
             "| method | peak LR | final val loss, mean ± std | training steps spent |",
             "|---|---|---|---|"]
    n_grid = len(r["grid"])
    for key in ("planned", "sqrt_rule_wsd", *FAMILIES):
        row = m[key]
        spent = (f"{r['pilot_steps']:,} (pilots) + {r['seeds'] * T:,}" if key == "planned"
                 else f"{r['pilot_steps']:,} (pilots) + {r['seeds'] * T:,}"
                 if key == "sqrt_rule_wsd"
                 else f"{n_grid * T:,} (grid of {n_grid}) + {(r['seeds'] - 1) * T:,}")
        lines.append(f"| {LABELS[key]} | {row['peak_lr']:.3g} | {_fmt(row['mean'])} ± "
                     f"{_fmt(row['std'])} | {spent} |")
    lines.append(f"| GPU row | — | {r['gpu']} | — |")
    p = r["plan"]
    iv = p["interval"]
    lines += ["", f"- Pilots: {len(r['pilots'])} WSD runs, {r['pilot_steps']:,} steps = "
              f"{100 * a['pilot_cost_fraction']:.1f}% of the grid's {r['grid_steps']:,} "
              f"({_yes(a['pilot_cost_ok'])}: ≤ 30%).",
              f"- Planned vs best tuned baseline ({LABELS[a['best_baseline']]}): "
              f"{a['planned_minus_best']:+.4f} nats against a pooled std of "
              f"{_fmt(a['pooled_std'])} ({_yes(a['within_one_pooled_std'])}: within one "
              "pooled std).",
              "- Stretch, better than every tuned baseline by > 2 standard errors: "
              f"{_yes(a['stretch_better_than_every_baseline'])} (margin in units of 2 SE: "
              + ", ".join(f"{f} {_fmt(v, 2)}" for f, v in a["stretch_margin_in_2se"].items())
              + ").",
              f"- Plan's predicted final loss {_fmt(p['predicted_loss'])}"
              + (f", 90% interval {iv[0]:.4f}..{iv[1]:.4f}" if iv else ", no interval")
              + f", observed {_fmt(m['planned']['mean'])}: error "
              f"{_fmt(None if a['prediction_rel_error'] is None else 100 * a['prediction_rel_error'], 2)}%"
              f" ({_yes(a['prediction_within_1pct'])}: within 1%); inside the interval: "
              f"{_yes(a['observed_inside_interval'])}.",
              f"- Planned peak LR {m['planned']['peak_lr']:.3g} vs the grid's best "
              f"{m[a['best_baseline']]['peak_lr']:.3g}: ×{a['planned_peak_over_grid_best']:.2f} "
              f"({_yes(a['peak_within_1_5x'])}: within ×1.5). The grid's best sits at its edge "
              f"for: {', '.join(a['grid_best_at_edge']) or 'no family'} (an edge best means the "
              f"grid did not bracket that family's optimum).",
              "- What `plan` said beyond the rates: "
              + ("; ".join(f"\"{l.strip()}\"" for l in p["plan_stdout"].splitlines()
                          if l.startswith(("warning", "error to expect", "note")))
                 or "nothing") + ".",
              f"- 1/√T rule: best pilot {r['best_pilot']}, peak × √(T_p/T) = "
              f"{r['sqrt_rule_peak']:.3g}, WSD at T.",
              f"- Whole run {r['timings_s']['total_s'] / 60:.1f} min "
              f"({_yes(a['within_30_min'])}: ≤ 30 min) on {r['machine']}, load average "
              f"{r['load_start'][0]:.1f} at the start, {r['load_end'][0]:.1f} at the end; "
              "phases: " + ", ".join(f"{k[:-2]} {v:.0f} s" for k, v in r["timings_s"].items()
                                     if k != "total_s") + "."]
    return "\n".join(lines) + "\n"


def write(r, stem, figure):
    """``stem``.json (the result less the per-run curves' bulk) and ``stem``.md; the figure."""
    stem, figure = pathlib.Path(stem), pathlib.Path(figure)
    stem.parent.mkdir(parents=True, exist_ok=True)
    figure.parent.mkdir(parents=True, exist_ok=True)
    slim = {k: v for k, v in r.items() if k not in ("calibrated_model",)}
    slim["methods"] = {k: {kk: vv for kk, vv in v.items() if kk != "lr"}
                       for k, v in r["methods"].items()}
    stem.with_suffix(".json").write_text(json.dumps(slim, indent=1))
    stem.with_suffix(".md").write_text(markdown(r))
    _figure(r, figure)


def _figure(r, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    steps = np.array(r["steps_axis"])
    for key in ("planned", "sqrt_rule_wsd", *FAMILIES):
        row = r["methods"][key]
        lr = np.array(row["lr"])
        (line,) = ax1.plot(np.arange(1, lr.size + 1), lr, label=LABELS[key],
                           lw=2 if key == "planned" else 1)
        ax2.plot(steps, row["mean_curve"], color=line.get_color(), label=LABELS[key],
                 lw=2 if key == "planned" else 1)
    for p in r["pilots"]:
        ax2.plot(steps[: len(p["curve"])], p["curve"], color="grey", lw=0.6, alpha=0.6)
    pred = r["plan"]["predicted_loss"]
    if pred is not None:
        ax2.errorbar([steps[-1]], [pred], yerr=None if not r["plan"]["interval"] else
                     [[pred - r["plan"]["interval"][0]], [r["plan"]["interval"][1] - pred]],
                     fmt="k*", ms=9, label="plan's prediction (90% interval)")
    ax1.set(xlabel="step", ylabel="learning rate", title="schedules")
    tail = np.concatenate([np.array(r["methods"][k]["mean_curve"])[len(steps) // 4:]
                           for k in r["methods"]])
    tail = tail[np.isfinite(tail)]
    if tail.size:
        ax2.set_ylim(tail.min() - 0.02, tail.max() + 0.02)
    ax2.set(xlabel="step", ylabel="validation loss (nats/byte)",
            title=f"mean over {r['seeds']} seed(s); pilots in grey")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.suptitle(f"Closed loop, {r['optimizer']}, T = {r['steps']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
