"""The bounds as records: ``BOUNDS[name]`` says which function evaluates it, its coefficients
in a shape's multiplier, its label in tables and whether it needs a non-increasing schedule.

Every bound is ``a/λ + b·λ`` in the multiplier λ of a shape (docs/math.md §4.1); each record's
``coefficients(shape, D², G²)`` gives (a, b). Pure numpy, so that ``optimal_scale`` and the
command line read the registry without JAX. An unknown name is refused by ``get``.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from schedopt._sums import tail_sums


def _last_iterate(shape, D2, G2):
    S = tail_sums(shape)
    denom = np.append(S[1:], 1.0)
    terms = G2 * shape * (shape / denom)
    terms[-1] = G2[-1] * shape[-1]
    return D2 / (2 * S[0]), 0.5 * float(np.sum(terms))


def monotone_weights(T, xp):
    """1/(T − t) for t < T, then 1: the last weight turns ½G_T²η_T²/η_T into ½G_T²η_T."""
    return 1.0 / xp.maximum(xp.arange(T - 1, -1, -1, dtype=xp.float64), 1.0)


def _monotone_last_iterate(shape, D2, G2):
    T = shape.shape[0]
    weights = monotone_weights(T, np)
    return D2 / (2 * T * shape[-1]), 0.5 * float(np.sum(G2 * shape**2 * weights)) / shape[-1]


def _average_iterate(shape, D2, G2):
    total = float(np.sum(shape))
    return D2 / (2 * total), float(np.sum(G2 * shape**2)) / (2 * total)


def _average_iterate_nonincreasing(shape, D2, G2):
    T = shape.shape[0]
    energy = float(np.sum(G2 * shape**2))
    return D2 / (2 * T * shape[-1]), energy / (2 * T * shape[-1])


@dataclasses.dataclass(frozen=True)
class Bound:
    """One bound of docs/math.md §2.

    Attributes:
      name: its ``bound=`` value.
      function: the name of its evaluator in ``schedopt.bounds`` (the two (A) forms share
        ``average_iterate_bound``, its ``form=``).
      coefficients: (shape, D², G²) -> (a, b) with bound(λ·shape) = a/λ + b·λ.
      label: its column heading in tables.
      nonincreasing: whether it holds only for non-increasing schedules.
    """
    name: str
    function: str
    coefficients: Callable
    label: str
    nonincreasing: bool


BOUNDS = {b.name: b for b in (
    Bound("last_iterate", "last_iterate_bound", _last_iterate, "(C) last iterate", False),
    Bound("monotone_last_iterate", "monotone_last_iterate_bound", _monotone_last_iterate,
          "(B) monotone", True),
    Bound("average_iterate", "average_iterate_bound", _average_iterate, "(A) weighted avg",
          False),
    Bound("average_iterate_nonincreasing", "average_iterate_bound",
          _average_iterate_nonincreasing, "(A) non-increasing", True),
)}


def get(name, argument: str = "bound") -> Bound:
    """The record of a bound name; a ValueError naming the argument and the names otherwise."""
    if not isinstance(name, str) or name not in BOUNDS:
        raise ValueError(f"{argument} must be one of {', '.join(map(repr, BOUNDS))}, "
                         f"got {name!r}")
    return BOUNDS[name]
