"""Benchmark for the applied-rate rule (issue 11 item 1, docs/math.md §5.1).

Part 1, the rule itself. For N updates and several gradient-norm profiles (constant G = 1 and
G = 3, a rising, a falling and a wobbling per-step G) with and without a linear warm-up of
W = N/20 updates, the N values optax receives from ``optimal_optax_schedule(N, peak_lr)``
(called with a vector of counts under x64) are compared bit for bit with the first N entries
of ``optimal_schedule(N + 1, ...)`` (same constraints) scaled to the peak, and the largest
relative rise ``max_t (η_{t+1} − η_t)/η_t`` after the warm-up is recorded (negative: strictly
decreasing). The falling and wobbling profiles are expected to rise: η_t ∝ G_t⁻² where G falls.

Part 2, time. ``optimal_optax_schedule(N, 0.1)`` with its defaults (``monotone=False``: the
exact O(N) recursion), first call in this process (JAX compilation included, imports not) and
the median of 3 warm calls, for N = 10⁴ … 10⁶; baseline in the same run: the old default
``monotone=True`` (the Newton solver) at ``--baseline-max-N`` and below.

Usage: ``python benchmarks/applied.py [--quick] [--baseline-max-N N]``. Writes
``benchmarks/results/applied.json`` (``applied_quick.json`` with ``--quick``) and prints the
tables in markdown, with the load average beside the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import schedopt
from schedopt import optimal_optax_schedule
from schedopt import optimal_schedule
from schedopt.adapters._peak import scale_to_peak

RESULTS = Path(__file__).resolve().parent / "results"
PEAK = 0.1


def profiles(N: int) -> dict:
    t = np.arange(1, N + 1) / N
    return {"constant 1": 1.0, "constant 3": 3.0, "rising": 1.0 + t, "falling": 2.0 - t,
            "wobble": 1.0 + 0.3 * np.sin(12 * np.pi * t)}


def rule_row(N: int, name: str, G, W: int) -> dict:
    values_fn = optimal_optax_schedule(N, PEAK, G=G, warmup=W)
    with jax.enable_x64(True):
        values = np.asarray(values_fn(jnp.arange(N)))
    G_horizon = np.append(G, G[-1]) if np.ndim(G) else G
    full = optimal_schedule(N + 1, 1.0, G_horizon, warmup=W or None).eta
    reference = scale_to_peak(full[:N], PEAK)
    after = values[W:]
    rise = float(np.max(np.diff(after) / after[:-1])) if after.size > 1 else None
    return {"N": N, "G": name, "warmup": W, "bit_for_bit": values.tobytes() == reference.tobytes(),
            "max_relative_rise_after_warmup": rise}


def time_row(N: int, monotone: bool) -> dict:
    start = time.perf_counter()
    optimal_optax_schedule(N, PEAK, monotone=monotone)
    first = time.perf_counter() - start
    warm = []
    for _ in range(3 if not monotone else 1):
        start = time.perf_counter()
        optimal_optax_schedule(N, PEAK, monotone=monotone)
        warm.append(time.perf_counter() - start)
    return {"N": N, "monotone": monotone, "first_s": first, "warm_s": statistics.median(warm),
            "loadavg": os.getloadavg()[0]}


def markdown(rules, times) -> str:
    lines = ["| N | G | warm-up | bit for bit | max relative rise after warm-up |",
             "|---|---|---|---|---|"]
    for r in rules:
        rise = "n/a" if r["max_relative_rise_after_warmup"] is None else \
            f"{r['max_relative_rise_after_warmup']:+.3e}"
        lines.append(f"| {r['N']:,} | {r['G']} | {r['warmup']} | "
                     f"{'yes' if r['bit_for_bit'] else 'NO'} | {rise} |")
    lines += ["", "| N | monotone | first call (s) | warm call (s) | load average (1 min) |",
              "|---|---|---|---|---|"]
    for r in times:
        lines.append(f"| {r['N']:,} | {r['monotone']} | {r['first_s']:.3f} | "
                     f"{r['warm_s']:.3f} | {r['loadavg']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N only (smoke test)")
    parser.add_argument("--baseline-max-N", type=int, default=10**4,
                        help="largest N for the monotone=True baseline (default 10⁴)")
    args = parser.parse_args(argv)
    sizes = [2, 5, 10, 40, 100] if args.quick else [2, 5, 10, 20, 40, 100, 1000, 10**4, 10**5]
    timed = [10**3] if args.quick else [10**4, 10**5, 10**6]
    started = time.perf_counter()
    times = [time_row(N, False) for N in timed]
    times += [time_row(N, True) for N in timed if N <= args.baseline_max_N]
    rules = [rule_row(N, name, G, W) for N in sizes for name, G in profiles(N).items()
             for W in sorted({0, N // 20})]
    table = markdown(rules, times)
    print(table)
    meta = dict(schedopt=schedopt.__version__, jax=jax.__version__, numpy=np.__version__,
                python=platform.python_version(),
                machine=f"{platform.machine()}, {os.cpu_count()} CPU cores",
                backend=jax.default_backend(), quick=args.quick,
                total_s=time.perf_counter() - started,
                note="first call includes JAX compilation; timings on a shared machine")
    out = RESULTS / ("applied_quick.json" if args.quick else "applied.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(dict(meta=meta, rules=rules, times=times, table=table),
                              indent=1) + "\n")
    tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
