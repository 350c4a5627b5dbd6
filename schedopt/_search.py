"""The one 1-D search: the minimiser of a unimodal function on an interval (golden section).

Used wherever schedopt picks one number by minimising a function that is unimodal but has no
useful derivative: a peak LR on a fitted loss model (``calibration``), the multiplier of a
shape on the worst checkpoint ratio (``theory._horizons``), the multiplier of a shape after a
fixed warm-up (``solvers._firstorder``). Bound (C) is convex in a multiplier λ of a fixed
shape (docs/math.md §4.2), hence unimodal in log λ, so each of those searches is in log λ.
"""

from __future__ import annotations

import math

import numpy as np

_PHI = (math.sqrt(5.0) - 1.0) / 2.0      # the golden ratio's conjugate, 0.618…


def golden_section(f, lo: float, hi: float, *, grid: int = 0, xtol: float = 0.0,
                   max_iter: int = 100) -> tuple[float, float]:
    """``(x, f(x))`` at the best point the search evaluated, for f unimodal on [lo, hi].

    With ``grid`` ≥ 3, f is first evaluated at that many equally spaced points and the
    search narrowed to the two cells around the best of them (a guard for a function that is
    flat or only nearly unimodal on a wide interval). Golden section then shrinks the
    bracket by 0.618 per evaluation, for ``max_iter`` evaluations or until it is narrower
    than ``xtol``.
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"golden_section needs a finite interval lo < hi, got [{lo}, {hi}]")
    if grid >= 3:
        points = np.linspace(lo, hi, grid)
        values = [f(p) for p in points]
        i = int(np.argmin(values))
        lo, hi = float(points[max(i - 1, 0)]), float(points[min(i + 1, grid - 1)])
    c, d = hi - _PHI * (hi - lo), lo + _PHI * (hi - lo)
    fc, fd = f(c), f(d)
    for _ in range(max_iter):
        if hi - lo < xtol:
            break
        if fc <= fd:
            hi, d, fd = d, c, fc
            c = hi - _PHI * (hi - lo)
            fc = f(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + _PHI * (hi - lo)
            fd = f(d)
    return (float(c), float(fc)) if fc <= fd else (float(d), float(fd))
