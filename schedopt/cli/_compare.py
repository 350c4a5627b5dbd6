"""``schedopt compare``: every family at its best multiplier against the optimum."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "compare"
HELP = "every schedule family at its best multiplier against the optimum"
DESCRIPTION = ("Print the table of bound (C) for each schedule family at its best "
               "multiplier (docs/math.md §4.1), as a ratio to the optimum, with the "
               "variational prediction.")
EXAMPLES = ["schedopt compare --horizon 1000",
            "schedopt compare --horizon 1000 --out table.md"]
FUNCTION = "schedopt.family_table"
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file",
            "horizon": "family_table's steps: the horizon T (--steps means updates in every "
                       "command, so it is refused here with a pointer to --horizon)",
            "_refused_steps": "--steps refused with a pointer to --horizon",
            "progress": "progress bars (only on a terminal by default)"}


def add_arguments(p) -> None:
    c.flag_horizon(p, required=True)
    c.refuse_steps_for_horizon(p, "--horizon")
    p.add_argument("--D", type=c.number, default=1.0, metavar="X",
                   help="‖θ_1 − θ*‖ (default 1)")
    p.add_argument("--G", type=c.number, default=1.0, metavar="X",
                   help="gradient-norm bound (default 1)")
    c.flag_table_out(p)
    c.flag_progress(p)


def run(args) -> int:
    from schedopt.adapters import _io

    out = None if args.out is None else _io.check_output_path(args.out, c.TABLE_FORMATS)
    from schedopt.solvers import optimal_schedule
    from schedopt.theory import compare
    from schedopt.theory import family_table

    from schedopt._validation import steps

    T = steps(args.horizon, "--horizon")
    c.check_memory(T, "--horizon")
    progress = c.Progress(f"schedopt compare, T = {T:,}", args.progress)
    try:
        table = family_table(T, args.D, args.G, progress=progress)
    finally:
        progress.close()
    comparison = compare(optimal_schedule(T, args.D, args.G, method="exact"),
                         args.D, args.G)
    text = (f"Every family at its best multiplier, horizon T = {T}, D = {args.D:g}, "
            f"G = {args.G:g}; the optimum of bound (C) is {table.optimum:.10g}.\n\n"
            f"{table.to_markdown()}\n\nThe optimum against the theory of docs/math.md "
            f"§3:\n\n{comparison.to_markdown()}\n")
    c.print_and_write_table(text, table, out, {"family_table": table.to_dict(),
                                               "comparison": comparison.to_dict()})
    return 0
