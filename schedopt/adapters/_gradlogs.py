"""Gradient-norm logs: reading them from files or arrays.

Bound (C) of docs/math.md §2 takes one gradient norm G_t per step. A previous training run's log of
‖g_t‖ supplies them (docs/math.md §3, per-step G): ``refine`` in ``_refine.py`` turns a log into the
optimal schedule for the next run. This module gets the log in:

- ``read_grad_norms(path)``: a CSV/TSV/whitespace text file, with or without a header
  (trackers' exports included, see ``_logfiles``), or a ``.npy`` file;
  ``grad_norm_log(grad_norm, step)``: numpy or JAX arrays. Both return a ``GradNormLog``
  whose rows are sorted by step, every norm finite and > 0, and whose ``horizon`` is the
  logged run's T (its last step), so a log kept every k steps keeps its span.
- recording the norms during an optax run is ``_gradlog_optax.log_grad_norms``.

Clean-up policy (every clean-up is listed in ``GradNormLog.notes`` and issued as one
``UserWarning``; nothing is dropped silently):

- an empty cell in the value column means "not logged at this step" (experiment trackers
  export sparse metrics that way): the row is skipped;
- a NaN, ±inf or ≤ 0 norm raises ``ValueError`` unless ``invalid="drop"``, which drops it;
- repeated steps raise unless ``duplicates="last"`` (keep the last row, as after a resumed
  run) or ``"mean"`` (average the norms of that step);
- rows out of step order are sorted;
- a step that is empty, NaN, infinite or not a number, a value cell that is not a number, or
  a file with nothing valid left: ``ValueError`` naming the file and the line.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np

from schedopt import _validation
from schedopt.adapters import _logfiles

INVALID = ("raise", "drop")
DUPLICATES = ("raise", "last", "mean")

@dataclasses.dataclass(frozen=True, eq=False)
class GradNormLog:
    """A cleaned gradient-norm log.

    Attributes:
      step: the training steps at which the norms were logged, strictly increasing float64
        (steps may start at 0 or 1 and need not be contiguous).
      grad_norm: ‖g_t‖ at those steps, float64, finite and > 0.
      source: where the log came from (a path, or ``"array"``), for messages.
      notes: one sentence per clean-up applied (empty when the log was clean).
    """

    step: np.ndarray
    grad_norm: np.ndarray
    source: str = "array"
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("step", "grad_norm"):
            arr = np.array(getattr(self, name), dtype=np.float64, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        # Built directly (not by read_grad_norms / grad_norm_log), a log must already be clean.
        step, norm = self.step, self.grad_norm
        problem = None
        if step.ndim != 1 or norm.ndim != 1 or step.shape != norm.shape or norm.size == 0:
            problem = f"step and grad_norm must be non-empty 1-D arrays of one length, got " \
                      f"shapes {step.shape} and {norm.shape}"
        elif not (np.all(np.isfinite(norm)) and np.all(norm > 0)):
            problem = "every gradient norm must be finite and > 0"
        elif not (np.all(np.isfinite(step)) and np.all(np.diff(step) > 0)):
            problem = "the steps must be finite and strictly increasing"
        if problem:
            raise ValueError(f"GradNormLog: {problem}; build logs with grad_norm_log(...) or "
                             f"read_grad_norms(...), which clean them")

    def __len__(self) -> int:
        return int(self.grad_norm.shape[0])

    @property
    def evenly_spaced(self) -> bool:
        """Whether the steps form an arithmetic progression (e.g. every k-th step)."""
        if len(self) < 3:
            return True
        gaps = np.diff(self.step)
        return bool(np.allclose(gaps, gaps[0], rtol=1e-9, atol=0.0))

    @property
    def integer_steps(self) -> bool:
        """Whether the steps are whole numbers ≥ 0 (a step counter, not e.g. epochs)."""
        return bool(self.step[0] >= 0 and np.all(self.step == np.round(self.step)))

    @property
    def zero_based(self) -> bool:
        """Whether the log counts steps from 0 (its first logged step is 0)."""
        return bool(self.step[0] == 0)

    @property
    def horizon(self) -> int:
        """T of the logged run: the last logged step, + 1 when the counter starts at 0.

        A log kept every k steps (steps 10, 20, …, 500 500) thus keeps its span (T = 500 500,
        not the 50 050 entries); a contiguous log 1..n or 0..n−1 gives n. Steps that are not
        whole numbers ≥ 0 (e.g. epochs) carry no step count: T is then the number of entries.
        """
        if not self.integer_steps:
            return len(self)
        return int(self.step[-1]) + (1 if self.zero_based else 0)

    def horizon_text(self) -> str:
        """One sentence on where the horizon comes from, for the command line's output."""
        if not self.integer_steps:
            return (f"horizon T = {self.horizon} = the number of logged values (steps "
                    f"{self.step[0]:g}..{self.step[-1]:g} are not whole step counts)")
        base = "0-based counter: last step + 1" if self.zero_based else "the last logged step"
        text = f"horizon T = {self.horizon} ({base}); {len(self)} logged values"
        if len(self) < self.horizon:
            every = " kept every " + f"{self.step[1] - self.step[0]:g} steps" \
                if self.evenly_spaced and len(self) > 1 else ""
            text += (f"{every}: G_t interpolated linearly between logged steps, held at the "
                     f"end values outside {self.step[0]:g}..{self.step[-1]:g}")
        return text

    def __repr__(self) -> str:
        span = f"steps {self.step[0]:g}..{self.step[-1]:g}"
        return (f"GradNormLog({len(self)} rows, {span}, source={self.source!r}, "
                f"notes={list(self.notes)!r})")


def _check_choice(value, name, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got "
                         f"{_validation._describe(value)}")


def _where(source, lines, i) -> str:
    return f"line {lines[i]} of {source}" if lines is not None else f"row {i} of {source}"


def _steps_text(steps, limit=5) -> str:
    shown = ", ".join(f"{s:g}" for s in steps[:limit])
    return shown + (f", … ({len(steps)} in all)" if len(steps) > limit else "")


def _clean(step, value, *, source, lines, invalid, duplicates, notes) -> GradNormLog:
    """The shared clean-up of file and array logs (see the module docstring)."""
    _check_choice(invalid, "invalid", INVALID)
    _check_choice(duplicates, "duplicates", DUPLICATES)
    notes = list(notes)
    bad_step = np.flatnonzero(~np.isfinite(step))
    if bad_step.size:
        i = int(bad_step[0])
        raise ValueError(f"grad-norm log: the step at {_where(source, lines, i)} is "
                         f"{float(step[i])!r}; every step must be a finite number")
    for test, what in ((lambda v: ~np.isfinite(v), "a non-finite gradient norm (NaN or inf)"),
                       (lambda v: np.isfinite(v) & (v <= 0), "a gradient norm <= 0")):
        bad = np.flatnonzero(test(value))
        if not bad.size:
            continue
        if invalid == "raise":
            i = int(bad[0])
            more = f" (and {bad.size - 1} more such rows)" if bad.size > 1 else ""
            raise ValueError(f"grad-norm log: {_where(source, lines, i)} has {what}, "
                             f"{float(value[i])!r} at step {step[i]:g}{more}; gradient norms must be "
                             f"finite and > 0 (pass invalid='drop', --invalid drop on the command "
                             f"line, to drop such rows)")
        notes.append(f"dropped {bad.size} row(s) with {what} at step(s) {_steps_text(step[bad])}")
        keep = np.ones(step.shape, bool)
        keep[bad] = False
        step, value = step[keep], value[keep]
        lines = None if lines is None else lines[keep]
    if step.size == 0:
        raise ValueError(f"grad-norm log {source} has no valid rows left"
                         + (f" after the clean-up ({'; '.join(notes)})" if notes else ""))
    order = np.argsort(step, kind="stable")
    if np.any(order != np.arange(step.size)):
        notes.append("sorted the rows by step (they were out of order)")
        step, value = step[order], value[order]
        lines = None if lines is None else lines[order]
    repeated = np.flatnonzero(step[1:] == step[:-1])
    if repeated.size:
        dup_steps = np.unique(step[repeated])
        if duplicates == "raise":
            i = int(repeated[0]) + 1
            raise ValueError(f"grad-norm log: step {step[i]:g} appears more than once (again at "
                             f"{_where(source, lines, i)}; {dup_steps.size} repeated step(s) in "
                             f"all); pass duplicates='last' or duplicates='mean' (--duplicates last "
                             f"or --duplicates mean on the command line) to merge them")
        unique, start, counts = np.unique(step, return_index=True, return_counts=True)
        if duplicates == "last":
            value = value[start + counts - 1]
            how = "kept the last row"
        else:
            value = np.add.reduceat(value, start) / counts
            how = "averaged the norms"
        step = unique
        notes.append(f"merged {dup_steps.size} repeated step(s) ({how}): "
                     f"{_steps_text(dup_steps)}")
    log = GradNormLog(step=step, grad_norm=value, source=source, notes=tuple(notes))
    if notes:
        warnings.warn(f"grad-norm log {source}: " + "; ".join(notes), UserWarning, stacklevel=3)
    return log


def grad_norm_log(grad_norm, step=None, *, invalid="raise", duplicates="raise") -> GradNormLog:
    """A ``GradNormLog`` from arrays, with the clean-up policy of this module.

    Args:
      grad_norm: the logged norms, a 1-D array; or a 2-D array with two columns
        (step, norm) when ``step`` is None.
      step: the training step of each norm (default 1, 2, …, n).
      invalid: ``"raise"`` or ``"drop"`` rows whose norm is NaN, ±inf or ≤ 0.
      duplicates: ``"raise"``, ``"last"`` or ``"mean"`` for repeated steps.
    """
    return _from_arrays(grad_norm, step, "array", invalid, duplicates)


def _from_arrays(grad_norm, step, source, invalid, duplicates) -> GradNormLog:
    try:
        value = np.asarray(grad_norm, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"grad_norm must be an array of numbers, got {type(grad_norm).__name__}"
                        ) from None
    if step is None and value.ndim == 2 and value.shape[1] == 2:
        step, value = value[:, 0], value[:, 1]
    if value.ndim != 1 or value.size == 0:
        what = "grad_norm" if source == "array" else f"grad-norm file {source}"
        raise ValueError(f"{what} must hold a non-empty 1-D array (or n×2 rows of step, norm), "
                         f"got shape {value.shape}")
    if step is None:
        step = np.arange(1, value.size + 1, dtype=np.float64)
    else:
        try:
            step = np.asarray(step, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"step must be an array of numbers, got {type(step).__name__}"
                            ) from None
        if step.shape != value.shape:
            raise ValueError(f"step must have one entry per gradient norm: got shape "
                             f"{step.shape} for {value.size} norms")
    return _clean(step, value, source=source, lines=None, invalid=invalid,
                  duplicates=duplicates, notes=())


def read_grad_norms(path, *, column=None, invalid="raise", duplicates="raise") -> GradNormLog:
    """Read a gradient-norm log from a file.

    Formats (see ``_logfiles``):
      - text (CSV, TSV, semicolon- or whitespace-separated; ``#`` comment lines ignored) with
        a header: a plain ``step,grad_norm`` file, a W&B export
        ``"Step","<run> - gradient_norm","<run> - gradient_norm__MIN",…``, a TensorBoard
        export ``Wall time,Step,Value``, or a wide export with several ``…/gnorm_l1``-like
        columns (pick one with ``column``). The step column is the one named
        step/_step/global_step/iteration (any case); the value column is ``column`` or else
        the one column whose name contains "grad" or "gnorm" (``__MIN``/``__MAX`` aggregates
        and clock columns skipped), or the only other column;
      - text without a header: one column (norms, steps 1..n) or two (step, norm);
      - ``.npy``: a 1-D array of norms or an n×2 array of (step, norm) rows.

    Steps may start anywhere (0 or 1) and have gaps (a log kept every k steps keeps its
    span: ``GradNormLog.horizon``). Clean-up: see the module docstring. Memory stays bounded
    on huge or malformed files (``_logfiles.MAX_ROWS``, ``MAX_LINE_CHARS``).

    Args:
      path: the file (str, bytes or path-like).
      column: the value column's header name (or the part after its last ``/``) or 0-based
        index (default: detected).
      invalid: ``"raise"`` or ``"drop"`` rows whose norm is NaN, ±inf or ≤ 0.
      duplicates: ``"raise"``, ``"last"`` or ``"mean"`` for repeated steps.

    Raises:
      FileNotFoundError: no such file. ValueError: a malformed log (the message names the
      file and the line).
    """
    _check_choice(invalid, "invalid", INVALID)
    _check_choice(duplicates, "duplicates", DUPLICATES)
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"path must be a file path, got {type(path).__name__}") from None
    if not os.path.isfile(path):
        raise FileNotFoundError(f"grad-norm file {path} does not exist (or is not a file)")
    try:
        if path.lower().endswith(".npy"):
            return _from_arrays(_logfiles.read_npy(path), None, path, invalid, duplicates)
        step, value, lines, notes = _logfiles.read_text(path, column)
    except MemoryError:
        raise ValueError(f"grad-norm file {path} does not fit in memory; log every k-th step "
                         f"instead") from None
    return _clean(step, value, source=path, lines=lines, invalid=invalid,
                  duplicates=duplicates, notes=notes)
