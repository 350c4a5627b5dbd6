"""Benchmark for ``optimal_schedule``'s methods (issue 3 §4): time and gap to the exact optimum.

For T = 10², 10³, 10⁴, 10⁵, 10⁶ (D = G = 1): every method (exact, newton, lbfgsb, pgd) with
its time on the first call in this process (JAX compilation included) and on a second call
(warm), its iterations and its relative gap ``(bound − optimum)/optimum`` to the exact
optimum of docs/math.md §4.4. Then newton with ``monotone=True`` and ``max_lr`` at half the
unconstrained peak (no exact reference: its own certified gap, relative). Then the baseline,
measured in the same run: plain L-BFGS-B on η from a constant start with bounds η ≥ 1e-8, as
Defazio et al.'s published ``find_schedule`` does, with the same exact JAX gradient (it needs
about T iterations, so it runs only up to ``--baseline-max-T``). Last, pgd's batch: 1024
problems of T = 10⁴ with random smooth G profiles (a drift times a warm-up spike) in one
vmapped call when JAX has a GPU, and a CPU-sized batch (64 × 10³) otherwise.

``--vs-exact`` runs issue 22's row instead: newton monotone + max_lr (half the unconstrained
peak) at T = ``--max-T``, alternated with the exact unconstrained solve in the same process
(warm calls, 5 of each, medians and their ratio; JAX imported, so the exact recursion runs its
compiled scan), and writes ``benchmarks/results/solvers_vs_exact.json``.

``--newton-only`` runs issue 14's rows instead, at T = ``--max-T``: newton monotone + max_lr,
newton with a 5% linear warm-up, and ``optimal_optax_schedule(T, 0.1)`` with its defaults, each
beside the v0.1.0 newton solver (``benchmarks/baseline/newton_v010.py``) in the same run with
the load average before and after every timing, plus the v0.1.0 barrier with BLAS threads as
set against one thread; it writes ``benchmarks/results/solvers_newton.json``.

Usage: ``python benchmarks/solvers.py [--quick] [--newton-only | --vs-exact] [--max-T N] [--baseline-max-T N]
[--out PATH]``.
``--quick``: T = 10² only (a smoke test). Writes ``benchmarks/results/solvers.json``
(``solvers_quick.json`` with ``--quick``) and prints the table in markdown.
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
import scipy
import scipy.optimize

import schedopt
from schedopt import last_iterate_bound
from schedopt import optimal_schedule
from schedopt import optimal_schedule_batch

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
METHODS = ("exact", "newton", "lbfgsb", "pgd")
SLOW_S = 30.0    # a first call slower than this is not repeated for a warm time
TARGETS = {  # issue 3 §4, seconds on this kind of machine
    ("exact", 10**6): "≤ 0.2 s",
    ("newton", 10**6): "≤ 3 s",
    ("newton monotone+max_lr", 10**6): "≤ 10 s",
    ("lbfgsb", 10**4): "≤ 1 s to 1e-9",
    ("lbfgsb", 10**6): "≤ 15 s to 1e-9",
    ("pgd batch 1024×10⁴ (GPU)", 10**4): "≤ 1 s to 1e-9",
}


def _has_newton() -> bool:
    try:
        import schedopt.solvers._newton  # noqa: F401
    except ImportError:
        return False
    return True


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def method_row(method: str, T: int, best: float | None, **constraints) -> tuple[dict, object]:
    """First and warm call of one method at one T (best None: the method is the reference)."""
    first, first_s = _timed(lambda: optimal_schedule(T, method=method, **constraints))
    if first_s > SLOW_S:                 # compilation is a small part of it: no second call
        warm, warm_s = first, None
    else:
        warm, warm_s = _timed(lambda: optimal_schedule(T, method=method, **constraints))
    if warm.eta.tobytes() != first.eta.tobytes():
        raise RuntimeError(f"{method} at T={T} gave different schedules on two calls")
    best = warm.bound if best is None else best
    row = dict(method=method, T=T, first_s=first_s, warm_s=warm_s,
               iterations=int(warm.iterations), converged=bool(warm.converged),
               bound=float(warm.bound), rel_gap=(warm.bound - best) / best, message=warm.message,
               certified_gap=None if warm.gap is None else float(warm.gap))
    return row, warm


def baseline(T: int, best: float) -> dict:
    """Defazio et al.'s ``find_schedule`` recipe: L-BFGS-B on η, constant start, η ≥ 1e-8."""
    with jax.enable_x64(True):
        value_and_grad = jax.jit(jax.value_and_grad(lambda eta: last_iterate_bound(eta)))

    def fun(eta):
        with jax.enable_x64(True):
            value, grad = value_and_grad(jnp.asarray(eta))
        return float(value), np.asarray(grad)

    start = time.perf_counter()
    # Tolerances tight enough to reach a gap near 1e-9 (issue 3 reports 2e-9 at T = 10⁴);
    # scipy's defaults stop at a gap near 1e-3 there (ftol is relative to max(|f|, 1)).
    found = scipy.optimize.minimize(fun, np.full(T, 1.0 / np.sqrt(T)), jac=True,
                                    method="L-BFGS-B", bounds=[(1e-8, None)] * T,
                                    options={"maxiter": 100 * T, "maxfun": 200 * T,
                                             "ftol": 1e-15, "gtol": 1e-11})
    seconds = time.perf_counter() - start
    bound = float(last_iterate_bound(found.x))
    return dict(method="baseline: L-BFGS-B on η (Defazio et al.)", T=T, first_s=seconds,
                warm_s=None, iterations=int(found.nit), converged=bool(found.success),
                bound=bound, rel_gap=(bound - best) / best, message=str(found.message),
                certified_gap=None)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _baseline_newton():
    """The v0.1.0 newton solver (a faithful copy in benchmarks/baseline/newton_v010.py)."""
    sys.path.insert(0, str(HERE / "baseline"))
    try:
        import newton_v010
    finally:
        sys.path.pop(0)
    return newton_v010


def _timed_with_load(fn):
    before = _loadavg()
    out, seconds = _timed(fn)
    return out, seconds, f"{before} → {_loadavg()}"


def newton_target_rows(T: int, repeats: int = 2) -> list[dict]:
    """Issue 14's newton rows, each beside the v0.1.0 solver measured in the same run.

    The new code is timed on its best of ``repeats`` warm calls, the baseline once (it takes
    up to minutes); the load average (1, 5, 15 min) is recorded before and after each timing.
    """
    from schedopt.solvers import _solve
    from schedopt import optimal_optax_schedule

    old = _baseline_newton()
    peak = float(np.max(optimal_schedule(T, method="exact").eta))
    cases = [("newton monotone + max_lr", dict(monotone=True, max_lr=0.5 * peak), "≤ 3 s"),
             ("newton warm-up 5%", dict(warmup=int(0.05 * T)), "≤ 1 s")]
    optimal_schedule(100, method="newton", monotone=True, max_lr=0.05, warmup=5)  # imports
    rows = []
    for name, kwargs, target in cases:
        problem = _solve.make_problem(T, **kwargs)
        timings = [_timed_with_load(lambda: optimal_schedule(T, method="newton", **kwargs))
                   for _ in range(repeats)]
        new, new_s, new_load = min(timings, key=lambda t: t[1])
        base, base_s, base_load = _timed_with_load(lambda: old.solve(problem, 1e-12, None))
        rows.append(_target_row(name, T, target, new, new_s, new_load, base, base_s, base_load))
        _print_row(rows[-1])
    # optimal_optax_schedule with its defaults (monotone=True), and the same call with the
    # v0.1.0 solver put in place of newton for the baseline.
    optimal_optax_schedule(1000, 0.1)
    timings = [_timed_with_load(lambda: optimal_optax_schedule(T, 0.1)) for _ in range(repeats)]
    _, new_s, new_load = min(timings, key=lambda t: t[1])
    current = _solve._solver
    _solve._solver = lambda method: old.solve if method == "newton" else current(method)
    try:
        _, base_s, base_load = _timed_with_load(lambda: optimal_optax_schedule(T, 0.1))
    finally:
        _solve._solver = current
    rows.append(dict(method="optimal_optax_schedule(T, 0.1), defaults", T=T, target="≤ 1.5 s",
                     seconds=new_s, load=new_load, baseline_s=base_s, baseline_load=base_load,
                     ratio=base_s / new_s))
    _print_row(rows[-1])
    return rows


def _target_row(name, T, target, new, new_s, new_load, base, base_s, base_load) -> dict:
    return dict(method=name, T=T, target=target, seconds=new_s, load=new_load,
                iterations=int(new.iterations), converged=bool(new.converged),
                bound=float(new.bound), certified_gap=None if new.gap is None else float(new.gap),
                baseline_s=base_s, baseline_load=base_load, baseline_bound=float(base.bound),
                baseline_iterations=int(base.iterations),
                baseline_gap=None if base.gap is None else float(base.gap),
                ratio=base_s / new_s, message=new.message)


def thread_rows(T: int) -> list[dict]:
    """The v0.1.0 barrier method (monotone + max_lr) with BLAS threads as they are, and with
    one thread (schedopt._threads), in the same process: what issue 14 item 2 rests on."""
    from schedopt.solvers import _solve
    from schedopt._threads import single_blas_thread

    old = _baseline_newton()
    peak = float(np.max(optimal_schedule(T, method="exact").eta))
    problem = _solve.make_problem(T, monotone=True, max_lr=0.5 * peak)
    _, free_s, free_load = _timed_with_load(lambda: old.solve(problem, 1e-12, None))
    with single_blas_thread():
        _, one_s, one_load = _timed_with_load(lambda: old.solve(problem, 1e-12, None))
    return [dict(method="v0.1.0 barrier, monotone + max_lr: BLAS threads as set vs one thread",
                 T=T, target="", seconds=one_s, load=one_load, baseline_s=free_s,
                 baseline_load=free_load, ratio=free_s / one_s)]


def newton_markdown(rows) -> str:
    lines = ["| measure | T | new (s) | load (1/5/15 min) | v0.1.0 (s) | load | ratio | "
             "converged, certified gap | target |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        gap = ""
        if "converged" in row:
            gap = (f"{'yes' if row['converged'] else 'NO'}, "
                   f"{(row['certified_gap'] or 0) / row['bound']:.1e} rel.")
        lines.append(f"| {row['method']} | {_fmt_T(row['T'])} | {row['seconds']:.3g} | "
                     f"{row['load']} | {row['baseline_s']:.3g} | {row['baseline_load']} | "
                     f"{row['ratio']:.1f}× | {gap} | {row['target']} |")
    return "\n".join(lines)


def smooth_profiles(count: int, T: int, seed: int = 0) -> np.ndarray:
    """Random smooth G profiles: a drift times a warm-up spike, as in a gradient-norm log."""
    rng = np.random.default_rng(seed)
    u = np.arange(T) / T
    drift = rng.uniform(-1.0, 1.0, (count, 1))
    spike = rng.uniform(0.0, 5.0, (count, 1))
    width = rng.uniform(0.005, 0.1, (count, 1))
    return np.exp(drift * u) * (1.0 + spike * np.exp(-u / width))


def batch_row(count: int, T: int) -> dict:
    """pgd's vmapped batch: ``count`` random smooth G profiles of length T, one call."""
    rows = smooth_profiles(count, T)
    first, first_s = _timed(lambda: optimal_schedule_batch(T, G=rows))
    results, warm_s = _timed(lambda: optimal_schedule_batch(T, G=rows))
    gaps = []
    for G, r in zip(rows, results):
        best = optimal_schedule(T, 1.0, G, method="exact").bound
        gaps.append((r.bound - best) / best)
    device = jax.devices()[0].device_kind
    return dict(method=f"pgd batch {count}×{T} ({jax.default_backend()}: {device})", T=T,
                first_s=first_s, warm_s=warm_s,
                iterations=int(max(r.iterations for r in results)),
                converged=bool(all(r.converged for r in results)), bound=None,
                rel_gap=float(max(gaps)), message="max over the batch", certified_gap=None)


def skipped(method: str, T: int, reason: str) -> dict:
    return dict(method=method, T=T, skipped=reason)


def run(sizes, baseline_max_T: int, gpu_batch: bool) -> list[dict]:
    rows = []
    newton = _has_newton()
    for T in sizes:
        row, exact = method_row("exact", T, None)     # the reference of every gap
        rows.append(row)
        _print_row(row)
        for method in METHODS[1:]:
            if method == "newton" and not newton:
                rows.append(skipped(method, T, "schedopt.solvers._newton is not importable yet"))
                continue
            rows.append(method_row(method, T, exact.bound)[0])
            _print_row(rows[-1])
        if newton:
            cap = 0.5 * float(np.max(exact.eta))
            row, _ = method_row("newton", T, exact.bound, monotone=True, max_lr=cap)
            row.update(method="newton monotone+max_lr", max_lr=cap, rel_gap=None,
                       rel_certified_gap=None if row["certified_gap"] is None
                       else row["certified_gap"] / row["bound"])
            rows.append(row)
            _print_row(row)
        if T <= baseline_max_T:
            rows.append(baseline(T, exact.bound))
        else:
            rows.append(skipped("baseline: L-BFGS-B on η (Defazio et al.)", T,
                                f"not run above T = {baseline_max_T}: it needs about T "
                                f"iterations (time ~T²; about 65 s at T = 10⁴ per issue 3)"))
        _print_row(rows[-1])
    if gpu_batch and jax.default_backend() == "gpu":
        rows.append(batch_row(1024, 10**4))
    else:
        rows.append(skipped("pgd batch 1024×10⁴ (GPU)", 10**4,
                            "not measured: no GPU in this run" if gpu_batch else
                            "not run in --quick mode"))
        if gpu_batch:
            rows.append(batch_row(64, 1000))
    _print_row(rows[-1])
    return rows


def _fmt_T(T: int) -> str:
    k = len(str(T)) - 1
    return f"10{'⁰¹²³⁴⁵⁶⁷⁸⁹'[k]}" if T == 10**k and k < 10 else str(T)


def _fmt_s(x):
    return "–" if x is None else f"{x:.3g}"


def _fmt_gap(row):
    if row.get("rel_gap") is not None:
        return f"{row['rel_gap']:.1e}"
    if row.get("rel_certified_gap") is not None:
        return f"≤ {row['rel_certified_gap']:.1e} (certified)"
    return "–"


def _print_row(row):
    if "seconds" in row:
        print(" ", row["method"], row["T"], f"{row['seconds']:.3g} s vs {row['baseline_s']:.3g} s",
              file=sys.stderr, flush=True)
        return
    print(" ", row["method"], row["T"], "skipped" if "skipped" in row
          else f"{_fmt_s(row['warm_s'] or row['first_s'])} s", file=sys.stderr, flush=True)


def markdown(rows) -> str:
    lines = ["| method | T | first call (s) | warm (s) | iterations | rel. gap to exact | "
             "converged | target |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        target = TARGETS.get((row["method"], row["T"]), "")
        if row["method"].startswith("pgd batch 1024"):
            target = TARGETS[("pgd batch 1024×10⁴ (GPU)", 10**4)]
        if "skipped" in row:
            lines.append(f"| {row['method']} | {_fmt_T(row['T'])} | – | – | – | – | "
                         f"{row['skipped']} | {target} |")
            continue
        lines.append(f"| {row['method']} | {_fmt_T(row['T'])} | {_fmt_s(row['first_s'])} | "
                     f"{_fmt_s(row['warm_s'])} | {row['iterations']} | {_fmt_gap(row)} | "
                     f"{'yes' if row['converged'] else 'NO'} | {target} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 10² only (smoke test)")
    parser.add_argument("--max-T", type=int, default=10**6, help="largest T (default 10⁶)")
    parser.add_argument("--baseline-max-T", type=int, default=10**4,
                        help="largest T for the plain L-BFGS-B baseline (default 10⁴)")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    parser.add_argument("--newton-only", action="store_true",
                        help="only issue 14's newton rows beside the v0.1.0 solver, at --max-T")
    parser.add_argument("--vs-exact", action="store_true",
                        help="only issue 22's row: newton monotone + max_lr against exact, at --max-T")
    args = parser.parse_args(argv)
    if args.vs_exact:
        return vs_exact_main(args)
    if args.newton_only:
        return newton_main(args)
    sizes = [10**k for k in range(2, 7) if 10**k <= args.max_T]
    if args.quick:
        sizes = [100]
    out = args.out or RESULTS / ("solvers_quick.json" if args.quick else "solvers.json")
    started = time.perf_counter()
    rows = run(sizes, min(args.baseline_max_T, max(sizes)), gpu_batch=not args.quick)
    table = markdown(rows)
    print(table)
    meta = dict(schedopt=schedopt.__version__, jax=jax.__version__, scipy=scipy.__version__,
                numpy=np.__version__, python=platform.python_version(),
                machine=f"{platform.machine()}, {os.cpu_count()} CPU cores",
                backend=jax.default_backend(), quick=args.quick,
                total_s=time.perf_counter() - started,
                note="first call includes JAX compilation; timings on a shared machine")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(dict(meta=meta, rows=rows, table=table), indent=1) + "\n")
    tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def vs_exact_rows(T: int, repeats: int = 5) -> dict:
    """newton monotone + max_lr against the exact solve, alternated warm calls (issue 22)."""
    exact = optimal_schedule(T, method="exact")
    cap = 0.5 * float(np.max(exact.eta))
    solves = {"exact": lambda: optimal_schedule(T, method="exact"),
              "newton monotone + max_lr": lambda: optimal_schedule(
                  T, method="newton", monotone=True, max_lr=cap)}
    for solve in solves.values():       # compile and warm both
        solve()
    times = {name: [] for name in solves}
    load_before = _loadavg()
    for _ in range(repeats):
        for name, solve in solves.items():
            result, seconds = _timed(solve)
            times[name].append(seconds)
    medians = {name: float(np.median(t)) for name, t in times.items()}
    return dict(T=T, max_lr=cap, repeats=repeats, seconds=times, medians=medians,
                ratio=medians["newton monotone + max_lr"] / medians["exact"], target="≤ 50×",
                converged=bool(result.converged), certified_gap=float(result.gap),
                iterations=int(result.iterations), message=result.message,
                load=f"{load_before} → {_loadavg()}")


def vs_exact_main(args) -> int:
    row = vs_exact_rows(args.max_T)
    table = "\n".join([
        "| T | exact, median s | newton monotone + max_lr, median s | ratio | target | "
        "certified gap | load |", "|---|---|---|---|---|---|---|",
        f"| {row['T']:,} | {row['medians']['exact']:.3f} | "
        f"{row['medians']['newton monotone + max_lr']:.3f} | {row['ratio']:.1f}× | "
        f"{row['target']} | {row['certified_gap']:.1e} | {row['load']} |"])
    print(table)
    meta = dict(schedopt=schedopt.__version__, numpy=np.__version__, scipy=scipy.__version__,
                python=platform.python_version(),
                machine=f"{platform.machine()}, {os.cpu_count()} CPU cores",
                note="warm calls alternated in one process; shared machine, see load")
    out = args.out or RESULTS / "solvers_vs_exact.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(dict(meta=meta, row=row, table=table), indent=1) + "\n")
    tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def newton_main(args) -> int:
    """Issue 14's rows: newton (new) beside the v0.1.0 copy, with the load average."""
    T = args.max_T
    started = time.perf_counter()
    rows = newton_target_rows(T) + thread_rows(min(T, 10**5))
    table = newton_markdown(rows)
    print(table)
    meta = dict(schedopt=schedopt.__version__, scipy=scipy.__version__, numpy=np.__version__,
                python=platform.python_version(),
                machine=f"{platform.machine()}, {os.cpu_count()} CPU cores",
                total_s=time.perf_counter() - started,
                note="warm calls; new = best of 2, v0.1.0 = one call; shared machine, see load")
    out = args.out or RESULTS / "solvers_newton.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(meta=meta, rows=rows, table=table), indent=1) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
