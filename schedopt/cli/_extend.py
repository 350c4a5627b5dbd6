"""``schedopt extend``: the optimal continuation of a run's applied learning rates."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "extend"
HELP = "continue a run optimally: the history's rates, then the best rest to --steps"
DESCRIPTION = ("Read the learning rates a run already applied (a schedule file, or a "
               "tracker's export of the LR with a step column) and write all --steps rates "
               "to apply: the history, then the continuation that minimises bound (C) of "
               "the parameters kept after the last update (horizon steps + 1, "
               "docs/math.md §5.1) with the history frozen. A tracker's history is in learning-rate "
               "units: give --model (a model from schedopt calibrate) or --lr-scale to put it "
               "in units of D/G; the continuation is then written in learning rates and "
               "never rises above the history's peak without --rewarmup.")
EXAMPLES = ["schedopt extend --applied lr_export.csv --model model.json --steps 200000 "
            "--out run2.csv",
            "schedopt extend --applied lr_export.csv --lr-scale 0.01 --steps 20000 --out run2.csv",
            "schedopt extend --applied run1.json --steps 8000 --rewarmup 200 --out run2.json"]
FUNCTION = "schedopt.extend_schedule"
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file",
            "model": "a calibrated model file (schedopt.calibration.load_model), passed as "
                     "model="}


def add_arguments(p) -> None:
    p.add_argument("--applied", required=True, metavar="FILE",
                   help="the rates already applied: .npy, .json (a schedule record), or "
                        ".csv/.txt with a header and two columns, step and learning rate, "
                        "one row per update")
    p.add_argument("--steps", type=c.whole_number, required=True, metavar="N",
                   help="total number of updates, history included")
    p.add_argument("--model", metavar="FILE",
                   help="a model from schedopt calibrate: the history is in learning rates, "
                        "put in units of D/G by the model's fitted scale and constants")
    p.add_argument("--lr-scale", dest="lr_scale", type=c.number, metavar="X",
                   help="the history is in learning rates, lr = X · (rate in units of D/G)")
    p.add_argument("--units", default=None, choices=("bound", "lr"),
                   help="the history's units: bound (units of D/G, e.g. a file optimize "
                        "wrote without --peak-lr) or lr (learning rates, needs --model or "
                        "--lr-scale); default: lr with --model/--lr-scale, what a schedopt "
                        "JSON record says, else refused")
    p.add_argument("--above-peak", dest="above_peak", action="store_true", default=None,
                   help="let a learning-rate continuation rise above the history's peak "
                        "without a re-warm-up")
    c.flag_D(p)
    p.add_argument("--G", type=c.number, default=1.0, metavar="X",
                   help="gradient-norm bound G (> 0, default 1)")
    c.flag_max_lr(p, "learning rates with --model/--lr-scale, else units of D/G",
                  "cap every continuation rate at X")
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
    units, model = _units(args)
    applied = read_applied(args.applied)
    c.check_memory(args.steps, "--steps")
    result = extend_schedule(applied, args.steps, args.D, args.G, max_lr=args.max_lr,
                             monotone=args.monotone, rewarmup=args.rewarmup,
                             rewarmup_peak=args.rewarmup_peak, units=units,
                             lr_scale=args.lr_scale, model=model, above_peak=args.above_peak)
    D = result.problem["D"]
    G = args.G if model is None else _model_G(model)
    _io.write_schedule(out, result, D=D, G=G)
    print(f"history: {applied.shape[0]} applied rates; continuation: "
          f"{args.steps - applied.shape[0]} rates (bound (C) at horizon steps + 1)")
    if units == "lr":
        print(f"units: the history is in learning rates, converted by "
              f"{result.problem['scale_source']}; the file holds learning rates")
    c.print_summary(result, out, D, G, None, lr_units=units == "lr")
    return 0


def _model_G(model):
    from schedopt._lr_units import scale_of

    return scale_of("lr", model=model).G


def _units(args):
    """(units, model) of --applied from --units, --model, --lr-scale and the file itself."""
    from schedopt.adapters._history import units_of

    given = args.model is not None or args.lr_scale is not None
    if args.model is not None and args.lr_scale is not None:
        raise c.UsageError("give --model or --lr-scale, not both: each sets the "
                           "learning-rate scale")
    units = args.units or ("lr" if given else units_of(args.applied))
    if units == "bound" and given:
        raise c.UsageError("--units bound says the history is already in units of D/G; "
                           "--model and --lr-scale convert learning rates: leave them out")
    if units is None or (units == "lr" and not given):
        raise c.UsageError(f"--applied {args.applied} holds learning rates in your units: give "
                           f"--model model.json (from schedopt calibrate) or --lr-scale X "
                           f"(lr = X · the rate in units of D/G), or --units bound if they "
                           f"are already in units of D/G")
    model = None
    if args.model is not None:
        from schedopt.calibration import load_model

        model = load_model(args.model)
    return units, model
