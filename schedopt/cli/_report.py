"""``schedopt report``: tables and figures as Markdown and HTML, about the user's run too."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "report"
HELP = "write report.md and a self-contained report.html"
DESCRIPTION = ("Run the comparison, the scaling fit and a short solver benchmark, and "
               "write DIR/report.md, DIR/report.html (figures embedded) and the figures "
               "as PNG files in DIR. With --steps and/or --grad-norms the report opens with "
               "sections about your run: its optimal schedule (as learning rates with "
               "--peak-lr), the schedule families at its T and G, and the refinement from "
               "its gradient-norm log.")
EXAMPLES = ["schedopt report --out report", "schedopt report --out /tmp/r --quick",
            "schedopt report --grad-norms run1.csv --peak-lr 0.1 --quick --out r"]
FUNCTION = ("schedopt.report.write_report", "schedopt.report.your_run_sections")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {}


def add_arguments(p) -> None:
    p.add_argument("--out", default="report", metavar="DIR",
                   help="output folder, created if missing (default ./report)")
    p.add_argument("--quick", action="store_true",
                   help="smaller grids (seconds to a minute)")
    c.flag_progress(p)
    run = p.add_argument_group("your run (sections placed first)")
    run.add_argument("--steps", type=c.whole_number, default=None, metavar="N",
                     help="N, the number of updates of your run (default with --grad-norms: the "
                          "log's length, its last step, +1 when steps count from 0)")
    run.add_argument("--grad-norms", dest="grad_norms", metavar="FILE",
                     help=f"the gradient norms your run logged: {c.GRAD_NORMS_HELP}")
    c.flag_peak_lr(run)
    c.flag_D(run)
    c.flag_monotone(run)
    c.flag_warmup(run)
    c.flag_log_reading(run)
    c.flag_smoothing(run)


def run(args) -> int:
    c.refuse_log_flags_without_a_log(args)
    from schedopt.report import _report

    _report.require_matplotlib()          # one line and exit 2, before any work
    lead = ()
    if args.steps is not None or args.grad_norms is not None:
        lead = _your_run(args)
    elif args.peak_lr is not None:
        raise c.UsageError("--peak-lr scales your run's schedule: give --steps or --grad-norms")
    paths = write(args.out, quick=args.quick, show_progress=args.progress, lead_sections=lead)
    print(f"report: {paths['html'].resolve()}")
    print(f"        {paths['md'].resolve()} (figures beside it)")
    return 0


def _your_run(args):
    """The user's sections, with every argument and the log checked now (exit 2 if bad)."""
    from schedopt.report import your_run_sections

    grad_norms = None
    if args.steps is not None:
        c.check_memory(args.steps, "--steps")
    if args.grad_norms is not None:
        grad_norms = c.read_grad_norms(args, NAME)
        print(c.log_summary(grad_norms, args.grad_norms, args, args.steps))
    smoothing = c.smoothing(args)
    return your_run_sections(args.steps, grad_norms=grad_norms, peak_lr=args.peak_lr, D=args.D,
                             monotone=args.monotone, warmup=args.warmup, smoothing=smoothing,
                             width=args.width)


def write(out, *, quick, show_progress, sections=(), lead_sections=()):
    """The report, after the folder is checked; a failure past that point is a bug, not a
    bad argument, so it is raised as RuntimeError (exit 1, with its traceback)."""
    from schedopt.adapters import _io
    from schedopt.report import write_report

    _io.check_folder(out, "out", create=True)
    try:
        return write_report(out, quick=quick, show_progress=show_progress, sections=sections,
                            lead_sections=lead_sections)
    except (ValueError, TypeError) as err:
        raise RuntimeError(f"the report failed: {err}") from err
