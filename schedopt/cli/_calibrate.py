"""``schedopt calibrate``: fit a loss model to training runs (schedopt.calibration)."""

from __future__ import annotations

import sys

from schedopt.cli import _common as c

NAME = "calibrate"
HELP = "fit a loss model to training runs and write it as JSON"
DESCRIPTION = ("Read runs (a folder of tracker CSV exports, one run per file, or one CSV with "
               "a run column; columns step, lr, loss and optionally grad_norm), fit the loss "
               "model of schedopt.calibration.fit_loss_curves (bound (C) with fitted powers, "
               "docs/math.md §2, §5.1) and write it as JSON, with a table of the fit on each "
               "run's last logged loss.")
EXAMPLES = ["schedopt calibrate runs/ --out model.json",
            "schedopt calibrate runs.csv --out model.json --bootstrap 50"]
FUNCTION = ("schedopt.calibration.fit_loss_curves", "schedopt.calibration.read_runs")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"runs": "the path read_runs reads (its parameter is path)",
            "out": "the fitted model's JSON file"}


def add_arguments(p) -> None:
    p.add_argument("runs", metavar="RUNS", help="a folder of .csv files or one .csv file")
    p.add_argument("--out", required=True, metavar="FILE", help="the fitted model (.json)")
    p.add_argument("--form", default="bound", choices=("bound", "multi_power"),
                   help="bound: bound (C) with fitted powers (default); multi_power: Luo et al.")
    p.add_argument("--min-fraction", dest="min_fraction", type=c.number, default=0.5,
                   metavar="F", help="fit the points at steps >= F x each run's length "
                                     "(default 0.5)")
    p.add_argument("--bootstrap", type=c.whole_number, default=20, metavar="N",
                   help="refits on resampled runs for the intervals (default 20)")
    c.flag_run_columns(p)


def run(args) -> int:
    from schedopt.adapters import _io
    from schedopt.calibration import fit_loss_curves
    from schedopt.calibration import read_runs

    out = _io.check_output_path(args.out, formats=(".json",))
    runs = read_runs(args.runs, **c.run_columns(args))
    for note in dict.fromkeys(n for r in runs for n in r.notes):
        print(f"schedopt calibrate: note: {note}", file=sys.stderr)
    model = fit_loss_curves(runs, form=args.form, min_fraction=args.min_fraction,
                            bootstrap=args.bootstrap)
    model.save(out)
    q = model.quality
    print(f"fitted {args.form} model to {q['runs']} runs ({q['points']} points) in "
          f"{q['seconds']:.1f} s: rms relative error {100 * q['rms_relative_error']:.3f}%")
    print(f"{'run':<40} {'step':>8} {'observed':>10} {'predicted':>10} {'error':>8}")
    for r in runs:
        i = int(r.steps.argmax())
        pred = model.predict(r.lr[: r.steps[i]])
        print(f"{r.name[:40]:<40} {r.steps[i]:>8} {r.loss[i]:>10.4f} {pred:>10.4f} "
              f"{100 * (pred / r.loss[i] - 1):>7.2f}%")
    print(f"wrote {out}")
    return 0
