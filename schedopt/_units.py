"""The one units rule: bound (C) is homogeneous, so every solver and the numpy bound work in
units where D ≈ 1 and G has geometric mean ≈ 1, reached by powers of two (exact).

With η = 2^(d−g)·η', D = 2^d·D' and G = 2^g·G', bound (C) is 2^(d+g) times its value at
(η', D', G') and every constraint on η scales like η (docs/math.md §4.1). ``exponents`` picks
d and g; ``Units`` converts rates and values back. Rates in these units are "in D/G units"
(STYLE.md: a rate is either in D/G units or in the user's LR units).
"""

from __future__ import annotations

import dataclasses

import numpy as np


def exponents(D, G) -> tuple[int, int]:
    """(d, g): the powers of two nearest to D and to the geometric mean of G (> 0)."""
    return (int(np.round(np.log2(D))),
            int(np.round(float(np.mean(np.log2(np.asarray(G, dtype=np.float64)))))))


@dataclasses.dataclass(frozen=True)
class Units:
    """The powers of two that take a problem to unit scale: D = 2**d·D', G = 2**g·G'."""
    d: int
    g: int

    @classmethod
    def of(cls, D, G) -> "Units":
        return cls(*exponents(D, G))

    def eta(self, eta):
        """A schedule (or cap) in the caller's units from the unit one."""
        return np.ldexp(np.asarray(eta, dtype=np.float64), self.d - self.g)

    def to_unit_eta(self, eta):
        """A schedule (or cap) in unit scale from the caller's units."""
        return np.ldexp(eta, self.g - self.d)

    def value(self, value):
        """A bound (or gap) in the caller's units from the unit one."""
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(float(value), self.d + self.g))
