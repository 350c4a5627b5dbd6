"""Benchmark (issue 22 item 1): a fresh ``schedopt optimize`` process at 10³ and 10⁶ steps.

Each row is a new process (``python -m schedopt optimize --steps N --out FILE``), timed by
wall clock from outside, with an empty compilation cache before the first ("first-ever") and
the cache it left for the next ("second"). The baseline is an earlier commit's whole package
(default ``61bd3b8``, before the exact path stopped loading JAX), extracted with ``git
archive`` and put first on ``PYTHONPATH``; ours is this checkout. The two run in alternation,
``--repeats`` times each, and the table gives the median; the load average is read around
every process, since the machine may be shared.

Usage: ``python benchmarks/cli_cold.py [--repeats 3] [--baseline-ref 61bd3b8] [--out PATH]``.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CASES = [(1000, "npy"), (1000000, "npy"), (1000, "json"), (1000000, "json")]
TARGET_S = 0.4            # issue 22: the second process at 10⁶ (or ≤ 3 × the one at 10³)


def extract(ref: str, into: Path) -> Path | None:
    """The package at ``ref`` under ``into`` (None when git cannot produce it)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "schedopt"],
                             capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def fresh(path: Path, steps: int, ext: str, cache: Path) -> dict:
    """One process; wall seconds and the load average around it."""
    env = dict(os.environ, PYTHONPATH=str(path), XDG_CACHE_HOME=str(cache))
    env.pop("SCHEDOPT_NO_COMPILE_CACHE", None)
    with tempfile.TemporaryDirectory() as work:
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "schedopt", "optimize", "--steps",
                               str(steps), "--out", f"x.{ext}"], cwd=work, env=env,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"optimize --steps {steps} failed: {done.stderr.strip()}")
    return {"wall_s": wall, "load": [load, os.getloadavg()[0]]}


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline-ref", default="61bd3b8")
    p.add_argument("--out", default=str(RESULTS / "cli_cold.json"))
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error(f"--repeats must be >= 1, got {a.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "base").mkdir()
        versions = {"this checkout": ROOT, a.baseline_ref: extract(a.baseline_ref, tmp / "base")}
        versions = {k: v for k, v in versions.items() if v is not None}
        rows = {}
        for steps, ext in CASES:
            for name, path in versions.items():
                runs = {"first-ever": [], "second": []}
                for r in range(a.repeats):
                    cache = tmp / f"cache_{name.replace(' ', '_')}_{steps}_{ext}_{r}"
                    runs["first-ever"].append(fresh(path, steps, ext, cache))
                    runs["second"].append(fresh(path, steps, ext, cache))
                rows[f"{name}: --steps {steps} --out x.{ext}"] = {
                    "version": name, "steps": steps, "format": ext,
                    **{k: median([x["wall_s"] for x in v]) for k, v in runs.items()},
                    "load": [min(x["load"][0] for v in runs.values() for x in v),
                             max(x["load"][1] for v in runs.values() for x in v)],
                    "runs": runs}
    lines = ["| version | command | first-ever process, s | second, s | load |",
             "|---|---|---|---|---|"]
    for row in rows.values():
        lines.append(f"| {row['version']} | `optimize --steps {row['steps']} --out x.{row['format']}`"
                     f" | {row['first-ever']:.2f} | {row['second']:.2f} | "
                     f"{row['load'][0]:.1f}–{row['load'][1]:.1f} |")
    ours = {(r["steps"], r["format"]): r["second"] for r in rows.values()
            if r["version"] == "this checkout"}
    verdict = {ext: {"second_at_1e6_s": ours[(1000000, ext)],
                     "ratio_to_1e3": ours[(1000000, ext)] / ours[(1000, ext)],
                     "met": ours[(1000000, ext)] <= TARGET_S
                     or ours[(1000000, ext)] <= 3 * ours[(1000, ext)]}
               for ext in ("npy", "json")}
    print("\n".join(lines))
    for ext, v in verdict.items():
        print(f"--out x.{ext}: second process at 10⁶ {v['second_at_1e6_s']:.2f} s = "
              f"{v['ratio_to_1e3']:.2f} × the 10³ command (target ≤ {TARGET_S} s or ≤ 3×): "
              f"{'met' if v['met'] else 'not met'}")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "verdict": verdict, "repeats": a.repeats,
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"},
                              indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
