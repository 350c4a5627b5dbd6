r"""Monotone bound (C) without a warm-up: pooled blocks, Newton on the block values, and a
Lagrangian dual bound as the certificate.

**Active set.** Under ``monotone`` (η non-increasing) and an optional cap ``η ≤ max_lr``,
the optimum splits the steps into blocks of equal η: the first may sit at the cap, and every
other block takes the value that is optimal given the others. For a fixed partition the
problem is smooth and unconstrained in the block values, and in the block tail sums
``X_b`` (docs/math.md §4.3, x at each block's first step) its Hessian is tridiagonal: a step
i < n of block b has ``x_i = X_{b+1} + (e_b − i)·v_b`` (e_b one past the block's end),
so each term ½ g η²/x_{i+1} involves X_b and X_{b+1} only. Damped Newton on it costs one
O(T) tridiagonal LDLᵀ solve (LAPACK ``pttrf``) per step. Between solves the partition is
repaired as in pool-adjacent-violators: adjacent blocks out of order (or a first block above
the cap) are merged, and a block is split where a multiplier of its pooling is negative.

**Multipliers.** With ∂f/∂η_i =: q_i, stationarity of
``L = f − Σ μ_i (η_i − η_{i+1}) − ν (max_lr − η_1)`` gives μ_i = ν[b = 1] + Σ_{k=s_b}^{i} q_k
inside block b (0 at its boundaries), and ν = −Σ_{block 1} q when the first block is capped.

**Certificate.** Weak duality: for any μ, ν ≥ 0, min over η ≥ 0 of L ≤ f*. With
``d_i = μ_{i−1} − μ_i + ν[i = 1]``, L = f + Σ d_i η_i − ν·max_lr, whose minimum is the
package's one dual, ``solvers._dual.dual_value`` (a backward recursion in tail sums, on
``solvers._scan``). So ``f(η) − min L`` bounds the distance to the optimum whatever the
partition; it is ~0 when the partition is right. The start point, the exact unconstrained
optimum, comes from the same scan (``_exact.tail_ratios``).

The problem is rescaled to D = 1, ΣG² = 1 as in ``schedopt.solvers._newton``; the result is returned
only when certified within tol, else None (the barrier method takes it); sums: ``_newton_sums``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack

from schedopt.solvers import _constraints
from schedopt.solvers._driver import Budget
from schedopt.solvers._dual import dual_value
from schedopt.solvers._exact import tail_ratios
from schedopt.solvers._newton_sums import bound as _bound
from schedopt.bounds._host import value_grad_tails
from schedopt._sums import tail_sums
from schedopt._result import ScheduleResult

_DECREMENT = 1e-16       # λ² / f below which a reduced solve counts as converged
_MAX_NEWTON = 60         # Newton steps of one reduced solve
_MAX_ROUNDS = 60         # repairs of the partition
_GREEDY_ROUNDS = 6       # of which the first unpool every negative multiplier,
_GREEDY_STEPS = 10       # as long as every reduced solve took at most this many steps
_MAX_PASSES = 8          # vectorised merge passes before sequential pool-adjacent-violators
_SPLIT = 1e-12           # a pooling multiplier below −_SPLIT · Σ|q| of its block unpools
# Relative rounding allowed for in the certificate, times (1024 + n/1024 + 64): the tail sums
# are blocked running sums (relative error ≲ (1024 + n/1024)·ε each), the bound a pairwise
# sum of positive terms (≲ log₂n·ε); checked against 50-digit arithmetic in the tests.
_ROUNDING = np.finfo(np.float64).eps


class _Blocks:
    """A partition of the n free steps into blocks [starts[b], starts[b+1])."""

    def __init__(self, starts: np.ndarray, n: int, capped: bool):
        self.starts = starts
        self.n = n
        self.capped = capped
        self.lengths = np.diff(np.append(starts, n))
        self.ids = np.repeat(np.arange(starts.size), self.lengths)

    @property
    def count(self) -> int:
        return self.starts.size


def _value_and_q(eta: np.ndarray, g: np.ndarray):
    """f̂ (bound (C) rescaled, docs/math.md §2), q = ∂f̂/∂η and the tail sums x, in O(n): the
    package's one numpy bound (C), ``bounds._host``, with D = 1 and G² = g."""
    value, q, x = value_grad_tails(eta, 1.0, g)
    return float(value), q, x


def _block_sums(v: np.ndarray, blocks: _Blocks) -> np.ndarray:
    return np.add.reduceat(v, blocks.starts)


def _newton_direction(v, blocks: _Blocks, g, q, x):
    """Δv of the Newton step on the block values, and λ² = −∇fᵀΔ (None if not PD)."""
    B = blocks.count
    ids, L = blocks.ids[:-1], blocks.lengths
    after = np.append(x[blocks.starts[1:]], 0.0)    # X_{b+1}
    y = x[1:]
    w = g[:-1] / y
    # 1 − ρ·(steps after i in its block) = X_{b+1}/(y·L_b), without the cancellation.
    c0 = np.repeat(after / L, L)[:-1] / y
    c1 = -(np.repeat(v, L)[:-1] / y) - c0
    diag = np.bincount(ids, w * c0 * c0, minlength=B + 1)
    diag[1:] += np.bincount(ids, w * c1 * c1, minlength=B + 1)[:-1]
    off = np.bincount(ids, w * c0 * c1, minlength=B + 1)[:B]
    diag = diag[:B]
    diag[0] += 1.0 / x[0] ** 3                      # the head D²/(2x_1)
    gv = _block_sums(q, blocks)
    gX = gv / L
    gX[1:] -= gv[:-1] / L[:-1]
    first = 0
    if blocks.capped:                               # X_1 = X_2 + L_1·max_lr moves with X_2
        if B == 1:
            return np.zeros(1), 0.0
        diag[1] += diag[0] + 2.0 * off[0]
        gX[1] += gX[0]
        first = 1
    dX = _tridiagonal_solve(diag[first:], off[first:B - 1], -gX[first:])
    if dX is None:
        return None, None
    lam2 = float(-(gX[first:] @ dX))
    full = np.zeros(B + 1)
    full[first:B] = dX
    if first:
        full[0] = full[1]
    return (full[:-1] - full[1:]) / L, lam2


def _tridiagonal_solve(d, e, rhs):
    """Solve with the symmetric tridiagonal (d, e), positive definite, after scaling it to a
    unit diagonal (LAPACK pttrf/pttrs); None when it is not positive definite."""
    if not np.all(d > 0):
        return None
    if d.size == 1:
        return rhs / d
    scale = 1.0 / np.sqrt(d)
    dd, ee, info = lapack.dpttrf(np.ones_like(d), e * scale[:-1] * scale[1:])
    if info != 0:
        return None
    return lapack.dpttrs(dd, ee, rhs * scale)[0] * scale


def _reduced_solve(v, blocks: _Blocks, g, budget: int):
    """Damped Newton on the block values; returns v, f̂, q, x and the steps taken."""
    eta = np.repeat(v, blocks.lengths)
    value, q, x = _value_and_q(eta, g)
    steps = 0
    while steps < budget:
        dv, lam2 = _newton_direction(v, blocks, g, q, x)
        if dv is None or not np.isfinite(lam2):
            break
        steps += 1
        if lam2 <= _DECREMENT * value:
            break
        shrink = dv < 0
        alpha = 1.0
        if np.any(shrink):
            alpha = min(1.0, 0.99 * float(np.min(-v[shrink] / dv[shrink])))
        while alpha > 1e-10:
            trial = v + alpha * dv
            t_value, t_q, t_x = _value_and_q(np.repeat(trial, blocks.lengths), g)
            if t_value <= value - 0.25 * alpha * lam2:
                break
            alpha *= 0.5
        else:
            break                                   # rounding-limited: nothing left to gain
        v, value, q, x = trial, t_value, t_q, t_x
    return v, value, q, x, steps


def _multipliers(q, blocks: _Blocks, g):
    """μ_i of η_i ≥ η_{i+1} (i < n) and ν of the cap, from stationarity (module docstring):
    the package's one set of chain multipliers (``_constraints.chain_multipliers``), pivoted
    on each block's largest g."""
    nu = -float(_block_sums(q, blocks)[0]) if blocks.capped else 0.0
    mu = _constraints.chain_multipliers(q, blocks.ids, blocks.starts, weights=g,
                                        head=nu if blocks.capped else 0.0)
    return mu, nu


def _repair(v, blocks: _Blocks, q, g, cap, greedy: bool):
    """The next partition (None when the KKT conditions hold) and its starting values."""
    mu, nu = _multipliers(q, blocks, g)
    starts, capped = blocks.starts, blocks.capped
    # Greedy rounds unpool every step whose pooling multiplier is negative (the merges
    # re-pool what the next solve still finds out of order); later rounds split each block
    # only at its most negative multiplier, which cannot cycle with the merges but takes a
    # round per doubling of the pieces.
    size = np.add.reduceat(np.abs(q), starts)
    bad = mu < -_SPLIT * size[blocks.ids]
    if not greedy and np.any(bad):
        lowest = np.minimum.reduceat(mu, starts)
        bad &= mu == lowest[blocks.ids]
        at = np.flatnonzero(bad)
        bad[at[np.append(False, blocks.ids[at][1:] == blocks.ids[at][:-1])]] = False
    new_starts = np.flatnonzero(bad) + 1
    if capped and nu < 0:
        capped = False
    vals = v.copy()
    # Merge out-of-order neighbours (and, under a cap, leading blocks above it) until none.
    changed = bool(len(new_starts)) or capped != blocks.capped
    for passes in range(_MAX_PASSES + 1):
        if passes == _MAX_PASSES:
            # A long chain merges one block per pass: finish with sequential PAV instead.
            starts, vals, capped = _pool_adjacent_violators(starts, vals, blocks.n, capped, cap)
            changed = True
            break
        if cap is not None and not capped and vals[0] > cap:
            capped, changed = True, True
        if capped:
            vals[0] = cap
            # Every leading block above the cap joins the capped block at once.
            above = np.flatnonzero(vals[1:] <= cap)
            last = above[0] if above.size else vals.size - 1
            order = np.zeros(vals.size - 1, dtype=bool)
            order[:last] = True
        else:
            order = vals[:-1] < vals[1:]
        order |= vals[:-1] < vals[1:]
        if not np.any(order):
            break
        changed = True
        keep_b = np.append(True, ~order)
        lengths = np.diff(np.append(starts, blocks.n))
        group = np.cumsum(keep_b) - 1
        vals = np.bincount(group, vals * lengths) / np.bincount(group, lengths)
        starts = starts[keep_b]
    if not changed:
        return None
    if len(new_starts):
        merged = _Blocks(starts, blocks.n, capped)
        eta = np.repeat(vals, merged.lengths)
        mark = np.zeros(blocks.n, dtype=bool)
        mark[starts] = True
        mark[new_starts] = True
        starts = np.flatnonzero(mark)
        vals = eta[starts]
    return _Blocks(starts, blocks.n, capped), vals


def _pool_adjacent_violators(starts, vals, n, capped, cap):
    """Pool adjacent violators (non-increasing, weighted by block lengths), with the first
    block held at the cap when capped or once it rises above it: O(blocks) in a Python loop."""
    lengths = np.diff(np.append(starts, n)).tolist()
    out_v, out_w, out_s, fixed = [], [], [], []
    for s, v, w in zip(starts.tolist(), vals.tolist(), lengths):
        held = capped and s == 0
        if held:
            v = cap
        while out_v and out_v[-1] < v or (out_v and len(out_v) == 1 and fixed[0] and v > cap):
            pv, pw, ps, pf = out_v.pop(), out_w.pop(), out_s.pop(), fixed.pop()
            held = held or pf
            v = cap if held else (pv * pw + v * w) / (pw + w)
            w, s = pw + w, ps
        if not out_v and cap is not None and v > cap:
            held, v = True, cap
        for stack, item in ((out_v, v), (out_w, w), (out_s, s), (fixed, held)):
            stack.append(item)
    return np.array(out_s, dtype=starts.dtype), np.array(out_v), bool(fixed[0])


def _certificate(q, blocks: _Blocks, g, cap) -> float:
    """A lower bound on f̂* from the multipliers at the current point, clipped to ≥ 0."""
    mu, nu = _multipliers(q, blocks, g)
    mu = np.maximum(mu, 0.0)
    nu = max(nu, 0.0) if blocks.capped else 0.0
    d = -mu
    d[1:] += mu[:-1]
    d[0] += nu
    return dual_value(g, 1.0, d, -(nu * cap if nu else 0.0))


def _unconstrained(g: np.ndarray) -> np.ndarray:
    """The unconstrained optimum of the rescaled problem: docs/math.md §4.4's ratios r_t − 1
    (``_exact.tail_ratios``), then η ∝ (r_t − 1) S_{t+1}, scaled by its best multiplier
    (docs/math.md §4.1)."""
    if g.size == 1:
        return np.ones(1)
    return _from_ratios(tail_ratios(g)[1], g)


def _from_ratios(r_minus_1: np.ndarray, g: np.ndarray) -> np.ndarray:
    """η from the ratios r_t − 1 (S_t = r_t S_{t+1}, η_t = (r_t − 1) S_{t+1}), at its best
    multiplier."""
    logs = np.append(tail_sums(np.log1p(r_minus_1[1:])), 0.0)     # log S_{t+1}, S_T = 1
    eta = np.append(r_minus_1 * np.exp(logs - logs[0]), math.exp(-logs[0]))
    value, _, x = _value_and_q(eta, g)
    head = 0.5 / x[0]
    return eta * math.sqrt(head / max(value - head, 1e-300))


def solve_pooled(problem, tol: float, max_iter: int | None):
    """Monotone (optionally capped) bound (C) without warm-up; a certified ScheduleResult, or
    None when the partition did not settle within the step budget or could not be certified."""
    budget = Budget.begin(max_iter, 300)
    sigma = problem.D / math.sqrt(float(np.sum(problem.G2)))
    g = problem.G2 / np.sum(problem.G2)
    if not np.min(g) > 0:    # some G_t² underflows beside Σ G²: the barrier method takes it
        return None
    n, max_lr = problem.steps, _constraints.free_bounds(problem)[1]
    cap = None if max_lr is None else max_lr / sigma
    # First the exact unconstrained optimum (every step its own block), whose out-of-order
    # stretches the first repair pools, as pool-adjacent-violators would.
    v = _unconstrained(g)
    blocks = _Blocks(np.arange(n), n, False)
    greedy, before = True, None
    for round_ in range(_MAX_ROUNDS):
        if round_:
            limit = _GREEDY_STEPS + 1 if greedy else _MAX_NEWTON
            v, value, q, x, taken = _reduced_solve(v, blocks, g, min(limit, budget.left()))
        else:                           # the exact optimum needs no Newton step, only q
            (value, q, x), taken = _value_and_q(v, g), 0
        budget.iterations += taken
        if greedy and taken > _GREEDY_STEPS:
            # The greedy repair led somewhere that does not settle quickly (on jumbled G
            # profiles it oscillates): back to the partition before it, and from there on
            # one split per block per round.
            blocks, v, value, q, x = before
            greedy = False
        greedy = greedy and round_ < _GREEDY_ROUNDS
        before = (blocks, v, value, q, x)
        repaired = _repair(v, blocks, q, g, cap, greedy=greedy)
        if repaired is None or budget.spent():
            break
        blocks, v = repaired
    else:
        return None
    if repaired is not None:
        return None
    lower = _certificate(q, blocks, g, cap)
    eta = np.minimum.accumulate(sigma * np.repeat(v, blocks.lengths))
    if max_lr is not None:
        eta = np.minimum(eta, max_lr)
        if blocks.capped:
            eta[:blocks.lengths[0]] = max_lr
    bound = _bound(problem, eta)
    scale = problem.D**2 / sigma
    gap = max(0.0, bound - scale * lower) + _ROUNDING * (1024 + n / 1024 + 64) * bound
    if not gap <= tol * bound:
        return None
    return ScheduleResult(
        eta=eta, bound=bound, method="newton", converged=True, iterations=budget.iterations,
        seconds=budget.seconds(), gap=gap,
        message=(f"certified within tol = {tol:g} (relative) by a Lagrangian dual bound after "
                 f"{budget.iterations} Newton steps on {blocks.count} pooled blocks"))
