"""Reading the rates a run already applied: a schedule file or a tracker's LR export.

Accepted: schedopt's schedule files as ``load_schedule`` reads them (``.npy``, a ``.json``
record with an ``eta`` list, a ``.csv`` with an ``eta`` column), and a tracker's export:
``.csv``/``.txt`` with a header and exactly two columns, the step and the learning rate (such
as ``"Step","run1 - lr"``), whose steps must be consecutive, one row per update, starting at
0 (optax counts) or 1. Anything else is refused with a sentence that says why, and so is
a gradient-norm column given as rates. ``units_of`` says what units a file's rates are in,
where the file says it (schedopt's own JSON records).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def _from_csv(path: Path) -> np.ndarray:
    from schedopt.adapters._logfiles import GRAD_WORDS
    from schedopt.adapters._logfiles import open_table

    with open_table(path, what="applied file") as (rows, _):
        rows = [row for row in rows if any(row)]
    if len(rows) < 2:
        raise ValueError(f"applied: {str(path)!r} holds no rows under its header")
    header, body = rows[0], rows[1:]
    if len(header) != 2 or any(len(row) != 2 for row in body):
        raise ValueError(f"applied: {str(path)!r} must have exactly two columns (step and "
                         f"learning rate) under a header, got {len(header)} header columns "
                         f"({', '.join(header)})")
    if any(word in header[1].lower() for word in GRAD_WORDS):
        raise ValueError(f"applied: the column {header[1]!r} of {str(path)!r} holds gradient "
                         f"norms, not learning rates; give it to --grad-norms (optimize, "
                         f"refine), and to --applied the learning rates the run used")
    try:
        data = np.array([[float(a), float(b)] for a, b in body])
    except ValueError:
        raise ValueError(f"applied: {str(path)!r} has a cell that is not a number under "
                         f"its header") from None
    steps = data[:, 0]
    first = steps[0]
    if first not in (0.0, 1.0) or np.any(np.diff(steps) != 1.0):
        raise ValueError(f"applied: the steps of {str(path)!r} must be consecutive from 0 or "
                         f"1, one row per update (a log every k steps cannot be replayed)")
    return data[:, 1]


def units_of(path) -> str | None:
    """``"bound"`` for a schedule record ``schedopt optimize`` wrote without ``--peak-lr``
    (rates in units of D/G), ``"lr"`` for one rescaled to a peak LR, None when the file
    does not say (a tracker's export, a .csv or .npy)."""
    import json

    path = Path(path)
    if path.suffix.lower() != ".json":
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or "eta" not in record:
        return None
    return "lr" if record.get("peak_lr") is not None else "bound"


def _has_eta_column(path: Path) -> bool:
    """Whether a CSV's header names an ``eta`` column, as schedopt's schedule files do."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    return "eta" in [h.strip() for h in header]


def read_applied(path) -> np.ndarray:
    """The applied rates η_1..η_W from ``path`` (module doc); values are checked by the caller.

    schedopt's own schedule files (.npy, .json, and a .csv with an ``eta`` column) are read
    by ``load_schedule``; a tracker's two-column export by ``_from_csv``.
    """
    from schedopt.adapters._schedule_files import load_schedule

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"applied: no such file: {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix in (".npy", ".json") or (suffix == ".csv" and _has_eta_column(path)):
        try:
            return load_schedule(path)
        except ValueError as err:
            raise ValueError(f"applied: {err}") from None
    if suffix in (".csv", ".txt"):
        return _from_csv(path)
    raise ValueError(f"applied must be a .npy, .json, .csv or .txt file, got {str(path)!r}")
