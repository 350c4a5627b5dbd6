"""Atomic file output: schedules as .json/.csv/.npy, reports as .md/.html, figures as .png.

Every writer goes through ``atomic_write``: the bytes go to a temporary file in the target's
own folder, are flushed and fsync'ed, and only then ``os.replace`` puts them in place (an
atomic rename on POSIX and Windows). A failure or an interruption at any point before the
rename leaves an existing file untouched and removes the temporary file, SIGTERM included
(caught during the write, then re-delivered). Only a process killed outright (SIGKILL) can
leave a hidden ``.<name>.*.tmp`` behind, never a half-written target.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable, BinaryIO

import numpy as np
import orjson

SCHEDULE_FORMATS = (".json", ".csv", ".npy")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write: Callable[[BinaryIO], object]) -> Path:
    """Write a file all at once: ``write(f)`` fills a temporary file that then replaces ``path``.

    The new file gets the mode of the file it replaces, or the usual ``0o666 & ~umask``.
    Returns the target as a ``Path``. Any exception from ``write`` (KeyboardInterrupt
    included) propagates after the temporary file is removed; ``path`` is left as it was.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    with _terminate_as_exception():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        _write_and_replace(fd, tmp, path, write)
    _fsync_folder(folder)
    return path


class Terminated(BaseException):
    """SIGTERM arrived while a file was being written (raised so that clean-up runs)."""


@contextlib.contextmanager
def _terminate_as_exception():
    """Turn SIGTERM into ``Terminated`` for the duration of a write, so that the temporary
    file is removed (the default action kills the process before ``except`` can run; SIGINT
    is already KeyboardInterrupt). Only where Python lets us: the main thread, and only when
    nobody else installed a handler. The signal's default action is re-raised afterwards."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum, frame):
        raise Terminated(f"terminated by signal {signum} while writing a file")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)          # die of SIGTERM, as the sender meant
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _write_and_replace(fd, tmp, path, write) -> None:
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a folder be opened.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes(path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def write_text(path, text: str) -> Path:
    """UTF-8 text (for .md and .html)."""
    return write_bytes(path, text.encode("utf-8"))


def json_ready(obj):
    """``obj`` with the package's one rule for non-finite numbers in JSON: +∞ and −∞ become
    the strings ``"inf"`` and ``"-inf"`` (``null`` means "not given"); NaN is a bug upstream
    and a ValueError, never written. Numpy scalars and arrays become numbers and lists."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fiu" and obj.ndim == 1 and np.all(np.isfinite(obj)):
            return obj.tolist()                      # finite numbers: nothing to convert
        return [json_ready(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        if math.isnan(obj):
            raise ValueError("refusing to write NaN to JSON (a number that should exist does "
                             "not; nothing was written)")
        return "inf" if obj > 0 else "-inf"
    return obj


def write_json(path, obj) -> Path:
    """Strict JSON, indented; non-finite numbers follow ``json_ready``'s one rule.

    Long arrays of finite numbers (a schedule of 10⁶ rates) are written on one line by orjson:
    Python's indented encoder is pure Python, 1.5 s for 10⁶ floats, its compact C encoder 0.6 s
    (``float.__repr__``), orjson 0.035 s with the same shortest round-trip digits (issue 22)."""
    long_lists = []

    def hold(value):
        if (isinstance(value, np.ndarray) and value.ndim == 1 and value.size > _ONE_LINE
                and value.dtype.kind in "fiu" and np.all(np.isfinite(value))):
            long_lists.append(_compact_array(value))
            return f"{_TOKEN}{len(long_lists) - 1}{_TOKEN}"
        if isinstance(value, dict):
            return {k: hold(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [hold(v) for v in value]
        return value

    text = json.dumps(json_ready(hold(obj)), indent=2, allow_nan=False) + "\n"
    for i, compact in enumerate(long_lists):
        text = text.replace(f'"{_TOKEN}{i}{_TOKEN}"', compact, 1)
    return write_text(path, text)


def _compact_array(value) -> str:
    """One JSON line of a 1-D numeric array, each float in its shortest round-trip form.

    Floats go through float64 first, so a float32 array reads back as the float64 value of
    each element (what ``tolist`` gives), not orjson's shortest float32 digits."""
    kind = value.dtype.kind
    dtype = np.float64 if kind == "f" else (np.int64 if kind == "i" else np.uint64)
    return orjson.dumps(np.ascontiguousarray(value, dtype=dtype),
                        option=orjson.OPT_SERIALIZE_NUMPY).decode("ascii")


_ONE_LINE = 64                  # lists longer than this go on one line
_TOKEN = "@@schedopt-list@@"    # a placeholder no JSON string of ours contains


def write_npy(path, array) -> Path:
    array = np.asarray(array)
    return atomic_write(path, lambda f: np.save(f, array, allow_pickle=False))


def write_csv(path, columns: dict) -> Path:
    """Columns of equal length under a header row.

    Floats are written with ``repr`` (17 significant digits, read back bit for bit), integers
    as integers, None as an empty cell, text quoted where CSV needs it.
    """
    names = list(columns)
    values = [list(np.asarray(columns[n]).tolist()) if isinstance(columns[n], np.ndarray)
              else list(columns[n]) for n in names]
    lengths = {len(v) for v in values}
    if len(lengths) > 1:
        raise ValueError(f"columns must have equal lengths, got {sorted(lengths)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in zip(*values):
        writer.writerow([_csv_cell(x) for x in row])
    return write_text(path, out.getvalue())


def _csv_cell(x) -> str:
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    return str(x)


def write_png(path, figure, *, dpi: int = 110) -> Path:
    """A matplotlib figure as PNG (rendered in memory first, then written atomically)."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return write_bytes(path, buf.getvalue())


# ---------------------------------------------------------------------------------------
# Output paths and schedules
# ---------------------------------------------------------------------------------------

def check_output_path(path, formats=SCHEDULE_FORMATS, name: str = "out") -> Path:
    """Refuse, before any work is done, an output that could not be written.

    ``formats`` lists the allowed extensions (None: any). Raises ValueError naming ``name``
    for an unknown extension, a folder that does not exist, a path that is a folder, or a
    folder this process cannot create files in (probed by creating and removing a file).
    """
    path = Path(path)
    if formats is not None and path.suffix.lower() not in formats:
        allowed = ", ".join(formats[:-1]) + " or " + formats[-1] if len(formats) > 1 else formats[0]
        raise ValueError(f"{name} must end in {allowed}, got {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"{name} must be a file name, but {str(path)!r} is a folder")
    check_folder(path.parent if str(path.parent) else Path("."), name, create=False)
    return path


def check_folder(folder, name: str = "out", *, create: bool = False) -> Path:
    """A folder that exists (or, with ``create``, can be made) and accepts new files."""
    folder = Path(folder)
    if create and not folder.exists():
        try:
            folder.mkdir(parents=True)
        except OSError as err:
            raise ValueError(f"{name}: cannot create folder {str(folder)!r}: "
                             f"{err.strerror or err}") from None
    if not folder.exists():
        raise ValueError(f"{name} is in a folder that does not exist: {str(folder)!r}")
    if not folder.is_dir():
        raise ValueError(f"{name} is in {str(folder)!r}, which is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".schedopt-probe.", suffix=".tmp")
    except OSError as err:
        raise ValueError(f"{name} is in a folder that cannot be written to: {str(folder)!r} "
                         f"({err.strerror or err})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return folder


def _json_number(x):
    return None if x is None else json_ready(float(x))


def schedule_record(result, *, D: float, G, peak_lr=None, tol=None, provenance=None) -> dict:
    """The JSON record of a schedule: the same names as ``optimal_schedule``'s arguments.

    Keys: updates (how many of the rates in eta to apply), horizon (the T of bound (C): the
    bound covers θ_horizon, docs/math.md §5.1), D, G (a number, or the per-step list of
    length horizon that the bound used), method, bound, converged, gap, iterations, seconds,
    eta; weight (the never-applied η_horizon) for rates to apply; peak_lr when the schedule
    was rescaled to a peak; tol (the relative tolerance the solver was given) when known;
    message (how the solve ended), problem (what was solved: D, a summary of G, the
    constraints), ``provenance`` entries (e.g. the gradient-norm log it came from) and
    version. Rates to apply (``applied_schedule``) have ``len(eta) == updates``; the
    mathematical object (``optimal_schedule``) has ``len(eta) == horizon`` and its last entry
    is the weight. ``bound`` and ``gap`` are in the units of the recorded D and G (after a
    ``peak_lr`` rescaling D = 1 usually stands for an unknown D: only the shape comes from
    the bound).
    """
    G = np.asarray(G, dtype=np.float64)
    if result.applied and G.ndim == 1:
        from schedopt.solvers._applied import horizon_profile

        G = horizon_profile(G, result.updates)
    record = {
        "updates": int(result.updates),
        "horizon": int(result.horizon),
        "D": float(D),
        "G": float(G) if G.ndim == 0 else np.asarray(G, dtype=np.float64),
        "method": str(result.method),
        "bound": _json_number(result.bound),
        "converged": bool(result.converged),
        "gap": _json_number(result.gap),
        "iterations": int(result.iterations),
        "seconds": float(result.seconds),
        "eta": np.asarray(result.eta, dtype=np.float64),
    }
    if result.applied:
        record["weight"] = float(result.weight)
    if peak_lr is not None:
        record["peak_lr"] = float(peak_lr)
    if tol is not None:
        record["tol"] = float(tol)
    record["message"] = str(result.message)
    if result.problem is not None:
        record["problem"] = result.problem
    record.update(provenance or {})
    from schedopt import __version__

    record["version"] = __version__
    return record


def write_schedule(path, result, *, D: float = 1.0, G=1.0, peak_lr=None, tol=None,
                   provenance=None) -> Path:
    """Write a schedule by the file's extension.

    ``.json``: the record of ``schedule_record``. ``.csv``: columns ``step`` (t = 1, 2, …, the
    index of η_t in docs/math.md), ``eta`` and ``count`` (k = t − 1: the 0-based counter of
    optax and of PyTorch's schedulers, whose update k uses η_{k+1}). ``.npy``: the float64
    array ``eta`` alone. For rates to apply (``applied_schedule``) every format holds exactly
    the ``updates`` rates.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    eta = np.asarray(result.eta, dtype=np.float64)
    if suffix == ".json":
        return write_json(path, schedule_record(result, D=D, G=G, peak_lr=peak_lr, tol=tol,
                                                provenance=provenance))
    if suffix == ".csv":
        return write_csv(path, {"step": np.arange(1, eta.shape[0] + 1), "eta": eta,
                                "count": np.arange(eta.shape[0])})
    if suffix == ".npy":
        return write_npy(path, eta)
    raise ValueError(f"out must end in {', '.join(SCHEDULE_FORMATS[:-1])} or "
                     f"{SCHEDULE_FORMATS[-1]}, got {str(path)!r}")
