"""The ``newton`` solver's model: bound (C) with its constraints in tail-sum coordinates
(docs/math.md §4.3), the barrier state and the schedule read back from it. See
``schedopt/solvers/_newton.py`` for the method."""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt._sums import running_sums as _running_sums
from schedopt.solvers import _constraints
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
    monotone: bool
    sigma: float
    value_scale: float             # D²/σ
    rows: _Rows | None             # the linear constraints, None when there are none
    lowest: float = 0.0            # the free rates' floor / σ (0 without one)
    highest: float | None = None   # their cap / σ (None without one)

    @property
    def terms(self) -> int:
        return self.n - 1 + self.head.g.size

    @property
    def slacks(self) -> int:
        return 0 if self.rows is None else self.rows.coef.shape[0]


@dataclasses.dataclass(frozen=True, eq=False)
class _Rows:
    """Linear constraints s_j = offset_j + w0_j·η_{k_j} + w1_j·η_{k_j+1} ≥ 0 (the records'
    ``newton_rows``), in tail sums s_j = Σ_k coef[j,k]·x[cols[j,k]] + offset_j, and their
    places in the interleaved augmented system (each multiplier next to the x it constrains)."""
    anchor: np.ndarray             # (m,) k_j
    w0: np.ndarray                 # (m,)
    w1: np.ndarray                 # (m,) 0 for a bound on one rate, −1 for a monotone link
    offset: np.ndarray             # (m,)
    cols: np.ndarray               # (m, 3) x indices (padding has coef 0)
    coef: np.ndarray               # (m, 3)
    pos_x: np.ndarray              # (n,) position of x_i in the augmented unknowns
    pos_p: np.ndarray              # (m,) position of multiplier j
    width: int                     # half-bandwidth of the augmented matrix
    template: np.ndarray           # its constant entries (the coefficients), in LAPACK gbsv layout

    @property
    def bounds(self) -> np.ndarray:
        """Indices of the rows that bound one rate (a cap or a floor)."""
        return np.flatnonzero(self.w1 == 0)


@dataclasses.dataclass(frozen=True, eq=False)
class _State:
    eta: np.ndarray                # free η̂, length n
    x: np.ndarray                  # tail sums of eta
    slack: np.ndarray              # s_j, moved with the steps (see _advance)
    dual: np.ndarray               # z_j, the slacks' multipliers (centred: s_j z_j = 1)


def _model(problem) -> _Model:
    T = problem.steps
    warmup = _constraints.warmup(problem)
    W = warmup.length
    sigma = problem.D / np.sqrt(np.sum(problem.G2))
    problem = _without_unreachable_cap(problem, sigma)
    g_all = problem.G2 / np.sum(problem.G2)
    prefix = warmup.values / sigma
    # D²/(2 S_1) is the first head term: g = 1, e = 1 (D rescaled), S_1 = x_1 + warm-up sum.
    g, e0, e1, y0, y1 = [np.ones(1)], [np.ones(1)], [np.zeros(1)], [np.zeros(1)], [np.zeros(1)]
    if prefix.size:
        y0[0] += np.sum(prefix)
        after = np.append(_tail_sums(prefix)[1:], 0.0)     # p_{t+1:W}
        keep = prefix > 0                                             # 0/0 terms count as 0
        g.append(g_all[:W][keep]); e0.append(prefix[keep]); e1.append(np.zeros(keep.sum()))
        y0.append(after[keep]); y1.append(np.zeros(keep.sum()))
    elif warmup.ramp:
        t = np.arange(1, W + 1, dtype=np.float64)
        y1[0] += W / 2.0
        g.append(g_all[:W]); e0.append(np.zeros(W)); e1.append(t / (W + 1))
        y0.append(np.zeros(W)); y1.append((W - t) * (W + t + 1) / (2.0 * (W + 1)))
    head = _Head(*(np.concatenate(a) for a in (g, e0, e1, y0, y1)))
    lowest, highest = _constraints.free_bounds(problem)
    n = T - W
    rows = _constraints.newton_rows(problem, n)
    if rows is not None:
        anchor, w0, w1, offset, lead = rows
        rows = _rows(n, anchor, w0, w1, offset / sigma, lead)
    return _Model(n=n, g=g_all[W:], head=head, monotone=_constraints.monotone(problem),
                  sigma=sigma, value_scale=problem.D ** 2 / sigma, rows=rows,
                  lowest=lowest / sigma, highest=None if highest is None else highest / sigma)


def _without_unreachable_cap(problem, sigma):
    """The problem without its cap where max_lr/σ overflows (max_lr = 1e300 with G from 1e100
    down, issue 21): no finite rate in these units reaches it, and its row would be inf."""
    cap = _constraints.find(problem, _constraints.Cap)
    with np.errstate(over="ignore"):
        if cap is None or np.isfinite(cap.value / sigma):
            return problem
    kept = tuple(c for c in problem.constraints if c is not cap)
    return dataclasses.replace(problem, constraints=kept)


def _rows(n: int, anchor, w0, w1, offset, lead) -> _Rows:
    """The rows in tail sums, η_k = x_k − x_{k+1} (x_{n+1} = 0): coefficients (w0, w1 − w0,
    −w1) on (x_k, x_{k+1}, x_{k+2}), so a cap is (−1, 1, 0) and a monotone link (1, −2, 1);
    then each row's place: after its x, or before it for a lead row."""
    cols = np.stack([anchor, anchor + 1, anchor + 2], axis=1)
    coef = np.stack([w0, w1 - w0, -w1], axis=1)
    coef[cols >= n] = 0.0                          # x_{n+1} = 0
    cols = np.minimum(cols, n - 1)
    # Interleave: x_i with its rows after it (lead rows before it); the rows are sorted so.
    before = np.bincount(anchor[lead], minlength=n)
    after = np.bincount(anchor[~lead], minlength=n)
    start = np.append(0, np.cumsum(before + 1 + after)[:-1])     # where x_i's group begins
    pos_x = start + before
    rank = np.arange(anchor.size) - np.searchsorted(anchor, anchor)  # within its group
    pos_p = start[anchor] + rank + (~lead)
    used = coef != 0
    spacing = int(np.max(np.diff(pos_x), initial=2))
    width = int(max(spacing, np.max(np.abs(pos_p[:, None] - pos_x[cols])[used])))
    # gbsv stores A[r, c] at ab[2k + r − c, c] (k extra rows on top for the LU's fill).
    template = np.zeros((3 * width + 1, n + coef.shape[0]))
    r = np.broadcast_to(pos_p[:, None], used.shape)[used]
    c = pos_x[cols][used]
    template[2 * width + r - c, c] = coef[used]
    template[2 * width + c - r, r] = coef[used]
    return _Rows(anchor=anchor, w0=w0, w1=w1, offset=offset, cols=cols, coef=coef,
                 pos_x=pos_x, pos_p=pos_p, width=width, template=template)


def _state(model: _Model, eta: np.ndarray) -> _State:
    x = _tail_sums(eta)
    if model.rows is None:
        return _State(eta=eta, x=x, slack=np.zeros(0), dual=np.zeros(0))
    # From η rather than x, so that no slack starts as a difference of tail sums.
    rows = model.rows
    k = rows.anchor
    slack = rows.offset + rows.w0 * eta[k]
    link = rows.w1 != 0
    slack[link] = eta[k[link]] - eta[k[link] + 1]
    return _State(eta=eta, x=x, slack=slack, dual=1.0 / slack)


def _start(model: _Model) -> _State:
    """Linear decay over the free steps from the variational peak (D/G)/√T (σ = 1 here),
    strictly between the floor and the cap."""
    n = model.n
    eta = np.arange(n, 0, -1, dtype=np.float64) / n
    low, high = model.lowest, model.highest
    if high is not None:
        eta *= min(1.0, 0.9 * (high - low))       # strictly inside every constraint
    if low > 0:
        eta += low
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
    """η consistent with the slacks, each value taken from whichever side is more accurate:
    a rate near its bound from the bound's slack (η = w0·(s − offset)), a monotone schedule
    from the drops between its rates, anchored at the cap or at the last rate."""
    rows = model.rows
    if rows is None:
        return eta, slack
    if not model.monotone:
        return _reconcile_bounds(rows, eta, slack)
    drops = slack[rows.w1 != 0]
    top = np.flatnonzero((rows.w1 == 0) & (rows.w0 < 0))          # the cap on the first rate
    bottom = np.flatnonzero((rows.w1 == 0) & (rows.w0 > 0))       # the floor on the last
    cap = model.highest
    if bottom.size and slack[bottom[0]] < 0.5 * model.lowest:
        # Up from the floor: η_n = min_lr + s.
        eta = (model.lowest + slack[bottom[0]]) + np.append(_tail_sums(drops), 0.0)
        slack = slack.copy()
    else:
        if top.size and slack[top[0]] < 0.5 * cap:  # from the cap down: η_i = max_lr − c − δ_{1:i−1}
            down = (cap - slack[top[0]]) - np.append(0.0, _running_sums(drops))
            # Its rounding, ~1e-13·max_lr, must stay far below the last step.
            if down[-1] > 1e-8 * cap:
                if bottom.size:
                    slack = slack.copy()
                    slack[bottom[0]] = down[-1] - model.lowest
                return down, slack
        eta = eta[-1] + np.append(_tail_sums(drops), 0.0)   # from the last step up: η_n + δ_{i:n−1}
        slack = slack.copy()
        if bottom.size:
            slack[bottom[0]] = eta[-1] - model.lowest
    if top.size and cap - eta[0] > 0:
        slack[top[0]] = cap - eta[0]
    return eta, slack


def _reconcile_bounds(rows: _Rows, eta, slack):
    """Without a monotone chain: each rate near a bound from that bound's slack, every other
    slack from the rates."""
    b = rows.bounds
    k, w0, offset, s = rows.anchor[b], rows.w0[b], rows.offset[b], slack[b]
    near = s < 0.5 * np.abs(offset)
    eta = eta.copy()
    eta[k[near]] = w0[near] * (s[near] - offset[near])
    slack = slack.copy()
    slack[b] = np.where(near, s, offset + w0 * eta[k])
    return eta, slack


def _schedule(problem, model: _Model, state: _State) -> np.ndarray:
    """The full schedule (warm-up included), made exactly feasible."""
    free = model.sigma * state.eta
    if model.monotone:
        free = np.minimum.accumulate(free)
    free = np.maximum(free, 0.0)
    free = _constraints.clip(problem, free)
    return np.concatenate([_constraints.warmup(problem).head(free[0]), free])
