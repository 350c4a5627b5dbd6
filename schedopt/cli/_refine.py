"""``schedopt refine``: the optimum for the gradient norms of a previous run."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "refine"
HELP = "the optimal schedule for the gradient norms of a previous run"
DESCRIPTION = ("Read a gradient-norm log, smooth it, resample it to the --steps N updates "
               "of the next run and write the N rates to apply: η_1..η_N of the optimum "
               "of bound (C) at horizon N + 1 with G_t from the log (docs/math.md §3, "
               "§4.4, §5.1).")
EXAMPLES = ["schedopt refine --grad-norms run1.csv --steps 5000 --peak-lr 0.1 --out run2.json"]
FUNCTION = ("schedopt.refine", "schedopt.read_grad_norms")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file"}


def add_arguments(p) -> None:
    p.add_argument("--grad-norms", dest="grad_norms", metavar="FILE", required=True,
                   help=c.GRAD_NORMS_HELP)
    c.flag_updates(p, log_default=True)
    c.flag_peak_lr(p)
    c.flag_out(p)
    c.flag_D(p)
    c.flag_monotone(p)
    c.flag_warmup(p)
    c.flag_smoothing(p)
    c.flag_log_reading(p)
    c.flag_method(p)


def run(args) -> int:
    from schedopt.adapters import _io
    from schedopt.adapters import grad_norm_profile
    from schedopt.adapters import refine

    out = _io.check_output_path(args.out)
    smoothing = c.smoothing(args)
    if args.updates is not None:
        c.check_memory(args.updates, "--steps")
    log = c.read_grad_norms(args, NAME)
    result = refine(log, updates=args.updates, smoothing=smoothing, width=args.width, D=args.D,
                    peak_lr=args.peak_lr, monotone=args.monotone, warmup=args.warmup,
                    method=args.method)
    G = grad_norm_profile(log, steps=args.updates, smoothing=smoothing, width=args.width)
    _io.write_schedule(out, result, D=args.D, G=G, peak_lr=args.peak_lr, tol=_solver_tol(),
                       provenance=c.log_provenance(log, args.grad_norms, args))
    print(c.log_summary(log, args.grad_norms, args, args.updates))
    c.print_summary(result, out, args.D, G, args.peak_lr)
    return 0


def _solver_tol() -> float:
    """The tolerance refine solves to: optimal_schedule's default (refine has no tol)."""
    import inspect

    from schedopt.solvers import optimal_schedule

    return inspect.signature(optimal_schedule).parameters["tol"].default
