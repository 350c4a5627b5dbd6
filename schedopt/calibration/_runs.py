"""Training runs for calibration: the applied rates and the observed losses, checked, and read
from tracker CSV exports.

A run is the learning rate applied at steps 1..T (``lr[t-1]`` moves θ_t to θ_{t+1}) and the
loss observed after ``steps[i]`` updates (``loss[i]``), in any order, sparse, tail-only or a
single final value; optionally the gradient norm logged at steps 1..T.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from schedopt.adapters._logfiles import STEP_NAMES       # one list of step-column names
from schedopt.calibration._logrows import bad_run
from schedopt.calibration._logrows import rows_to_run


@dataclasses.dataclass(frozen=True)
class Run:
    """One checked run: ``lr`` (T,), ``steps``/``loss`` (n,), optional ``grad_norm`` (T,)."""
    name: str
    lr: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray | None = None
    notes: tuple = ()

    @property
    def updates(self) -> int:
        """N, the number of updates the run applied rates to (``lr.shape[0]``)."""
        return int(self.lr.shape[0])

    @property
    def horizon(self) -> int:
        """Deprecated spelling of ``updates`` (a run's N is its updates; ``horizon`` names
        bound (C)'s T = N + 1 elsewhere, docs/contributing.md)."""
        warnings.warn("Run.horizon is deprecated: use Run.updates (the number of updates)",
                      DeprecationWarning, stacklevel=2)
        return self.updates


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
        raise bad_run(name, f"missing key(s) {', '.join(map(repr, missing))}")
    lr = _array(run["lr"], name, "lr")
    steps = np.asarray(run["steps"]).reshape(-1)
    loss = _array(run["loss"], name, "loss")
    if lr.size == 0:
        raise bad_run(name, "lr is empty; give the rate applied at every step 1..T")
    if not np.all(np.isfinite(lr)):
        i = int(np.flatnonzero(~np.isfinite(lr))[0])
        raise bad_run(name, f"lr at step {i + 1} is {float(lr[i])!r}; rates must be finite")
    if np.any(lr < 0):
        i = int(np.flatnonzero(lr < 0)[0])
        raise bad_run(name, f"lr at step {i + 1} is {float(lr[i])!r}; rates must be >= 0")
    if loss.size == 0:
        raise bad_run(name, "no loss points; give at least one (step, loss) pair")
    if steps.shape != loss.shape:
        raise bad_run(name, f"steps has {steps.size} entries but loss has {loss.size}")
    bad = ~(np.isfinite(loss) & (loss > 0))
    if diverged_ok:
        bad &= ~(np.isnan(loss) | (loss == np.inf))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise bad_run(name, f"loss at step {steps[i]} is {float(loss[i])!r}; losses must be finite and > 0")
    steps = _steps(steps, name)
    if steps.min() < 1:
        raise bad_run(name, f"a loss is logged at step {steps.min()}; steps count updates, from 1")
    if steps.max() > lr.size:
        raise bad_run(name, f"lr has {lr.size} rates but a loss is logged at step "
                            f"{steps.max()}; the lr array must cover every logged step")
    if lr[: steps.max()].sum() <= 0:
        raise bad_run(name, "every applied rate up to the last logged step is 0")
    grad = run.get("grad_norm")
    if grad is not None:
        grad = _array(grad, name, "grad_norm")
        if grad.shape != lr.shape or not np.all(np.isfinite(grad)) or np.any(grad <= 0):
            raise bad_run(name, f"grad_norm must have one finite value > 0 per rate ({lr.size})")
    return Run(name, lr, steps, loss, grad, tuple(run.get("notes", ())))


def _array(x, name, what):
    try:
        out = np.asarray(x, np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise bad_run(name, f"{what} must be an array of numbers") from None
    return out


def _steps(steps, name):
    try:
        s = np.asarray(steps, np.float64)
    except (TypeError, ValueError):
        raise bad_run(name, "steps must be whole numbers") from None
    if not np.all(np.isfinite(s)) or np.any(s != np.round(s)):
        raise bad_run(name, "steps must be whole numbers")
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
# Readers: tracker exports through the one tabular reader (schedopt.adapters._logfiles)
# ---------------------------------------------------------------------------------------

LR_NAMES = ("lr", "learning_rate", "learning-rate", "learningrate", "eta")
LOSS_NAMES = ("loss", "val_loss", "valid_loss", "validation_loss", "eval_loss", "test_loss",
              "train_loss", "training_loss")
GRAD_NAMES = ("grad_norm", "gradient_norm", "grad_norms", "gnorm")
RUN_NAMES = ("run", "name", "run_name", "run_id")
KIND_NAMES = ("kind", "split")
# Validation spellings: of a loss column's name, or of a kind/split cell.
VALIDATION = ("val", "valid", "validation", "eval", "evaluation", "test")
KINDS = ("val", "train")


def _tail(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _is_validation(name: str) -> bool:
    words = name.lower().replace("/", "_").replace("-", "_").split("_")
    return any(w in VALIDATION for w in words)


def _find(lowered, names):
    """Index of the first column whose name, or the part after its last '/', is in names."""
    for n in names:
        for i, h in enumerate(lowered):
            if h == n:
                return i
    for n in names:
        hits = [i for i, h in enumerate(lowered) if _tail(h) == n]
        if hits:
            return hits[0]
    return None


def _given(header, column, flag, path):
    from schedopt.adapters._logfiles import _match_column

    try:
        return _match_column(column, header, [h.lower() for h in header], path)
    except ValueError as err:
        raise ValueError(f"{flag}: {err}") from None


def _loss_column(header, lowered, path, notes):
    hits = [i for i, h in enumerate(lowered) if _tail(h) in LOSS_NAMES]
    if len(hits) > 1:
        val = [i for i in hits if _is_validation(lowered[i])]
        if len(val) == 1:
            notes.append(f"loss: column {header[val[0]]!r} (validation; "
                         f"{', '.join(repr(header[i]) for i in hits if i != val[0])} left "
                         f"out; choose with loss_column=, --loss-column)")
            return val[0]
        raise ValueError(f"{path}: several loss columns "
                         f"{[header[i] for i in hits]}; choose one with loss_column= "
                         f"(--loss-column)")
    return hits[0] if hits else None


def _columns(header, path, given, notes):
    """Column index of step, lr, loss (+ grad_norm, run, kind) of a runs file."""
    lowered = [h.lower() for h in header]
    found = {"step": _find(lowered, STEP_NAMES), "lr": _find(lowered, LR_NAMES),
             "loss": _loss_column(header, lowered, path, notes),
             "grad_norm": _find(lowered, GRAD_NAMES), "run": _find(lowered, RUN_NAMES),
             "kind": _find(lowered, KIND_NAMES)}
    for key, column in given.items():
        if column is not None:
            found[key] = _given(header, column, f"{key}_column (--{key.replace('_', '-')}-"
                                                f"column)", path)
    return {k: v for k, v in found.items() if v is not None}


def _tensorboard(path, header):
    """(run, metric) of a TensorBoard scalar export ``Wall time,Step,Value``, else None.

    TensorBoard names the download ``run-<run>-tag-<tag>.csv`` (``/`` in the tag as ``_``);
    a file with another name is the metric of its stem, in the run of its folder.
    """
    if [h.lower() for h in header if h.lower() not in ("wall time", "wall_time")] \
            != ["step", "value"]:
        return None
    stem = Path(path).stem
    if "-tag-" in stem:
        run, tag = stem.split("-tag-", 1)
        run = run[4:] if run.startswith("run-") else run
    else:
        run, tag = Path(path).resolve().parent.name, stem
    tag = tag.lower()
    for key, names in (("lr", LR_NAMES), ("grad_norm", GRAD_NAMES), ("loss", LOSS_NAMES)):
        if any(_tail(tag.replace("_", "/")) == n or tag.endswith(n) for n in names) \
                or (key == "loss" and "loss" in tag):
            return run, key, tag
    raise ValueError(f"{path}: a TensorBoard scalar export of tag {tag!r}, which is neither a "
                     f"learning rate ({', '.join(LR_NAMES)}) nor a loss")


def _kind_of(cell: str) -> str:
    return "val" if _is_validation(cell) else "train"


def _read_table(path, given, kind):
    """{run: rows of (step, lr, loss, grad) strings}, notes, and the file's TensorBoard tag."""
    from schedopt.adapters._logfiles import open_table

    notes: list[str] = []
    with open_table(path, what="runs file") as (rows, where):
        header = next(rows)
        tb = _tensorboard(path, header)
        if tb is not None:
            run, key, tag = tb
            at = [h.lower() for h in header].index("step")
            out = {run: [(r[at],
                          *(r[-1] if k == key else "" for k in ("lr", "loss", "grad_norm")))
                         for r in rows if r]}
            return out, [f"TensorBoard export of {tag!r} read as {key} of run {run!r}"], key
        cols = _columns(header, path, given, notes)
        missing = [k for k in ("step", "lr", "loss") if k not in cols]
        if missing:
            raise ValueError(f"{path}: no {', '.join(missing)} column; a runs CSV needs step, "
                             f"lr and loss columns (grad_norm, run, kind optional; names "
                             f"may end in /loss, /lr, e.g. val/loss), got {header}")
        runs: dict[str, list] = {}
        kinds = set()
        for row in rows:
            get = lambda k: row[cols[k]] if k in cols and cols[k] < len(row) else ""
            loss = get("loss")
            if "kind" in cols and loss != "":
                kinds.add(_kind_of(get("kind")))
                if _kind_of(get("kind")) != kind:
                    loss = ""
            name = get("run") or Path(path).stem
            runs.setdefault(name, []).append((get("step"), get("lr"), loss, get("grad_norm")))
    if "kind" in cols:
        notes.append(f"{header[cols['kind']]} column: the {'validation' if kind == 'val' else 'train'}"
                     f" losses are fitted (kind=, --kind {'train' if kind == 'val' else 'val'}"
                     f" for the other); found {', '.join(sorted(kinds)) or 'none'}")
        if kinds and kind not in kinds:
            raise ValueError(f"{path}: no {kind} loss rows in its {header[cols['kind']]!r} "
                             f"column (found {', '.join(sorted(kinds))}); give kind="
                             f"{sorted(kinds)[0]!r} (--kind)")
    return runs, notes, None


def _files(path):
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise ValueError(f"runs: no .csv files in the folder {str(path)!r}")
        return files
    if path.is_file():
        return [path]
    raise ValueError(f"runs: no such file or folder: {str(path)!r}")


def read_runs(path, *, loss_column=None, lr_column=None, step_column=None,
              kind="val", warmup=None) -> list[Run]:
    """Runs from tracker exports: a folder of CSV files (one run per file, named after the
    file, or TensorBoard's one file per metric) or one CSV with a ``run`` column.

    Formats read without options: a plain ``step,lr,loss`` CSV; a W&B history export
    (``_step, _runtime, train/loss, val/loss, lr``: a column is found by its name or the part
    after its last ``/``, and with a train and a validation loss the validation one is used);
    TensorBoard scalar exports (``Wall time,Step,Value``, one file per metric, named
    ``run-<run>-tag-<tag>.csv``); a ``kind`` (or ``split``) column, whose ``kind`` rows are
    fitted (validation by default). A UTF-8 BOM, CRLF line ends and quoted numbers are
    read as by the gradient-norm logs (``schedopt.adapters._logfiles.open_table``, the one
    tabular reader). Steps may count from 0 (said in the run's ``notes``); a loss at step 0
    is dropped with a note. Every run is checked by ``as_run``; a bad one raises ValueError
    naming it.

    Args:
      path: a folder of ``.csv`` files or one ``.csv`` file.
      loss_column, lr_column, step_column: the column to use, by its name or the part after
        its last ``/`` (default: found by name).
      kind: ``"val"`` or ``"train"``: the losses fitted when a kind/split column is present.
      warmup: W linear warm-up steps from 0 to the first logged rate, for exports that log
        the rate only after the warm-up (it must end by the first logged step).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'val' or 'train', got {kind!r}")
    if warmup is not None and (isinstance(warmup, bool) or not isinstance(warmup, int)
                               or warmup < 1):
        raise ValueError(f"warmup must be an int number of steps >= 1, got {warmup!r}")
    given = {"loss": loss_column, "lr": lr_column, "step": step_column}
    merged: dict[str, list] = {}
    notes: dict[str, list] = {}
    source: dict[str, Path] = {}
    for f in _files(path):
        runs, file_notes, _ = _read_table(f, given, kind)
        for name, rows in runs.items():
            merged.setdefault(name, []).extend(rows)
            notes.setdefault(name, []).extend(file_notes)
            source.setdefault(name, f)
    out = []
    for name, rows in merged.items():
        try:
            out.append(as_run(rows_to_run(name, rows, notes[name], warmup), len(out),
                              diverged_ok=True))
        except ValueError as err:
            raise ValueError(f"{source[name].name}: {err}") from None
    return out
