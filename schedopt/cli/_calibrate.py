"""``schedopt calibrate``: fit a loss model to training runs (schedopt.calibration)."""

from __future__ import annotations

import sys

from schedopt.cli import _common as c

NAME = "calibrate"
HELP = "fit a loss model to training runs and write it as JSON"
DESCRIPTION = ("Read runs (a folder of tracker CSV exports, one run per file, or one CSV with "
               "a run column; columns step, lr, loss and optionally grad_norm), fit the loss "
               "model of schedopt.calibration.fit_loss_curves and write it as JSON. The "
               "default form auto chooses among bound (C) with or without fitted powers "
               "(docs/math.md §2, §5.1), the Multi-Power Law and which points of each run to "
               "fit, by cross-validation on the runs given; the table shows each candidate's "
               "cross-validated error, then the fit on each run's last logged loss. A diverged "
               "run (NaN/inf loss, or a last loss above its first) is named and left out.")
EXAMPLES = ["schedopt calibrate runs/ --out model.json",
            "schedopt calibrate runs.csv --out model.json --bootstrap 50"]
FUNCTION = ("schedopt.calibration.fit_loss_curves", "schedopt.calibration.read_runs")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"runs": "the path read_runs reads (its parameter is path)",
            "out": "the fitted model's JSON file"}


def add_arguments(p) -> None:
    p.add_argument("runs", metavar="RUNS", help="a folder of .csv files or one .csv file")
    p.add_argument("--out", required=True, metavar="FILE", help="the fitted model (.json)")
    p.add_argument("--form", default="auto", choices=("auto", "bound", "multi_power"),
                   help="auto: chosen by cross-validation (default); bound: bound (C) with "
                        "fitted powers; multi_power: Luo et al.")
    p.add_argument("--min-fraction", dest="min_fraction", type=c.number, default=None,
                   metavar="F", help="fit the points at steps >= F x each run's length "
                                     "(default: chosen by auto; 0.5 for an explicit form)")
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
    for d in q.get("diverged", []):
        print(f"diverged: run {d['name']!r} ({d['reason']}), peak LR {d['peak_lr']:.4g}: left "
              "out of the fit; recommended peaks are capped at it")
    cv = q.get("cv")
    if cv is not None:
        print(f"form auto, cross-validation ({cv['scheme']}): mean relative error of the "
              "held-out points")
        for row in cv["candidates"]:
            err = ("skipped: " + row["skipped"] if row["cv_error"] is None
                   else f"{100 * row['cv_error']:.3f}%")
            mark = "*" if row["label"] == cv["chosen"] else " "
            print(f" {mark} {row['label']:<42} {err}")
    print(f"fitted {model.form} model ({cv['chosen'] if cv else args.form}) to {q['runs']} "
          f"runs ({q['points']} points) in {q['seconds']:.1f} s: rms relative error "
          f"{100 * q['rms_relative_error']:.3f}%")
    for flag in q.get("flags", []):
        print(f"warning: {flag}")
    print(f"{'run':<40} {'step':>8} {'observed':>10} {'predicted':>10} {'error':>8}")
    fitted = {d["name"] for d in q.get("diverged", [])}
    for r in (r for r in runs if r.name not in fitted):
        i = int(r.steps.argmax())
        pred = model.predict(r.lr[: r.steps[i]])
        print(f"{r.name[:40]:<40} {r.steps[i]:>8} {r.loss[i]:>10.4f} {pred:>10.4f} "
              f"{100 * (pred / r.loss[i] - 1):>7.2f}%")
    print(f"wrote {out}")
    return 0
