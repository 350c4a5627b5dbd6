"""The ``schedopt`` command line (also ``python -m schedopt``).

Commands: ``optimize`` (one optimal schedule to a file), ``refine`` (the optimum for the
gradient norms of a previous run), ``compare`` (every schedule family against the optimum),
``scaling`` (the fitted 1/√T law), ``report`` (tables and figures as Markdown and HTML),
``demo`` (the report on its defaults), ``calibrate`` (a loss model fitted to training runs)
and ``plan`` (the schedule and peak LR that model recommends for a new horizon).

Flags carry the names of the Python API (``--steps`` is ``steps``, ``--max-lr`` is
``max_lr``, ``--D`` is ``D``) and so do the keys of the JSON the commands write. A bad
argument exits with status 2 and one line on standard error that says what is wrong.
Only the standard library is imported at start-up; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

# The methods of optimal_schedule (schedopt._solve.METHODS, checked by the tests); listed
# here so that --help does not have to import the solvers.
_METHODS = ("auto", "exact", "newton", "lbfgsb", "pgd")
_GRAD_NORMS_HELP = ("a gradient-norm log: .npy (a 1-D array), or a .csv/.txt with a step "
                    "column and a value column under a header")


class UsageError(Exception):
    """A bad command line that argparse itself cannot see (e.g. two flags that conflict)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``schedopt optimize: error: ...`` and status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _examples(*lines: str) -> str:
    return "example:\n" + "\n".join("  " + line for line in lines)


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schedopt",
        description=textwrap.fill(
            "Provably good learning-rate schedules: the schedule that minimises SGD's "
            "last-iterate bound (C), its comparison with the schedules people use, and a "
            "report with tables and figures.", 88),
        epilog=_examples("schedopt optimize --steps 1000 --out eta.json",
                         "schedopt report --out report"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name, help, description, examples):
        return commands.add_parser(
            name, help=help, description=textwrap.fill(description, 88),
            epilog=_examples(*examples),
            formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("optimize", "write the optimal schedule for T steps to a file",
                "Solve for the schedule η_1..η_T that minimises bound (C) and write it as "
                ".json (with the solve's details), .csv (step, eta) or .npy (the array), "
                "chosen by the file's extension.",
                ["schedopt optimize --steps 1000 --out eta.json",
                 "schedopt optimize --steps 10000 --monotone --warmup 500 --peak-lr 0.1 "
                 "--out eta.csv"])
    _flag_steps(p, required=True)
    _flag_D(p)
    p.add_argument("--G", type=_number, default=None, metavar="X",
                   help="gradient-norm bound G (> 0, default 1)")
    p.add_argument("--grad-norms", dest="grad_norms", metavar="FILE",
                   help=f"per-step G_t instead of --G, from {_GRAD_NORMS_HELP}; "
                        "resampled to --steps")
    _flag_method(p)
    _flag_monotone(p)
    p.add_argument("--max-lr", dest="max_lr", type=_number, metavar="X",
                   help="cap every η_t at X (in the units of D/G)")
    _flag_warmup(p)
    _flag_peak_lr(p)
    _flag_out(p)
    p.add_argument("--tol", type=_number, default=1e-12, metavar="X",
                   help="relative tolerance on the bound for the iterative methods "
                        "(default 1e-12)")
    p.add_argument("--max-iter", dest="max_iter", type=_whole_number, default=None, metavar="N",
                   help="iteration limit of the iterative methods (default: the method's)")
    p.set_defaults(run=_cmd_optimize)

    p = command("refine", "the optimal schedule for the gradient norms of a previous run",
                "Read a gradient-norm log, smooth it, resample it to --steps and write the "
                "schedule minimising bound (C) with G_t from the log (THEORY §3, §4.4).",
                ["schedopt refine --grad-norms run1.csv --steps 5000 --peak-lr 0.1 "
                 "--out run2.json"])
    p.add_argument("--grad-norms", dest="grad_norms", metavar="FILE", required=True,
                   help=_GRAD_NORMS_HELP)
    _flag_steps(p, required=False)
    _flag_peak_lr(p)
    _flag_out(p)
    _flag_D(p)
    _flag_monotone(p)
    _flag_warmup(p)
    p.add_argument("--smoothing", default="median", choices=("median", "none"),
                   help="median (a median filter over --width of the log, the default) or none")
    p.add_argument("--width", type=_number, default=0.1, metavar="F",
                   help="median filter width as a fraction of the log (default 0.1)")
    _flag_method(p)
    p.set_defaults(run=_cmd_refine)

    p = command("compare", "every schedule family at its best multiplier against the optimum",
                "Print the table of bound (C) for each schedule family at its best multiplier "
                "(THEORY §4.1), as a ratio to the optimum, with the variational prediction.",
                ["schedopt compare --steps 1000", "schedopt compare --steps 1000 --out table.md"])
    p.add_argument("--steps", type=_whole_number, required=True, metavar="T",
                   help="number of steps T")
    p.add_argument("--D", type=_number, default=1.0, metavar="X", help="‖θ_1 − θ*‖ (default 1)")
    p.add_argument("--G", type=_number, default=1.0, metavar="X",
                   help="gradient-norm bound (default 1)")
    p.add_argument("--out", metavar="FILE", help="also write the table (.json, .csv or .md)")
    p.set_defaults(run=_cmd_compare)

    p = command("scaling", "fit bound*(T) ≈ c·T^(−p) for the optimum and each family",
                "Solve on a grid of T and fit c·T^(−p) by least squares in log–log; the "
                "optimum should give p ≈ 0.5 and c ≈ 2DG (THEORY §3).",
                ["schedopt scaling", "schedopt scaling --min-steps 100 --max-steps 10000 "
                 "--num 9 --out scaling.json"])
    p.add_argument("--min-steps", dest="min_steps", type=_whole_number, default=100, metavar="T",
                   help="smallest T of the grid (default 100)")
    p.add_argument("--max-steps", dest="max_steps", type=_whole_number, default=1_000_000,
                   metavar="T", help="largest T of the grid (default 10^6)")
    p.add_argument("--num", type=_whole_number, default=25, metavar="N",
                   help="number of log-spaced T values (default 25)")
    p.add_argument("--out", metavar="FILE", help="also write the table (.json, .csv or .md)")
    p.set_defaults(run=_cmd_scaling)

    p = command("report", "write report.md and a self-contained report.html",
                "Run the comparison, the scaling fit, a short solver benchmark and the quick "
                "training benchmark, and write DIR/report.md, DIR/report.html (figures "
                "embedded) and the figures as PNG files in DIR.",
                ["schedopt report --out report", "schedopt report --out /tmp/r --quick"])
    p.add_argument("--out", default="report", metavar="DIR",
                   help="output folder, created if missing (default ./report)")
    p.add_argument("--quick", action="store_true",
                   help="smaller grids and no training benchmark (about a minute)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars")
    p.set_defaults(run=_cmd_report)

    # calibrate: fit a loss model to pilot runs (schedopt.calibration; THEORY §2, §5.1)
    p = command("calibrate", "fit a loss model to training runs and write it as JSON",
                "Read runs (a folder of tracker CSV exports, one run per file, or one CSV with "
                "a run column; columns step, lr, loss and optionally grad_norm), fit the loss "
                "model of schedopt.calibration.fit_loss_curves and write it as JSON, with a "
                "table of the fit on each run's last logged loss.",
                ["schedopt calibrate runs/ --out model.json",
                 "schedopt calibrate runs.csv --out model.json --bootstrap 50"])
    p.add_argument("runs", metavar="RUNS", help="a folder of .csv files or one .csv file")
    p.add_argument("--out", required=True, metavar="FILE", help="the fitted model (.json)")
    p.add_argument("--form", default="bound", choices=("bound", "multi_power"),
                   help="bound: bound (C) with fitted powers (default); multi_power: Luo et al.")
    p.add_argument("--min-fraction", dest="min_fraction", type=_number, default=0.5,
                   metavar="F", help="fit the points at steps >= F x each run's length "
                                     "(default 0.5)")
    p.add_argument("--bootstrap", type=_whole_number, default=20, metavar="N",
                   help="refits on resampled runs for the intervals (default 20)")
    p.set_defaults(run=_cmd_calibrate)

    # plan: the recommended schedule for a new horizon from a fitted model
    p = command("plan", "the schedule and peak LR a fitted model recommends for T steps",
                "Load a model written by `schedopt calibrate` and print the schedule of T "
                "applied rates minimising its predicted final loss (bound (C) at horizon T+1, "
                "first T rates), its peak LR and the predicted loss with its bootstrap interval.",
                ["schedopt plan --model model.json --steps 100000 --warmup 300 --out plan.csv"])
    p.add_argument("--model", required=True, metavar="FILE", help="a model from calibrate")
    _flag_steps(p, required=True)
    p.add_argument("--warmup", type=_whole_number, default=None, metavar="W",
                   help="W linear warm-up steps")
    p.add_argument("--max-lr", dest="max_lr", type=_number, default=None, metavar="X",
                   help="cap every rate at X (LR units)")
    p.add_argument("--no-monotone", dest="monotone", action="store_false",
                   help="allow the rates to rise after the warm-up")
    p.add_argument("--out", metavar="FILE", help="also write the schedule (.json or .csv)")
    p.set_defaults(run=_cmd_plan)

    p = command("demo", "the report on its defaults, then where it is",
                "What `make demo` runs: `schedopt report --out report` with progress bars.",
                ["schedopt demo", "python -m schedopt demo --out /tmp/demo"])
    p.add_argument("--out", default="report", metavar="DIR",
                   help="output folder (default ./report)")
    p.set_defaults(run=_cmd_demo)
    return parser


def _flag_steps(p, *, required: bool) -> None:
    p.add_argument("--steps", type=_whole_number, required=required, metavar="T",
                   help="number of steps T" + ("" if required else
                                               " (default: the length of the log)"))


def _flag_D(p) -> None:
    p.add_argument("--D", type=_number, default=1.0, metavar="X",
                   help="distance ‖θ_1 − θ*‖ (> 0, default 1)")


def _flag_method(p) -> None:
    p.add_argument("--method", default="auto", metavar="M",
                   help=f"solver: {', '.join(_METHODS)} (default auto: exact without "
                        "constraints, newton with them)")


def _flag_monotone(p) -> None:
    p.add_argument("--monotone", action="store_true",
                   help="force a non-increasing schedule after the warm-up")


def _flag_warmup(p) -> None:
    p.add_argument("--warmup", type=_whole_number, default=None, metavar="N",
                   help="N steps of linear warm-up up to the first free value")


def _flag_peak_lr(p) -> None:
    p.add_argument("--peak-lr", dest="peak_lr", type=_number, metavar="X",
                   help="rescale the schedule so that its largest value is X")


def _flag_out(p) -> None:
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .json, .csv or .npy (by extension)")


# ---------------------------------------------------------------------------------------
# Commands. Each returns an exit status; library imports happen here, not at start-up.
# ---------------------------------------------------------------------------------------

def _cmd_optimize(args) -> int:
    from schedopt import _io

    out = _io.check_output_path(args.out)
    if args.grad_norms is not None and args.G is not None:
        raise UsageError("give either --G or --grad-norms, not both")
    _check_peak_and_cap(args)
    from schedopt._solve import optimal_schedule

    if args.grad_norms is not None:
        from schedopt._refine import grad_norm_profile

        G = grad_norm_profile(_read_grad_norms(args.grad_norms, args.command), steps=args.steps,
                              smoothing=None)
    else:
        G = 1.0 if args.G is None else args.G
    result = optimal_schedule(args.steps, args.D, G, method=args.method,
                              monotone=args.monotone, max_lr=args.max_lr, warmup=args.warmup,
                              tol=args.tol, max_iter=args.max_iter)
    result = _rescale_to_peak(result, args.peak_lr, args.D, G)
    _io.write_schedule(out, result, D=args.D, G=G, peak_lr=args.peak_lr)
    _print_summary(result, out, args.D, G, args.peak_lr)
    return 0


def _check_peak_and_cap(args) -> None:
    if args.peak_lr is not None and getattr(args, "max_lr", None) is not None:
        raise UsageError("--peak-lr rescales the schedule to a given largest value and "
                         "--max-lr caps it in units of D/G; give one of them, not both")
    if args.peak_lr is not None:
        from schedopt._validation import positive_scalar

        positive_scalar(args.peak_lr, "peak_lr")


def _read_grad_norms(path, command):
    """The cleaned log; the reader's clean-up notes are printed as one line each."""
    import os
    import warnings

    from schedopt._gradlogs import read_grad_norms

    if not os.path.isfile(path):
        raise ValueError(f"grad_norms: no such file: {str(path)!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # the notes are printed below
        log = read_grad_norms(path)
    for note in log.notes:
        print(f"schedopt {command}: note: {note}", file=sys.stderr)
    return log


def _rescale_to_peak(result, peak_lr, D, G):
    """The same shape with max η = peak_lr; bound recomputed, gap carried over honestly.

    If ``result`` is within ``gap`` of the optimum, the rescaled schedule is within
    ``max(bound(rescaled) − result.bound, 0) + gap`` of it (as ``refine`` reports it).
    """
    if peak_lr is None:
        return result
    import dataclasses

    import numpy as np

    from schedopt._bounds import last_iterate_bound

    eta = result.eta * (peak_lr / float(np.max(result.eta)))
    bound = float(last_iterate_bound(eta, D, G))
    gap = None if result.gap is None else max(bound - result.bound, 0.0) + result.gap
    return dataclasses.replace(result, eta=eta, bound=bound, gap=gap,
                               message=result.message + f"; rescaled to peak_lr = {peak_lr!r}")


def _print_summary(result, out, D, G, peak_lr) -> None:
    import numpy as np

    eta = result.eta
    T = eta.shape[0]
    gap = "n/a" if result.gap is None else f"{result.gap:.2e}"
    lines = [
        f"schedule: T = {T}, method = {result.method}, "
        f"{'converged' if result.converged else 'NOT converged'} "
        f"({result.iterations} iterations, {result.seconds:.3g} s)",
        f"bound (C) = {result.bound:.10g} (√T·bound = {np.sqrt(T) * result.bound:.6g}, "
        f"certified gap to the optimum: {gap})",
        f"η_1 = {eta[0]:.6g}, max η = {np.max(eta):.6g}, η_T = {eta[-1]:.6g}"
        + (f" (rescaled to peak_lr = {peak_lr:g})" if peak_lr is not None else ""),
        f"wrote {out}",
    ]
    print("\n".join(lines))
    if not result.converged:
        print(f"schedopt: warning: the solver stopped short: {result.message}", file=sys.stderr)


def _cmd_refine(args) -> int:
    from schedopt import _io
    from schedopt._refine import grad_norm_profile
    from schedopt._refine import refine

    out = _io.check_output_path(args.out)
    smoothing = {"median": "median", "none": None}.get(args.smoothing, args.smoothing)
    log = _read_grad_norms(args.grad_norms, args.command)
    result = refine(log, steps=args.steps, smoothing=smoothing, width=args.width, D=args.D,
                    peak_lr=args.peak_lr, monotone=args.monotone, warmup=args.warmup,
                    method=args.method)
    G = grad_norm_profile(log, steps=args.steps, smoothing=smoothing, width=args.width)
    _io.write_schedule(out, result, D=args.D, G=G, peak_lr=args.peak_lr)
    print(f"log: {len(log)} gradient norms from {args.grad_norms} (steps {log.step[0]:g}.."
          f"{log.step[-1]:g}), smoothing = {args.smoothing}"
          + (f", width = {args.width:g}" if smoothing else ""))
    _print_summary(result, out, args.D, G, args.peak_lr)
    return 0


_TABLE_FORMATS = (".json", ".csv", ".md")


def _cmd_compare(args) -> int:
    from schedopt import _io

    out = None if args.out is None else _io.check_output_path(args.out, _TABLE_FORMATS)
    from schedopt._solve import optimal_schedule
    from schedopt._theory import compare
    from schedopt._theory import family_table

    table = family_table(args.steps, args.D, args.G)
    comparison = compare(optimal_schedule(args.steps, args.D, args.G, method="exact"),
                         args.D, args.G)
    text = (f"Every family at its best multiplier, T = {args.steps}, D = {args.D:g}, "
            f"G = {args.G:g}; the optimum of bound (C) is {table.optimum:.10g}.\n\n"
            f"{table.to_markdown()}\n\nThe optimum against the theory of THEORY §3:\n\n"
            f"{comparison.to_markdown()}\n")
    _print_and_write_table(text, table, out, {"family_table": table.to_dict(),
                                              "comparison": comparison_record(comparison)})
    return 0


def _print_and_write_table(text, table, out, record) -> None:
    """Print a command's text, then write it by out's extension: the JSON record, the
    Markdown text, or the table's rows as CSV."""
    from schedopt import _io

    print(text, end="")
    if out is None:
        return
    suffix = out.suffix.lower()
    if suffix == ".json":
        _io.write_json(out, record)
    elif suffix == ".md":
        _io.write_text(out, text)
    else:
        columns = list(zip(*table.as_rows()))
        _io.write_csv(out, {name: [_csv_value(x) for x in column]
                            for name, column in zip(_csv_header(table.header), columns)})
    print(f"wrote {out}")


def comparison_record(comparison) -> dict:
    """``compare``'s result as JSON-ready data (+∞ as the string "inf", like ``to_dict``)."""
    import dataclasses

    def clean(x):
        if isinstance(x, float) and x == float("inf"):
            return "inf"
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return clean(dataclasses.asdict(comparison))


def _csv_header(header):
    return [h.replace(",", ";") for h in header]


def _csv_value(x):
    return "inf" if isinstance(x, float) and x == float("inf") else x


def _cmd_scaling(args) -> int:
    from schedopt import _io

    out = None if args.out is None else _io.check_output_path(args.out, _TABLE_FORMATS)
    from schedopt._scaling import default_steps_grid
    from schedopt._scaling import fit_scaling

    from schedopt._validation import steps as positive_int

    positive_int(args.min_steps, "min_steps")
    positive_int(args.max_steps, "max_steps")
    positive_int(args.num, "num")
    if args.max_steps < args.min_steps:
        raise ValueError(f"max_steps must be >= min_steps, got min_steps = {args.min_steps}, "
                         f"max_steps = {args.max_steps}")
    grid = default_steps_grid(args.min_steps, args.max_steps, args.num)
    if grid.size < 3:
        raise ValueError(f"the grid must hold at least 3 values of T to fit and judge a "
                         f"power law, got {grid.size}: raise --num or widen the range")
    table = fit_scaling(grid)
    optimum = table.fits["optimal"]
    text = (f"bound*(T) ≈ c·T^(−p), least squares in log–log over {grid.size} values of T "
            f"from {grid[0]} to {grid[-1]} (D = G = 1; families at their best multiplier "
            f"under bound (C)).\n\n{table.to_markdown()}\n\n"
            f"optimum: p = {optimum.p:.5f} ± {optimum.p_se:.1e}, c = {optimum.c:.5f} ± "
            f"{optimum.c_se:.1e} (theory: p = 0.5, c = 2DG = 2)\n")
    _print_and_write_table(text, table, out, table.to_dict())
    return 0


def _cmd_report(args) -> int:
    paths = _write_report(args.out, quick=args.quick, progress=args.progress)
    print(f"report: {paths['html'].resolve()}")
    print(f"        {paths['md'].resolve()} (figures beside it)")
    return 0


def _cmd_demo(args) -> int:
    paths = _write_report(args.out, quick=False, progress=True)
    html, md = paths["html"].resolve(), paths["md"].resolve()
    print(f"The report is in {html.parent}/ ({paths['seconds']:.0f} s): open {html} in a "
          f"browser, or read {md}.")
    return 0


def _write_report(out, *, quick, progress):
    """The report, after the folder is checked; a failure past that point is a bug, not a
    bad argument, so it is raised as RuntimeError (exit 1, with its traceback)."""
    from schedopt import _io
    from schedopt import report

    _io.check_folder(out, "out", create=True)
    try:
        return report.write_report(out, quick=quick, progress=progress)
    except (ValueError, TypeError) as err:
        raise RuntimeError(f"the report failed: {err}") from err


def _cmd_calibrate(args) -> int:
    from schedopt import _io
    from schedopt.calibration import fit_loss_curves
    from schedopt.calibration import read_runs

    out = _io.check_output_path(args.out, formats=(".json",))
    runs = read_runs(args.runs)
    model = fit_loss_curves(runs, form=args.form, min_fraction=args.min_fraction,
                            bootstrap=args.bootstrap)
    model.save(out)
    q = model.quality
    print(f"fitted {args.form} model to {q['runs']} runs ({q['points']} points) in "
          f"{q['seconds']:.1f} s: rms relative error {100 * q['rms_relative_error']:.3f}%")
    print(f"{'run':<40} {'step':>8} {'observed':>10} {'predicted':>10} {'error':>8}")
    for run in runs:
        i = int(run.steps.argmax())
        pred = model.predict(run.lr[: run.steps[i]])
        print(f"{run.name[:40]:<40} {run.steps[i]:>8} {run.loss[i]:>10.4f} {pred:>10.4f} "
              f"{100 * (pred / run.loss[i] - 1):>7.2f}%")
    print(f"wrote {out}")
    return 0


def _cmd_plan(args) -> int:
    from schedopt import _io
    from schedopt.calibration import load_model

    out = None if args.out is None else _io.check_output_path(args.out, formats=(".json", ".csv"))
    model = load_model(args.model)
    plan = model.best_schedule(args.steps, monotone=args.monotone, max_lr=args.max_lr,
                               warmup=args.warmup)
    interval = ("" if plan.interval is None
                else f" (90% interval {plan.interval[0]:.4f}..{plan.interval[1]:.4f})")
    print(f"steps = {args.steps}: peak LR {plan.peak_lr:.4g}, predicted final loss "
          f"{plan.loss:.4f}{interval}")
    print(f"lr at steps 1, T/4, T/2, 3T/4, T: "
          + ", ".join(f"{plan.lr[min(int(f * args.steps), args.steps - 1)]:.4g}"
                      for f in (0, 0.25, 0.5, 0.75, 1)))
    if out is not None:
        if out.suffix.lower() == ".csv":
            _io.write_csv(out, {"step": range(1, args.steps + 1), "lr": plan.lr})
        else:
            _io.write_json(out, {"steps": args.steps, "peak_lr": plan.peak_lr,
                                 "loss": plan.loss, "interval": plan.interval,
                                 "note": plan.message, "model": str(args.model),
                                 "lr": plan.lr.tolist()})
        print(f"wrote {out}")
    return 0


# ---------------------------------------------------------------------------------------

def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:            # --help (0) or a usage error (2, already printed)
        return int(exit_.code or 0)
    if args.version:
        from schedopt import __version__

        print(f"schedopt {__version__}")
        return 0
    if args.command is None:
        print(f"schedopt: error: give a command: optimize, refine, compare, scaling, report, "
              f"demo, calibrate or plan (see schedopt --help)", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (ValueError, TypeError, UsageError) as err:
        print(f"schedopt {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except OSError as err:                 # e.g. the disk filled up while writing
        print(f"schedopt {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"schedopt {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(err) -> str:
    return " ".join(str(err).split()) or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
