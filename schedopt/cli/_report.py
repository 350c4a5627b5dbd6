"""``schedopt report``: tables and figures as Markdown and HTML."""

from __future__ import annotations


NAME = "report"
HELP = "write report.md and a self-contained report.html"
DESCRIPTION = ("Run the comparison, the scaling fit and a short solver benchmark, and "
               "write DIR/report.md, DIR/report.html (figures embedded) and the figures "
               "as PNG files in DIR.")
EXAMPLES = ["schedopt report --out report", "schedopt report --out /tmp/r --quick"]
FUNCTION = "schedopt.report.write_report"
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {}


def add_arguments(p) -> None:
    p.add_argument("--out", default="report", metavar="DIR",
                   help="output folder, created if missing (default ./report)")
    p.add_argument("--quick", action="store_true",
                   help="smaller grids (about a minute)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars")


def run(args) -> int:
    paths = write(args.out, quick=args.quick, progress=args.progress)
    print(f"report: {paths['html'].resolve()}")
    print(f"        {paths['md'].resolve()} (figures beside it)")
    return 0


def write(out, *, quick, progress, sections=()):
    """The report, after the folder is checked; a failure past that point is a bug, not a
    bad argument, so it is raised as RuntimeError (exit 1, with its traceback)."""
    from schedopt.adapters import _io
    from schedopt.report import write_report

    _io.check_folder(out, "out", create=True)
    try:
        return write_report(out, quick=quick, progress=progress, sections=sections)
    except (ValueError, TypeError) as err:
        raise RuntimeError(f"the report failed: {err}") from err
