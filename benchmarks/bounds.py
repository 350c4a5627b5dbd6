"""Benchmark for ``last_iterate_bound`` (issue 2 §5): value-and-gradient time against a baseline.

Bound (C) of docs/math.md §2 with its gradient, ``jax.jit(jax.value_and_grad(last_iterate_bound))``,
at T = 10³ … 10⁷ on the CPU, side by side in one run with the baseline: the same jit of
``value_and_grad`` of the straightforward cumsum formula (``naive`` below). The two are timed
in alternation (one call of each per repeat, so that both see the same load) and the table
gives the median and the fastest of the repeats, compilation excluded. The schedule is the
linear decay ``1 − t/(T+1)`` with D = G = 1.

Memory: XLA's own buffer assignment for the compiled function (``memory_analysis()``):
temporaries, and temporaries + argument + output, in MB. This is the peak of what the
executable allocates (XLA:CPU frees nothing inside one call), not a process RSS.

Each row also checks that both give the same value (relative difference) and gradient
(largest difference relative to the largest gradient entry).

A last CPU row vmaps both over 64 schedules of T = 10⁴ (the linear decay times random factors
in [0.5, 1]). With a GPU backend, also T = 10⁸ and a vmap batch of 1024 schedules of T = 10⁴ (linear decay
times random factors in [0.5, 1]); without one they are reported as not measured.

Usage: ``python benchmarks/bounds.py [--quick] [--sizes N ...] [--out PATH]``.
``--quick``: T = 10³ and 10⁴ only (a smoke test), written to ``bounds_quick.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import schedopt
from schedopt import last_iterate_bound

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CPU_SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
CPU_BATCH = (64, 10**4)           # a vmap row on the CPU too: 64 schedules of T = 10⁴
TARGET_MS = {10**6: 5.0}          # issue 2 §5, on the 2-core CPU machine


def naive(eta, D=1.0, G=1.0):
    """Bound (C) as anyone would first write it: one cumsum, autodiff for the gradient."""
    S = jnp.cumsum(eta[::-1])[::-1]
    denom = jnp.append(S[1:], S[-1])
    return D**2 / (2 * S[0]) + 0.5 * jnp.sum(G**2 * eta**2 / denom)


def linear_decay(T: int) -> np.ndarray:
    t = np.arange(1, T + 1)
    return 1.0 - t / (T + 1)


def _block(out):
    return jax.block_until_ready(out)


def time_pair(fns, args, min_repeats: int, budget_s: float) -> dict[str, list[float]]:
    """Seconds per call for each function, called in alternation, compile excluded."""
    for fn in fns.values():                       # compile and warm up
        _block(fn(*args))
        _block(fn(*args))
    times = {name: [] for name in fns}
    start = time.perf_counter()
    while (len(times[next(iter(fns))]) < min_repeats
           or time.perf_counter() - start < budget_s) and len(times[next(iter(fns))]) < 200:
        for name, fn in fns.items():
            t0 = time.perf_counter()
            _block(fn(*args))
            times[name].append(time.perf_counter() - t0)
    return times


def memory_mb(fn, *args) -> dict[str, float] | None:
    try:
        ma = fn.lower(*args).compile().memory_analysis()
    except Exception:                              # some backends give no analysis
        return None
    if ma is None:
        return None
    temp = ma.temp_size_in_bytes / 1e6
    total = temp + (ma.argument_size_in_bytes + ma.output_size_in_bytes) / 1e6
    return {"temp_MB": round(temp, 3), "total_MB": round(total, 3)}


def agreement(ours, base) -> dict[str, float]:
    """Values (the worst member of a batch) and gradients (relative to the largest entry)."""
    (v1, g1), (v2, g2) = [tuple(np.asarray(a) for a in pair) for pair in (ours, base)]
    return {"value_ours": float(v1.flat[0]), "value_baseline": float(v2.flat[0]),
            "value_rel_diff": float(np.max(np.abs(v1 - v2) / np.abs(v2))),
            "grad_rel_diff": float(np.max(np.abs(g1 - g2)) / np.max(np.abs(g2)))}


def stats(ts: list[float]) -> dict[str, float]:
    return {"median_ms": 1e3 * float(np.median(ts)), "min_ms": 1e3 * float(np.min(ts)),
            "repeats": len(ts)}


def bench_size(T: int, batch: int | None = None) -> dict:
    """One row: ours and the baseline at length T (a vmapped batch when ``batch`` is set)."""
    if batch is None:
        eta = jnp.asarray(linear_decay(T))
        ours = jax.jit(jax.value_and_grad(last_iterate_bound))
        base = jax.jit(jax.value_and_grad(naive))
    else:
        rng = np.random.default_rng(0)
        eta = jnp.asarray(linear_decay(T) * rng.uniform(0.5, 1.0, (batch, T)))
        ours = jax.jit(jax.vmap(jax.value_and_grad(last_iterate_bound)))
        base = jax.jit(jax.vmap(jax.value_and_grad(naive)))
    times = time_pair({"ours": ours, "baseline": base}, (eta,),
                      min_repeats=5 if T * (batch or 1) >= 10**7 else 20, budget_s=2.0)
    row = {"T": T, "batch": batch,
           "ours": stats(times["ours"]) | {"memory": memory_mb(ours, eta)},
           "baseline": stats(times["baseline"]) | {"memory": memory_mb(base, eta)}}
    row["check"] = agreement(ours(eta), base(eta))
    row["speedup_median"] = row["baseline"]["median_ms"] / row["ours"]["median_ms"]
    return row


def fmt_mem(m):
    return "n/a" if m is None else f"{m['temp_MB']:.1f} / {m['total_MB']:.1f}"


def table(rows) -> str:
    lines = ["| T | ours median (min) ms | baseline median (min) ms | speed-up (median) "
             "| ours memory MB temp / total | baseline memory MB | value rel. diff | grad rel. diff |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        T = f"{r['T']:.0e}".replace("e+0", "e") if r["batch"] is None else f"{r['batch']} × {r['T']:.0e}".replace("e+0", "e")
        o, b, c = r["ours"], r["baseline"], r["check"]
        lines.append(f"| {T} | {o['median_ms']:.2f} ({o['min_ms']:.2f}) | {b['median_ms']:.2f} "
                     f"({b['min_ms']:.2f}) | {r['speedup_median']:.1f}× | {fmt_mem(o['memory'])} "
                     f"| {fmt_mem(b['memory'])} | {c['value_rel_diff']:.1e} | {c['grad_rel_diff']:.1e} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 10³, 10⁴ only")
    parser.add_argument("--sizes", type=int, nargs="+", help="CPU lengths T (default 10³…10⁷)")
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/bounds.json)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ((10**3, 10**4) if args.quick else CPU_SIZES)
    out = args.out or RESULTS / ("bounds_quick.json" if args.quick else "bounds.json")

    backend = jax.default_backend()
    load_before = os.getloadavg()
    with jax.enable_x64(True):        # float64 throughout, for the baseline too
        cpu = jax.devices("cpu")[0]
        with jax.default_device(cpu):
            cpu_rows = []
            batches = [] if args.sizes or args.quick else [CPU_BATCH]
            for T, batch in [(T, None) for T in sizes] + [(T, b) for b, T in batches]:
                cpu_rows.append(bench_size(T, batch))
                print(f"  cpu T={T:.0e} batch={batch}: ours {cpu_rows[-1]['ours']['median_ms']:.2f} ms, "
                      f"baseline {cpu_rows[-1]['baseline']['median_ms']:.2f} ms", flush=True)
        gpu_rows, gpu_note = [], None
        if backend == "gpu" and not args.quick:
            for T, batch in ((10**8, None), (10**4, 1024)):
                gpu_rows.append(bench_size(T, batch))
        else:
            gpu_note = (f"GPU rows (T = 1e8; vmap of 1024 × 1e4) not measured: the JAX backend "
                        f"here is {backend!r}" + (" (--quick)" if args.quick else ""))
    load_after = os.getloadavg()

    print(f"\nBound (C) value and gradient, jax.jit(jax.value_and_grad(...)), float64, "
          f"CPU ({os.cpu_count()} cores), load average {load_before[0]:.1f} → {load_after[0]:.1f}")
    print(table(cpu_rows))
    for T, target in TARGET_MS.items():
        row = next((r for r in cpu_rows if r["T"] == T), None)
        if row is not None:
            met = "met" if row["ours"]["median_ms"] <= target else "NOT met"
            print(f"target ≤ {target} ms at T = {T:.0e}: median {row['ours']['median_ms']:.2f} ms ({met})")
    if gpu_rows:
        print(f"\nGPU ({jax.devices()[0].device_kind})")
        print(table(gpu_rows))
    else:
        print("\n" + gpu_note)

    result = {
        "benchmark": "last_iterate_bound value_and_grad vs jit(value_and_grad(cumsum formula))",
        "schedule": "linear decay 1 - t/(T+1), D = G = 1, float64",
        "timing": "median and min over alternating repeats, compilation excluded",
        "memory": "XLA buffer assignment of the compiled function (memory_analysis): temp, "
                  "and temp + argument + output, MB",
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                    "jax": jax.__version__, "schedopt": getattr(schedopt, "__version__", None),
                    "backend": backend,
                    "load_average_before_after": [load_before[0], load_after[0]]},
        "targets_ms": {str(k): v for k, v in TARGET_MS.items()},
        "cpu": cpu_rows,
        "gpu": gpu_rows,
        "gpu_note": gpu_note,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
