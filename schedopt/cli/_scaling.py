"""``schedopt scaling``: the fitted bound*(T) ≈ c·T^(−p) law."""

from __future__ import annotations

from schedopt.cli import _common as c

NAME = "scaling"
HELP = "fit bound*(T) ≈ c·T^(−p) for the optimum and each family"
DESCRIPTION = ("Solve on a grid of T and fit c·T^(−p) by least squares in log–log; the "
               "optimum should give p ≈ 0.5 and c ≈ 2DG (docs/math.md §3).")
EXAMPLES = ["schedopt scaling", "schedopt scaling --min-steps 100 --max-steps 10000 "
            "--num 9 --out scaling.json"]
FUNCTION = ("schedopt.fit_scaling", "schedopt.theory._scaling.default_steps_grid")
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file"}


def add_arguments(p) -> None:
    p.add_argument("--min-steps", dest="min_steps", type=c.whole_number, default=100,
                   metavar="T", help="smallest horizon T of the grid (default 100)")
    p.add_argument("--max-steps", dest="max_steps", type=c.whole_number,
                   default=1_000_000, metavar="T", help="largest T of the grid "
                                                        "(default 10^6)")
    p.add_argument("--num", type=c.whole_number, default=25, metavar="N",
                   help="number of log-spaced T values (default 25)")
    c.flag_table_out(p)


def run(args) -> int:
    from schedopt.adapters import _io

    out = None if args.out is None else _io.check_output_path(args.out, c.TABLE_FORMATS)
    from schedopt.theory import fit_scaling
    from schedopt.theory._scaling import default_steps_grid

    grid = default_steps_grid(args.min_steps, args.max_steps, args.num)
    if grid.size < 4:      # the fits with a log term have 3 parameters (fit_power_law)
        raise ValueError(f"the grid must hold at least 4 values of T to fit and judge a "
                         f"power law, got {grid.size}: raise --num or widen the range")
    c.check_memory(int(grid[-1]), "--max-steps")
    progress = c.Progress(f"schedopt scaling, {grid.size} values of T up to {grid[-1]:,}")
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
