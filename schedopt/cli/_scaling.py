"""``schedopt scaling``: the fitted bound*(T) ≈ c·T^(−p) law."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "scaling"
HELP = "fit bound*(T) ≈ c·T^(−p) for the optimum and each family"
DESCRIPTION = ("Solve on a grid of T and fit c·T^(−p) by least squares in log–log; the "
               "optimum should give p ≈ 0.5 and c ≈ 2DG (docs/math.md §3).")
EXAMPLES = ["schedopt scaling", "schedopt scaling --min-horizon 100 --max-horizon 10000 "
            "--num 9 --out scaling.json"]
FUNCTION = ("schedopt.fit_scaling", "schedopt.theory._scaling.default_steps_grid")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file",
            "min_horizon": "default_steps_grid's min_steps: the smallest horizon T",
            "max_horizon": "default_steps_grid's max_steps: the largest horizon T",
            "_refused_steps": "--min-steps/--max-steps refused with a pointer to --min-horizon",
            "progress": "progress bars (only on a terminal by default)"}


def add_arguments(p) -> None:
    p.add_argument("--min-horizon", dest="min_horizon", type=c.whole_number, default=100,
                   metavar="T", help="smallest horizon T of the grid (default 100)")
    p.add_argument("--max-horizon", dest="max_horizon", type=c.whole_number,
                   default=1_000_000, metavar="T", help="largest horizon T of the grid "
                                                        "(default 10^6)")
    c.refuse_steps_for_horizon(p, "--min-horizon/--max-horizon",
                               ("--min-steps", "--max-steps"))
    p.add_argument("--num", type=c.whole_number, default=25, metavar="N",
                   help="number of log-spaced T values (default 25)")
    c.flag_table_out(p)
    c.flag_progress(p)


def run(args) -> int:
    from schedopt.adapters import _io

    out = None if args.out is None else _io.check_output_path(args.out, c.TABLE_FORMATS)
    from schedopt.theory import fit_scaling
    from schedopt.theory._scaling import default_steps_grid

    try:
        grid = default_steps_grid(args.min_horizon, args.max_horizon, args.num)
    except ValueError as err:              # its arguments are min_steps/max_steps
        raise ValueError(str(err).replace("min_steps", "--min-horizon")
                         .replace("max_steps", "--max-horizon")) from None
    if grid.size < 4:      # the fits with a log term have 3 parameters (fit_power_law)
        raise ValueError(f"the grid must hold at least 4 values of T to fit and judge a "
                         f"power law, got {grid.size}: raise --num or widen the range")
    c.check_memory(int(grid[-1]), "--max-horizon")
    progress = c.Progress(f"schedopt scaling, {grid.size} values of T up to {grid[-1]:,}",
                          args.progress)
    try:
        table = fit_scaling(grid, progress=progress)
    finally:
        progress.close()
    optimum = table.fits["optimal"]
    text = (f"bound*(T) ≈ c·T^(−p), least squares in log–log over {grid.size} values of "
            f"T from {grid[0]} to {grid[-1]} (D = G = 1; families at their best "
            f"multiplier under bound (C)).\n\n{table.to_markdown()}\n\n"
            f"optimum: p = {optimum.p:.5f} ± {optimum.p_se:.1e}, c = {optimum.c:.5f} ± "
            f"{optimum.c_se:.1e} (theory: p = 0.5, c = 2DG = 2)\n")
    c.print_and_write_table(text, table, out, table.to_dict())
    return 0
