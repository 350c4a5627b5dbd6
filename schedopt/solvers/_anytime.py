r"""``anytime_schedule``: one schedule that is good at every checkpoint (docs/math.md §5.4).

**Problem.** A checkpoint t_i is a number of applied updates at which the run may stop and
keep θ_{t_i+1}. Its guarantee is bound (C) at horizon t_i + 1 with the never-applied weight
w_i chosen freely (docs/math.md §5.1; ``_prefix.applied_value``); the best any schedule can
do there is OPT_i, the optimum of (C) at horizon t_i + 1 (§4.4). We minimise the worst ratio

.. math:: \max_i f_i(η), \qquad f_i = \min_{w_i > 0} C_{t_i+1}(η_1..η_{t_i}, w_i) / OPT_i,

over η_1..η_n, n = t_K (the last checkpoint). Each f_i is convex (a partial minimum of a
jointly convex function, §4.2), so the problem is convex.

**Coordinates.** A_t = η_{t:n} (A_{n+1} = 0) and y_i = w_i − A_{t_i+1}: checkpoint i's tail
after step t is ``A_{t+1} + y_i`` and its total ``A_1 + y_i``, so each f_i is a sum of
quadratic-over-linear terms in (A_t, A_{t+1}, y_i), tridiagonal in A plus one dense border
column per checkpoint (§4.3).

**Method.** Epigraph barrier ``Φ_τ = τ r − Σ_i log(r − f_i)`` over (A, y, r), damped Newton.
Its Hessian is Σ ω_i ∇²f_i + Σ ω_i² ĝ_i ĝ_iᵀ (ω_i = 1/(r − f_i), ĝ_i = (∇f_i, −1)): a
tridiagonal A-block plus rank K, bordered by the K + 1 variables (y, r). A step is a
tridiagonal LDLᵀ solve (LAPACK pttrf/pttrs, factored once per step) with Woodbury for the
rank-K part and a Schur complement for the border, O(nK), then one round of iterative
refinement. τ grows 30-fold between centrings.

**Certificate.** λ_i = ω_i/Σω is a point of the simplex and ``Σ λ_i f_i(x*) ≤ max f_i(x*)``
(weak duality), while convexity gives ``f_i(x*) ≥ f_i(x) + ∇f_i(x)·(x* − x)``. The optimum x*
lies in a box: with U the worst ratio found, (C) ≥ ½ J_1 S_1 (the noise part alone, §4.4)
gives every checkpoint's total ``A_1 + y_i ≤ 2U·OPT_i/J_1^{(i)}``, and η* ≥ 0 makes A*
non-negative and non-increasing. Minimising the linear lower model over that box gives a
lower bound on the optimal worst ratio; ``gap`` is U minus it. The individual optima give
the trivial lower bound 1. The model is evaluated in (η, w), at x and after Newton steps on
the Lagrangian over the last rates before each checkpoint, where (A, y) lose η to rounding
(``_anytime_bound``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.linalg import solveh_banded
from scipy.linalg.lapack import dpttrf as pttrf, dpttrs as pttrs

from schedopt import _memory
from schedopt import _validation
from schedopt.solvers import _prefix
from schedopt.solvers._checkpoints import _Checkpoints
from schedopt.solvers._driver import Budget
from schedopt.solvers._checkpoints import _pieces
from schedopt.solvers._checkpoints import check_checkpoints
from schedopt._sums import tail_sums
from schedopt.solvers._anytime_bound import polished_bound

# The barrier weight's factor between centrings.
_TAU_GROWTH = 30.0


@dataclasses.dataclass(frozen=True, eq=False)
class AnytimeResult:
    """An anytime schedule and its worst ratio over the checkpoints.

    Attributes:
      eta: η_1..η_n, n the last checkpoint (float64, read-only).
      checkpoints: the checkpoints t_i (numbers of applied updates).
      ratios: bound(t_i)/optimal_bound(t_i) for each checkpoint.
      worst_ratio: max of ``ratios``.
      lower_bound: a certified lower bound on the best achievable worst ratio.
      gap: ``worst_ratio − lower_bound``.
      bounds: bound (C) of θ_{t_i+1} for each checkpoint (best weight, docs/math.md §5.1).
      optimal_bounds: the optimum of (C) at horizon t_i + 1 for each checkpoint.
      converged, iterations, seconds, message: as in ``ScheduleResult``.
    """
    eta: np.ndarray
    checkpoints: tuple
    ratios: np.ndarray
    worst_ratio: float
    lower_bound: float
    gap: float
    bounds: np.ndarray
    optimal_bounds: np.ndarray
    converged: bool
    iterations: int
    seconds: float
    message: str

    def __post_init__(self):
        for name in ("eta", "ratios", "bounds", "optimal_bounds"):
            arr = np.array(getattr(self, name), dtype=np.float64, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)


@dataclasses.dataclass
class _System:
    """The Newton system at one point: f_i, ω_i, gradient and the structured Hessian."""
    f: np.ndarray
    w: np.ndarray
    grad: np.ndarray                    # (A, y, r)
    band: np.ndarray                    # upper banded form of the tridiagonal A-block
    P: np.ndarray                       # n × K, the rank-K part of the A-block
    B: np.ndarray                       # n × (K+1), the border
    C: np.ndarray                       # (K+1) × (K+1), the corner
    gradients: list                     # (∇_A f_i, ∂_{y_i} f_i)


def _system(model, A, y, r, tau):
    parts = [_pieces(model, A, y, i) for i in range(model.K)]
    if any(p is None for p in parts):
        return None
    f = np.array([p[0] for p in parts])
    if np.any(f >= r):
        return None
    n, K = model.n, model.K
    w = 1.0 / (r - f)
    band = np.zeros((2, n))
    P = np.empty((n, K))
    B = np.zeros((n, K + 1))
    C = np.zeros((K + 1, K + 1))
    gA = np.zeros(n)
    gy = np.empty(K)
    for i, (_, a, b, diag, off, col, hy) in enumerate(parts):
        band[1] += w[i] * diag
        band[0, 1:] += w[i] * off
        P[:, i] = w[i] * a
        B[:, i] = w[i] * col + w[i] ** 2 * a * b
        B[:, K] -= w[i] * P[:, i]
        C[i, i] = w[i] * hy + (w[i] * b) ** 2
        C[i, K] = C[K, i] = -w[i] ** 2 * b
        gA += P[:, i]
        gy[i] = w[i] * b
    C[K, K] = np.sum(w**2)
    grad = np.concatenate([gA, gy, [tau - np.sum(w)]])
    return _System(f, w, grad, band, P, B, C, [(p[1], p[2]) for p in parts])


def _matvec(s: _System, v):
    n = s.P.shape[0]
    vA, vz = v[:n], v[n:]
    out_A = s.band[1] * vA
    out_A[:-1] += s.band[0, 1:] * vA[1:]
    out_A[1:] += s.band[0, 1:] * vA[:-1]
    out_A += s.P @ (s.P.T @ vA) + s.B @ vz
    return np.concatenate([out_A, s.B.T @ vA + s.C @ vz])


def _tridiagonal(band):
    """x ↦ T⁻¹x for the tridiagonal block T in upper banded form, factored once (LAPACK's
    pttrf, LDLᵀ); a 1 × 1 block (one rate) is a division."""
    if band.shape[1] == 1:
        return lambda R: R / band[1, 0]
    d, e, info = pttrf(band[1], band[0, 1:])
    if info != 0:                                  # not positive definite in float64
        return lambda R: solveh_banded(band, R, check_finite=False)

    def solve(R):
        x, info = pttrs(d, e, R)
        return x
    return solve


def _solver(s: _System):
    """rhs ↦ H⁻¹ rhs: Woodbury on the A-block, Schur complement on (y, r) (module doc). What
    does not depend on rhs (the factor of T, T⁻¹P, L⁻¹B and the Schur complement) is computed
    once, so the refinement round costs one more tridiagonal solve."""
    n, K = s.P.shape
    T_inv = _tridiagonal(s.band)
    PB = np.empty((n, 2 * K + 1), order="F")        # LAPACK's column order: no copy
    PB[:, :K], PB[:, K:] = s.P, s.B
    TPB = T_inv(PB)
    TP, TB = TPB[:, :K], TPB[:, K:]
    M = np.eye(K) + s.P.T @ TP

    Z = TB - TP @ np.linalg.solve(M, s.P.T @ TB)
    schur = s.C - s.B.T @ Z

    def solve(rhs):
        TR = T_inv(rhs[:n])
        z0 = TR - TP @ np.linalg.solve(M, s.P.T @ TR)
        dz = np.linalg.solve(schur, rhs[n:] - s.B.T @ z0)
        return np.concatenate([z0 - Z @ dz, dz])
    return solve


def _direction(s: _System):
    solve = _solver(s)
    d = solve(-s.grad)
    d += solve(-s.grad - _matvec(s, d))               # one round of iterative refinement
    return d, float(-s.grad @ d)


def _split(model, x):
    n, K = model.n, model.K
    return x[:n], x[n:n + K], x[n + K]


def _change(model, s: _System, x, d, alpha, tau):
    """Φ(x + αd) − Φ(x), term by term (no cancellation in τ·r), or inf off the domain."""
    A, y, r = _split(model, x + alpha * d)
    f = []
    for i in range(model.K):
        v = _pieces(model, A, y, i, derivatives=False)
        if v is None:
            return np.inf
        f.append(v)
    slack = r - np.asarray(f)
    if np.any(slack <= 0):
        return np.inf
    return tau * alpha * d[-1] - np.sum(np.log(slack * s.w))


def _centre(model, x, tau, max_steps):
    """Damped Newton on Φ_τ from x; returns (x, system, steps, decrement²)."""
    steps, lam2 = 0, np.inf
    for steps in range(1, max_steps + 1):
        s = _system(model, *_split(model, x), tau)
        d, lam2 = _direction(s)
        if lam2 < 1e-10:
            return x, s, steps, lam2
        alpha = 1.0
        while True:
            change = _change(model, s, x, d, alpha, tau)
            if change <= -0.25 * alpha * lam2 or (lam2 < 1e-6 and np.isfinite(change)):
                break
            alpha *= 0.5
            if alpha < 1e-12:
                return x, s, steps, lam2
        x = x + alpha * d
    return x, _system(model, *_split(model, x), tau), steps, lam2


def _lower_bound(model, s: _System, x, worst):
    """The certified lower bound of the module doc at multipliers λ = ω/Σω: the best of the
    bounds at x and after Newton steps on the Lagrangian Σ λ_i f_i, all in (η, w) (``_anytime_bound``)."""
    return polished_bound(model, s.w / np.sum(s.w), x, worst)


def _start(model):
    """A start inside the domain: the shape below at the total of the horizon-(t_K + 1)
    optimum, each checkpoint's weight at its best."""
    # An inverse-square-root shape, offset by the first checkpoint: within a small factor of
    # every checkpoint's optimum, where the horizon-t_K optimum is far off at t_1.
    t = np.arange(1, model.n + 1, dtype=np.float64)
    A = tail_sums(1.0 / np.sqrt(t + model.N[0]))
    A = A * (model.D / np.sqrt(model.J[-1]) / A[0])
    nxt = np.append(A[1:], 0.0)
    y = np.empty(model.K)
    for i, N in enumerate(model.N):
        w = _prefix.applied_value(A[:N] - nxt[:N], model.D, model.G2[:N + 1]).S
        y[i] = w - nxt[N - 1]
    return A, y


def anytime_schedule(checkpoints, D=1.0, G=1.0, *, tol=1e-5, max_iter=500) -> AnytimeResult:
    """The schedule minimising the worst ratio bound(t_i)/optimal_bound(t_i) over checkpoints.

    A checkpoint t_i is a number of applied updates; its bound is (C) of θ_{t_i+1}, horizon
    t_i + 1 with the best never-applied weight (docs/math.md §5.1), and its optimal bound
    the optimum of (C) at horizon t_i + 1 (§4.4). The problem is convex (module doc).

    Args:
      checkpoints: increasing numbers of updates t_1 < … < t_K; the schedule has t_K rates.
      D: ‖θ_1 − θ*‖ (> 0).
      G: a scalar, or per step (t_K values, or t_K + 1 with the last weight's).
      tol: the certified gap on the worst ratio to stop at.
      max_iter: the limit on Newton steps.

    Returns:
      An ``AnytimeResult`` with the worst ratio, a certified lower bound on the best
      possible one and the per-checkpoint ratios.
    """
    from schedopt.solvers._extend import extended_G

    points = check_checkpoints(checkpoints)
    # The Newton systems hold a few T×K matrices (issue 21: [10**9] met numpy's allocation
    # error); refused up front by the package's one memory check.
    _memory.check(points[-1], "checkpoints[-1]", 160 + 32 * len(points))
    D = _validation.positive_scalar(D, "D")
    tol = _validation.positive_scalar(tol, "tol")
    budget = Budget.begin(_validation.steps(max_iter, "max_iter"), 500)
    model = _Checkpoints(points, D, extended_G(G, points[-1]))
    A, y = _start(model)
    f0 = np.array([_pieces(model, A, y, i, derivatives=False) for i in range(model.K)])
    x = np.concatenate([A, y, [1.1 * np.max(f0)]])
    tau = model.K / (1e-2 * np.max(f0))
    lower, worst, message = 1.0, np.inf, None
    while not budget.spent():
        x, s, steps, lam2 = _centre(model, x, tau, min(60, budget.left()))
        budget.iterations += steps
        worst = float(np.max(s.f))
        lower = max(lower, _lower_bound(model, s, x, worst))
        if worst - lower <= tol:
            message = f"certified gap {worst - lower:.3g} <= tol = {tol:g}"
            break
        if budget.spent():            # _centre was cut short by the limit, not by rounding
            break
        if lam2 > 1e-6 or model.K / tau < 1e-2 * tol:
            message = (f"stopped at a certified gap of {worst - lower:.3g} > tol = {tol:g}: "
                       "the barrier steps no longer improve it in float64")
            break
        tau *= _TAU_GROWTH
    message = message or f"{budget.why_stopped('Newton steps')} before the certificate met tol"
    return _result(model, x, points, lower, tol, budget, message)


def _result(model, x, points, lower, tol, budget, message):
    A = x[:model.n]
    eta = A - np.append(A[1:], 0.0)
    if np.any(eta < 0):
        message += f"; {int(np.sum(eta < 0))} rates came out negative and were set to 0"
        eta = np.maximum(eta, 0.0)
    bounds = np.array([_prefix.applied_value(eta[:N], model.D, model.G2[:N + 1]).value
                       for N in points])
    ratios = bounds / model.opt
    worst = float(np.max(ratios))
    gap = max(0.0, worst - lower)
    return AnytimeResult(eta=eta, checkpoints=points, ratios=ratios, worst_ratio=worst,
                         lower_bound=lower, gap=gap, bounds=bounds, optimal_bounds=model.opt,
                         converged=gap <= tol, iterations=budget.iterations,
                         seconds=budget.seconds(), message=message)
