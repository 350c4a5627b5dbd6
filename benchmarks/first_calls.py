"""Benchmark (issue 14 §3): what a user waits for in a fresh process, per method, against v0.1.0.

Each measurement is a new Python process that imports schedopt (and the solver's module),
then calls ``optimal_schedule(T, method=...)`` three times: at T, again at T (nothing left to
compile), and at a second length T' in another size bucket (a compile per bucket shows here).
The child reports wall-clock and CPU (``time.process_time``) seconds of each phase; the load
average is read before and after every process, since the machine is shared.

The baseline is the previous release's whole package (commit ``bd31d52``, v0.1.0), extracted
with ``git archive`` into a temporary folder and put first on ``PYTHONPATH``; ours is this
checkout. The two are run in alternation, ``--repeats`` times each, and the table gives the
median of each phase.

Usage: ``python benchmarks/first_calls.py [--steps 1000] [--other 1500] [--repeats 3]
[--methods exact newton lbfgsb pgd] [--baseline-ref bd31d52] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
METHODS = ("exact", "newton", "lbfgsb", "pgd")
MODULES = {"exact": "schedopt.solvers._exact", "newton": "schedopt.solvers._newton",
           "lbfgsb": "schedopt.solvers._lbfgsb", "pgd": "schedopt.solvers._pgd"}
TARGET_S = 1.0          # issue 14: any method's first call at T = 10³, after import

CHILD = r"""
import importlib, json, sys, time
wall, cpu = time.perf_counter, time.process_time
method, module, T, other = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = {}
w, c = wall(), cpu()
import schedopt
from schedopt import optimal_schedule
importlib.import_module(module)
out["import"] = (wall() - w, cpu() - c)
for name, steps in (("first", T), ("second", T), ("other_T", other)):
    w, c = wall(), cpu()
    result = optimal_schedule(steps, method=method)
    out[name] = (wall() - w, cpu() - c)
    out[name + "_converged"] = bool(result.converged)
    out[name + "_bound"] = float(result.bound)
out["schedopt_file"] = schedopt.__file__
print(json.dumps(out))
"""


def extract_baseline(ref: str, into: Path) -> Path | None:
    """The package at git ref ``ref``, extracted under ``into``; None if git cannot."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "schedopt"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return into


def loadavg() -> float:
    return os.getloadavg()[0]


def run_child(path: Path, method: str, steps: int, other: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(path))
    before = loadavg()
    done = subprocess.run([sys.executable, "-c", CHILD, method, MODULES[method], str(steps),
                           str(other)], env=env, capture_output=True, text=True, cwd=path)
    if done.returncode != 0:
        raise RuntimeError(f"{method} at {path} failed:\n{done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["load_before_after"] = [before, loadavg()]
    if not Path(out["schedopt_file"]).resolve().is_relative_to(path.resolve()):
        raise RuntimeError(f"the child imported {out['schedopt_file']}, not the code at {path}")
    return out


PHASES = ("import", "first", "second", "other_T")


def summarise(runs: list[dict]) -> dict:
    row = {}
    for phase in PHASES:
        row[phase] = {"wall_s": float(np.median([r[phase][0] for r in runs])),
                      "cpu_s": float(np.median([r[phase][1] for r in runs]))}
    row["converged"] = all(r[p + "_converged"] for r in runs for p in PHASES[1:])
    row["bound"] = runs[0]["first_bound"]
    row["load"] = [r["load_before_after"] for r in runs]
    return row


def table(rows: dict, steps: int, other: int) -> str:
    lines = [f"| method | code | import s | first call T={steps} s | second call s "
             f"| first call T'={other} s | converged |", "|---|---|---|---|---|---|---|"]
    for method, by_code in rows.items():
        for code, row in by_code.items():
            cells = [f"{row[p]['wall_s']:.2f} ({row[p]['cpu_s']:.2f})" for p in PHASES]
            lines.append(f"| {method} | {code} | " + " | ".join(cells) + f" | {row['converged']} |")
    return "\n".join(lines)


CLI_CASES = {"optimize --steps 1000 --out x.json": ["optimize", "--steps", "1000", "--out", "x.json"],
             "optimize --steps 0 (bad argument)": ["optimize", "--steps", "0", "--out", "x.json"]}
CLI_TARGETS = {"optimize --steps 1000 --out x.json": 1.0, "optimize --steps 0 (bad argument)": 0.3}


def cli_rows(codes: dict, repeats: int) -> dict:
    """Wall time of ``python -m schedopt ...`` in a fresh process, median of ``repeats``,
    alternating the codes so that both see the same load."""
    rows = {}
    for name, argv in CLI_CASES.items():
        times = {code: [] for code in codes}
        for _ in range(repeats):
            for code, path in codes.items():
                env = dict(os.environ, PYTHONPATH=str(path))
                with tempfile.TemporaryDirectory() as work:
                    start = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "schedopt", *argv], env=env, cwd=work,
                                   capture_output=True)
                    times[code].append(time.perf_counter() - start)
        rows[name] = {code: float(np.median(t)) for code, t in times.items()}
        rows[name]["load"] = loadavg()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--other", type=int, default=1500, help="a length in another bucket")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--baseline-ref", default="bd31d52")
    parser.add_argument("--out", type=Path, default=RESULTS / "first_calls.json")
    args = parser.parse_args(argv)

    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = extract_baseline(args.baseline_ref, Path(tmp))
        codes = {"ours": ROOT} | ({"v0.1.0": baseline} if baseline else {})
        for method in args.methods:
            runs = {code: [] for code in codes}
            for _ in range(args.repeats):
                for code, path in codes.items():
                    runs[code].append(run_child(path, method, args.steps, args.other))
            rows[method] = {code: summarise(r) for code, r in runs.items()}
            print(f"  {method}: " + ", ".join(
                f"{code} first {row['first']['wall_s']:.2f} s" for code, row in rows[method].items()),
                flush=True)
        cli = cli_rows(codes, max(args.repeats, 5))

    loads = [x for by in rows.values() for row in by.values() for pair in row["load"] for x in pair]
    print(f"\nFresh process per measurement, median of {args.repeats}; wall s (CPU s); "
          f"{os.cpu_count()} cores, load average {min(loads):.1f}–{max(loads):.1f}")
    print(table(rows, args.steps, args.other))
    worst = max(row["first"]["wall_s"] for by in rows.values() for row in [by["ours"]])
    worst_cpu = max(row["first"]["cpu_s"] for by in rows.values() for row in [by["ours"]])
    print(f"target: first call ≤ {TARGET_S} s after import: slowest method {worst:.2f} s wall, "
          f"{worst_cpu:.2f} s CPU ({'met' if worst <= TARGET_S else 'NOT met'} on wall time)")
    print("\nThe command line in a fresh process (wall s, median of "
          f"{max(args.repeats, 5)}):\n\n| command | ours | v0.1.0 | target | load |\n|---|---|---|---|---|")
    for name, row in cli.items():
        print(f"| schedopt {name} | {row['ours']:.2f} | {row.get('v0.1.0', float('nan')):.2f} | "
              f"≤ {CLI_TARGETS[name]} | {row['load']:.1f} |")
    if "v0.1.0" not in next(iter(rows.values())):
        print(f"baseline not measured: git archive of {args.baseline_ref} failed")

    result = {
        "benchmark": "fresh-process import / first / second / other-length call of "
                     "optimal_schedule per method, ours vs the v0.1.0 package",
        "steps": args.steps, "other_steps": args.other, "repeats": args.repeats,
        "baseline_ref": args.baseline_ref,
        "timing": "median over fresh processes; each phase as [wall s, CPU s]",
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "python": sys.version.split()[0]},
        "target_first_call_s": TARGET_S,
        "rows": rows,
        "cli": cli,
        "cli_targets_s": CLI_TARGETS,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
