r"""The constraints of problem (C) as records, and the one place that lowers them per method.

A ``Problem`` stores its constraints as records only (``Warmup``, ``Cap``, ``Floor``,
``Monotone``). Each record knows its kind (the name ``METHODS`` lists), its summary, how to
put itself in other units, and its share of the form each method needs — as scipy's
``standardize_constraints`` lowers constraint objects in one place:

- ``newton_rows``: its linear rows s = offset + w₀·η_k + w₁·η_{k+1} ≥ 0 over the free steps
  (the barrier method turns them into rows in tail sums, ``_newton_model``);
- ``clip``: how a rounded schedule is made exactly feasible (and a start put inside);
- ``box``: its bounds on the first-order methods' scaled variables (``_firstorder``);
- ``multipliers``: its Lagrange multipliers for the dual certificate (``_certificate``).

Every constraint binds the free steps, the ones after the warm-up. No solver reads a
constraint's value off a ``Problem`` (a test walks the solvers' syntax trees): it asks the
functions below.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import ClassVar

import numpy as np

from schedopt import _validation
from schedopt._sums import running_sums

_ACTIVE = 1e-9          # relative distance at which a bound or a monotone link counts as active


@dataclasses.dataclass(frozen=True, eq=False)
class Warmup:
    """The first ``length`` rates are fixed (``values``) or a linear ramp (``ramp`` steps,
    η_t = t/(W+1)·η_{W+1})."""
    length: int
    values: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    ramp: int = 0
    kind: ClassVar[str] = "warmup"

    @property
    def prefix(self) -> tuple:
        return tuple(float(x) for x in self.values)

    def summary(self) -> dict:
        if self.ramp:
            return {"kind": "warmup", "ramp": self.ramp}
        return {"kind": "warmup", "prefix": list(self.prefix)}

    def scaled(self, rate) -> "Warmup":
        out = rate(self.values)
        if not np.all(np.isfinite(out)):
            raise ValueError("warmup values are out of float64's range relative to D/G: the "
                             "warm-up rates times G/D overflow")
        return dataclasses.replace(self, values=out)

    def ramp_coefficients(self) -> np.ndarray:
        """t/(W+1) for t = 1..W of a linear ramp (empty for fixed values)."""
        return np.arange(1, self.ramp + 1) / (self.ramp + 1.0)

    def head(self, first_free: float) -> np.ndarray:
        """The warm-up's rates given the first free rate."""
        if self.values.size:
            return self.values
        return np.arange(1, self.ramp + 1, dtype=np.float64) / (self.ramp + 1) * first_free


NO_WARMUP = Warmup(0)


@dataclasses.dataclass(frozen=True)
class _Bound:
    """η_t on one side of ``value`` for every free step (or one end of a monotone one)."""
    value: float
    kind: ClassVar[str] = ""
    sign: ClassVar[float] = 0.0        # +1: η ≥ value (a floor), −1: η ≤ value (a cap)

    def summary(self) -> dict:
        return {"kind": self.kind, self.kind: self.value}

    def scaled(self, rate) -> "_Bound":
        out = float(rate(self.value))
        if not (np.isfinite(out) and out > 0):
            raise ValueError(f"{self.kind} = {self.value!r} is out of float64's range "
                             f"relative to D/G")
        return dataclasses.replace(self, value=out)

    def newton_rows(self, n: int, monotone: bool):
        """(anchor, w₀, w₁, offset, lead) of s = offset + w₀η_k ≥ 0: every free step, or under
        a monotone schedule only the end that binds (the first for a cap, the last for a
        floor); a cap's row then goes before its x (``lead``), which keeps the band regular."""
        if monotone:
            k = np.array([0 if self.sign < 0 else n - 1])
        else:
            k = np.arange(n)
        return k, self.sign, 0.0, -self.sign * self.value, bool(monotone and self.sign < 0)

    def box(self, lower, upper, d, monotone: bool):
        """Its bounds on the first-order variables z (η_t = d_t z_t, or the decrements of a
        monotone schedule, whose last one is η_T itself). A cap on a monotone schedule is not
        a box in those coordinates (METHODS says which methods refuse it)."""
        if self.sign > 0:
            if monotone:
                lower[-1] = max(lower[-1], self.value / d[-1])
            else:
                np.maximum(lower, self.value / d, out=lower)
        elif not monotone:
            np.minimum(upper, self.value / d, out=upper)

    def multipliers(self, eta, h, a, monotone: bool) -> float:
        """Adds μ ≥ 0 on its active steps to a (the Lagrangian's linear part on the free
        steps), from the Lagrangian's gradient h so far (the records before it included);
        returns its constant term."""
        if self.sign < 0 and monotone:
            return 0.0                  # the monotone chain's multipliers carry the cap
        m = self.value
        if self.sign < 0:
            mu = np.where(eta >= m * (1.0 - _ACTIVE), np.maximum(0.0, -h), 0.0)
            a += mu
            return -m * float(np.sum(mu))
        active = eta <= m * (1.0 + _ACTIVE)
        if monotone:
            active[:-1] = False
        lam = np.where(active, np.maximum(0.0, h), 0.0)
        a -= lam
        return m * float(np.sum(lam))


@dataclasses.dataclass(frozen=True)
class Cap(_Bound):
    """η_t ≤ ``max_lr`` for every free step."""
    kind: ClassVar[str] = "max_lr"
    sign: ClassVar[float] = -1.0

    @property
    def max_lr(self) -> float:
        return self.value

    def clip(self, eta):
        return np.minimum(eta, self.value)


@dataclasses.dataclass(frozen=True)
class Floor(_Bound):
    """η_t ≥ ``min_lr`` for every free step (the rates after the warm-up)."""
    kind: ClassVar[str] = "min_lr"
    sign: ClassVar[float] = 1.0

    @property
    def min_lr(self) -> float:
        return self.value

    def clip(self, eta):
        return np.maximum(eta, self.value)


@dataclasses.dataclass(frozen=True)
class Monotone:
    """η non-increasing from step ``start`` (the first free step, 1-based) on."""
    start: int
    kind: ClassVar[str] = "monotone"

    def summary(self) -> dict:
        return {"kind": "monotone", "start": self.start}

    def scaled(self, rate) -> "Monotone":
        return self

    def newton_rows(self, n: int, monotone: bool):
        """η_k − η_{k+1} ≥ 0 for k = 1..n−1."""
        return np.arange(n - 1), 1.0, -1.0, 0.0, False

    def clip(self, eta):
        return np.minimum.accumulate(eta)

    def multipliers(self, eta, h, a, monotone: bool) -> float:
        """The chain's multipliers (``chain_multipliers``) over the blocks of equal rates
        (a block restarts after every inactive link), clipped at 0."""
        if eta.size < 2:
            return 0.0
        active = eta[:-1] - eta[1:] <= _ACTIVE * eta[:-1]
        starts = np.flatnonzero(np.concatenate([[True], ~active]))
        ids = np.repeat(np.arange(starts.size), np.diff(np.append(starts, eta.size)))
        nu = np.maximum(chain_multipliers(h, ids, starts)[:-1], 0.0)
        a[:-1] -= nu
        a[1:] += nu
        return 0.0


def chain_multipliers(h, ids, starts, weights=None, head=0.0):
    """μ_i of η_i ≥ η_{i+1} inside blocks of equal rates (block ``ids[i]`` begins at
    ``starts``): stationarity makes μ a running sum of the gradient h from the block's start
    (plus ``head`` in the first block, a cap's multiplier), or equally, the block's h summing
    to 0 there, minus the sum to its end; 0 at block ends and after the last step.

    With ``weights`` (G_t², the curvature of each step's term), the second form is used from
    each block's largest weight on: the residual of the block sum then lands where the
    Lagrangian is most curved, whereas a residual at a step with tiny G moves its minimiser,
    and the dual bound, far (G spanning decades; the pooled Newton's blocks)."""
    forward = running_sums(h)
    mu = forward - np.append(0.0, forward[starts[1:] - 1])[ids]
    mu[ids == 0] += head
    if weights is not None:
        backward = np.append(running_sums(h[::-1])[::-1], 0.0)       # Σ_{k≥i} h_k
        ends = np.append(starts[1:], h.size)
        from_end = -(backward[1:] - backward[ends][ids])             # −Σ_{k=i+1}^{e−1} h_k
        top = np.maximum.reduceat(weights, starts)
        at = np.flatnonzero(weights == top[ids])
        pivot = at[np.append(True, ids[at][1:] != ids[at][:-1])]     # first argmax per block
        after = np.arange(h.size) >= pivot[ids]
        mu[after] = from_end[after]
    mu[starts[1:] - 1] = 0.0                        # block ends: the link is inactive
    mu[-1] = 0.0                                    # no link after the last step
    return mu


# The order in which records are kept, lowered and summarised.
ORDER = (Warmup, Cap, Floor, Monotone)


def records(constraints) -> tuple:
    """The records in the canonical order, one of each kind at most."""
    out = sorted(constraints, key=lambda c: ORDER.index(type(c)))
    kinds = [c.kind for c in out]
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"each constraint kind may appear once, got {kinds}")
    return tuple(out)


def from_arguments(T: int, *, monotone=False, max_lr=None, min_lr=None, warmup=None) -> tuple:
    """``optimal_schedule``'s constraint keywords, validated, as records (T steps)."""
    if not isinstance(monotone, (bool, np.bool_)):
        raise TypeError(f"monotone must be True or False, got {monotone!r}")
    if max_lr is not None:
        max_lr = _validation.positive_scalar(max_lr, "max_lr")
    if min_lr is not None:
        min_lr = _validation.positive_scalar(min_lr, "min_lr")
        if max_lr is not None and not min_lr < max_lr:
            raise ValueError(f"min_lr must be below max_lr, got min_lr = {min_lr!r} and "
                             f"max_lr = {max_lr!r}; lower min_lr or raise max_lr")
    prefix, ramp = np.zeros(0), 0
    if warmup is None:
        pass
    elif isinstance(warmup, numbers.Integral) and not isinstance(warmup, (bool, np.bool_)):
        ramp = int(warmup)
        if ramp < 0:
            raise ValueError(f"warmup must be a number of steps >= 0 or an array of fixed "
                             f"values, got {ramp}")
    else:
        prefix = _validation.schedule(warmup, "warmup")
    W = prefix.shape[0] + ramp
    if W >= T:
        raise ValueError(f"warmup must leave at least one free step: it covers {W} steps "
                         f"but steps = {T}; use a warm-up shorter than {T}")
    if max_lr is not None and prefix.size and np.max(prefix) > max_lr:
        i = int(np.argmax(prefix))
        raise ValueError(f"warmup must not exceed max_lr = {max_lr!r}, but warmup[{i}] = "
                         f"{prefix[i]!r}; lower the warm-up or raise max_lr")
    out = [Warmup(W, prefix, ramp)] if W else []
    out += [Cap(max_lr)] if max_lr is not None else []
    out += [Floor(min_lr)] if min_lr is not None else []
    out += [Monotone(W + 1)] if monotone else []
    return records(out)


def kinds(problem) -> frozenset:
    return frozenset(c.kind for c in problem.constraints)


def find(problem, kind):
    """The record of that kind, or None."""
    for c in problem.constraints:
        if isinstance(c, kind):
            return c
    return None


def warmup(problem) -> Warmup:
    return find(problem, Warmup) or NO_WARMUP


def monotone(problem) -> bool:
    return find(problem, Monotone) is not None


def free_bounds(problem) -> tuple[float, float | None]:
    """(lowest, highest) allowed free rate: the floor (0 without one) and the cap (None)."""
    cap, floor = find(problem, Cap), find(problem, Floor)
    return (0.0 if floor is None else floor.value), (None if cap is None else cap.value)


def bounds_of(problem) -> tuple:
    """The Cap and Floor records, in that order."""
    return tuple(c for c in problem.constraints if isinstance(c, _Bound))


def clip(problem, free):
    """The free rates made exactly feasible: non-increasing, then within the bounds."""
    for c in problem.constraints:
        if isinstance(c, Monotone):
            free = c.clip(free)
    for c in bounds_of(problem):
        free = c.clip(free)
    return free


def feasible(problem, eta):
    """A whole schedule (warm-up included) with its free part clipped by ``clip``: a solver's
    rounding of an exactly feasible point (d·z, tail sums) undone."""
    F = warmup(problem).length
    return np.concatenate([eta[:F], clip(problem, eta[F:])])


def scaled(constraints, rate) -> tuple:
    """The records with every rate mapped by ``rate`` (a change of units)."""
    return tuple(c.scaled(rate) for c in constraints)


def first_order_box(problem, d, guard: float):
    """(lower, upper) on the first-order variables z of the free steps: 0 ≤ z, with η_T's
    safeguard ``guard`` below the last, then each bound record's share."""
    n = d.shape[0]
    lower = np.zeros(n)
    lower[-1] = guard
    upper = np.full(n, np.inf)
    mono = monotone(problem)
    for c in bounds_of(problem):
        c.box(lower, upper, d, mono)
    return lower, upper


def newton_rows(problem, n: int):
    """Every record's rows for the barrier method: (anchor, w₀, w₁, offset, lead) arrays, in
    the order the band interleaves them, or None when there are none."""
    mono = monotone(problem)
    parts = [c.newton_rows(n, mono) for c in problem.constraints if hasattr(c, "newton_rows")]
    parts = [p for p in parts if p[0].size]
    if not parts:
        return None
    anchor = np.concatenate([p[0] for p in parts])
    w0 = np.concatenate([np.full(p[0].size, p[1]) for p in parts])
    w1 = np.concatenate([np.full(p[0].size, p[2]) for p in parts])
    offset = np.concatenate([np.full(p[0].size, p[3]) for p in parts])
    lead = np.concatenate([np.full(p[0].size, p[4]) for p in parts])
    # Sorted as the band places them: lead rows before their x, the others after it.
    order = np.lexsort((np.arange(anchor.size), ~lead, anchor))
    return anchor[order], w0[order], w1[order], offset[order], lead[order]


def multipliers(problem, eta: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
    """(a, c) of the Lagrangian (C)(η) + aᵀη + c from the gradient g at eta (the KKT
    multipliers of every record; ``_certificate``'s module docstring)."""
    T = eta.shape[0]
    w = warmup(problem)
    P, W = w.values.shape[0], w.ramp
    F = P + W
    a = np.zeros(T)
    constant = 0.0
    h = g.copy()                 # the Lagrangian's gradient so far on the free values
    if P:
        a[:P] = -g[:P]
        constant += float(np.dot(g[:P], w.values))
    if W:
        c = w.ramp_coefficients()
        a[P:F] = -g[P:F]
        a[F] += float(np.dot(c, g[P:F]))
        h[F] += float(np.dot(c, g[P:F]))
    mono = monotone(problem)
    free = eta[F:]
    for kind in (Cap, Monotone, Floor):
        c = find(problem, kind)
        if c is not None:
            before = a[F:].copy()
            constant += c.multipliers(free, h[F:], a[F:], mono)
            h[F:] += a[F:] - before     # the next record sees the Lagrangian's gradient
    return a, constant
