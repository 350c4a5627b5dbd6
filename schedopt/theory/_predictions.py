"""The predictions of docs/math.md §3 for constant G.

- ``variational_schedule``: the continuous prediction ``η(t) = (D/G)(1 − t/T)/√T`` (value
  2DG/√T);
- ``linear_decay_guarantee``: the proven discrete linear decay ``α(1 − t/(T+1))``,
  ``α = D/(G√(2T))`` (guarantee 2√2·DG/√T);
- ``example_gradient_norms``: the per-step profile the report and docs use.

The per-step closed forms (``defazio_schedule``, ``continuous_schedule``) live in
``schedopt._closed_forms``, below the solvers that start from them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from schedopt import _validation
from schedopt.bounds._bounds import last_iterate_bound

_SAMPLINGS = ("zero", "midpoint")


def example_gradient_norms(steps=1000) -> np.ndarray:
    """A gradient-norm profile for figures and tables: an early spike, a slow rise, a wobble.

    ``G_t = 1 + 1.5·exp(−t/(0.03T)) + 0.5·t/T + 0.1·sin(8πt/T)``: deterministic, smooth, > 0.
    """
    T = _validation.steps(steps)
    x = np.arange(1, T + 1, dtype=np.float64) / T
    return 1.0 + 1.5 * np.exp(-x / 0.03) + 0.5 * x + 0.1 * np.sin(8.0 * np.pi * x)


class Prediction(NamedTuple):
    """A predicted schedule and the bound value its theory attaches to it."""
    eta: np.ndarray
    value: float


def variational_schedule(steps, D=1.0, G=1.0, *, last="zero") -> Prediction:
    r"""The continuous variational optimum of bound (C), sampled (docs/math.md §3).

    .. math:: \eta(t) = \frac{D}{G}\,\frac{1 - t/T}{\sqrt T}, \qquad \text{value } \frac{2DG}{\sqrt T}

    ``last="zero"`` samples η(t) at t = 1..T as written, so η_T = 0 and bound (C) of the
    sample is +∞ (docs/math.md §2). ``last="midpoint"`` samples η(t − ½), the midpoint rule of the
    continuous problem's integral over step t, which keeps η_T = (D/G)/(2T^{3/2}) > 0; it is
    ``continuous_schedule(G·1, D, last="midpoint")`` of part V for constant G.

    Returns:
      ``Prediction(eta, value)`` with ``value = 2DG/√T``, the continuous problem's optimum.
    """
    T = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    G = _validation.positive_scalar(G, "G")
    if last not in _SAMPLINGS:
        raise ValueError(f"last must be one of {', '.join(map(repr, _SAMPLINGS))}, got {last!r}")
    t = np.arange(1, T + 1, dtype=np.float64) - (0.5 if last == "midpoint" else 0.0)
    return Prediction(eta=(D / G) * (1.0 - t / T) / np.sqrt(T), value=2.0 * D * G / np.sqrt(T))


def linear_decay_guarantee(steps, D=1.0, G=1.0) -> Prediction:
    r"""The proven discrete linear decay ``α(1 − t/(T+1))``, ``α = D/(G√(2T))`` (docs/math.md §3).

    Returns:
      ``Prediction(eta, value)`` with the guarantee ``value = 2√2·DG/√T`` ≥ its bound (C).
    """
    T = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    G = _validation.positive_scalar(G, "G")
    t = np.arange(1, T + 1, dtype=np.float64)
    alpha = D / (G * np.sqrt(2.0 * T))
    return Prediction(eta=alpha * (1.0 - t / (T + 1)), value=2.0 * np.sqrt(2.0) * D * G / np.sqrt(T))


# ---------------------------------------------------------------------------------------
# compare: one schedule against the predictions
# ---------------------------------------------------------------------------------------
