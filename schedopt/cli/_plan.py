"""``schedopt plan``: the schedule and peak LR a fitted loss model recommends."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "plan"
HELP = "the schedule and peak LR a fitted model recommends for N updates"
DESCRIPTION = ("Load a model written by `schedopt calibrate` and print the N rates to apply "
               "that minimise its predicted final loss (bound form: bound (C) at horizon "
               "N + 1, first N rates, docs/math.md §5.1; multi_power form: a local search "
               "over non-increasing rates at the best pilot's peak, capped by --max-lr), "
               "its peak LR and the predicted loss with its bootstrap interval.")
EXAMPLES = ["schedopt plan --model model.json --steps 100000 --warmup 300 --out plan.csv"]
FUNCTION = ("schedopt.calibration.LossModel.best_schedule",)
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"model": "the JSON file written by calibrate (schedopt.calibration.load_model)",
            "out": "the schedule file (.json, .csv or .npy; schedopt.load_schedule reads it)"}


def add_arguments(p) -> None:
    p.add_argument("--model", required=True, metavar="FILE", help="a model from calibrate")
    p.add_argument("--steps", type=c.whole_number, required=True, metavar="N",
                   help="number of updates N of the new run")
    p.add_argument("--warmup", type=c.whole_number, default=None, metavar="W",
                   help="W linear warm-up steps")
    c.flag_max_lr(p, "learning rates (your units)")
    c.flag_monotone(p)
    p.add_argument("--out", metavar="FILE",
                   help="also write the rates (.json, .csv or .npy, like optimize)")


def run(args) -> int:
    from schedopt.adapters import _io
    from schedopt.calibration import load_model

    out = None if args.out is None else _io.check_output_path(args.out)
    c.check_memory(args.steps, "--steps")
    model = load_model(args.model)
    plan = model.best_schedule(args.steps, monotone=args.monotone, max_lr=args.max_lr,
                               warmup=args.warmup)
    interval = ("" if plan.interval is None
                else f" (90% interval {plan.interval[0]:.4f}..{plan.interval[1]:.4f})")
    print(f"steps = {args.steps}: peak LR {plan.peak_lr:.4g}, predicted final loss "
          f"{plan.loss:.4f}{interval}")
    cv = model.quality.get("cv")
    if cv is not None:
        print(f"error to expect: {100 * cv['cv_error']:.2f}% (the cross-validated error of "
              f"{cv['chosen']}, {cv['scheme']})")
    else:
        print("error to expect: not cross-validated (the form was given, not chosen by auto)")
    print(f"how: {plan.message}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    print("lr at steps 1, N/4, N/2, 3N/4, N: "
          + ", ".join(f"{plan.lr[min(int(f * args.steps), args.steps - 1)]:.4g}"
                      for f in (0, 0.25, 0.5, 0.75, 1)))
    if out is not None:
        # The same formats as every schedule file (load_schedule reads them back): eta is the
        # learning rate of each update, step t = 1..N and the 0-based counter k = t − 1.
        suffix = out.suffix.lower()
        if suffix == ".json":
            _io.write_json(out, {"updates": args.steps, "eta": plan.lr, "peak_lr": plan.peak_lr,
                                 "predicted_loss": plan.loss, "interval": plan.interval,
                                 "note": plan.message, "model": str(args.model),
                                 "warnings": list(plan.warnings)})
        elif suffix == ".csv":
            _io.write_csv(out, {"step": range(1, args.steps + 1), "eta": plan.lr,
                                "count": range(args.steps)})
        else:
            _io.write_npy(out, plan.lr)
        print(f"wrote {out}")
    return 0
