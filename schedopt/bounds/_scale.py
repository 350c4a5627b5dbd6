"""The best multiplier of a shape under each bound: scale separation (docs/math.md §4.1).

Every bound is ``a/λ + b·λ`` in the multiplier λ of a shape, so the best multiplier and the
bound there are closed forms. Pure numpy: choosing a multiplier needs no JAX.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from schedopt import _validation
from schedopt._units import exponents
from schedopt.bounds import _registry


class Scale(NamedTuple):
    """The best multiplier λ* of a shape and the bound's value at λ*·shape."""
    scale: float
    value: float


def _coefficients(bound, shape, D2, G2):
    """(a, b) with bound(λ·shape) = a/λ + b·λ, from the bound's record."""
    return _registry.get(bound).coefficients(shape, D2, G2)


class InfiniteBoundError(ValueError):
    """A shape whose bound is +∞ for every multiplier (e.g. bound (C) with η_T = 0)."""


def optimal_scale(shape, D=1.0, G=1.0, bound="last_iterate") -> Scale:
    r"""The multiplier λ* minimising ``bound(λ·shape)`` and the bound's value there.

    Every bound is ``a/λ + bλ`` in λ (docs/math.md §4.1), so ``λ* = √(a/b)`` and the value is
    ``2√(ab)``; for bound (C), ``λ* = D/√(s_{1:T}·h)`` and the value is ``D·√(h/s_{1:T})``.

    Args:
      shape: the schedule's shape s ≥ 0 (any positive scaling of it gives the same answer).
      bound: ``"last_iterate"`` (C), ``"monotone_last_iterate"`` (B), ``"average_iterate"``
        (A, weighted) or ``"average_iterate_nonincreasing"`` (A, seed 000's form).

    Raises:
      InfiniteBoundError: the bound is +∞ at every multiplier (a ValueError).
      NotNonIncreasingError: (B) or the non-increasing (A) on a rising shape (a ValueError).
    """
    record = _registry.get(bound)
    shape = _validation.schedule(shape, "shape")
    if _validation.is_traced(shape):
        raise TypeError("optimal_scale works on concrete arrays; it cannot be traced by jax")
    D = _validation.positive_scalar(D, "D")
    G = np.broadcast_to(_validation.gradient_norms(G, shape.shape[0]), shape.shape)
    if record.nonincreasing:
        _validation.nonincreasing(shape, "shape", f"bound {bound!r}")
    needs_last = bound != "average_iterate"
    if (needs_last and shape[-1] == 0) or not np.any(shape > 0):
        where = "its last entry is 0" if needs_last and np.any(shape > 0) else "it is all zero"
        raise InfiniteBoundError(f"shape makes bound {bound!r} infinite for every multiplier "
                                 f"({where})")
    with np.errstate(over="ignore", under="ignore"):
        return _scale_free(bound, shape, D, G)


def _scale_free(bound, shape, D, G) -> Scale:
    """λ* and the value in units where max(shape), D and G are ≈ 1, rescaled (issue 15
    item 2): the bound(λ·s; D, G) = 2^(d+g)·bound(λ'·s'; D', G') with s = 2^k·s',
    D = 2^d·D', G = 2^g·G' and λ' = λ·2^(k+g−d), all powers of two, so exact."""
    k = int(np.frexp(np.max(shape))[1])
    d, g = exponents(D, G)
    unit_G2 = np.square(np.ldexp(G, -g))
    if not (np.all(np.isfinite(unit_G2)) and np.all(unit_G2 > 0)):
        raise ValueError("G spans too many orders of magnitude for float64 (G_t² relative to "
                         "the geometric mean over- or underflows); narrow the range of G")
    unit_shape = np.ldexp(shape, -k)
    a, b = _coefficients(bound, unit_shape, np.ldexp(D, -d) ** 2, unit_G2)
    if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
        raise ValueError(f"shape spans too many orders of magnitude for float64: from "
                         f"{float(np.min(shape[shape > 0])):.3g} to {float(np.max(shape)):.3g}, "
                         f"its bound's coefficients over- or underflow")
    scale = float(np.ldexp(np.sqrt(a / b), d - g - k))
    value = float(np.ldexp(2.0 * np.sqrt(a * b), d + g))
    if not (np.isfinite(scale) and scale > 0 and np.isfinite(value) and value > 0):
        raise ValueError(f"the best multiplier ({np.sqrt(a / b):.3g}·2^{d - g - k}) or the "
                         f"bound (2^{d + g}·{2.0 * np.sqrt(a * b):.3g}) of this shape with "
                         f"D = {D!r} is not representable in float64; rescale shape, D or G")
    return Scale(scale=scale, value=value)
