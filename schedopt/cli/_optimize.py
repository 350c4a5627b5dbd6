"""``schedopt optimize``: one optimal schedule to a file."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "optimize"
HELP = "write the optimal rates for N updates to a file"
DESCRIPTION = ("Write the N rates to apply for N updates, η_1..η_N of the schedule that "
               "minimises bound (C) at horizon N + 1 (the bound on θ_(N+1), the parameters "
               "the run keeps; η_(N+1) is never applied, docs/math.md §5.1), as .json (with "
               "the solve's details, updates and horizon), .csv (step t, eta, count k = t − 1) or .npy (the "
               "array), chosen by the file's extension. --horizon T writes the mathematical "
               "object instead: the T entries of the horizon-T optimum.")
EXAMPLES = ["schedopt optimize --steps 1000 --out eta.json",
            "schedopt optimize --steps 10000 --monotone --warmup 500 --peak-lr 0.1 "
            "--out eta.csv"]
FUNCTION = ("schedopt.applied_schedule", "schedopt.read_grad_norms",
            "schedopt.grad_norm_profile")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {
    "horizon": "instead of --steps: schedopt.optimal_schedule(horizon), the horizon-T "
               "object with its never-applied last entry (what --steps T wrote before "
               "the applied rule of docs/math.md §5.1)",
    "grad_norms": "a log file read into G (per-step gradient norms)",
    "peak_lr": "rescales the result (schedopt.adapters._peak.rescale_result)",
    "out": "the output file",
}


def add_arguments(p) -> None:
    which = p.add_mutually_exclusive_group()
    c.flag_updates(which, log_default=True)
    which.add_argument("--horizon", type=c.whole_number, metavar="T",
                       help="write the horizon-T optimum itself (T entries; the last is bound "
                            "(C)'s weight, never to be applied) instead of rates to apply")
    c.flag_D(p)
    p.add_argument("--G", type=c.number, default=None, metavar="X",
                   help="gradient-norm bound G (> 0, default 1)")
    p.add_argument("--grad-norms", dest="grad_norms", metavar="FILE",
                   help=f"per-step G_t instead of --G, from {c.GRAD_NORMS_HELP}; "
                        "smoothed like refine's (--smoothing, --width) and resampled to "
                        "--steps N (G_(N+1) = G_N) or --horizon T")
    c.flag_log_reading(p)
    c.flag_smoothing(p)
    c.flag_method(p)
    c.flag_monotone(p)
    c.flag_max_lr(p, "units of D/G (with --peak-lr the rates are learning rates and the "
                     "cap is the peak itself)")
    p.add_argument("--min-lr", dest="min_lr", type=c.number, metavar="X",
                   help="keep every η_t after the warm-up at X or above (in the units of "
                        "D/G, below --max-lr)")
    c.flag_warmup(p)
    c.flag_peak_lr(p)
    c.flag_out(p)
    p.add_argument("--tol", type=c.number, default=1e-12, metavar="X",
                   help="relative tolerance on the bound for the iterative methods "
                        "(default 1e-12)")
    p.add_argument("--max-iter", dest="max_iter", type=c.whole_number, default=None,
                   metavar="N", help="iteration limit of the iterative methods "
                                     "(default: the method's)")


def check_peak_and_cap(args) -> None:
    if args.peak_lr is not None and getattr(args, "max_lr", None) is not None:
        raise c.UsageError("--peak-lr rescales the schedule to a given largest value and "
                           "--max-lr caps it in units of D/G; give one of them, not both")
    if args.peak_lr is not None and getattr(args, "min_lr", None) is not None:
        raise c.UsageError("--peak-lr rescales the schedule to a given largest value and "
                           "--min-lr bounds it below in units of D/G; give one of them, "
                           "not both")
    if args.peak_lr is not None:
        from schedopt._validation import positive_scalar

        positive_scalar(args.peak_lr, "peak_lr")


def run(args) -> int:
    c.refuse_log_flags_without_a_log(args)
    from schedopt.adapters import _io

    out = _io.check_output_path(args.out)
    if args.grad_norms is not None and args.G is not None:
        raise c.UsageError("give either --G or --grad-norms, not both")
    check_peak_and_cap(args)
    from schedopt.adapters._peak import rescale_result
    from schedopt.solvers import applied_schedule
    from schedopt.solvers import optimal_schedule

    if args.horizon is not None:
        from schedopt._validation import steps

        steps(args.horizon, "horizon")
    length = args.updates if args.updates is not None else args.horizon
    if length is not None:
        c.check_memory(length, "--horizon" if args.horizon is not None else "--steps")
    if args.grad_norms is not None:
        from schedopt.adapters import grad_norm_profile

        log = c.read_grad_norms(args, NAME)
        G = grad_norm_profile(log, steps=length, smoothing=c.smoothing(args), width=args.width)
        print(c.log_summary(log, args.grad_norms, args, length))
        provenance = c.log_provenance(log, args.grad_norms, args)
    else:
        provenance = None
        if length is None:
            raise c.UsageError("give --steps N (the updates to apply), --horizon T, or "
                               "--grad-norms (whose last logged step is then N)")
        G = 1.0 if args.G is None else args.G
    if length is None:
        length = G.shape[0]
    solve = optimal_schedule if args.horizon is not None else applied_schedule
    result = solve(length, args.D, G, method=args.method, monotone=args.monotone,
                   max_lr=args.max_lr, warmup=args.warmup, tol=args.tol,
                   max_iter=args.max_iter, min_lr=args.min_lr)
    result = rescale_result(result, args.peak_lr, args.D, G)
    _io.write_schedule(out, result, D=args.D, G=G, peak_lr=args.peak_lr, tol=args.tol,
                       provenance=provenance)
    c.print_summary(result, out, args.D, G, args.peak_lr)
    return 0
