"""Benchmark (issue 22 item 3): ``anytime_schedule`` at 10⁵–10⁶ steps, against an earlier commit.

Each row is one call in a fresh process (``PYTHONPATH`` set to the version's package, as in
``cli_cold.py``): wall seconds of the call itself (import excluded), converged, the certified
gap, the worst ratio and the Newton steps. The baseline (default ``6517ee0``, before the
certificate was evaluated in (η, w) coordinates) is extracted with ``git archive``; the two
versions run in alternation and the load average is read around every call.

Usage: ``python benchmarks/anytime.py [--baseline-ref 6517ee0] [--out PATH]``.
Writes ``benchmarks/results/anytime.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from cli_cold import ROOT, RESULTS, extract

CASES = [[10 ** 4, 10 ** 5], [10 ** 5, 10 ** 6]]
TARGET_S = 10.0                   # issue 22: [10⁵, 10⁶] converged in ≤ 10 s

CHILD = """
import json, sys, time
from schedopt.solvers import anytime_schedule
points = json.loads(sys.argv[1])
start = time.perf_counter()
r = anytime_schedule(points)
print(json.dumps({"wall_s": time.perf_counter() - start, "converged": bool(r.converged),
                  "gap": float(r.gap), "worst_ratio": float(r.worst_ratio),
                  "iterations": int(r.iterations), "message": r.message}))
"""


def call(path: Path, points) -> dict:
    env = dict(os.environ, PYTHONPATH=str(path))
    load = os.getloadavg()[0]
    # cwd outside the checkout: ``python -c`` puts the working directory first on sys.path
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(points)], env=env,
                          cwd=tempfile.gettempdir(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"anytime_schedule({points}) failed: {done.stderr.strip()}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]),
            "load": [load, os.getloadavg()[0]]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline-ref", default="6517ee0")
    p.add_argument("--out", default=str(RESULTS / "anytime.json"))
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        versions = {"this checkout": ROOT, a.baseline_ref: extract(a.baseline_ref, Path(tmp))}
        for points in CASES:
            for name, path in versions.items():
                if path is None:
                    continue
                rows.append({"version": name, "checkpoints": points, **call(path, points)})
                r = rows[-1]
                print(f"  {name}: {points} {r['wall_s']:.1f} s", flush=True)
    lines = ["| version | checkpoints | s | converged | certified gap | worst ratio | "
             "Newton steps | load |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['version']} | {r['checkpoints']} | {r['wall_s']:.2f} | "
                     f"{'yes' if r['converged'] else 'no'} | {r['gap']:.2e} | "
                     f"{r['worst_ratio']:.9f} | {r['iterations']} | "
                     f"{r['load'][0]:.1f}–{r['load'][1]:.1f} |")
    ours = next(r for r in rows if r["version"] == "this checkout"
                and r["checkpoints"] == CASES[-1])
    met = ours["converged"] and ours["wall_s"] <= TARGET_S
    print("\n".join(lines))
    print(f"[10⁵, 10⁶]: {ours['wall_s']:.1f} s, converged {ours['converged']} (target: "
          f"converged in ≤ {TARGET_S:g} s): {'met' if met else 'not met'}")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "met": met, "target_s": TARGET_S,
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"},
                              indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
