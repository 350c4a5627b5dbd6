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
    """An integer, also written as 1e6 or 1_000_000 (a float that is a whole number)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value == value and abs(value) < 2.0 ** 63 and value.is_integer()):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


# Peak memory of compare and scaling per step of the largest T, measured with
# /usr/bin/time on schedopt compare (T = 4·10⁶: 692 MB, T = 8·10⁶: see the commit message);
# rounded up so that the check errs on the side of refusing.
BYTES_PER_STEP = 160


def available_memory() -> int | None:
    """Bytes this process can still allocate (schedopt._memory: MemAvailable and the
    process's limits), or None where it cannot tell."""
    from schedopt._memory import available_bytes

    return available_bytes()


def check_memory(steps: int, flag: str) -> None:
    """Refuse, before allocating, a T whose arrays cannot fit in the memory available (the
    one check of schedopt._memory, which also reads ulimit -v)."""
    from schedopt._memory import InsufficientMemoryError
    from schedopt._memory import check

    try:
        check(steps, flag, BYTES_PER_STEP, available=available_memory)
    except InsufficientMemoryError as err:
        raise UsageError(str(err)) from None


def flag_progress(p) -> None:
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="progress bars on standard error even when it is not a terminal "
                        "(default: only on a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars")


class Progress:
    """``progress(done, total)`` for the library's sweeps: a tqdm bar on a terminal (tqdm is
    a dev extra) or with ``--progress``, else a plain counter line, else nothing."""

    def __init__(self, desc: str, enabled=None):
        self.desc, self.bar = desc, None
        self.tty = (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()) \
            if enabled is None else bool(enabled)

    def __call__(self, done: int, total: int) -> None:
        if not self.tty:
            return
        if self.bar is None:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            self.bar = tqdm(total=total, desc=self.desc, leave=False) if tqdm else False
        if self.bar:
            self.bar.update(done - self.bar.n)
        else:
            print(f"\r{self.desc}: {done}/{total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar:
            self.bar.close()
        elif self.bar is False:
            print("\r", end="", file=sys.stderr, flush=True)


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
                        + ("; default: the log's length, its last step (+1 when steps count from 0)"
                           if log_default else ""))


def refuse_steps_for_horizon(p, instead: str, flags=("--steps",)) -> None:
    """``--steps`` in a command whose T is a horizon: refused with a pointer, since --steps
    is a number of updates in every command (horizon T = N + 1, docs/math.md §5.1)."""
    class _Refuse(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            parser.error(f"{option_string} means a number of updates in every command; "
                         f"{p.prog} takes the horizon T as {instead} (N updates: T = N + 1)")

    p.add_argument(*flags, action=_Refuse,
                   help=argparse.SUPPRESS, dest="_refused_steps", default=None)


def flag_horizon(p, **kwargs) -> None:
    p.add_argument("--horizon", type=whole_number, metavar="T",
                   help="T, the horizon of bound (C) (the bound on θ_T; a run of N updates "
                        "is horizon N + 1, docs/math.md §5.1)", **kwargs)


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
    p.add_argument("--warmup", type=whole_number, default=None, metavar="W",
                   help="W updates of linear warm-up up to the first free value")


def flag_peak_lr(p) -> None:
    p.add_argument("--peak-lr", dest="peak_lr", type=number, metavar="X",
                   help="rescale the schedule so that its largest value is X")


def flag_max_lr(p, units: str, what: str = "cap every rate at X") -> None:
    """--max-lr X: in every command a cap in the units of the rates it writes, said in --help
    (``units``)."""
    p.add_argument("--max-lr", dest="max_lr", type=number, metavar="X",
                   help=f"{what}, in the units of the rates written: {units}")


def flag_out(p) -> None:
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .json, .csv or .npy (by extension)")


def flag_table_out(p) -> None:
    p.add_argument("--out", metavar="FILE", help="also write the table (.json, .csv or .md)")


def flag_log_reading(p) -> None:
    """--column, --invalid, --duplicates: the arguments of schedopt.read_grad_norms."""
    p.add_argument("--column", default=None, metavar="NAME",
                   help="the log's gradient-norm column: its header name (or the part after "
                        "its last '/', e.g. gnorm_l1) or a 0-based index (default: detected)")
    p.add_argument("--invalid", default="raise", choices=("raise", "drop"),
                   help="rows whose norm is NaN, inf or <= 0: raise (the default) or drop")
    p.add_argument("--duplicates", default="raise", choices=("raise", "last", "mean"),
                   help="repeated steps (e.g. a resumed run): raise (the default), keep the "
                        "last row, or average them")


def flag_run_columns(p) -> None:
    """--loss-column, --lr-column, --step-column, --kind, --warmup: read_runs' choices."""
    for what, example in (("loss", "val/loss"), ("lr", "train/lr"), ("step", "_step")):
        p.add_argument(f"--{what}-column", dest=f"{what}_column", metavar="NAME",
                       help=f"the runs' {what} column, by its name or the part after its "
                            f"last '/' (e.g. {example}; default: found by name)")
    p.add_argument("--kind", default="val", choices=("val", "train"),
                   help="with a kind (or split) column: fit the validation (default) or the "
                        "train losses")
    p.add_argument("--warmup", type=whole_number, default=None, metavar="W",
                   help="W linear warm-up steps from 0 to the first logged rate, for exports "
                        "that log the rate only after the warm-up")


def run_columns(args) -> dict:
    return {"loss_column": args.loss_column, "lr_column": args.lr_column,
            "step_column": args.step_column, "kind": args.kind, "warmup": args.warmup}


def refuse_log_flags_without_a_log(args) -> None:
    """--column, --invalid and --duplicates only mean something with --grad-norms."""
    given = [flag for flag, value, default in (("--column", args.column, None),
                                                ("--invalid", args.invalid, "raise"),
                                                ("--duplicates", args.duplicates, "raise"))
             if value != default]
    if given and args.grad_norms is None:
        flags = ", ".join(given)
        raise UsageError(f"{flags} only apply to a gradient-norm log: give --grad-norms, or "
                         f"leave {'it' if len(given) == 1 else 'them'} out")


def flag_smoothing(p) -> None:
    """--smoothing, --width: the arguments of schedopt.grad_norm_profile (and refine)."""
    p.add_argument("--smoothing", default="median", choices=("median", "none"),
                   help="median (a median filter over --width of the log, the default) or none")
    p.add_argument("--width", type=number, default=0.1, metavar="F",
                   help="median filter width as a fraction of the log (default 0.1)")


def smoothing(args):
    """The library's spelling of --smoothing (None for 'none')."""
    return None if args.smoothing == "none" else args.smoothing


def read_grad_norms(args, command):
    """The cleaned log of ``args.grad_norms`` read with --column/--invalid/--duplicates; the
    clean-up notes and the horizon are printed to standard error, one line each."""
    import os
    import warnings

    from schedopt.adapters import read_grad_norms as read

    path = args.grad_norms
    if not os.path.isfile(path):
        raise ValueError(f"grad_norms: no such file: {str(path)!r}")
    column = args.column
    if isinstance(column, str) and column.lstrip("-").isdigit():
        column = int(column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # the notes are printed below
        try:
            log = read(path, column=column, invalid=args.invalid, duplicates=args.duplicates)
        except OSError as err:             # e.g. no permission: a bad argument, exit 2
            raise ValueError(f"grad_norms: cannot read {str(path)!r}: "
                             f"{err.strerror or err}") from None
    for note in log.notes:
        print(f"schedopt {command}: note: {note}", file=sys.stderr)
    if getattr(args, "updates", getattr(args, "steps", None)) is None and getattr(args, "horizon", None) is None:
        check_memory(log.horizon, "the log's horizon (its last step; give --steps instead)")
    return log


def log_summary(log, path, args, steps) -> str:
    """One line on the log that was read: rows, span, horizon and smoothing."""
    text = (f"log: {len(log)} gradient norms from {path} (steps {log.step[0]:g}.."
            f"{log.step[-1]:g}); ")
    if steps is None:
        text += log.horizon_text()
    else:
        text += (f"resampled to --steps {steps} over the logged span (the log's own "
                 f"{log.horizon_text()})")
    text += f"; smoothing = {args.smoothing}"
    return text + (f", width = {args.width:g}" if smoothing(args) else "")


def log_provenance(log, path, args) -> dict:
    """The JSON record's account of the gradient-norm log a schedule came from."""
    return {"grad_norms": {"path": str(path), "rows": len(log),
                           "first_step": float(log.step[0]), "last_step": float(log.step[-1]),
                           "horizon": log.horizon, "column": args.column,
                           "invalid": args.invalid, "duplicates": args.duplicates,
                           "smoothing": smoothing(args), "width": float(args.width),
                           "notes": list(log.notes)}}


def print_summary(result, out, D, G, peak_lr, *, lr_units=False) -> None:
    """What was written, in the user's units: after --peak-lr only the shape comes from the
    bound, whose value (in units of D and G that the user did not give) is not printed;
    ``lr_units``: the rates are learning rates converted from units of D/G (extend)."""
    import numpy as np

    eta = result.eta
    T, N = result.horizon, result.updates
    status = "converged" if result.converged else "NOT converged"
    if result.applied:
        what = (f"schedule: {N} rates to apply for N = {N} updates (η_1..η_{N} of the optimum "
                f"at horizon {T}; η_{T} is never applied, docs/math.md §5.1)")
    else:
        what = (f"schedule: horizon T = {T}, the mathematical object ({T} entries; apply "
                f"η_1..η_{N}: η_{T} is bound (C)'s weight, docs/math.md §5.1)")
    lines = [what, f"method = {result.method}, {status} "
                   f"({result.iterations} iterations, {result.seconds:.3g} s)"]
    if peak_lr is None:
        gap = "n/a" if result.gap is None else f"{result.gap:.2e}"
        lines.append(f"bound (C) on θ_{T} = {result.bound:.10g} for D = {D:g}, G = {_g_text(G)} "
                     f"(√{T}·bound = {np.sqrt(T) * result.bound:.6g}, certified gap to the "
                     f"optimum: {gap})")
    else:
        lines.append(f"shape: the optimum of bound (C) for G = {_g_text(G)}, scaled so that "
                     f"max η = --peak-lr {peak_lr:g}; the bound's value needs your run's D "
                     f"and G, so none is printed (the JSON keeps it for D = {D:g})")
    lines += [f"η_1 = {eta[0]:.6g}, max η = {np.max(eta):.6g}, η_{eta.shape[0]} = {eta[-1]:.6g}"
              + (" (learning rates, your units)" if peak_lr is not None or lr_units else
                 " (units of D/G)"),
              f"wrote {out}"]
    print("\n".join(lines))
    if not result.converged:
        print(f"schedopt: warning: the solver stopped short: {result.message}", file=sys.stderr)


def _g_text(G) -> str:
    import numpy as np

    G = np.asarray(G, dtype=np.float64)
    if G.ndim == 0:
        return f"{float(G):g}"
    return f"per step ({float(np.min(G)):.3g}..{float(np.max(G)):.3g})"


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
