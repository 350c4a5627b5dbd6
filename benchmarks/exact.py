"""Benchmark (issue 14): ``optimal_schedule(T)`` end to end with the exact recursion of
docs/math.md §4.4, against the previous release's code path, in one run.

Ours is ``optimal_schedule(T, method="exact")``. The baseline is v0.1.0's path, rebuilt from
faithful copies (``benchmarks/baseline/exact_v010.py`` and ``bounds_v010.py``): the same
validation (``make_problem``), its chunked scan and running product (``exact_shape``), its
``optimal_scale`` and the same ``ScheduleResult``. The two are called in alternation after a
warm-up (compilation excluded); the table gives the median and fastest wall time, the median
CPU time of the process (``time.process_time``, less sensitive to other jobs on a shared
machine), the load average, and how far the two schedules and bounds differ. D = G = 1, and a
per-step G row (uniform in [0.5, 2]).

Usage: ``python benchmarks/exact.py [--sizes N ...] [--out PATH]``.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baseline import bounds_v010  # noqa: E402
from baseline import exact_v010  # noqa: E402
from schedopt import optimal_schedule  # noqa: E402
from schedopt._result import ScheduleResult  # noqa: E402
from schedopt.solvers._solve import make_problem  # noqa: E402

RESULTS = HERE / "results"
SIZES = (10**4, 10**5, 10**6, 10**7)
TARGET_MS = {10**6: 35.0}


def baseline(T, D=1.0, G=1.0) -> ScheduleResult:
    """v0.1.0's ``_solve_exact`` on its own copies of the recursion and ``optimal_scale``."""
    problem = make_problem(T, D, G)
    start = time.perf_counter()
    shape, J1 = exact_v010.exact_shape(problem.G2)
    scale = bounds_v010.optimal_scale(shape, problem.D, problem.G)
    return ScheduleResult(eta=scale.scale * shape, bound=problem.D * np.sqrt(J1), method="exact",
                          converged=True, iterations=0, seconds=time.perf_counter() - start,
                          message="closed-form recursion (docs/math.md §4.4)", gap=0.0)


def ours(T, D=1.0, G=1.0) -> ScheduleResult:
    return optimal_schedule(T, D, G, method="exact")


def bench(T: int, G) -> dict:
    fns = {"ours": ours, "v0.1.0": baseline}
    for fn in fns.values():
        fn(T, 1.0, G)
    times = {name: {"wall": [], "cpu": []} for name in fns}
    load = os.getloadavg()[0]
    repeats = 5 if T >= 10**7 else 15
    for _ in range(repeats):
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn(T, 1.0, G)
            times[name]["wall"].append(time.perf_counter() - t0)
            times[name]["cpu"].append(time.process_time() - c0)
    a, b = ours(T, 1.0, G), baseline(T, 1.0, G)
    row = {"T": T, "G": "per step" if np.ndim(G) else "1", "repeats": repeats,
           "load_before_after": [load, os.getloadavg()[0]],
           "bound_rel_diff": abs(a.bound - b.bound) / b.bound,
           "eta_max_rel_diff": float(np.max(np.abs(a.eta - b.eta) / b.eta))}
    for name in fns:
        row[name] = {"median_ms": 1e3 * float(np.median(times[name]["wall"])),
                     "min_ms": 1e3 * float(np.min(times[name]["wall"])),
                     "cpu_median_ms": 1e3 * float(np.median(times[name]["cpu"]))}
    row["ratio_v010_over_ours"] = row["v0.1.0"]["median_ms"] / row["ours"]["median_ms"]
    return row


def table(rows) -> str:
    lines = ["| T | G | ours median (min) ms | v0.1.0 median (min) ms | v0.1.0 / ours "
             "| CPU ms ours / v0.1.0 | bound rel. diff | η max rel. diff | load |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        o, b = r["ours"], r["v0.1.0"]
        lines.append(f"| {r['T']:.0e} | {r['G']} | {o['median_ms']:.1f} ({o['min_ms']:.1f}) | "
                     f"{b['median_ms']:.1f} ({b['min_ms']:.1f}) | {r['ratio_v010_over_ours']:.2f}× "
                     f"| {o['cpu_median_ms']:.1f} / {b['cpu_median_ms']:.1f} "
                     f"| {r['bound_rel_diff']:.1e} | {r['eta_max_rel_diff']:.1e} "
                     f"| {r['load_before_after'][0]:.1f}–{r['load_before_after'][1]:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--out", type=Path, default=RESULTS / "exact.json")
    args = parser.parse_args(argv)
    rows = []
    for T in args.sizes:
        rows.append(bench(T, 1.0))
        print(f"  T={T:.0e}: ours {rows[-1]['ours']['median_ms']:.1f} ms, "
              f"v0.1.0 {rows[-1]['v0.1.0']['median_ms']:.1f} ms", flush=True)
    T = 10**6
    rows.append(bench(T, np.random.default_rng(0).uniform(0.5, 2.0, T)))
    print(f"\noptimal_schedule(T) end to end, method='exact', float64, CPU ({os.cpu_count()} cores)")
    print(table(rows))
    for T, target in TARGET_MS.items():
        row = next((r for r in rows if r["T"] == T and r["G"] == "1"), None)
        if row is not None:
            met = "met" if row["ours"]["median_ms"] <= target else "NOT met"
            print(f"target ≤ {target} ms at T = {T:.0e}: median {row['ours']['median_ms']:.1f} ms "
                  f"wall, {row['ours']['cpu_median_ms']:.1f} ms CPU ({met} on wall time)")
    result = {"benchmark": "optimal_schedule(T, method='exact') end to end vs v0.1.0's path",
              "timing": "median and min over alternating repeats after a warm-up; CPU time of "
                        "the process", "machine": {"platform": platform.platform(),
                                                   "cpu_count": os.cpu_count(),
                                                   "python": sys.version.split()[0]},
              "targets_ms": {str(k): v for k, v in TARGET_MS.items()}, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
