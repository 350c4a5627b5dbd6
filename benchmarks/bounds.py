"""Benchmark for ``last_iterate_bound`` (issues 2 §5 and 14 §4): value-and-gradient time
against the previous release's code and a naive formula, and the cost of a first eager call.

Bound (C) of docs/math.md §2 with its gradient, ``jax.jit(jax.value_and_grad(last_iterate_bound))``,
at T = 10³ … 10⁷ on the CPU, side by side in one run with two baselines: ``v0.1.0``, the same
jit of the previous release's implementation (a faithful copy in
``benchmarks/baseline/bounds_v010.py``), and ``naive``, the straightforward cumsum formula
below. The three are timed in alternation (one call of each per repeat, so that all see the
same load) and the table gives the median and the fastest of the repeats, compilation
excluded, with the CPU time of the process (``time.process_time``, less sensitive to the
other jobs on a shared machine) and the minor page faults per call (``getrusage``): above
glibc's 32 MB mmap threshold XLA:CPU's fresh buffers are mapped and zero-filled anew on
every call, which dominates at T = 10⁷. The load average is recorded beside every row. The
schedule is the linear decay ``1 − t/(T+1)`` with D = G = 1.

Memory: XLA's own buffer assignment for the compiled function (``memory_analysis()``):
temporaries, and temporaries + argument + output, in MB.

Each row also checks that ours and v0.1.0 give the same value (relative difference) and
gradient (largest difference relative to the largest gradient entry).

A CPU row vmaps all three over 64 schedules of T = 10⁴. With a GPU backend, also T = 10⁸ and
a vmap batch of 1024 schedules of T = 10⁴; without one they are reported as not measured.

Last, the first eager call ``last_iterate_bound(eta)`` at a length not seen before in the
process (what a solver or a user pays once per new T): ours evaluates concrete schedules up
to ``HOST_MAX`` in numpy; v0.1.0 compiled its jitted function for every new length.

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

import resource

import jax
import jax.numpy as jnp
import numpy as np

import schedopt
from schedopt import last_iterate_bound

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import bounds_v010  # noqa: E402  (the v0.1.0 copy, benchmarks only)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CPU_SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
CPU_BATCH = (64, 10**4)           # a vmap row on the CPU too: 64 schedules of T = 10⁴
TARGET_MS = {10**6: 6.0, 10**7: 60.0}   # issue 14 §4, on the 2-core CPU machine
EAGER_SIZES = (10**3, 10**4, 10**5)


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


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_pair(fns, args, min_repeats: int, budget_s: float) -> dict[str, dict[str, list]]:
    """Wall and CPU seconds and minor faults per call for each function, called in
    alternation, compile excluded."""
    for fn in fns.values():                       # compile and warm up
        _block(fn(*args))
        _block(fn(*args))
    times = {name: {"wall": [], "cpu": [], "faults": []} for name in fns}
    first = next(iter(fns))
    start = time.perf_counter()
    while (len(times[first]["wall"]) < min_repeats
           or time.perf_counter() - start < budget_s) and len(times[first]["wall"]) < 200:
        for name, fn in fns.items():
            f0, c0, t0 = faults(), time.process_time(), time.perf_counter()
            _block(fn(*args))
            times[name]["wall"].append(time.perf_counter() - t0)
            times[name]["cpu"].append(time.process_time() - c0)
            times[name]["faults"].append(faults() - f0)
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


def stats(t: dict[str, list]) -> dict[str, float]:
    return {"median_ms": 1e3 * float(np.median(t["wall"])), "min_ms": 1e3 * float(np.min(t["wall"])),
            "cpu_median_ms": 1e3 * float(np.median(t["cpu"])),
            "faults_per_call": float(np.median(t["faults"])), "repeats": len(t["wall"])}


def v010(eta, D=1.0, G=1.0):
    return bounds_v010.last_iterate_bound(eta, D, G)


def bench_size(T: int, batch: int | None = None) -> dict:
    """One row: ours, v0.1.0 and naive at length T (a vmapped batch when ``batch`` is set)."""
    if batch is None:
        eta = jnp.asarray(linear_decay(T))
        wrap = lambda f: jax.jit(jax.value_and_grad(f))                   # noqa: E731
    else:
        rng = np.random.default_rng(0)
        eta = jnp.asarray(linear_decay(T) * rng.uniform(0.5, 1.0, (batch, T)))
        wrap = lambda f: jax.jit(jax.vmap(jax.value_and_grad(f)))         # noqa: E731
    fns = {"ours": wrap(last_iterate_bound), "v0.1.0": wrap(v010), "naive": wrap(naive)}
    load = os.getloadavg()[0]
    times = time_pair(fns, (eta,), min_repeats=5 if T * (batch or 1) >= 10**7 else 20,
                      budget_s=2.0)
    row = {"T": T, "batch": batch, "load_before_after": [load, os.getloadavg()[0]]}
    for name, fn in fns.items():
        row[name] = stats(times[name]) | {"memory": memory_mb(fn, eta)}
    row["check"] = agreement(fns["ours"](eta), fns["v0.1.0"](eta))
    row["ratio_v010_over_ours"] = row["v0.1.0"]["median_ms"] / row["ours"]["median_ms"]
    row["ratio_naive_over_ours"] = row["naive"]["median_ms"] / row["ours"]["median_ms"]
    return row


EAGER_CHILD = r"""
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
import jax
from baseline import bounds_v010
from schedopt import last_iterate_bound
T = int(sys.argv[1])
fn = {"ours": last_iterate_bound, "v0.1.0": bounds_v010.last_iterate_bound}[sys.argv[3]]
eta = 1.0 - np.arange(1, T + 1) / (T + 1)
float(fn(np.ones(7)))                        # backend and first-use costs, not per length
out = []
for length in (T, T, T + 8):
    t0 = time.perf_counter(); float(fn(eta[:length] if length <= T else np.append(eta, eta[-8:])))
    out.append(time.perf_counter() - t0)
print(*out)
"""


def eager_first_calls() -> list[dict]:
    """Fresh process per size and code: first eager call at a new T, again, and at T + 8."""
    import subprocess
    rows = []
    for T in EAGER_SIZES:
        row = {"T": T, "load": os.getloadavg()[0]}
        for code in ("ours", "v0.1.0"):
            done = subprocess.run([sys.executable, "-c", EAGER_CHILD, str(T), str(HERE), code],
                                  capture_output=True, text=True,
                                  env=dict(os.environ, PYTHONPATH=str(HERE.parent)))
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            first, again, other = (float(x) * 1e3 for x in done.stdout.split())
            row[code] = {"first_ms": first, "again_ms": again, "new_length_ms": other}
        rows.append(row)
    return rows


def eager_table(rows) -> str:
    lines = ["| T | ours first / again / T+8 ms | v0.1.0 first / again / T+8 ms | load |",
             "|---|---|---|---|"]
    for r in rows:
        o, b = r["ours"], r["v0.1.0"]
        lines.append(f"| {r['T']:.0e} | {o['first_ms']:.1f} / {o['again_ms']:.2f} / "
                     f"{o['new_length_ms']:.1f} | {b['first_ms']:.1f} / {b['again_ms']:.2f} / "
                     f"{b['new_length_ms']:.1f} | {r['load']:.1f} |")
    return "\n".join(lines)


def fmt_mem(m):
    return "n/a" if m is None else f"{m['temp_MB']:.1f} / {m['total_MB']:.1f}"


def table(rows) -> str:
    lines = ["| T | ours median (min) ms | v0.1.0 median (min) ms | v0.1.0 / ours | naive median ms "
             "| CPU ms ours / v0.1.0 | faults per call ours / v0.1.0 | ours memory MB temp / total "
             "| v0.1.0 memory MB | value rel. diff | grad rel. diff | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        T = f"{r['T']:.0e}".replace("e+0", "e") if r["batch"] is None else f"{r['batch']} × {r['T']:.0e}".replace("e+0", "e")
        o, b, n, c = r["ours"], r["v0.1.0"], r["naive"], r["check"]
        lines.append(f"| {T} | {o['median_ms']:.2f} ({o['min_ms']:.2f}) | {b['median_ms']:.2f} "
                     f"({b['min_ms']:.2f}) | {r['ratio_v010_over_ours']:.2f}× | {n['median_ms']:.2f} "
                     f"| {o['cpu_median_ms']:.1f} / {b['cpu_median_ms']:.1f} "
                     f"| {o['faults_per_call']:.0f} / {b['faults_per_call']:.0f} | {fmt_mem(o['memory'])} "
                     f"| {fmt_mem(b['memory'])} | {c['value_rel_diff']:.1e} | {c['grad_rel_diff']:.1e} "
                     f"| {r['load_before_after'][0]:.1f}–{r['load_before_after'][1]:.1f} |")
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
                      f"v0.1.0 {cpu_rows[-1]['v0.1.0']['median_ms']:.2f} ms", flush=True)
        gpu_rows, gpu_note = [], None
        if backend == "gpu" and not args.quick:
            for T, batch in ((10**8, None), (10**4, 1024)):
                gpu_rows.append(bench_size(T, batch))
        else:
            gpu_note = (f"GPU rows (T = 1e8; vmap of 1024 × 1e4) not measured: the JAX backend "
                        f"here is {backend!r}" + (" (--quick)" if args.quick else ""))
    eager = [] if args.quick or args.sizes else eager_first_calls()
    load_after = os.getloadavg()

    print(f"\nBound (C) value and gradient, jax.jit(jax.value_and_grad(...)), float64, "
          f"CPU ({os.cpu_count()} cores), load average {load_before[0]:.1f} → {load_after[0]:.1f}")
    print(table(cpu_rows))
    for T, target in TARGET_MS.items():
        row = next((r for r in cpu_rows if r["T"] == T), None)
        if row is not None:
            met = "met" if row["ours"]["median_ms"] <= target else "NOT met"
            print(f"target ≤ {target} ms at T = {T:.0e}: median {row['ours']['median_ms']:.2f} ms ({met})")
    if eager:
        print("\nFirst eager call last_iterate_bound(eta) at a new length, fresh process")
        print(eager_table(eager))
    if gpu_rows:
        print(f"\nGPU ({jax.devices()[0].device_kind})")
        print(table(gpu_rows))
    else:
        print("\n" + gpu_note)

    result = {
        "benchmark": "last_iterate_bound value_and_grad vs v0.1.0's and a cumsum formula's; "
                     "first eager call at a new length",
        "schedule": "linear decay 1 - t/(T+1), D = G = 1, float64",
        "timing": "median and min over alternating repeats, compilation excluded; CPU time "
                  "and minor page faults per call",
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
        "eager_first_calls": eager,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
