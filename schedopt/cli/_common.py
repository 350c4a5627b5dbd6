"""What every command shares: argument types, flags, one-line errors, printing and writing.

Only the standard library is imported here; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys

# The methods of optimal_schedule (schedopt.solvers.METHODS, checked by the tests); listed
# here so that --help does not have to import the solvers.
METHODS = ("auto", "exact", "newton", "lbfgsb", "pgd")
GRAD_NORMS_HELP = ("a gradient-norm log: .npy (a 1-D array), or a .csv/.txt with a step "
                   "column and a value column under a header")
TABLE_FORMATS = (".json", ".csv", ".md")


class UsageError(Exception):
    """A bad command line that argparse itself cannot see (e.g. two flags that conflict)."""


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def flag_updates(p, *, required: bool = False, log_default: bool = False) -> None:
    """``--steps N`` (also ``--updates N``): the number of updates to apply, the API's
    ``updates``; the file then holds N rates, the first N of the horizon-(N+1) optimum
    (docs/math.md §5.1)."""
    p.add_argument("--steps", "--updates", dest="updates", type=whole_number, required=required,
                   metavar="N",
                   help="number of updates (training steps) N: write the N rates to apply, "
                        "η_1..η_N of the optimum of bound (C) at horizon N + 1, whose bound "
                        "covers θ_(N+1), the parameters the run keeps (docs/math.md §5.1)"
                        + ("; default: the length of the log" if log_default else ""))


def flag_D(p) -> None:
    p.add_argument("--D", type=number, default=1.0, metavar="X",
                   help="distance ‖θ_1 − θ*‖ (> 0, default 1)")


def flag_method(p) -> None:
    p.add_argument("--method", default="auto", metavar="M",
                   help=f"solver: {', '.join(METHODS)} (default auto: exact without "
                        "constraints, newton with them)")


def flag_monotone(p) -> None:
    p.add_argument("--monotone", action="store_true",
                   help="force a non-increasing schedule after the warm-up")


def flag_warmup(p) -> None:
    p.add_argument("--warmup", type=whole_number, default=None, metavar="N",
                   help="N steps of linear warm-up up to the first free value")


def flag_peak_lr(p) -> None:
    p.add_argument("--peak-lr", dest="peak_lr", type=number, metavar="X",
                   help="rescale the schedule so that its largest value is X")


def flag_out(p) -> None:
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .json, .csv or .npy (by extension)")


def flag_table_out(p) -> None:
    p.add_argument("--out", metavar="FILE", help="also write the table (.json, .csv or .md)")


def read_grad_norms(path, command):
    """The cleaned log; the reader's clean-up notes are printed as one line each."""
    import os
    import warnings

    from schedopt.adapters import read_grad_norms as read

    if not os.path.isfile(path):
        raise ValueError(f"grad_norms: no such file: {str(path)!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # the notes are printed below
        log = read(path)
    for note in log.notes:
        print(f"schedopt {command}: note: {note}", file=sys.stderr)
    return log


def print_summary(result, out, D, G, peak_lr) -> None:
    import numpy as np

    eta = result.eta
    T, N = result.horizon, result.updates
    gap = "n/a" if result.gap is None else f"{result.gap:.2e}"
    if result.applied:
        what = (f"schedule: {N} rates to apply for N = {N} updates (η_1..η_{N} of the optimum "
                f"at horizon {T}; η_{T} is never applied, docs/math.md §5.1)")
    else:
        what = (f"schedule: horizon T = {T}, the mathematical object ({T} entries; apply "
                f"η_1..η_{N}: η_{T} is bound (C)'s weight, docs/math.md §5.1)")
    lines = [
        what,
        f"method = {result.method}, {'converged' if result.converged else 'NOT converged'} "
        f"({result.iterations} iterations, {result.seconds:.3g} s)",
        f"bound (C) on θ_{T} = {result.bound:.10g} (√{T}·bound = {np.sqrt(T) * result.bound:.6g}, "
        f"certified gap to the optimum: {gap})",
        f"η_1 = {eta[0]:.6g}, max η = {np.max(eta):.6g}, η_{eta.shape[0]} = {eta[-1]:.6g}"
        + (f" (rescaled to peak_lr = {peak_lr:g})" if peak_lr is not None else ""),
        f"wrote {out}",
    ]
    print("\n".join(lines))
    if not result.converged:
        print(f"schedopt: warning: the solver stopped short: {result.message}", file=sys.stderr)


def print_and_write_table(text, table, out, record) -> None:
    """Print a command's text, then write it by out's extension: the JSON record, the
    Markdown text, or the table's rows as CSV."""
    from schedopt.adapters import _io

    print(text, end="")
    if out is None:
        return
    suffix = out.suffix.lower()
    if suffix == ".json":
        _io.write_json(out, record)
    elif suffix == ".md":
        _io.write_text(out, text)
    else:
        columns = list(zip(*table.as_rows()))
        _io.write_csv(out, {name.replace(",", ";"): [_csv_value(x) for x in column]
                            for name, column in zip(table.header, columns)})
    print(f"wrote {out}")


def _csv_value(x):
    return "inf" if isinstance(x, float) and x == float("inf") else x
