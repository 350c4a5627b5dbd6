r"""Bound (C) with a frozen prefix: the exact O(T) continuation (docs/math.md §4.6).

Let η_1..η_W be fixed and T > W. In tail-sum coordinates (docs/math.md §4.3) with
``S = S_{W+1} = η_{W+1:T}`` and ``q_t = η_{t+1:W}`` (``q_W = 0``), the prefix enters bound
(C) only through

.. math:: \frac{D^2}{2(P + S)} + \frac12 \sum_{t \le W} \frac{G_t^2 η_t^2}{q_t + S},
   \qquad P = η_{1:W},

since every prefix denominator is ``η_{t+1:T} = q_t + S``. The terms after W are the
cost-to-go of docs/math.md §4.4, ``V_{W+1}(S) = ½ J_{W+1} S``, whose minimiser for a given S
is the unconstrained optimum's tail scaled to sum S (the recursion needs only G_{W+1..T}).
So the whole problem is the one-dimensional, strictly convex

.. math:: f(S) = \frac{D^2}{2(P + S)} + \frac12 \sum_{t \le W} \frac{c_t}{q_t + S}
   + \frac12 J_{W+1} S, \qquad c_t = G_t^2 η_t^2 .

``f'`` is increasing and concave on S > 0, from −∞ (the last positive prefix rate, or the
D term when P = 0, has a denominator that vanishes at S = 0) to ½J > 0, so Newton's method
started left of the root climbs monotonically onto it. A bracket [lo, hi] with
``f'(lo) ≤ 0 ≤ f'(hi)`` certifies ``f(S) − min f ≤ |f'(S)|·(hi − lo)`` for S in it
(convexity). With W = 0 the root is ``S = D/√J_1``, the unconstrained optimum of §4.4.

The same function with J = G_{N+1}² (a one-step tail) is the bound that N applied rates
guarantee for θ_{N+1} (docs/math.md §5.1): (C) at horizon N + 1 minimised over the weight
η_{N+1} that is never applied.
"""

from __future__ import annotations

import numpy as np

from schedopt.bounds._tail import Tail            # noqa: F401  (re-exported: the result type)
from schedopt.bounds._tail import minimise_tail


def applied_value(eta, D, G2) -> Tail:
    """Bound (C) of θ_{N+1} after applying η_1..η_N: horizon N + 1, the never-applied weight
    η_{N+1} chosen optimally (docs/math.md §5.1). ``G2`` holds G_1²..G_{N+1}²; ``Tail.S`` is
    that weight."""
    G2 = np.asarray(G2, dtype=np.float64)
    return minimise_tail(eta, D, G2[:-1], G2[-1])
