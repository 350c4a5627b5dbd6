"""Closed-form schedules for per-step gradient norms (docs/math.md §3).

They sit below the solvers because the first-order solvers start from Defazio et al.'s
shape; the theory layer compares them with the optimum and the adapters refine logs with
them. Pure numpy, float64.
"""

from __future__ import annotations

import numpy as np

from schedopt import _validation
from schedopt._sums import prefix_sums
from schedopt._sums import tail_sums


def _inverse_square_sums(G, last, allowed) -> tuple[np.ndarray, np.ndarray, int]:
    if last not in allowed:
        raise ValueError(f"last must be one of {', '.join(map(repr, allowed))}, got {last!r}")
    try:
        length = int(np.shape(G)[0]) if np.ndim(G) == 1 else 0
    except TypeError:
        length = 0
    if np.ndim(G) != 1 or length == 0:
        raise ValueError(f"G must be a non-empty 1-D array of per-step gradient norms, "
                         f"got shape {np.shape(G)}")
    G = np.asarray(_validation.gradient_norms(G, length), dtype=np.float64)
    # In units of the smallest G (a power of two, exact), w = G⁻² ≤ 4 cannot overflow, and
    # an entry that underflows is negligible beside the largest (issue 21: G = [1e-200,
    # 1e200] gave [nan, 0]). Returns w in those units and their exponent e: G = 2^e·G'.
    e = int(np.frexp(np.min(G))[1])
    with np.errstate(over="ignore"):
        w = 1.0 / np.square(np.ldexp(G, -e))
    return w, prefix_sums(w), e


def defazio_shape(G2: np.ndarray) -> np.ndarray:
    """G_t⁻² Σ_{p≥t} G_p⁻² (the inclusive Defazio shape, docs/math.md §3), peak 1, from G_t²."""
    inv = 1.0 / np.asarray(G2, dtype=np.float64)
    shape = inv * tail_sums(inv)
    return shape / np.max(shape)


def defazio_schedule(G, *, last="zero") -> np.ndarray:
    """Defazio et al.'s refinement shape η_t ∝ G_t⁻² Σ_{p>t} G_p⁻² (docs/math.md §3), peak 1.

    ``last="zero"`` is the published form, with η_T = 0 (bound (C) is then +∞, docs/math.md §2).
    ``last="inclusive"`` sums over p ≥ t instead, which keeps η_T = G_T⁻⁴ > 0 and for constant
    G is linear decay ``(T − t + 1)/T``. For T = 1 the ``"zero"`` form is the single step 1.
    """
    w, _, _ = _inverse_square_sums(G, last, ("zero", "inclusive"))
    if w.shape[0] == 1:
        return np.ones(1)
    if np.max(G) > 1e50 * np.min(G):
        return _defazio_in_logs(np.asarray(G, dtype=np.float64), last)
    # Σ_{p>t} G_p⁻² summed from the end, so that no digit is lost to Q_T − Q_t.
    tail = np.append(tail_sums(w)[1:], 0.0)
    shape = w * (tail + w if last == "inclusive" else tail)
    return shape / np.max(shape)


def _defazio_in_logs(G, last) -> np.ndarray:
    """defazio_schedule for G spanning over 50 orders of magnitude, where G_t⁻²·Σ G_p⁻²
    over- or underflows in any one unit: the same formula with logarithms (relative
    accuracy about 1e-13 instead of 1e-16), so entries negligible beside the peak are 0."""
    lw = -2.0 * np.log(G)
    later = np.append(np.logaddexp.accumulate(lw[::-1])[::-1][1:], -np.inf)
    log_shape = lw + (np.logaddexp(later, lw) if last == "inclusive" else later)
    return np.exp(log_shape - np.max(log_shape))


def continuous_schedule(G, D=1.0, *, last="zero") -> np.ndarray:
    """Part V's continuous formula η(t) = D G_t⁻² (Q_T − Q_t)/Q_T^{3/2} (docs/math.md §3).

    ``Q_t = Σ_{k≤t} G_k⁻²``. ``last="zero"`` samples Q at t (η_T = 0, bound (C) +∞);
    ``last="midpoint"`` uses Q_{t−½} = Q_{t−1} + G_t⁻²/2, the midpoint rule for the integral
    from t to T, which keeps η_T = D G_T⁻⁴/(2 Q_T^{3/2}) > 0. For constant G the midpoint form
    is the variational η(t − ½) = (D/G)(1 − (t − ½)/T)/√T.
    """
    D = _validation.positive_scalar(D, "D")
    w, Q, e = _inverse_square_sums(G, last, ("zero", "midpoint"))
    tail = np.append(tail_sums(w)[1:], 0.0)
    if last == "midpoint":
        tail = tail + 0.5 * w
    return np.ldexp(D * w * tail / Q[-1] ** 1.5, -e)     # η ∝ D/G: back from G's units
