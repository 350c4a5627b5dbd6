"""Reading the rates a run already applied: a schedule file or a tracker's LR export.

Accepted: ``.npy`` (a 1-D array), ``.json`` (a schedule record with an ``eta`` list, as
``write_schedule`` writes it) and ``.csv``/``.txt`` with a header and exactly two columns,
the step and the learning rate (a tracker export such as ``"Step","run1 - lr"``), or the
``step,eta,count`` CSV that ``write_schedule`` writes. Steps must be consecutive, one row per update,
starting at 0 (optax counts) or 1. Anything else is refused with a sentence that says why.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np


def _from_csv(path: Path) -> np.ndarray:
    with path.open(newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise ValueError(f"applied: {str(path)!r} holds no rows under its header")
    header, body = rows[0], rows[1:]
    if [h.strip().lower() for h in header] == ["step", "eta", "count"]:
        # schedopt's own schedule CSV: the 0-based count repeats the step (write_schedule)
        header, body = header[:2], [row[:2] for row in body]
    if len(header) != 2 or any(len(row) != 2 for row in body):
        raise ValueError(f"applied: {str(path)!r} must have exactly two columns (step and "
                         f"learning rate) under a header, got {len(header)} header columns "
                         f"({', '.join(header)})")
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


def read_applied(path) -> np.ndarray:
    """The applied rates η_1..η_W from ``path`` (module doc); values are checked by the caller."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"applied: no such file: {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        if arr.ndim != 1:
            raise ValueError(f"applied: {str(path)!r} must hold a 1-D array, got shape "
                             f"{arr.shape}")
        return arr.astype(np.float64)
    if suffix == ".json":
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"applied: {str(path)!r} is not JSON ({err.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("eta"), list):
            raise ValueError(f"applied: {str(path)!r} must be a schedule record with an "
                             f"'eta' list of learning rates")
        try:
            return np.array(record["eta"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"applied: the 'eta' of {str(path)!r} must hold numbers") from None
    if suffix in (".csv", ".txt"):
        return _from_csv(path)
    raise ValueError(f"applied must be a .npy, .json, .csv or .txt file, got {str(path)!r}")
