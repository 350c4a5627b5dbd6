"""The floor for bound (C)'s value and gradient on this CPU: a compiled two-pass loop in C.

Issue 22 asks for the compiled value and gradient at ≤ 0.3 × the plain jitted formula at
T = 10⁶ and ≤ 60 ms at 10⁷. This script measures, in one process and in alternation, what a
single-threaded C loop needs for the same numbers: one backward pass (the tails η_{t+1:T},
the ratios r_t = η_t/η_{t+1:T}, the value) and one forward pass (the prefix sums of ½ r_t²,
the gradient), compiled with the system's C compiler at ``-O2`` into a temporary folder and
called through ctypes. It is timed twice: writing into buffers allocated once, and into
fresh buffers every call (as XLA does: above glibc's mmap threshold each fresh buffer is
mapped and zero-filled anew). Beside it: ours, ``jax.jit(jax.value_and_grad(
last_iterate_bound))``, and the naive cumsum formula of ``bounds.py``. Values and gradients
of the loop are checked against ours.

No C compiler, no loop rows (the script says so). The loop is a measurement, not a code
path of schedopt: shipping it would mean a compiled extension (an XLA FFI target) built for
every platform, which ``benchmarks/README.md`` discusses.

Usage: ``python benchmarks/bounds_floor.py [--sizes N ...] [--out PATH]`` →
``results/bounds_floor.json``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bounds  # noqa: E402  (its timing helpers and the naive formula)
from schedopt import last_iterate_bound  # noqa: E402

C_SOURCE = r"""
double bound_c(const double *eta, long n, double D2, double G2, double *r, double *g) {
    double S = eta[n - 1], value = 0.5 * G2 * eta[n - 1];
    r[n - 1] = 1.0;
    for (long t = n - 2; t >= 0; t--) {          /* S = eta_{t+1:T} before the update */
        double rt = eta[t] / S;
        r[t] = rt;
        value += 0.5 * G2 * eta[t] * rt;
        S += eta[t];
    }
    value += 0.5 * D2 / S;
    double c = 0.5 * D2 / (S * S), before = 0.0;
    for (long t = 0; t < n - 1; t++) {
        g[t] = G2 * r[t] - before - c;
        before += 0.5 * G2 * r[t] * r[t];
    }
    g[n - 1] = 0.5 * G2 - before - c;
    return value;
}
"""


def compile_loop(folder: Path):
    """The loop as a ctypes function, or None without a C compiler."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        return None
    src, lib = folder / "bound_c.c", folder / "bound_c.so"
    src.write_text(C_SOURCE)
    subprocess.run([cc, "-O2", "-shared", "-fPIC", str(src), "-o", str(lib)], check=True)
    fn = ctypes.CDLL(str(lib)).bound_c
    ptr = ctypes.POINTER(ctypes.c_double)
    fn.argtypes = [ptr, ctypes.c_long, ctypes.c_double, ctypes.c_double, ptr, ptr]
    fn.restype = ctypes.c_double
    return fn


def loop_callers(fn, eta: np.ndarray):
    """(reused buffers, fresh buffers) callers of the C loop on ``eta`` (D = G = 1)."""
    ptr = ctypes.POINTER(ctypes.c_double)
    e = eta.ctypes.data_as(ptr)
    r, g = np.empty_like(eta), np.empty_like(eta)

    def reused():
        return fn(e, eta.size, 1.0, 1.0, r.ctypes.data_as(ptr), g.ctypes.data_as(ptr)), g

    def fresh():
        r, g = np.empty_like(eta), np.empty_like(eta)
        return fn(e, eta.size, 1.0, 1.0, r.ctypes.data_as(ptr), g.ctypes.data_as(ptr)), g

    return reused, fresh


def row(T: int, fn) -> dict:
    eta_np = bounds.linear_decay(T)
    eta = jax.numpy.asarray(eta_np)
    fns = {"ours": jax.jit(jax.value_and_grad(last_iterate_bound)),
           "naive": jax.jit(jax.value_and_grad(bounds.naive))}
    args = {"ours": (eta,), "naive": (eta,)}
    if fn is not None:
        reused, fresh = loop_callers(fn, eta_np)
        fns |= {"C loop, reused buffers": reused, "C loop, fresh buffers": fresh}
        args |= {"C loop, reused buffers": (), "C loop, fresh buffers": ()}
    load = os.getloadavg()[0]
    # bounds.time_pair calls every function with the same arguments: bind them here.
    calls = {k: (lambda f=f, a=args[k]: f(*a)) for k, f in fns.items()}
    times = bounds.time_pair(calls, (), min_repeats=5 if T >= 10**7 else 20, budget_s=2.0)
    out = {"T": T, "load_before_after": [load, os.getloadavg()[0]]}
    out |= {k: bounds.stats(v) for k, v in times.items()}
    if fn is not None:
        v, g = calls["C loop, reused buffers"]()
        v0, g0 = (np.asarray(a) for a in fns["ours"](eta))
        out["check"] = {"value_rel_diff": abs(v / float(v0) - 1),
                        "grad_rel_diff": float(np.max(np.abs(g - g0)) / np.max(np.abs(g0)))}
    return out


def table(rows) -> str:
    names = [k for k in rows[0] if isinstance(rows[0][k], dict) and "median_ms" in rows[0][k]]
    lines = ["| T | " + " | ".join(f"{n} median (min) ms" for n in names)
             + " | loop / naive | value, grad rel. diff | load |",
             "|---|" + "---|" * (len(names) + 3)]
    for r in rows:
        cells = [f"{r[n]['median_ms']:.2f} ({r[n]['min_ms']:.2f})" for n in names]
        ratio = (f"{r['C loop, reused buffers']['median_ms'] / r['naive']['median_ms']:.2f}×"
                 if "check" in r else "–")
        check = (f"{r['check']['value_rel_diff']:.1e}, {r['check']['grad_rel_diff']:.1e}"
                 if "check" in r else "–")
        lo, hi = r["load_before_after"]
        lines.append(f"| {r['T']:.0e} | " + " | ".join(cells) + f" | {ratio} | {check} | "
                     f"{lo:.1f}–{hi:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10**6, 10**7])
    p.add_argument("--out", type=Path, default=bounds.RESULTS / "bounds_floor.json")
    a = p.parse_args(argv)
    with jax.enable_x64(True), tempfile.TemporaryDirectory() as tmp:
        fn = compile_loop(Path(tmp))
        if fn is None:
            print("no C compiler (cc or gcc): the loop rows are not measured")
        rows = [row(T, fn) for T in a.sizes]
    print(table(rows))
    tmp = a.out.with_name(a.out.name + ".tmp")
    tmp.write_text(json.dumps({"rows": rows, "machine": {
        "platform": platform.platform(), "cpus": os.cpu_count()}}, indent=1) + "\n")
    tmp.replace(a.out)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
