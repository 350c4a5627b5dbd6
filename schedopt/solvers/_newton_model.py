"""The ``newton`` solver's model: bound (C) with its constraints in tail-sum coordinates
(docs/math.md §4.3), the barrier state and the schedule read back from it. See
``schedopt/solvers/_newton.py`` for the method."""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt._sums import running_sums as _running_sums
from schedopt._sums import tail_sums as _tail_sums



@dataclasses.dataclass(frozen=True)
class _Head:
    """Terms ½ g e²/y with e = e0 + e1·η₁ and y = y0 + x₁ + y1·η₁ (η₁ = x₁ − x₂)."""
    g: np.ndarray
    e0: np.ndarray
    e1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class _Model:
    """The rescaled problem: D = 1, Σ G² = 1, η = σ·η̂ and bound (C) = (D²/σ)·f̂."""
    n: int
    g: np.ndarray                  # G² of the free steps, rescaled
    head: _Head
    cap: float | None              # max_lr / σ
    monotone: bool
    sigma: float
    value_scale: float             # D²/σ
    rows: _Rows | None             # the linear constraints, None when there are none

    @property
    def terms(self) -> int:
        return self.n - 1 + self.head.g.size

    @property
    def slacks(self) -> int:
        return 0 if self.rows is None else self.rows.coef.shape[0]


@dataclasses.dataclass(frozen=True, eq=False)
class _Rows:
    """Linear constraints s_j = Σ_k coef[j,k]·x[cols[j,k]] + const_j ≥ 0 and their places in
    the interleaved augmented system (each multiplier next to the x it constrains)."""
    cols: np.ndarray               # (m, 3) x indices (padding has coef 0)
    coef: np.ndarray               # (m, 3)
    pos_x: np.ndarray              # (n,) position of x_i in the augmented unknowns
    pos_p: np.ndarray              # (m,) position of multiplier j
    width: int                     # half-bandwidth of the augmented matrix
    template: np.ndarray           # its constant entries (the coefficients), in LAPACK gbsv layout


@dataclasses.dataclass(frozen=True, eq=False)
class _State:
    eta: np.ndarray                # free η̂, length n
    x: np.ndarray                  # tail sums of eta
    slack: np.ndarray              # s_j, moved with the steps (see _advance)
    dual: np.ndarray               # z_j, the slacks' multipliers (centred: s_j z_j = 1)


def _model(problem) -> _Model:
    W, T = problem.warmup_length, problem.steps
    sigma = problem.D / np.sqrt(np.sum(problem.G2))
    g_all = problem.G2 / np.sum(problem.G2)
    prefix = problem.prefix / sigma
    # D²/(2 S_1) is the first head term: g = 1, e = 1 (D rescaled), S_1 = x_1 + warm-up sum.
    g, e0, e1, y0, y1 = [np.ones(1)], [np.ones(1)], [np.zeros(1)], [np.zeros(1)], [np.zeros(1)]
    if prefix.size:
        y0[0] += np.sum(prefix)
        after = np.append(_tail_sums(prefix)[1:], 0.0)     # p_{t+1:W}
        keep = prefix > 0                                             # 0/0 terms count as 0
        g.append(g_all[:W][keep]); e0.append(prefix[keep]); e1.append(np.zeros(keep.sum()))
        y0.append(after[keep]); y1.append(np.zeros(keep.sum()))
    elif problem.ramp:
        t = np.arange(1, W + 1, dtype=np.float64)
        y1[0] += W / 2.0
        g.append(g_all[:W]); e0.append(np.zeros(W)); e1.append(t / (W + 1))
        y0.append(np.zeros(W)); y1.append((W - t) * (W + t + 1) / (2.0 * (W + 1)))
    head = _Head(*(np.concatenate(a) for a in (g, e0, e1, y0, y1)))
    cap = None if problem.max_lr is None else problem.max_lr / sigma
    n = T - W
    return _Model(n=n, g=g_all[W:], head=head, cap=cap, monotone=problem.monotone,
                  sigma=sigma, value_scale=problem.D ** 2 / sigma,
                  rows=_rows(n, cap is not None, problem.monotone))


def _rows(n: int, capped: bool, monotone: bool) -> _Rows | None:
    """max_lr − η_i = max_lr − x_i + x_{i+1} (every i, or i = 1 only when monotone) and
    η_i − η_{i+1} = x_i − 2x_{i+1} + x_{i+2} (monotone), with x_{n+1} = 0."""
    i = np.arange(n)
    cols, coef = [], []
    if capped:
        k = i[:1] if monotone else i
        cols.append(np.stack([k, k + 1, k], axis=1))
        coef.append(np.stack([-np.ones(k.size), np.ones(k.size), np.zeros(k.size)], axis=1))
    if monotone:
        k = i[:-1]
        cols.append(np.stack([k, k + 1, k + 2], axis=1))
        coef.append(np.tile([1.0, -2.0, 1.0], (k.size, 1)))
    if not cols or sum(c.shape[0] for c in cols) == 0:
        return None
    cols, coef = np.concatenate(cols), np.concatenate(coef)
    coef[cols >= n] = 0.0                          # x_{n+1} = 0
    cols = np.minimum(cols, n - 1)
    # Interleave: x_i, then the constraint that starts at i; a monotone cap goes first.
    first = int(capped and monotone)
    pos_x = first + 2 * i
    pos_p = pos_x[cols[:, 0]] + 1
    if first:
        pos_p[0] = 0
    used = coef != 0
    width = int(max(2, np.max(np.abs(pos_p[:, None] - pos_x[cols])[used])))
    # gbsv stores A[r, c] at ab[2k + r − c, c] (k extra rows on top for the LU's fill).
    template = np.zeros((3 * width + 1, n + coef.shape[0]))
    r = np.broadcast_to(pos_p[:, None], used.shape)[used]
    c = pos_x[cols][used]
    template[2 * width + r - c, c] = coef[used]
    template[2 * width + c - r, r] = coef[used]
    return _Rows(cols=cols, coef=coef, pos_x=pos_x, pos_p=pos_p, width=width,
                 template=template)


def _state(model: _Model, eta: np.ndarray) -> _State:
    x = _tail_sums(eta)
    if model.rows is None:
        return _State(eta=eta, x=x, slack=np.zeros(0), dual=np.zeros(0))
    # From η rather than x, so that no slack starts as a difference of tail sums.
    rows = model.rows
    k = rows.cols[:, 0]
    is_cap = rows.coef[:, 0] == -1.0
    slack = np.where(is_cap, model.cap if model.cap is not None else 0.0, 0.0) - eta[k]
    drop = eta[k[~is_cap]] - eta[k[~is_cap] + 1]
    slack[~is_cap] = drop
    return _State(eta=eta, x=x, slack=slack, dual=1.0 / slack)


def _start(model: _Model) -> _State:
    """Linear decay over the free steps from the variational peak (D/G)/√T (σ = 1 here), below the cap."""
    n = model.n
    eta = np.arange(n, 0, -1, dtype=np.float64) / n
    if model.cap is not None:
        eta *= min(1.0, 0.9 * model.cap)       # strictly inside every constraint
    return _state(model, eta)


def _head_parts(head: _Head, state: _State):
    e = head.e0 + head.e1 * state.eta[0]
    y = head.y0 + state.x[0] + head.y1 * state.eta[0]
    return e, y


def _objective(model: _Model, state: _State) -> float:
    """f̂(x), bound (C) of the rescaled problem."""
    eta, x, g = state.eta, state.x, model.g
    e, y = _head_parts(model.head, state)
    return float(0.5 * np.sum(g[:-1] * eta[:-1] * (eta[:-1] / x[1:]))
                 + 0.5 * g[-1] * x[-1] + 0.5 * np.sum(model.head.g * e * (e / y)))


def _reconcile(model: _Model, eta: np.ndarray, slack: np.ndarray):
    """η consistent with the slacks, each value taken from whichever side is more accurate."""
    if model.rows is None:
        return eta, slack
    cap = model.cap
    if not model.monotone:                      # slack_i = max_lr − η_i
        near = slack < 0.5 * cap
        eta = np.where(near, cap - slack, eta)
        return eta, np.where(near, slack, cap - eta)
    drops = slack[-(model.n - 1):] if model.n > 1 else slack[:0]
    if cap is not None and slack[0] < 0.5 * cap:  # from the cap down: η_i = max_lr − c − δ_{1:i−1}
        down = (cap - slack[0]) - np.append(0.0, _running_sums(drops))
        # Its rounding, ~1e-13·max_lr, must stay far below the last step.
        if down[-1] > 1e-8 * cap:
            return down, slack
    eta = eta[-1] + np.append(_tail_sums(drops), 0.0)   # from the last step up: η_n + δ_{i:n−1}
    if cap is not None and cap - eta[0] > 0:
        slack = slack.copy()
        slack[0] = cap - eta[0]
    return eta, slack


def _schedule(problem, model: _Model, state: _State) -> np.ndarray:
    """The full schedule (warm-up included), made exactly feasible."""
    free = model.sigma * state.eta
    if model.monotone:
        free = np.minimum.accumulate(free)
    free = np.maximum(free, 0.0)
    if problem.max_lr is not None:
        free = np.minimum(free, problem.max_lr)
    if problem.prefix.size:
        head = problem.prefix
    else:
        W = problem.ramp
        head = np.arange(1, W + 1, dtype=np.float64) / (W + 1) * free[0]
    return np.concatenate([head, free])
