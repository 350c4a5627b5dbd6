r"""The one Newton for the 1-D problem behind a frozen prefix and behind applied rates.

With η_1..η_W fixed, bound (C) is, as a function of the remaining tail sum S (docs/math.md
§4.6; ``schedopt.solvers._prefix`` derives it),

.. math:: f(S) = \frac{D^2}{2(P + S)} + \frac12 \sum_{t \le W} \frac{c_t}{q_t + S}
   + \frac12 J S, \qquad c_t = G_t^2 η_t^2,\; P = η_{1:W},\; q_t = η_{t+1:W}.

With J = G_{N+1}² it is the bound that N applied rates guarantee for θ_{N+1}
(docs/math.md §5.1, ``bounds._applied``: S is the never-applied weight w); with J the
cost-to-go J_{W+1} of §4.4 it is the continuation of a frozen prefix (``solvers._prefix``,
``solvers._extend``). This module is the lowest layer that needs it, so both use it from here.

``f'`` is increasing and concave on S > 0, from −∞ to ½J > 0, so Newton's method started left
of the root climbs monotonically onto it. A bracket [lo, hi] with ``f'(lo) ≤ 0 ≤ f'(hi)``
certifies ``f(S) − min f ≤ |f'(S)|·(hi − lo)`` for S in it (convexity).
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
    units u of the rates: S = u·s, η = u·p, f = u·J·f₁(s) with
    f₁ = ½δ²/(P + s) + ½Σ a_t²/(q_t + s) + ½s, δ = D/(u√J), a_t = (G_t/√J)·p_t. Normally
    u = D/√J (δ = 1); rates beyond 2^500 of that raise u to max(η)·2^−500 (δ < 1, the D term
    then weighs little), so p never overflows (applied_bound with η = 1e300, D = 1e-50 took the
    rates to 1e353). The terms are formed from a_t/(q_t + s) without squaring a rate or a sum,
    so rates of 1e±300 neither over- nor underflow (issue 21: ZeroDivisionError, OverflowError
    or no convergence for [1e-300], [1e300])."""

    def __init__(self, prefix, D, G2_prefix, J):
        prefix = np.asarray(prefix, dtype=np.float64)
        keep = prefix > 0                       # 0/0 terms count as 0 (docs/math.md §2)
        root_J = np.sqrt(float(J))
        top = float(np.max(prefix, initial=0.0))
        self.unit = max(float(D) / root_J, float(np.ldexp(top, -500)))
        self.d = float(D) / root_J / self.unit
        self.scale = self.unit * root_J * root_J
        with np.errstate(over="ignore", under="ignore"):
            p = prefix / self.unit
            suffix = tail_sums(p)
            self.P = float(suffix[0]) if prefix.size else 0.0
            self.q = np.append(suffix[1:], 0.0)[keep]
            self.a = (np.sqrt(np.asarray(G2_prefix, dtype=np.float64) / float(J)) * p)[keep]

    def value(self, s):
        d, x = self.d, self.P + s
        with np.errstate(over="ignore", under="ignore"):
            return 0.5 * d / x * d + 0.5 * np.sum(self.a * (self.a / (self.q + s))) + 0.5 * s

    def slope(self, s):
        d, x = self.d, self.P + s
        with np.errstate(over="ignore", under="ignore"):
            return (-0.5 * d / x * d / x
                    - 0.5 * np.sum(np.square(self.a / (self.q + s))) + 0.5)

    def curvature(self, s):
        d, x = self.d, self.P + s
        with np.errstate(over="ignore", under="ignore"):
            return (d / x / x / x * d
                    + np.sum(np.square(self.a / (self.q + s)) / (self.q + s)))

    def start(self):
        """A point at or left of the root: each term alone has its root at δ − P or a_t − q_t,
        and the sum's lies right of every one of them (every term's slope is negative)."""
        s = max(self.d - self.P, float(np.max(self.a - self.q, initial=0.0)))
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
