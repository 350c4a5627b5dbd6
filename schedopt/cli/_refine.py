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
FUNCTION = "schedopt.refine"
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
    p.add_argument("--smoothing", default="median", choices=("median", "none"),
                   help="median (a median filter over --width of the log, the default) or none")
    p.add_argument("--width", type=c.number, default=0.1, metavar="F",
                   help="median filter width as a fraction of the log (default 0.1)")
    c.flag_method(p)


def run(args) -> int:
    from schedopt.adapters import _io
    from schedopt.adapters import grad_norm_profile
    from schedopt.adapters import refine

    out = _io.check_output_path(args.out)
    smoothing = {"median": "median", "none": None}.get(args.smoothing, args.smoothing)
    log = c.read_grad_norms(args.grad_norms, NAME)
    result = refine(log, updates=args.updates, smoothing=smoothing, width=args.width, D=args.D,
                    peak_lr=args.peak_lr, monotone=args.monotone, warmup=args.warmup,
                    method=args.method)
    G = grad_norm_profile(log, steps=args.updates, smoothing=smoothing, width=args.width)
    _io.write_schedule(out, result, D=args.D, G=G, peak_lr=args.peak_lr)
    print(f"log: {len(log)} gradient norms from {args.grad_norms} (steps {log.step[0]:g}.."
          f"{log.step[-1]:g}), smoothing = {args.smoothing}"
          + (f", width = {args.width:g}" if smoothing else ""))
    c.print_summary(result, out, args.D, G, args.peak_lr)
    return 0
