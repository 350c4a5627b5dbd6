"""The fitted 1/√T law: bound*(T) ≈ c·T^(−p) for the optimum and the families (docs/math.md §3).

The optimum of bound (C) comes from the exact recursion of docs/math.md §4.4; each family is taken
at its best multiplier (docs/math.md §4.1). The fits are linear least squares in log–log.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from schedopt import _validation
from schedopt.bounds._bounds import BOUNDS
from schedopt.solvers._solve import optimal_schedule
from schedopt.theory._compare import INF
from schedopt.theory._compare import at_best
from schedopt.theory._compare import family_callables

@dataclasses.dataclass(frozen=True)
class ScalingFit:
    """A least-squares fit ``ln v = ln c − p ln T [+ q ln ln T]`` and its quality.

    Standard errors are the usual ones of linear least squares, ``σ²(XᵀX)⁻¹`` with
    ``σ² = RSS/(n − k)``; ``c_se`` follows from ``ln c``'s by the delta method. Residuals are
    in ln v, i.e. relative errors; ``worst_residual`` is the largest in absolute value.
    """
    name: str
    p: float
    p_se: float
    c: float
    c_se: float
    worst_residual: float
    rms_residual: float
    q: float | None = None
    q_se: float | None = None

    def predict(self, steps) -> np.ndarray:
        T = np.asarray(steps, dtype=np.float64)
        out = self.c * T ** (-self.p)
        return out if self.q is None else out * np.log(T) ** self.q


def fit_power_law(steps, values, *, log_term=False, name="") -> ScalingFit:
    """Fit ``values ≈ c·steps^(−p)`` (times ``(ln steps)^q`` with ``log_term``) in log–log.

    Needs more points than parameters (3 for the power law, 4 with the log term), every
    step ≥ 1 (≥ 2 with the log term) and every value finite and > 0.
    """
    T = np.asarray(steps, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if T.ndim != 1 or v.shape != T.shape:
        raise ValueError(f"steps and values must be 1-D arrays of one length, got shapes "
                         f"{T.shape} and {v.shape}")
    k = 3 if log_term else 2
    if T.size <= k:
        raise ValueError(f"the fit needs more than {k} points, got {T.size}")
    low = 2 if log_term else 1
    if not np.all(np.isfinite(T)) or np.any(T < low):
        raise ValueError(f"steps must all be finite and >= {low}, got min {np.min(T)!r}")
    if np.unique(T).size < k:
        raise ValueError(f"steps must hold at least {k} distinct values")
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError("values must all be finite and > 0 to be fitted in log–log")
    columns = [np.ones_like(T), -np.log(T)] + ([np.log(np.log(T))] if log_term else [])
    X = np.stack(columns, axis=1)
    y = np.log(v)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ coef
    sigma2 = float(residual @ residual) / (T.size - k)
    se = np.sqrt(np.maximum(np.diag(sigma2 * np.linalg.inv(X.T @ X)), 0.0))
    c = float(np.exp(coef[0]))
    return ScalingFit(name=name, p=float(coef[1]), p_se=float(se[1]), c=c,
                      c_se=c * float(se[0]), worst_residual=float(np.max(np.abs(residual))),
                      rms_residual=float(np.sqrt(np.mean(residual ** 2))),
                      q=float(coef[2]) if log_term else None,
                      q_se=float(se[2]) if log_term else None)


SCALING_FAMILIES = ("linear_decay", "cosine_decay", "warmup_stable_decay", "constant",
                    "inverse_sqrt")
LOG_TERM_FAMILIES = ("constant", "inverse_sqrt")


@dataclasses.dataclass(frozen=True)
class ScalingTable:
    """``fit_scaling``'s result: the grid, the values and a fit per schedule.

    ``values[name]`` holds the bound at each T (the optimum's under ``"optimal"``), ``fits``
    the pure power laws and ``log_fits`` the fits with a ``(ln T)^q`` factor.
    """
    steps: np.ndarray
    D: float
    G: float
    bound: str
    values: Mapping
    fits: Mapping
    log_fits: Mapping

    @property
    def header(self) -> list[str]:
        return ["schedule", "model", "p", "± p", "c", "± c", "q", "worst residual (abs)"]

    def as_rows(self) -> list[list]:
        rows = []
        for name, fit in self.fits.items():
            rows.append([name, "c·T^(−p)", fit.p, fit.p_se, fit.c, fit.c_se, None,
                         fit.worst_residual])
            if name in self.log_fits:
                f = self.log_fits[name]
                rows.append([name, "c·T^(−p)·(ln T)^q", f.p, f.p_se, f.c, f.c_se, f.q,
                             f.worst_residual])
        return rows

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(self.header) + " |", "|---" * len(self.header) + "|"]
        for name, model, p, p_se, c, c_se, q, worst in self.as_rows():
            q_text = "" if q is None else f"{q:.4f}"
            lines.append(f"| `{name}` | {model} | {p:.5f} | {p_se:.1e} | {c:.5f} | {c_se:.1e} "
                         f"| {q_text} | {worst:.2e} |")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        def fit(f):
            return dataclasses.asdict(f)

        return {"steps": [int(t) for t in self.steps], "D": self.D, "G": self.G,
                "bound": self.bound,
                "values": {k: [float(x) for x in v] for k, v in self.values.items()},
                "fits": {k: fit(f) for k, f in self.fits.items()},
                "log_fits": {k: fit(f) for k, f in self.log_fits.items()}}


def default_steps_grid(min_steps=100, max_steps=1_000_000, num=25) -> np.ndarray:
    """``num`` log-spaced integers from ``min_steps`` to ``max_steps`` (duplicates after
    rounding dropped)."""
    low = _validation.steps(min_steps, "min_steps")
    high = _validation.steps(max_steps, "max_steps")
    num = _validation.steps(num, "num")
    if high < low:
        raise ValueError(f"max_steps must be >= min_steps, got min_steps = {low}, "
                         f"max_steps = {high}")
    return np.unique(np.round(np.logspace(np.log10(low), np.log10(high), num)).astype(np.int64))


def fit_scaling(steps_grid=None, families=SCALING_FAMILIES, D=1.0, G=1.0, *,
                bound="last_iterate", log_term=LOG_TERM_FAMILIES,
                progress=None) -> ScalingTable:
    """Fit bound*(T) ≈ c·T^(−p) for the optimum and each family at its best multiplier.

    The optimum comes from the exact recursion of docs/math.md §4.4 (``optimal_schedule(T,
    method="exact")``, bound (C)); each family is taken at its best multiplier under
    ``bound`` (docs/math.md §4.1). docs/math.md §3 predicts p = 1/2 and c = 2DG for the optimum; constant
    η has an extra √(ln T) factor under (B) and (C), which the fits in ``log_fits`` (with a
    ``(ln T)^q`` term) capture and the pure power law does not.

    Args:
      steps_grid: the T values; default 25 log-spaced from 10² to 10⁶.
      families: names from ``FAMILIES`` or a mapping name → callable(steps).
      D, G: scalars.
      bound: the bound the families are scaled and measured under.
      progress: None, or a callable ``progress(done, total)`` called after each solve (one
        per T of the grid for the optimum and for each family), e.g. for a progress bar.
      log_term: the families (or ``"optimal"``) also fitted with the log term.
    """
    grid = default_steps_grid() if steps_grid is None else np.array(
        [_validation.steps(int(t) if float(t).is_integer() else t, "each of steps_grid")
         for t in np.asarray(steps_grid).ravel()], dtype=np.int64)
    D = _validation.positive_scalar(D, "D")
    G = _validation.positive_scalar(G, "G")
    if bound not in BOUNDS:
        raise ValueError(f"bound must be one of {', '.join(map(repr, BOUNDS))}, got {bound!r}")
    callables = family_callables(families)
    total = grid.size * (1 + len(callables))
    done = iter(range(1, total + 1))

    def tick(value):
        if progress is not None:
            progress(next(done), total)
        return value

    values = {"optimal": np.array([tick(optimal_schedule(int(T), D, G, method="exact").bound)
                                   for T in grid])}
    for name, f in callables.items():
        values[name] = np.array([tick(at_best(np.asarray(f(int(T)), np.float64), D, G,
                                              bound)[0]) for T in grid], dtype=object)
        if any(v is None or v == INF for v in values[name]):
            raise ValueError(f"family {name!r} has no finite bound {bound!r} on this grid; "
                             f"leave it out or choose another bound")
        values[name] = values[name].astype(np.float64)
    fits = {name: fit_power_law(grid, v, name=name) for name, v in values.items()}
    log_names = (log_term,) if isinstance(log_term, str) else tuple(log_term or ())
    log_fits = {name: fit_power_law(grid, values[name], log_term=True, name=name)
                for name in log_names if name in values}
    return ScalingTable(steps=grid, D=D, G=G, bound=bound, values=values, fits=fits,
                        log_fits=log_fits)
