"""Schedules to and from files: ``save_schedule`` and ``load_schedule`` (public).

The three formats of ``schedopt optimize --out`` (``_io.write_schedule``): ``.json`` (the
schedule with its provenance: the problem solved, the method, tolerance, convergence message
and package version), ``.csv`` (columns ``step`` 1..T, ``eta``, ``count`` 0..T−1) and ``.npy``
(the float64 array). A round trip is bit for bit in every format. Reading checks the file
before trusting it: a missing ``eta``, a ``.npy`` whose header claims more than the file
holds, a zip archive saved as ``.npy`` or a value that is not a finite number ≥ 0 is a
one-sentence ``ValueError`` naming the file.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np

from schedopt import _validation
from schedopt._result import ScheduleResult
from schedopt.adapters import _io

# A schedule file larger than this is refused before it is read (10⁸ steps of JSON).
MAX_FILE_BYTES = 4 << 30


def save_schedule(path, schedule, *, D=None, G=None, peak_lr=None, tol=None) -> Path:
    """Write a schedule to ``path`` atomically, in the format of its extension.

    Args:
      path: ``.json``, ``.csv`` or ``.npy``.
      schedule: a ``ScheduleResult`` (from ``optimal_schedule``, ``refine``, …), whose JSON
        record keeps the solve's provenance; or an array η_1..η_T (its JSON record then
        holds ``steps``, ``eta`` and the version).
      D, G, peak_lr: what the schedule was solved for, recorded in the JSON (G a number or
        one value per step). Left out, D and a scalar G come from the result's own
        ``problem`` record, so the file never contradicts it; a result solved for a per-step
        G needs that G passed here.
      tol: the relative tolerance given to the solver, recorded in the JSON.

    Returns:
      The path written.
    """
    path = _io.check_output_path(path, name="path")
    if isinstance(schedule, ScheduleResult):
        D, G = _solved_for(schedule, D, G)
        return _io.write_schedule(path, schedule, D=D, G=G, peak_lr=peak_lr, tol=tol)
    eta = np.array(_validation.schedule(schedule, "schedule"), dtype=np.float64)
    if path.suffix.lower() == ".json":
        from schedopt import __version__

        return _io.write_json(path, {"steps": int(eta.shape[0]), "eta": eta,
                                     "version": __version__})
    return _io.write_schedule(path, _Bare(eta))


def _solved_for(result, D, G):
    """D and G for the record: the caller's, else the result's own problem record."""
    problem = result.problem or {}
    if D is None:
        D = problem.get("D", 1.0)
    if G is None:
        G = problem.get("G", 1.0)
        if isinstance(G, dict):
            raise ValueError("G: this result was solved for a per-step G; pass the same "
                             "G to save_schedule so that the file records it")
    return D, G


class _Bare:
    """Just an array, for ``write_schedule``'s .csv and .npy writers."""

    def __init__(self, eta):
        self.eta = eta


def load_schedule(path) -> np.ndarray:
    """η_1..η_T, float64, from a file written by ``save_schedule`` or ``schedopt optimize``.

    ``.json``: the ``eta`` list of the record (``json.load`` the file for the rest of the
    record); ``.csv``: the ``eta`` column under a header; ``.npy``: the array.

    Raises:
      FileNotFoundError: no such file. ValueError: an unknown extension, or a file that does
      not hold a non-empty 1-D schedule of finite values ≥ 0 (the message names the file).
    """
    try:
        path = Path(os.fsdecode(os.fspath(path)))
    except TypeError:
        raise TypeError(f"path must be a file path, got {type(path).__name__}") from None
    suffix = path.suffix.lower()
    if suffix not in _io.SCHEDULE_FORMATS:
        raise ValueError(f"path must end in .json, .csv or .npy, got {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(f"schedule file {str(path)!r} does not exist (or is not a file)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"schedule file {str(path)!r} is {size:,} bytes, more than the "
                         f"{MAX_FILE_BYTES:,} a schedule file can be")
    read = {".json": _read_json, ".csv": _read_csv, ".npy": _read_npy}[suffix]
    try:
        eta = read(path)
        return np.array(_validation.schedule(eta, "eta"), dtype=np.float64)
    except (ValueError, TypeError) as err:
        raise ValueError(f"schedule file {str(path)!r}: {' '.join(str(err).split())}") from None


def _read_json(path):
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not a text file") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(record, dict) or "eta" not in record:
        raise ValueError("holds no 'eta' list (not a schedule record)")
    eta = record["eta"]
    if not isinstance(eta, list) or not all(isinstance(x, (int, float)) and
                                            not isinstance(x, bool) for x in eta):
        raise ValueError("'eta' must be a list of numbers")
    if not all(math.isfinite(x) for x in eta):
        raise ValueError("'eta' holds a value that is not finite")
    return eta


def _read_csv(path):
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = csv.reader(f)
            header = [h.strip() for h in next(rows, [])]
            if "eta" not in header:
                raise ValueError(f"has no 'eta' column under its header (got {header[:8]!r})")
            col = header.index("eta")
            values = []
            for n, row in enumerate(rows, start=2):
                if not row:
                    continue
                try:
                    values.append(float(row[col]))
                except (ValueError, IndexError):
                    cell = row[col][:40] if col < len(row) else ""
                    raise ValueError(f"line {n}: eta {cell!r} is not a number") from None
            return values
    except UnicodeDecodeError:
        raise ValueError("not a text file") from None
    except csv.Error as err:
        raise ValueError(f"not valid CSV ({err})") from None


def _read_npy(path):
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise ValueError("is a zip archive (an .npz saved as .npy?)")
    try:
        # a memory map: a header that claims more than the file holds fails here, unallocated
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise ValueError(f"not a readable .npy array ({' '.join(str(err).split())})") from None
    if data.dtype.kind not in "iuf":
        raise ValueError(f"holds {data.dtype} data, not numbers")
    return np.array(data, dtype=np.float64)
