"""worst_case (constraint generation, docs/math.md §5.2) against PEPit + Clarabel (issue 22).

The same problem both ways in the same process, alternating, on the minimax schedule
(exact value 1/√(N+1)) and on a random schedule: PEPit 0.5.1 (``ConvexLipschitzFunction``,
the subgradient steps, ``solve(wrapper="cvxpy", solver=CLARABEL)``, every interpolation pair)
and ``schedopt.theory.worst_case``. Wall and CPU seconds (``time.process_time``; Clarabel may
use both cores) and the load average beside each row. PEPit is a benchmark-only dependency:
without it the script compares with the full dense SDP (every pair, one solve) instead.

``--memory N …``: peak resident memory (``ru_maxrss``) of one worst_case per N, each in a
fresh process: the figures behind ``memory_needed``.

Usage: ``python benchmarks/worst_case_pep.py [--steps 10 20 40] [--memory 20 40 60]``.
Writes ``benchmarks/results/worst_case_pep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from schedopt.theory import _worst_case
from schedopt.theory._worst_case import minimax_schedule, worst_case

RESULTS = Path(__file__).resolve().parent / "results"


def pepit_value(h) -> float:
    import cvxpy as cp
    from PEPit import PEP
    from PEPit.functions import ConvexLipschitzFunction

    problem = PEP()
    func = problem.declare_function(ConvexLipschitzFunction, M=1.0)
    xs = func.stationary_point()
    fs = func(xs)
    x = problem.set_initial_point()
    problem.set_initial_condition((x - xs) ** 2 <= 1)
    for step in h:
        g, _ = func.oracle(x)
        x = x - float(step) * g
    _, fx = func.oracle(x)
    problem.set_performance_metric(fx - fs)
    return float(problem.solve(wrapper="cvxpy", solver=cp.CLARABEL, verbose=0))


def dense_value(h) -> float:
    """Every pair in one SDP: the previous worst_case."""
    import cvxpy as cp

    X = _worst_case._coordinates(np.asarray(h))
    I, J = np.nonzero(~np.eye(X.shape[0], dtype=bool))
    return float(_worst_case._solve_pairs(cp, X, I, J)[0])


def timed(fn, *args):
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return {"value": float(value), "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu, "load": load}


def compare(N, reference, name):
    rows = {}
    cases = {"minimax": minimax_schedule(N),
             "random": np.random.default_rng(N).uniform(0.0, 2.0, N) / np.sqrt(N)}
    for case, h in cases.items():
        ours = timed(lambda e: worst_case(e).value, h)
        ref = timed(reference, h)
        rows[case] = {"ours": ours, name: ref,
                      "speedup_wall": ref["wall_s"] / ours["wall_s"],
                      "speedup_cpu": ref["cpu_s"] / ours["cpu_s"],
                      "value_rel_diff": abs(ours["value"] - ref["value"]) / ref["value"]}
        print(f"  N={N:3d} {case:8s} ours {ours['wall_s']:7.2f} s ({ours['cpu_s']:6.2f} CPU)  "
              f"{name} {ref['wall_s']:7.2f} s ({ref['cpu_s']:6.2f} CPU)  "
              f"×{rows[case]['speedup_wall']:.1f} wall, ×{rows[case]['speedup_cpu']:.1f} CPU  "
              f"rel diff {rows[case]['value_rel_diff']:.1e}  load {ours['load']:.1f}", flush=True)
    return rows


CHILD = ("import resource, sys, time; from schedopt.theory._worst_case import *; "
         "N = int(sys.argv[1]); t = time.perf_counter(); r = worst_case(minimax_schedule(N)); "
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "
         "time.perf_counter() - t, r.value)")


def memory(N):
    out = subprocess.run([sys.executable, "-c", CHILD, str(N)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
    rss, seconds, value = out.stdout.split()
    row = {"N": N, "peak_rss_bytes": int(rss), "model_bytes": _worst_case.memory_needed(N),
           "wall_s": float(seconds), "value": float(value)}
    print(f"  memory N={N}: peak {int(rss) / 2**20:.0f} MiB, memory_needed "
          f"{row['model_bytes'] / 2**20:.0f} MiB, {float(seconds):.1f} s", flush=True)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="*", default=[10, 20, 40])
    parser.add_argument("--memory", type=int, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=RESULTS / "worst_case_pep.json")
    args = parser.parse_args(argv)
    try:
        import PEPit  # noqa: F401  (installed?)

        from importlib.metadata import version as _version

        reference, name, version = pepit_value, "pepit", _version("PEPit")
    except ImportError:
        reference, name, version = dense_value, "dense", None
        print("PEPit is not installed: comparing with the full dense SDP instead")
    rows = {N: compare(N, reference, name) for N in args.steps}
    mem = [memory(N) for N in args.memory]
    payload = {"benchmark": "worst_case (constraint generation) vs " + name, "reference": name,
               "pepit_version": version, "cpu_count": os.cpu_count(), "rows": rows,
               "memory": mem}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
