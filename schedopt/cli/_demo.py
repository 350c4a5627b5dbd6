"""``schedopt demo``: the report on its defaults (what ``make demo`` runs)."""

from __future__ import annotations

from schedopt.cli import _common as c
from schedopt.cli._report import write


NAME = "demo"
HELP = "the report on its defaults, then where it is"
DESCRIPTION = ("`schedopt report --out report` with progress bars, then where the report is. "
               "`make demo` adds the quick training benchmark of a source checkout "
               "(benchmarks/demo.py).")
EXAMPLES = ["schedopt demo", "python -m schedopt demo --out /tmp/demo"]
FUNCTION = "schedopt.report.write_report"
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {}


def add_arguments(p) -> None:
    p.add_argument("--out", default="report", metavar="DIR",
                   help="output folder (default ./report)")
    c.flag_progress(p)


def run(args) -> int:
    paths = write(args.out, quick=False, show_progress=args.progress)
    html, md = paths["html"].resolve(), paths["md"].resolve()
    print(f"The report is in {html.parent}/ ({paths['seconds']:.0f} s): open {html} in a "
          f"browser, or read {md}.")
    return 0

