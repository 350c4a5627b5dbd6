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

import dataclasses

import numpy as np

from schedopt._sums import tail_sums


@dataclasses.dataclass(frozen=True)
class Tail:
    """The optimal tail sum ``S`` after a frozen prefix, ``value`` = f(S) and
    ``gap`` ≥ f(S) − min f."""
    S: float
    value: float
    gap: float


class _Prefix:
    """f and its first two derivatives for one prefix (the O(W) sums of the module doc), in
    units where D = 1 and J = 1: with u = D/√J, S = u·s and η = u·p, f = D√J·f₁(s),
    and f₁ has D = J = 1 and c_t = a_t², a_t = (G_t/√J)·p_t. The terms are formed from a_t/(q_t + s)
    without squaring a rate or a sum, so rates of 1e±300 neither over- nor underflow
    (issue 21: ZeroDivisionError, OverflowError or no convergence for [1e-300], [1e300])."""

    def __init__(self, prefix, D, G2_prefix, J):
        prefix = np.asarray(prefix, dtype=np.float64)
        keep = prefix > 0                       # 0/0 terms count as 0 (docs/math.md §2)
        self.unit = float(D) / np.sqrt(float(J))
        self.scale = float(D) * np.sqrt(float(J))
        with np.errstate(over="ignore", under="ignore"):
            p = prefix / self.unit
            suffix = tail_sums(p)
            self.P = float(suffix[0]) if prefix.size else 0.0
            self.q = np.append(suffix[1:], 0.0)[keep]
            self.a = (np.sqrt(np.asarray(G2_prefix, dtype=np.float64) / float(J)) * p)[keep]

    def value(self, s):
        with np.errstate(over="ignore", under="ignore"):
            return 0.5 / (self.P + s) + 0.5 * np.sum(self.a * (self.a / (self.q + s))) + 0.5 * s

    def slope(self, s):
        with np.errstate(over="ignore", under="ignore"):
            return (-0.5 / (self.P + s) / (self.P + s)
                    - 0.5 * np.sum(np.square(self.a / (self.q + s))) + 0.5)

    def curvature(self, s):
        with np.errstate(over="ignore", under="ignore"):
            return (1.0 / (self.P + s) / (self.P + s) / (self.P + s)
                    + np.sum(np.square(self.a / (self.q + s)) / (self.q + s)))

    def start(self):
        """A point at or left of the root: each term alone has its root at 1 − P or a_t − q_t,
        and the sum's lies right of every one of them (every term's slope is negative)."""
        s = max(1.0 - self.P, float(np.max(self.a - self.q, initial=0.0)))
        return s if s > 0 else 1.0


def minimise_tail(prefix, D, G2_prefix, J, *, max_iter=200) -> Tail:
    """The minimiser of f (module doc) for ``prefix`` η_1..η_W, their G_t², and J_{W+1}."""
    f = _Prefix(prefix, D, G2_prefix, J)
    S = f.start()
    while f.slope(S) > 0:                       # start left of the root
        S *= 0.5
        if S < 1e-300:
            raise ValueError("the frozen prefix leaves no positive optimal tail sum")
    lo, hi = S, None
    for _ in range(max_iter):
        step = -f.slope(lo) / f.curvature(lo)
        if step <= 2 * np.spacing(lo):          # converged to rounding
            break
        nxt = lo + step
        if f.slope(nxt) > 0:                    # concave slope: only rounding overshoots
            hi = nxt
            break
        lo = nxt
    else:
        raise RuntimeError("the tail-sum Newton iteration did not converge")
    if hi is None:                               # the smallest bracket to the right of lo
        width = np.spacing(lo)
        hi = lo + width
        while f.slope(hi) < 0:
            width *= 2
            hi = lo + width
    S = lo if abs(f.slope(lo)) <= abs(f.slope(hi)) else hi
    gap = abs(f.slope(S)) * (hi - lo)
    return Tail(S=float(S * f.unit), value=float(f.value(S) * f.scale),
                gap=float(gap * f.scale))


def applied_value(eta, D, G2) -> Tail:
    """Bound (C) of θ_{N+1} after applying η_1..η_N: horizon N + 1, the never-applied weight
    η_{N+1} chosen optimally (docs/math.md §5.1). ``G2`` holds G_1²..G_{N+1}²; ``Tail.S`` is
    that weight."""
    G2 = np.asarray(G2, dtype=np.float64)
    return minimise_tail(eta, D, G2[:-1], G2[-1])
