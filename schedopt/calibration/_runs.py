"""Training runs for calibration: the applied rates and the observed losses, checked, and read
from tracker CSV exports.

A run is the learning rate applied at steps 1..T (``lr[t-1]`` moves θ_t to θ_{t+1}) and the
loss observed after ``steps[i]`` updates (``loss[i]``), in any order, sparse, tail-only or a
single final value; optionally the gradient norm logged at steps 1..T.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping
from pathlib import Path

import numpy as np


@dataclasses.dataclass(frozen=True)
class Run:
    """One checked run: ``lr`` (T,), ``steps``/``loss`` (n,), optional ``grad_norm`` (T,)."""
    name: str
    lr: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray | None = None

    @property
    def horizon(self) -> int:
        return int(self.lr.shape[0])


def _bad(name, problem):
    return ValueError(f"run {name!r}: {problem}")


def as_run(run, index: int = 0, *, diverged_ok: bool = False) -> Run:
    """A ``Run`` from a ``Run`` or a mapping ``{"lr", "steps", "loss"[, "grad_norm", "name"]}``.

    Raises ValueError naming the run and the problem: no loss points, non-finite or
    non-positive losses, a loss logged past the end of ``lr``, negative or non-finite rates.
    ``diverged_ok``: accept NaN/+inf losses (a diverged run, which the fit leaves out).
    """
    if isinstance(run, Run):
        run = dataclasses.asdict(run)
    if not isinstance(run, Mapping):
        raise TypeError(f"run {index} must be a mapping with keys 'lr', 'steps', 'loss', got "
                        f"{type(run).__name__}")
    name = str(run.get("name", f"run {index}"))
    missing = [k for k in ("lr", "steps", "loss") if k not in run]
    if missing:
        raise _bad(name, f"missing key(s) {', '.join(map(repr, missing))}")
    lr = _array(run["lr"], name, "lr")
    steps = np.asarray(run["steps"]).reshape(-1)
    loss = _array(run["loss"], name, "loss")
    if lr.size == 0:
        raise _bad(name, "lr is empty; give the rate applied at every step 1..T")
    if not np.all(np.isfinite(lr)):
        i = int(np.flatnonzero(~np.isfinite(lr))[0])
        raise _bad(name, f"lr at step {i + 1} is {float(lr[i])!r}; rates must be finite")
    if np.any(lr < 0):
        i = int(np.flatnonzero(lr < 0)[0])
        raise _bad(name, f"lr at step {i + 1} is {float(lr[i])!r}; rates must be >= 0")
    if loss.size == 0:
        raise _bad(name, "no loss points; give at least one (step, loss) pair")
    if steps.shape != loss.shape:
        raise _bad(name, f"steps has {steps.size} entries but loss has {loss.size}")
    bad = ~(np.isfinite(loss) & (loss > 0))
    if diverged_ok:
        bad &= ~(np.isnan(loss) | (loss == np.inf))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(name, f"loss at step {steps[i]} is {float(loss[i])!r}; losses must be finite and > 0")
    steps = _steps(steps, name)
    if steps.min() < 1:
        raise _bad(name, f"a loss is logged at step {steps.min()}; steps count updates, from 1")
    if steps.max() > lr.size:
        raise _bad(name, f"lr has {lr.size} rates but a loss is logged at step {steps.max()}; "
                         "the lr array must cover every logged step")
    if lr[: steps.max()].sum() <= 0:
        raise _bad(name, "every applied rate up to the last logged step is 0")
    grad = run.get("grad_norm")
    if grad is not None:
        grad = _array(grad, name, "grad_norm")
        if grad.shape != lr.shape or not np.all(np.isfinite(grad)) or np.any(grad <= 0):
            raise _bad(name, f"grad_norm must have one finite value > 0 per rate ({lr.size})")
    return Run(name, lr, steps, loss, grad)


def _array(x, name, what):
    try:
        out = np.asarray(x, np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise _bad(name, f"{what} must be an array of numbers") from None
    return out


def _steps(steps, name):
    try:
        s = np.asarray(steps, np.float64)
    except (TypeError, ValueError):
        raise _bad(name, "steps must be whole numbers") from None
    if not np.all(np.isfinite(s)) or np.any(s != np.round(s)):
        raise _bad(name, "steps must be whole numbers")
    return s.astype(np.int64)


def as_runs(runs) -> list[Run]:
    """Checked runs from a list of runs/mappings (names made unique by position if missing)."""
    if isinstance(runs, (Mapping, Run)):
        runs = [runs]
    out = [as_run(r, i) for i, r in enumerate(runs)]
    if not out:
        raise ValueError("runs is empty; give at least one run")
    return out


# ---------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------

_ALIASES = {"step": ("step", "_step", "iter", "iteration", "global_step", "steps"),
            "lr": ("lr", "learning_rate", "eta"),
            "loss": ("loss", "val_loss", "train_loss"),
            "grad_norm": ("grad_norm", "gradient_norm", "grad_norms"),
            "run": ("run", "name", "run_name")}


def _columns(header, path):
    lower = [h.strip().lower() for h in header]
    found = {}
    for key, names in _ALIASES.items():
        for n in names:
            if n in lower:
                found[key] = lower.index(n)
                break
    missing = [k for k in ("step", "lr", "loss") if k not in found]
    if missing:
        raise ValueError(f"{path}: no {', '.join(missing)} column; a runs CSV needs step, lr and "
                         f"loss columns (grad_norm and run optional), got {header}")
    return found


def _num(text, name, column):
    if text == "":
        return np.nan
    try:
        return float(text)
    except ValueError:
        raise _bad(name, f"{column} {text!r} is not a number") from None


def _rows_to_run(name, rows):
    """Rows of (step, lr, loss, grad) with '' for missing; lr filled between logged steps."""
    empty = [r[2] == "" for r in rows]
    rows = [(_num(a, name, "step"), _num(b, name, "lr"), _num(c, name, "loss"),
             _num(d, name, "grad_norm")) for a, b, c, d in rows]
    if any(not np.isfinite(r[0]) for r in rows):
        raise _bad(name, "every row needs a step")
    step = np.array([int(r[0]) for r in rows])
    order = np.argsort(step, kind="stable")
    step = step[order]
    rows = [rows[i] for i in order]
    empty_loss = [empty[i] for i in order]
    T = int(step.max())
    lr_s = np.array([r[1] for r in rows])
    has_lr = ~np.isnan(lr_s)
    if not has_lr.any():
        raise _bad(name, "no lr values; the lr column must be filled")
    first = int(step[has_lr].min())
    if first > max(1, T // 100):
        raise _bad(name, f"lr is logged only from step {first}; the rates of the earlier "
                         "steps are needed (rows with an empty loss are fine)")
    grid = np.arange(1, T + 1)
    # The rate between two logged steps is interpolated linearly: exact for the linear
    # pieces of warm-up/stable/decay schedules, an approximation otherwise.
    lr = np.interp(grid, step[has_lr], lr_s[has_lr])
    loss_s = np.array([r[2] for r in rows])
    # An empty loss cell means "no loss here"; a written nan is kept (a diverged run).
    has_loss = np.array([not empty for empty in empty_loss]) & (step >= 1)
    g = np.array([r[3] for r in rows])
    grad = None
    if np.isfinite(g).sum() >= 2:
        ok = np.isfinite(g)
        grad = np.interp(grid, step[ok], g[ok])
    return {"name": name, "lr": lr, "steps": step[has_loss], "loss": loss_s[has_loss],
            "grad_norm": grad}


def _read_csv(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path}: the file is empty") from None
        cols = _columns(header, path)
        runs: dict[str, list] = {}
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            get = lambda k: row[cols[k]].strip() if k in cols and cols[k] < len(row) else ""
            name = get("run") if "run" in cols else Path(path).stem
            try:
                runs.setdefault(name, []).append((get("step"), get("lr"), get("loss"),
                                                  get("grad_norm")))
                float(get("step"))
            except ValueError:
                raise ValueError(f"{path}, line {line}: step {get('step')!r} is not a number") \
                    from None
    return runs


def read_runs(path) -> list[Run]:
    """Runs from a folder of tracker CSV exports (one run per file, named after the file) or
    from one CSV with a ``run`` column. Columns: step, lr, loss, optional grad_norm (common
    aliases accepted). Rows may come in any order; a row with an empty loss only carries the
    rate. Steps below 1 (the loss before any update) are ignored. Every run is checked by
    ``as_run``; a bad one raises ValueError naming it.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise ValueError(f"runs: no .csv files in the folder {str(path)!r}")
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"runs: no such file or folder: {str(path)!r}")
    out = []
    for f in files:
        for name, rows in _read_csv(f).items():
            try:
                out.append(as_run(_rows_to_run(name, rows), len(out), diverged_ok=True))
            except ValueError as err:
                raise ValueError(f"{f.name}: {err}") from None
    return out
