"""The exact worst case of the schedules a user applies (issue 11, docs/math.md §5).

For N updates, D = G = 1: the exact worst case of f(θ_{N+1}) − f* over convex 1-Lipschitz f
(``worst_case``, the PEP SDP) divided by the minimax value 1/√(N+1) (Zamani & Glineur), for

- the applied optimum: the first N rates of ``optimal_schedule(N + 1)`` (rule 1 of issue 11),
  at the optimum's own scale (which is also the best multiplier of ``applied_bound``);
- today's full-length optimum: all N rates of ``optimal_schedule(N)``, at its own scale;
- the monotone applied optimum: the first N rates of ``optimal_schedule(N + 1, monotone=True)``;
- linear decay, cosine, WSD (20% linear cool-down) and constant, the peak-1 shapes of
  ``schedopt.FAMILIES`` scaled by the multiplier λ that minimises ``applied_bound(λ·shape)``
  (bound (C) at horizon N + 1 with the best never-applied weight);
- the minimax schedule itself (the baseline: ratio 1 exactly, up to the solver);

plus applied_bound / worst case of the applied optimum. docs/math.md §5 quotes numbers for a
horizon-T indexing (the optimum of (C) at horizon T judged on θ_T, i.e. N = T − 1 applied
rates); a second table recomputes them in that indexing.

Usage: ``python benchmarks/worst_case.py [--quick]`` (``--quick``: N = 5, 10, 20, 40 only).
Writes ``benchmarks/results/worst_case.json``, ``docs/worst_case.md`` and
``benchmarks/figures/worst_case.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

import schedopt
from schedopt.bounds._applied import applied_bound
from schedopt.theory._worst_case import minimax_schedule, worst_case

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIGURE = ROOT / "benchmarks" / "figures" / "worst_case.png"
PAGE = ROOT / "docs" / "worst_case.md"

FAMILY_ROWS = {"linear_decay": "linear decay", "cosine_decay": "cosine",
               "warmup_stable_decay": "WSD (20% linear cool-down)", "constant": "constant"}
ROWS = {"applied": "applied optimum: optimal_schedule(N+1).eta[:N]",
        "full": "today's full optimum: optimal_schedule(N).eta",
        "monotone": "monotone applied optimum",
        **{k: f"{v} at its best applied_bound multiplier" for k, v in FAMILY_ROWS.items()},
        "minimax": "minimax schedule (Zamani–Glineur)"}


def best_applied_multiplier(shape) -> float:
    """argmin_λ applied_bound(λ·shape): a convex function of λ (a partial minimum of the
    jointly convex (C)), searched on log λ around (C)'s own best multiplier at horizon N."""
    center = np.log(schedopt.optimal_scale(shape).scale)
    res = minimize_scalar(lambda u: applied_bound(np.exp(u) * shape),
                          bounds=(center - 4.0, center + 4.0), method="bounded",
                          options={"xatol": 1e-10})
    return float(np.exp(res.x))


def schedules(N):
    """Every schedule of the table for N applied rates, with the multiplier it carries."""
    out = {"applied": (schedopt.optimal_schedule(N + 1).eta[:N], "the optimum's own"),
           "full": (schedopt.optimal_schedule(N).eta, "the optimum's own ((C) at horizon N)"),
           "monotone": (schedopt.optimal_schedule(N + 1, monotone=True).eta[:N],
                        "the optimum's own")}
    for name in FAMILY_ROWS:
        shape = schedopt.FAMILIES[name](N)
        lam = best_applied_multiplier(shape)
        out[name] = (lam * shape, f"λ = {lam:.6g} (argmin applied_bound)")
    out["minimax"] = (minimax_schedule(N), "D(N+1−t)/(G(N+1)^{3/2})")
    return out


def measure(N):
    row = {"N": N, "minimax_value": 1 / np.sqrt(N + 1), "schedules": {}}
    for key, (eta, multiplier) in schedules(N).items():
        load = os.getloadavg()[0]
        wc = worst_case(eta)
        bound = applied_bound(eta)
        row["schedules"][key] = {
            "worst_case": wc.value, "ratio": wc.value * np.sqrt(N + 1), "status": wc.status,
            "gap": wc.gap, "seconds": wc.seconds, "load": load, "applied_bound": bound,
            "bound_over_worst": bound / wc.value, "multiplier": multiplier,
            "applied_multiplier": best_applied_multiplier(eta) if key == "applied" else None}
        print(f"  N={N:3d} {key:20s} worst/minimax {wc.value * np.sqrt(N + 1):.4f}  "
              f"bound/worst {bound / wc.value:.3f}  {wc.seconds:6.2f} s (load {load:.2f}) "
              f"{wc.status}", flush=True)
    return row


def timing(N):
    """One minimax solve: wall and CPU seconds (Clarabel may use both cores) with the load."""
    load_before = os.getloadavg()[0]
    cpu = time.process_time()
    wc = worst_case(minimax_schedule(N))
    out = {"N": N, "wall_seconds": wc.seconds, "cpu_seconds": time.process_time() - cpu,
           "load_before": load_before, "load_after": os.getloadavg()[0], "status": wc.status,
           "ratio": wc.value * np.sqrt(N + 1)}
    print(f"  timing N={N}: {out['wall_seconds']:.1f} s wall, {out['cpu_seconds']:.1f} s CPU, "
          f"load {load_before:.2f} -> {out['load_after']:.2f}", flush=True)
    return out


def theory_indexing(T):
    """docs/math.md §5's numbers: the horizon-T optimum, its first T − 1 rates judged on θ_T."""
    result = schedopt.optimal_schedule(T)
    wc = worst_case(result.eta[:T - 1])
    return {"T": T, "worst_over_minimax": wc.value * np.sqrt(T),
            "bound_over_worst": result.bound / wc.value, "seconds": wc.seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 5, 10, 20, 40 only")
    parser.add_argument("--page-only", action="store_true",
                        help="rewrite the page and figure from the stored JSON, solving nothing")
    parser.add_argument("--timing-only", action="store_true",
                        help="time the minimax solves at N = 40 and 80 again (wall and CPU) "
                             "and store them in the JSON beside the stored table")
    args = parser.parse_args()
    if args.page_only or args.timing_only:
        payload = json.loads((RESULTS / "worst_case.json").read_text())
        if args.timing_only:
            payload["timing"] = [timing(N) for N in (40, 80)]
            (RESULTS / "worst_case.json").write_text(json.dumps(payload, indent=1) + "\n")
        write_outputs(payload)
        return 0
    grid = [5, 10, 20, 40] if args.quick else [5, 10, 20, 40, 60, 80]
    start = time.perf_counter()
    load_before = os.getloadavg()
    rows = [measure(N) for N in grid]
    theory = [theory_indexing(T) for T in grid]
    payload_timing = [timing(N) for N in (40, 80) if N <= grid[-1]]
    for t in theory:
        print(f"  docs/math.md indexing T={t['T']:3d}: worst/minimax {t['worst_over_minimax']:.4f} "
              f"bound/worst {t['bound_over_worst']:.3f}")
    payload = {"rows": rows, "theory_indexing": theory, "timing": payload_timing, "labels": ROWS,
               "load_before": load_before, "load_after": os.getloadavg(),
               "total_seconds": time.perf_counter() - start,
               "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                           "cpus": os.cpu_count()}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "worst_case.json").write_text(json.dumps(payload, indent=1) + "\n")
    write_outputs(payload)
    return 0


def write_outputs(payload):
    rows = payload["rows"]
    table = markdown_table(rows)
    print(table)
    print(timing_lines(rows))
    plot(rows)
    PAGE.write_text(page(payload, table, timing_lines(rows) + timing_extra(payload)))
    print(f"wrote {RESULTS / 'worst_case.json'}, {PAGE} and {FIGURE}")


def markdown_table(rows) -> str:
    head = "| schedule | " + " | ".join(f"N = {r['N']}" for r in rows) + " |"
    lines = [head, "|---|" + "---|" * len(rows)]
    for key, label in ROWS.items():
        lines.append(f"| {label} | " + " | ".join(
            f"{r['schedules'][key]['ratio']:.4f}" for r in rows) + " |")
    lines.append("| applied_bound / worst case, applied optimum | " + " | ".join(
        f"{r['schedules']['applied']['bound_over_worst']:.3f}" for r in rows) + " |")
    return "\n".join(lines)


def timing_lines(rows) -> str:
    out = []
    for r in rows:
        s = r["schedules"]
        times = [v["seconds"] for v in s.values()]
        out.append(f"- N = {r['N']}: worst_case {np.median(times):.2f} s median, "
                   f"{max(times):.2f} s slowest of {len(times)} solves "
                   f"(load average {s['minimax']['load']:.2f} at the minimax solve)")
    return "\n".join(out)


def theory_table(theory) -> str:
    lines = ["| T (horizon of (C)) | " + " | ".join(str(t["T"]) for t in theory) + " |",
             "|---|" + "---|" * len(theory),
             "| worst case of θ_T / (1/√T) | " + " | ".join(
                 f"{t['worst_over_minimax']:.4f}" for t in theory) + " |",
             "| optimum of (C) / worst case of θ_T | " + " | ".join(
                 f"{t['bound_over_worst']:.3f}" for t in theory) + " |"]
    return "\n".join(lines)


def page(payload, table, timing) -> str:
    rows = payload["rows"]
    applied = [r["schedules"]["applied"]["ratio"] for r in rows]
    full = [r["schedules"]["full"]["ratio"] for r in rows]
    linear = [r["schedules"]["linear_decay"]["ratio"] for r in rows]
    loose = [r["schedules"]["applied"]["bound_over_worst"] for r in rows]
    multipliers = "\n".join(
        ["| multiplier λ | " + " | ".join(f"N = {r['N']}" for r in rows) + " |",
         "|---|" + "---|" * len(rows)]
        + [f"| {FAMILY_ROWS[k]} | " + " | ".join(
            r["schedules"][k]["multiplier"].split()[2] for r in rows) + " |"
           for k in FAMILY_ROWS])
    load = payload["load_before"][0], payload["load_after"][0]
    return f"""# The exact worst case of the schedule you apply

*Generated by `python benchmarks/worst_case.py` (numbers in
`benchmarks/results/worst_case.json`, figure `benchmarks/figures/worst_case.png`).*

Training for N updates keeps θ_{{N+1}}. For each schedule below, the table gives the **exact
deterministic worst case** of f(θ_{{N+1}}) − f* over convex G-Lipschitz f with ‖θ_1 − θ*‖ ≤ D
(`schedopt.worst_case`, the performance-estimation SDP with the full set of interpolation
inequalities, docs/math.md §5.2), divided by the minimax value D·G/√(N+1): no N-step method can
guarantee less, and the Zamani–Glineur steps `schedopt.minimax_schedule(N)` reach it exactly
(docs/math.md §5.3). 1.00 is the best possible; D = G = 1 (the ratio does not depend on D, G when the
schedule is scaled by D/G). The worst case is a lower bound on the stochastic worst case that
bound (C) covers, so the last row, applied_bound / worst case, is how loose (C) is on the
applied optimum.

{table}

Multipliers. The applied optimum, today's full optimum and the monotone optimum carry the
optimum's own scale (for the applied optimum this is also the multiplier minimising
`applied_bound`, to 1e-8). Linear decay, cosine (to 0), WSD (no warm-up, 20% linear
cool-down; at N = 5 the cool-down rounds to one step at the peak, so WSD equals constant) and
constant are the peak-1 shapes of `schedopt.FAMILIES` scaled by λ = argmin
`applied_bound(λ·shape)` (bound (C) at horizon N + 1 with the best never-applied weight),
found by a bounded scalar search on log λ (the function is convex in λ):

{multipliers}

**What it means for you.** Apply the first N rates of the horizon-(N+1) optimum (worst case
{min(applied):.2f}–{max(applied):.2f}× the best possible here), not the full horizon-N optimum,
whose last-step jump costs {min(full):.2f}–{max(full):.2f}× on the parameters you keep. Plain linear decay at its best
multiplier is within {100 * (max(linear) - 1):.2f}% of the minimax value, and bound (C) is
{min(loose):.2f}–{max(loose):.2f}× the true worst case on the applied optimum, so a smaller (C) does
not always mean a smaller worst case.

## docs/math.md §5's indexing

docs/math.md §5 states its numbers for the optimum of (C) at horizon T judged on θ_T, i.e. its first
T − 1 rates (N = T − 1 in the table above) against 1/√T:

{theory_table(payload["theory_indexing"])}

## Time

`worst_case` (cvxpy model building + Clarabel) on the 2-core machine, load average
{load[0]:.2f} before and {load[1]:.2f} after the run:

{timing}

{time_summary(payload)}
"""


def time_summary(payload) -> str:
    solves = [v for r in payload["rows"] for v in r["schedules"].values()]
    inaccurate = sum(v["status"] != "optimal" for v in solves)
    worst_gap = max(abs(v["gap"]) / v["worst_case"] for v in solves)
    cpu = {t["N"]: t["cpu_seconds"] for t in payload.get("timing", [])}
    text = (f"All {len(solves)} solves were accepted ({inaccurate} of them `optimal_inaccurate`, "
            f"Clarabel's AlmostSolved), with a duality gap of at most {worst_gap:.1e} of the "
            f"value. Wall time depends on how many processes share the two cores (load "
            f"averages of 3 to 14 during this run)")
    if cpu:
        text += ("; the CPU time of one solve is the steadier figure: " + ", ".join(
            f"{c:.1f} s at N = {n}" for n, c in cpu.items()))
    if 40 in cpu and 80 in cpu:
        text += (f"; from N = 40 to 80 the CPU time grows like "
                 f"N^{np.log2(cpu[80] / cpu[40]):.1f}")
    return text + "."


def timing_extra(payload) -> str:
    lines = [f"- separate minimax solve at N = {t['N']}: {t['wall_seconds']:.1f} s wall, "
             f"{t['cpu_seconds']:.1f} s CPU (load average {t['load_before']:.2f} → "
             f"{t['load_after']:.2f})" for t in payload.get("timing", [])]
    return "\n" + "\n".join(lines) if lines else ""


def plot(rows):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    short = {"applied": "applied optimum (first N of horizon N+1)",
             "full": "today's full optimum (all N of horizon N)",
             "monotone": "monotone applied optimum", "linear_decay": "linear decay",
             "cosine_decay": "cosine", "warmup_stable_decay": "WSD (20% cool-down)",
             "constant": "constant"}
    Ns = [r["N"] for r in rows]
    fig, ax = plt.subplots(figsize=(8.5, 4.2), layout="constrained")
    for key, label in short.items():
        ax.plot(Ns, [r["schedules"][key]["ratio"] for r in rows], marker="o", ms=3, label=label)
    ax.axhline(1.0, color="k", lw=1.2, ls="--", label="minimax $DG/\\sqrt{N+1}$ (Zamani–Glineur)")
    ax.set_xscale("log")
    ax.set_xticks(Ns, [str(n) for n in Ns])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("N (rates applied)")
    ax.set_ylabel("exact worst case / $(DG/\\sqrt{N+1})$")
    ax.set_title("Exact worst case of $f(\\theta_{N+1}) - f^*$, convex G-Lipschitz f",
                 fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
