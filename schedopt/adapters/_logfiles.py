"""Gradient-norm log files: text exports and ``.npy`` arrays read into raw (step, norm) columns.

``_gradlogs.read_grad_norms`` calls ``read_columns`` and then applies its clean-up policy. This
module only gets numbers out of a file, in bounded memory whatever the file claims:

- text is read line by line (never the whole file at once); a line longer than
  ``MAX_LINE_CHARS`` and a log of more than ``MAX_ROWS`` values are refused with a sentence,
  and only the two chosen columns are kept, as float64 (16 bytes a row);
- a ``.npy`` header is checked against the file's size and ``MAX_ROWS`` before numpy
  allocates anything (a header may claim 10¹¹ entries); a zip archive (``.npz`` renamed
  ``.npy``) or a pickled array is refused by name.

Formats recognised without ``column=``: a plain ``step,grad_norm`` file; experiment trackers'
exports (W&B ``"Step","<run> - grad_norm","<run> - grad_norm__MIN",…``, TensorBoard's
``Wall time,Step,Value``, Defazio et al.'s ``…/gnorm_l1``-style columns: with several such
columns the error lists them and ``column=`` picks one, by its full name or by the part after
the last ``/``).
"""

from __future__ import annotations

import array
import contextlib
import csv
import os

import numpy as np

MAX_LINE_CHARS = 1 << 20          # one text line (a tracker's wide export can be long)
MAX_ROWS = 50_000_000             # logged values: 800 MB of float64 for steps and norms

# Header names (compared case-insensitively) that mark the step column.
STEP_NAMES = ("step", "steps", "_step", "global_step", "trainer/global_step", "iteration",
              "iter", "it", "update", "updates")
# Clock columns that trackers put beside the metric (never the value column).
TIME_NAMES = ("wall time", "wall_time", "walltime", "_timestamp", "timestamp", "_runtime",
              "runtime", "relative time", "relative time (process)", "time")
# Experiment trackers export "<run> - <metric>__MIN"/"__MAX" next to the metric itself.
AGGREGATE_SUFFIXES = ("__min", "__max")
GRAD_WORDS = ("grad", "gnorm")


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------
# .npy
# ---------------------------------------------------------------------------------------

def read_npy(path: str) -> np.ndarray:
    """The array of a ``.npy`` file, after checking its header against the file's size."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        magic = f.read(6)
        if magic[:4] == b"PK\x03\x04":
            raise ValueError(f"grad-norm file {path} is a zip archive (an .npz saved as .npy?); "
                             f"load it with numpy and pass the array of norms instead")
        if magic != b"\x93NUMPY":
            raise ValueError(f"grad-norm file {path} is not a readable .npy array (its first "
                             f"bytes are {magic!r}); expected a .npy file or a CSV text file")
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(f, max_header_size=10_000)
        except (ValueError, EOFError, OSError) as err:
            raise ValueError(f"grad-norm file {path} has a malformed .npy header: "
                             f"{' '.join(str(err).split())}") from None
        offset = f.tell()
    if dtype.hasobject or dtype.kind not in "iuf":
        raise ValueError(f"grad-norm file {path} holds {dtype} data, not numbers")
    entries = int(np.prod(shape, dtype=object))
    if entries > 2 * MAX_ROWS:
        raise ValueError(f"grad-norm file {path} claims shape {shape} ({entries:,} entries); "
                         f"at most {MAX_ROWS:,} logged norms are read (log every k-th step)")
    if entries * dtype.itemsize > size - offset:
        raise ValueError(f"grad-norm file {path} is truncated or lies: its header claims shape "
                         f"{shape} ({entries * dtype.itemsize:,} bytes) but it holds "
                         f"{size - offset:,} bytes of data")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise ValueError(f"grad-norm file {path} is not a readable .npy array: "
                         f"{' '.join(str(err).split())}") from None


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------

def _lines(f, source, where, what="grad-norm file"):
    """Non-blank, non-comment lines, each at most MAX_LINE_CHARS; ``where[0]`` = line number."""
    n = 0
    while True:
        line = f.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise ValueError(f"{what} {source}: line {n} is longer than "
                             f"{MAX_LINE_CHARS:,} characters; not a {what}?")
        if line.strip() and not line.lstrip().startswith("#"):
            where[0] = n
            yield line


@contextlib.contextmanager
def _field_limit(limit):
    # csv's default (131 072 characters a field) would fail a long line that MAX_LINE allows.
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _split(lines, first: str):
    """Rows of cells, with the delimiter sniffed from the first line."""
    delimiter = next((d for d in (",", "\t", ";") if d in first), None)
    if delimiter is None:
        return ([_cell(c) for c in line.split()] for line in lines)
    return ([_cell(c) for c in row] for row in csv.reader(lines, delimiter=delimiter))


def _cell(text: str) -> str:
    """A cell stripped of blanks and of the quotes a spaced-out CSV leaves (``, "0.1"``)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text


def _match_column(column, names, lowered, source):
    matches = [i for i, h in enumerate(names) if h == column]
    matches = matches or [i for i, h in enumerate(lowered) if h == str(column).lower()]
    # Defazio-style "<group>/gnorm_l1": the name after the last "/" is enough when unique
    tails = [i for i, h in enumerate(lowered) if h.rsplit("/", 1)[-1] == str(column).lower()]
    matches = matches or (tails if len(tails) == 1 else [])
    if not matches:
        more = f" (it ends {len(tails)} column names; give the full one)" if tails else ""
        raise ValueError(f"column {column!r} is not in {source}{more}; its columns are "
                         f"{_names_text(names)}")
    return matches[0]


def _names_text(names, limit=12):
    shown = ", ".join(repr(n[:60]) for n in names[:limit])
    return "[" + shown + (f", … ({len(names)} in all)" if len(names) > limit else "") + "]"


def pick_columns(header, width, column, source):
    """(step column or None, value column) for a file with ``width`` columns."""
    names = [h.strip().strip('"') for h in header] if header is not None else None
    lowered = [h.lower() for h in names] if names is not None else None
    step_col = None
    if lowered is not None:
        step_col = next((i for i, h in enumerate(lowered) if h in STEP_NAMES), None)
    if column is not None:
        if isinstance(column, (bool, np.bool_)):
            raise TypeError(f"column must be a column name or index, got {column!r}")
        if isinstance(column, (int, np.integer)):
            if not -width <= column < width:
                raise ValueError(f"column must be an index below {width} for {source}, "
                                 f"got {column}")
            value_col = int(column) % width
        elif isinstance(column, str):
            if names is None:
                raise ValueError(f"column={column!r} names a column, but {source} has no "
                                 f"header; give a column index instead")
            value_col = _match_column(column, names, lowered, source)
        else:
            raise TypeError(f"column must be a column name or index, got "
                            f"{type(column).__name__}")
        if names is None and width >= 2 and value_col != 0:
            step_col = 0
        return (None if step_col == value_col else step_col), value_col
    if names is not None:
        candidates = [i for i, h in enumerate(lowered)
                      if i != step_col and h not in TIME_NAMES]
        grads = [i for i in candidates if any(w in lowered[i] for w in GRAD_WORDS)
                 and not lowered[i].endswith(AGGREGATE_SUFFIXES)]
        if len(grads) == 1:
            return step_col, grads[0]
        if len(grads) > 1:
            raise ValueError(f"{source} has several gradient-norm columns "
                             f"{_names_text([names[i] for i in grads])}; choose one with "
                             f"column= (--column on the command line)")
        if len(candidates) == 1:
            return step_col, candidates[0]
        raise ValueError(f"cannot tell which column of {source} holds the gradient norms "
                         f"(columns {_names_text(names)}); name it with column= (--column)")
    if width == 1:
        return None, 0
    if width == 2:
        return 0, 1
    raise ValueError(f"{source} has {width} columns and no header; give the gradient-norm "
                     f"column's index with column= (column 0 is then taken as the step)")


@contextlib.contextmanager
def open_table(path, what: str = "grad-norm file"):
    """``(rows, where)``: the one reader of tabular text files (logs, runs, LR histories).

    ``rows`` iterates over the cells (stripped, unquoted) of the non-blank, non-comment lines;
    ``where[0]`` is the current line number. A UTF-8 BOM, CRLF line ends, quoted cells and a
    ``,``/tab/``;``/whitespace delimiter (sniffed from the first line) are all accepted; a line
    longer than ``MAX_LINE_CHARS``, a binary file or malformed CSV is refused with a sentence
    that starts with ``what`` and the path.
    """
    where = [0]
    try:
        with open(path, encoding="utf-8-sig", newline="") as f, _field_limit(MAX_LINE_CHARS):
            lines = _lines(f, path, where, what)
            first = next(lines, None)
            if first is None:
                raise ValueError(f"{what} {path} is empty (no data rows)")
            yield _split(_chain(first, lines), first), where
    except UnicodeDecodeError:
        raise ValueError(f"{what} {path} is not a text file (expected CSV or .npy)"
                         ) from None
    except csv.Error as err:
        raise ValueError(f"{what} {path}: line {where[0]} is not valid CSV ({err})"
                         ) from None


def read_text(path: str, column):
    """(step, value, line, notes) of a text log; steps are 1..n when it has no step column."""
    with open_table(path) as (rows, where):
        return _columns(rows, path, column, where)


def _chain(first, rest):
    yield first
    yield from rest


def _columns(rows, source, column, where):
    """Long because it is the one loop over the rows: header, column choice and values."""
    first = next(rows)
    header = None
    if not all(is_number(c) for c in first if c != ""):
        header, first = first, next(rows, None)
        if first is None:
            raise ValueError(f"grad-norm file {source} has a header but no data rows")
    if not any(is_number(c) for c in first if c != ""):
        raise ValueError(f"grad-norm file {source} has no numeric column (no cell of its first "
                         f"data row, line {where[0]}, is a number)")
    width = max(len(first), len(header) if header else 0)
    step_col, value_col = pick_columns(header, width, column, source)
    named = header is not None and value_col < len(header)
    label = f"column {header[value_col][:60]!r}" if named else f"column {value_col}"
    step, value, lines, skipped = array.array("d"), array.array("d"), array.array("q"), 0
    for cells in _chain(first, rows):
        n = where[0]
        cell = cells[value_col] if value_col < len(cells) else ""
        if cell == "":
            skipped += 1
            continue
        if not is_number(cell):
            if not value:
                raise ValueError(f"grad-norm file {source} has no numeric gradient-norm "
                                 f"column: {label} holds {cell[:40]!r} at line {n}")
            raise ValueError(f"grad-norm file {source}: {label} holds {cell[:40]!r} at line "
                             f"{n}, which is not a number")
        if len(value) >= MAX_ROWS:
            raise ValueError(f"grad-norm file {source} has more than {MAX_ROWS:,} values; "
                             f"log every k-th step instead (the horizon is kept from the steps)")
        value.append(float(cell))
        lines.append(n)
        if step_col is None:
            step.append(float(len(value)))
            continue
        scell = cells[step_col] if step_col < len(cells) else ""
        if not is_number(scell):
            raise ValueError(f"grad-norm file {source}: the step at line {n} is "
                             f"{scell[:40]!r}, not a number")
        step.append(float(scell))
    if not value:
        raise ValueError(f"grad-norm file {source} has no numeric gradient-norm values "
                         f"({label} is empty on every row)")
    notes = []
    if skipped:
        notes.append(f"skipped {skipped} row(s) whose {label} is empty (not logged there)")
    return (np.frombuffer(step, np.float64), np.frombuffer(value, np.float64),
            np.frombuffer(lines, np.int64), notes)
