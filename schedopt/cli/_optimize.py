"""``schedopt optimize``: one optimal schedule to a file."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "optimize"
HELP = "write the optimal schedule for T steps to a file"
DESCRIPTION = ("Solve for the schedule η_1..η_T that minimises bound (C) and write it as "
               ".json (with the solve's details), .csv (step t, eta, count k = t − 1) or "
               ".npy (the array), chosen by the file's extension.")
EXAMPLES = ["schedopt optimize --steps 1000 --out eta.json",
            "schedopt optimize --steps 10000 --monotone --warmup 500 --peak-lr 0.1 "
            "--out eta.csv"]
FUNCTION = ("schedopt.optimal_schedule", "schedopt.read_grad_norms",
            "schedopt.grad_norm_profile")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {
    "grad_norms": "a log file read into G (per-step gradient norms)",
    "peak_lr": "rescales the result (schedopt.adapters._peak.rescale_result)",
    "out": "the output file",
}


def add_arguments(p) -> None:
    p.add_argument("--steps", type=c.whole_number, default=None, metavar="T",
                   help="number of steps T (required without --grad-norms; with it, the "
                        "default is the logged run's horizon: its last logged step)")
    c.flag_D(p)
    p.add_argument("--G", type=c.number, default=None, metavar="X",
                   help="gradient-norm bound G (> 0, default 1)")
    p.add_argument("--grad-norms", dest="grad_norms", metavar="FILE",
                   help=f"per-step G_t instead of --G, from {c.GRAD_NORMS_HELP}; "
                        "smoothed like refine's (--smoothing, --width) and resampled to "
                        "--steps")
    c.flag_log_reading(p)
    c.flag_smoothing(p)
    c.flag_method(p)
    c.flag_monotone(p)
    p.add_argument("--max-lr", dest="max_lr", type=c.number, metavar="X",
                   help="cap every η_t at X (in the units of D/G)")
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
    if args.peak_lr is not None:
        from schedopt._validation import positive_scalar

        positive_scalar(args.peak_lr, "peak_lr")


def run(args) -> int:
    from schedopt.adapters import _io

    out = _io.check_output_path(args.out)
    if args.grad_norms is not None and args.G is not None:
        raise c.UsageError("give either --G or --grad-norms, not both")
    check_peak_and_cap(args)
    from schedopt.adapters._peak import rescale_result
    from schedopt.solvers import optimal_schedule

    if args.grad_norms is not None:
        from schedopt.adapters import grad_norm_profile

        log = c.read_grad_norms(args, NAME)
        G = grad_norm_profile(log, steps=args.steps, smoothing=c.smoothing(args),
                              width=args.width)
        print(c.log_summary(log, args.grad_norms, args, args.steps))
        provenance = c.log_provenance(log, args.grad_norms, args)
    else:
        provenance = None
        if args.steps is None:
            raise c.UsageError("give --steps (or --grad-norms, whose last logged step is then "
                               "the horizon)")
        G = 1.0 if args.G is None else args.G
    steps = args.steps if args.steps is not None else G.shape[0]
    result = optimal_schedule(steps, args.D, G, method=args.method,
                              monotone=args.monotone, max_lr=args.max_lr, warmup=args.warmup,
                              tol=args.tol, max_iter=args.max_iter)
    result = rescale_result(result, args.peak_lr, args.D, G)
    _io.write_schedule(out, result, D=args.D, G=G, peak_lr=args.peak_lr, tol=args.tol,
                       provenance=provenance)
    c.print_summary(result, out, args.D, G, args.peak_lr)
    return 0
