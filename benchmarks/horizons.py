"""Benchmark for issue 13: extending a run, and schedules for an unknown horizon.

(a) Horizon transfer in Schaipp et al.'s setting (arXiv 2501.18965, §5: a run trained for
    T₁ = 4000 steps is continued to T₂ > T₁). The history is the stable phase of their WSD
    run: constant at the base rate γ₁ that is best (bound (C), docs/math.md §5.1) for WSD with
    a 20 % cool-down at T₁. Their recipe is a grid; re-implemented here from the paper's
    description: keep training at factor·γ₁ (second-stage LR factor) and cool down linearly to
    0 over the last fraction·T₂ steps (cool-down fraction), and take the best candidate.
    ``extend_schedule`` gives the optimum over every continuation. Every schedule is scored by
    bound (C) of θ_{T₂+1} (horizon T₂ + 1, best never-applied weight). G constant, and G
    decaying as G_t = (1 + t/T₁)^{-1/2}.
(b) The anytime table for 4 and 8 checkpoints (doubling from t₁): worst ratio
    bound(t_i)/optimal_bound(t_i) of ``anytime_schedule`` (tol 1e-7) against constant, 1/√t,
    WSD at its best cool-down fraction and the best fixed-horizon optimum, each at its best
    multiplier.
(c) The cost of not knowing the horizon: the anytime schedule's worst ratio against the
    number of doubling checkpoints, with 1/√t's, and a fitted a·ln(t_K/t_1)^p curve
    (Kornowski & Shamir, arXiv 2604.13870, prove that an anytime last-iterate guarantee must
    lose a poly-log factor; the exponent shown is our fit, not theirs).
(d) Speed: ``extend_schedule`` at T₂ = 10⁶ with a 10⁵-step history, against the exact
    unconstrained solve at the same size (the baseline, same run), with the load average.

Usage: ``python benchmarks/horizons.py [--quick] [--replot]``. Writes
``benchmarks/results/horizons.json`` and ``.md`` (``horizons_quick.*`` with ``--quick``) and
``benchmarks/figures/horizons_*.png``; ``--replot`` redraws them from the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from schedopt import (anytime_schedule, extend_schedule, inverse_sqrt,  # noqa: E402
                      optimal_schedule, warmup_stable_decay)
from schedopt.solvers._prefix import applied_value  # noqa: E402
from schedopt.theory import anytime_table  # noqa: E402
from schedopt.theory._horizons import best_multiplier  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS, FIGURES = HERE / "results", HERE / "figures"
T1 = 4000
FRACTIONS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7)
FACTORS = (0.25, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25)


def _loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0:3].__str__()


def G_profile(kind: str, T: int) -> np.ndarray:
    t = np.arange(1, T + 1, dtype=np.float64)
    return np.ones(T) if kind == "constant" else 1.0 / np.sqrt(1.0 + t / T1)


def applied_bound(eta, G):
    """(C) of θ_{N+1}: horizon N + 1, best weight (docs/math.md §5.1); G has N + 1 entries."""
    return applied_value(eta, 1.0, np.square(G)).value


def base_rate(G) -> float:
    """γ₁: the best multiplier of WSD (20 % cool-down) at T₁ by the applied bound."""
    shape = warmup_stable_decay(T1, 0.0, 0.2)
    grid = np.exp(np.linspace(np.log(1e-3), np.log(1.0), 121))
    values = [applied_bound(g * shape, G[:T1 + 1]) for g in grid]
    k = int(np.argmin(values))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    for _ in range(60):                               # golden refinement on the bracket
        a, b = lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo)
        if applied_bound(a * shape, G[:T1 + 1]) < applied_bound(b * shape, G[:T1 + 1]):
            hi = b
        else:
            lo = a
    return 0.5 * (lo + hi)


def transfer_grid(gamma, T2, G):
    """Schaipp et al.'s candidates: factor·γ₁ after T₁, linear cool-down over fraction·T₂."""
    best = None
    for fraction in FRACTIONS:
        K = int(round(fraction * T2))
        if K > T2 - T1 or K == 0:
            continue
        for factor in FACTORS:
            eta = np.full(T2, gamma)
            eta[T1:] = factor * gamma
            eta[T2 - K:] = factor * gamma * (1.0 - np.arange(K) / K)
            value = applied_bound(eta, G[:T2 + 1])
            if best is None or value < best[0]:
                best = (value, fraction, factor)
    return best


def part_a(quick: bool) -> list:
    rows = []
    ratios = (1.5, 2.0, 4.0) if quick else (1.25, 1.5, 2.0, 3.0, 4.0)
    for kind in ("constant", "decaying"):
        G_all = G_profile(kind, 4 * T1 + 1)
        gamma = base_rate(G_all)
        history = np.full(T1, gamma)
        for r in ratios:
            T2 = int(r * T1)
            G = G_all[:T2 + 1]
            ours = extend_schedule(history, T2, 1.0, G)
            grid = transfer_grid(gamma, T2, G)
            optimum = optimal_schedule(T2 + 1, 1.0, G).bound
            rows.append({"G": kind, "T1": T1, "T2": T2, "gamma1": gamma,
                         "extend_bound": ours.bound, "extend_gap": ours.gap,
                         "grid_bound": grid[0], "grid_fraction": grid[1], "grid_factor": grid[2],
                         "fresh_optimum": optimum,
                         "extend_le_grid": bool(ours.bound <= grid[0]),
                         "extend_eta": ours.eta[::max(1, T2 // 400)].tolist()})
            print(f"(a) G {kind:8s} T2 = {T2:6d}: extend {ours.bound:.8f} (gap {ours.gap:.1e}) "
                  f"grid best {grid[0]:.8f} (fraction {grid[1]}, factor {grid[2]}) "
                  f"fresh optimum {optimum:.8f}", flush=True)
    return rows


def part_b(sets) -> list:
    out = []
    for points in sets:
        start = time.perf_counter()
        result = anytime_schedule(points, tol=1e-7)
        rows = anytime_table(points, anytime=result)
        entry = {"checkpoints": list(points), "anytime_gap": result.gap,
                 "anytime_lower_bound": result.lower_bound,
                 "anytime_converged": result.converged,
                 "seconds": time.perf_counter() - start, "loadavg": _loadavg(),
                 "rows": [{"name": r.name, "parameter": r.parameter, "multiplier": r.multiplier,
                           "worst_ratio": r.worst_ratio, "ratios": list(r.ratios)} for r in rows],
                 "anytime_eta": result.eta[::max(1, points[-1] // 400)].tolist()}
        entry["anytime_best"] = bool(all(rows[0].worst_ratio <= r.worst_ratio for r in rows))
        out.append(entry)
        print(f"(b) {len(points)} checkpoints {points[0]}..{points[-1]}:", flush=True)
        for r in rows:
            print(f"    {r.name:24s} {r.parameter:22s} worst ratio {r.worst_ratio:.6f}")
    return out


def part_c(base: int, K_max: int) -> list:
    out = []
    for K in range(1, K_max + 1):
        points = [base * 2**k for k in range(K)]
        result = anytime_schedule(points, tol=1e-7)
        _, ratios = best_multiplier(inverse_sqrt(points[-1]), points)
        out.append({"K": K, "checkpoints": points, "anytime_worst_ratio": result.worst_ratio,
                    "anytime_lower_bound": result.lower_bound,
                    "inverse_sqrt_worst_ratio": float(np.max(ratios))})
        print(f"(c) K = {K}: anytime {result.worst_ratio:.6f} (>= {result.lower_bound:.6f}), "
              f"1/sqrt(t) {np.max(ratios):.6f}", flush=True)
    span = np.log([r["checkpoints"][-1] / r["checkpoints"][0] for r in out[1:]])
    excess = np.log([r["anytime_worst_ratio"] - 1 for r in out[1:]])
    p, log_a = np.polyfit(np.log(span), excess, 1)
    for r in out:
        s = np.log(r["checkpoints"][-1] / r["checkpoints"][0])
        r["polylog_fit"] = 1.0 + float(np.exp(log_a) * s**p) if s > 0 else 1.0
    out.append({"fit": {"a": float(np.exp(log_a)), "p": float(p),
                        "form": "1 + a*ln(t_K/t_1)^p"}})
    return out


def part_d() -> dict:
    """Cold: the first call at this size, which compiles bound (C)'s JAX kernel for the shape
    (the check of the reported bound); warm: the same call again."""
    load = _loadavg()
    history = 1e-3 * np.ones(100_000)
    extend_schedule(history[:10], 100)                     # compile the recursion once
    times = []
    for _ in range(2):
        start = time.perf_counter()
        r = extend_schedule(history, 1_000_000)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    optimal_schedule(1_000_001)
    t_exact = time.perf_counter() - start
    print(f"(d) extend 1e5 history -> 1e6: {times[0]:.2f} s cold, {times[1]:.2f} s warm "
          f"(gap {r.gap:.1e}); exact unconstrained 1e6 + 1: {t_exact:.2f} s; loadavg {load}",
          flush=True)
    return {"extend_seconds_cold": times[0], "extend_seconds_warm": times[1],
            "exact_baseline_seconds": t_exact, "gap": r.gap, "bound": r.bound,
            "loadavg_before": load, "loadavg_after": _loadavg()}


def figures(payload, suffix) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIGURES.mkdir(exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, kind in zip(axes, ("constant", "decaying")):
        rows = [r for r in payload["transfer"] if r["G"] == kind]
        T2 = [r["T2"] for r in rows]
        ax.plot(T2, [r["grid_bound"] / r["fresh_optimum"] for r in rows], "o-",
                label="best of the cool-down/LR-factor grid")
        ax.plot(T2, [r["extend_bound"] / r["fresh_optimum"] for r in rows], "s-",
                label="extend_schedule (optimal)")
        ax.set(title=f"(a) horizon transfer from T1 = {T1}, G {kind}", xlabel="T2",
               ylabel="bound (C) / fresh optimum at T2")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGURES / f"horizons_transfer{suffix}.png", dpi=110)
    plt.close(fig)
    entries = payload["anytime"]
    fig, axes = plt.subplots(1, len(entries), figsize=(5 * len(entries), 3.8))
    for ax, entry in zip(np.atleast_1d(axes), entries):
        for row in entry["rows"]:
            label = row["name"] + (f" ({row['parameter']})" if row["parameter"] else "")
            ax.plot(entry["checkpoints"], row["ratios"], "o-", label=label, ms=3)
        ax.set(xscale="log", xlabel="checkpoint t_i (updates)", ylabel="bound / optimal bound",
               title=f"(b) {len(entry['checkpoints'])} checkpoints, each at its best multiplier")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(FIGURES / f"horizons_checkpoints{suffix}.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    rows = [r for r in payload["unknown_horizon"] if "K" in r]
    K = [r["K"] for r in rows]
    ax.plot(K, [r["anytime_worst_ratio"] for r in rows], "o-", label="anytime_schedule")
    ax.plot(K, [r["inverse_sqrt_worst_ratio"] for r in rows], "s-", label="1/√t, best multiplier")
    fit = payload["unknown_horizon"][-1]["fit"]
    ax.plot(K, [r["polylog_fit"] for r in rows], "k--",
            label=f"1 + {fit['a']:.3f}·ln(t_K/t_1)^{fit['p']:.2f} (fit)")
    ax.set(title="(c) cost of not knowing the horizon", xlabel="doubling checkpoints K",
           ylabel="worst bound / optimal bound")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGURES / f"horizons_anytime{suffix}.png", dpi=110)
    plt.close(fig)


def markdown(payload) -> str:
    lines = ["# benchmarks/horizons.py", "", "## (a) horizon transfer (bound (C) of θ_{T2+1})", "",
             "| G | T2 | extend | gap | best grid | fraction | factor | fresh optimum |",
             "|---|---|---|---|---|---|---|---|"]
    for r in payload["transfer"]:
        lines.append(f"| {r['G']} | {r['T2']} | {r['extend_bound']:.8f} | {r['extend_gap']:.1e} "
                     f"| {r['grid_bound']:.8f} | {r['grid_fraction']} | {r['grid_factor']} "
                     f"| {r['fresh_optimum']:.8f} |")
    for entry in payload["anytime"]:
        points = entry["checkpoints"]
        lines += ["", f"## (b) {len(points)} checkpoints {points[0]}..{points[-1]} "
                  f"(anytime certified gap {entry['anytime_gap']:.1e}, "
                  f"{entry['seconds']:.0f} s at load {entry['loadavg']})", "",
                  "| schedule | parameter | multiplier | worst ratio |", "|---|---|---|---|"]
        for row in entry["rows"]:
            lines.append(f"| {row['name']} | {row['parameter']} | {row['multiplier']:.6g} "
                         f"| {row['worst_ratio']:.6f} |")
    lines += ["", "## (c) worst ratio against the number of doubling checkpoints", "",
              "| K | anytime | lower bound | 1/√t | fit |", "|---|---|---|---|---|"]
    for r in payload["unknown_horizon"][:-1]:
        lines.append(f"| {r['K']} | {r['anytime_worst_ratio']:.6f} | "
                     f"{r['anytime_lower_bound']:.6f} | {r['inverse_sqrt_worst_ratio']:.6f} | "
                     f"{r['polylog_fit']:.6f} |")
    d = payload["speed"]
    lines += ["", f"## (d) 10⁵-step history extended to 10⁶: {d['extend_seconds_cold']:.2f} s "
              f"cold, {d['extend_seconds_warm']:.2f} s warm; exact 10⁶ + 1 (baseline) "
              f"{d['exact_baseline_seconds']:.2f} s; load {d['loadavg_before']}"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller settings")
    parser.add_argument("--replot", action="store_true",
                        help="redraw the figures and the table from the written JSON")
    args = parser.parse_args(argv)
    suffix = "_quick" if args.quick else ""
    if args.replot:
        payload = json.loads((RESULTS / f"horizons{suffix}.json").read_text())
        figures(payload, suffix)
        (RESULTS / f"horizons{suffix}.md").write_text(markdown(payload))
        return 0
    base = 100 if args.quick else 250
    payload = {"loadavg_start": _loadavg(), "transfer": part_a(args.quick)}
    payload["anytime"] = part_b([[base * 2**k for k in range(4)],
                                 [base * 2**k for k in range(8 if not args.quick else 6)]])
    payload["unknown_horizon"] = part_c(base, 8 if not args.quick else 6)
    payload["speed"] = part_d()
    payload["loadavg_end"] = _loadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"horizons{suffix}.json"
    out.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    figures(payload, suffix)
    (RESULTS / f"horizons{suffix}.md").write_text(markdown(payload))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
