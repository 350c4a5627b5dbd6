"""``schedopt extend``: the optimal continuation of a run's applied learning rates."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "extend"
HELP = "continue a run optimally: the history's rates, then the best rest to --steps"
DESCRIPTION = ("Read the learning rates a run already applied (a schedule file, or a "
               "tracker's export of the LR with a step column) and write all --steps rates "
               "to apply: the history, then the continuation that minimises bound (C) of "
               "the parameters kept after the last update (horizon steps + 1, "
               "docs/math.md §5.1) with the history frozen. Rates are in the units of D/G.")
EXAMPLES = ["schedopt extend --applied run1.csv --steps 200000 --out run2.csv",
            "schedopt extend --applied run1.json --steps 8000 --rewarmup 200 --out run2.json"]
FUNCTION = "schedopt.extend_schedule"
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file"}


def add_arguments(p) -> None:
    p.add_argument("--applied", required=True, metavar="FILE",
                   help="the rates already applied: .npy, .json (a schedule record), or "
                        ".csv/.txt with a header and two columns, step and learning rate, "
                        "one row per update")
    p.add_argument("--steps", type=c.whole_number, required=True, metavar="N",
                   help="total number of updates, history included")
    c.flag_D(p)
    p.add_argument("--G", type=c.number, default=1.0, metavar="X",
                   help="gradient-norm bound G (> 0, default 1)")
    p.add_argument("--max-lr", dest="max_lr", type=c.number, metavar="X",
                   help="cap every continuation rate at X")
    p.add_argument("--monotone", action="store_true",
                   help="non-increasing from the first rate after the history")
    p.add_argument("--rewarmup", type=c.whole_number, default=0, metavar="K",
                   help="K steps rising linearly from the last applied rate to a peak")
    p.add_argument("--rewarmup-peak", dest="rewarmup_peak", type=c.number, metavar="X",
                   help="that peak (default: the optimal one)")
    c.flag_out(p)


def run(args) -> int:
    from schedopt.adapters import _io
    from schedopt.adapters._history import read_applied
    from schedopt.solvers import extend_schedule

    out = _io.check_output_path(args.out)
    applied = read_applied(args.applied)
    c.check_memory(args.steps, "--steps")
    result = extend_schedule(applied, args.steps, args.D, args.G, max_lr=args.max_lr,
                             monotone=args.monotone, rewarmup=args.rewarmup,
                             rewarmup_peak=args.rewarmup_peak)
    _io.write_schedule(out, result, D=args.D, G=args.G)
    print(f"history: {applied.shape[0]} applied rates; continuation: "
          f"{args.steps - applied.shape[0]} rates (bound (C) at horizon steps + 1)")
    c.print_summary(result, out, args.D, args.G, None)
    return 0
