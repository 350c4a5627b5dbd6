r"""``method="newton"``: bound (C) under linear constraints by a path-following barrier method.

Monotone problems without a warm-up (``optimal_optax_schedule``'s default among them) are
first given to ``schedopt.solvers._newton_pool``: Newton on pooled blocks, certified by a Lagrangian
dual bound, O(T) per step without the augmented system below. The barrier method solves
everything else, and those problems too when the pooled answer is not certified within tol.

**Coordinates.** Let W be the warm-up length, n = T − W the number of free steps, and
``x_i = S_{W+i} = η_{W+i:T}`` the tail sums of the free part (docs/math.md §4.3; ``x_{n+1} = 0``).
Bound (C) is a sum of quadratic-over-linear terms ``½ g e²/y``:

* for i < n, ``½ G_{W+i}² (x_i − x_{i+1})²/x_{i+1}`` (e = η_{W+i}, y = x_{i+1});
* ``½ G_T² x_n``, linear;
* the *head*: ``D²/(2S_1)`` and the warm-up terms t ≤ W. A fixed prefix p only shifts the tail
  sums, ``S_{t+1} = x_1 + p_{t+1:W}``; a linear ramp η_t = t/(W+1)·η_{W+1} gives
  ``e = t/(W+1)·η_{W+1}`` and ``S_{t+1} = x_1 + (W−t)(W+t+1)/(2(W+1))·η_{W+1}``. Every head
  term is affine in (η_{W+1}, x_1) = (x_1 − x_2, x_1).

The constraints ``η_{W+i} ≤ max_lr`` and, with ``monotone``, ``η_{W+i} ≥ η_{W+i+1}`` are linear
in x. ``η ≥ 0`` needs no constraint: ∂(C)/∂η_t < 0 wherever η_t ≤ 0, so the optimum over the
larger domain {every denominator y > 0} is the same and has η > 0.

**Barrier.** Each term is the rotated second-order cone ``u·y ≥ e²`` with objective ½ g u;
minimising ``τ·½ g u − log(u y − e²)`` over u gives ``τ·½ g e²/y − log y + const``. The
function minimised for a barrier parameter τ is therefore

.. math:: F_τ(x) = τ f(x) − \sum_{\text{terms}} \log y − \sum_j \log s_j(x),

with s_j the slacks of the linear constraints. It is the partial minimum of a
ν-self-concordant barrier problem with a linear objective, ν = 2K + m (K terms, m slacks),
so F_τ is self-concordant and damped Newton on it converges from any start.

**Newton system.** Each term's Hessian is rank one, ``(g/y)·v vᵀ`` with v = (1, −(1+e/y)) on
(x_i, x_{i+1}), so with the −log y terms the Hessian H₀ of τf − Σ log y is tridiagonal and
positive definite: unconstrained (or warm-up only), a Newton step is one O(T) Cholesky solve
(LAPACK ``pttrf``/``pbsv`` through ``solveh_banded``). A slack adds ``a aᵀ/s²`` with
a = e_i − e_{i+1} (cap) or e_i − 2e_{i+1} + e_{i+2} (monotone), which cannot be added into H₀
in floating point: an active slack's weight is ~τ², and second differences of tail sums are
~T⁻² of the tail sums, so rounding of the largest weights swamps H₀ (Cholesky breaks down at
T ≈ 10⁴). The slacks are instead treated primal–dual, with multipliers z (centred at
s·z = 1), and the step solves the augmented system

.. math::
    \begin{pmatrix} H_0 & A^T \\ A & -S/Z \end{pmatrix}
    \begin{pmatrix} Δx \\ p \end{pmatrix} = \begin{pmatrix} -∇F_τ \\ 0 \end{pmatrix},
    \quad Δs = (S/Z)\,p,\quad Δz = (1 − s z)/s − p,

banded (half-width 2 or 3) once every multiplier sits next to its x, by LAPACK ``gbtrf``/
``gbtrs`` with partial pivoting after symmetric equilibration, plus two steps of iterative
refinement (without them the solve can lose all accuracy late on the path). A centring is
only claimed when λ² = −∇F·Δx agrees with ΔxᵀHΔx summed as squares. Δs comes from p, not from differences of Δx, and η is rebuilt from the slacks
after each step (``_reconcile``), so an active constraint's slack (~1/τ) is never the
difference of two nearly equal numbers. When τ grows, z grows with it (the true multiplier z/τ
stays put), which lets an active slack shrink by the same factor in one step.

**Certificate.** If the Newton decrement λ = ‖∇F_τ(x)‖*_x is ≤ β < 1, then for the linear
lifted objective ``c·w − c* ≤ (ν + (β + √ν)β/(1−β))/τ`` (Nesterov, *Introductory Lectures on
Convex Optimization*, Thm 4.2.7). At the partial minimum ``c·w = f(x) + K/τ``, hence

.. math:: f(x) − f^* ≤ \bigl(K + m + (β + \sqrt{ν})β/(1−β)\bigr)/τ,

the ``gap`` reported, plus any increase of the bound from the final rounding to an exactly
feasible schedule. With slacks the step's metric is H₀ + Aᵀ(Z/S)A rather than the primal
H₀ + AᵀS⁻²A; the decrement is multiplied by √max(1, max s·z), which bounds it in the primal
metric. The certificate holds in exact arithmetic; bound (C) itself is evaluated with
blocked running sums, whose rounding stays ~10⁻¹³ relative at T = 10⁶.

**Path.** Start from linear decay at the variational peak (scaled under the cap) with
τ such that ν/τ is 10⁻³ of the bound; centre (λ ≤ 1/4) with Newton steps and a backtracking
line search on F_τ whose differences are computed term by term (no cancellation in τ·f even
at τ ~ 10²⁰); multiply τ by 10²…10⁶ (faster while centring takes one or two steps) until the
certificate, evaluated whenever λ < 0.9, is below tol/2 · f(x). Where even those differences
drown in rounding (active slacks at τ ~ 10²²), damped steps 1/(1+λ) on the primal direction
take over until the next centring. Those alone take ~λ steps, and λ after the last increase
of τ grows with T (~400 at 10⁶), so each is first tried longer (the full step, shortened 4×
after each failure): progress is then measured by the next Newton decrement, which rounding
does not swamp, and a trial that does not cut λ² by 10 % is undone in favour of the damped
step. The certificate needs only the decrement at the point it is claimed for, so it is
unaffected. The problem is first rescaled to D = 1, ΣG² = 1 so that no value over- or
underflows. Measured (monotone + max_lr = half the unconstrained peak): 50 Newton steps at
T = 10⁵, 54 at 3·10⁵, 74 at 10⁶ (without the trials: 54, 117, and 300 without meeting tol);
14–17 unconstrained for T = 1…10⁶.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from scipy import linalg

from schedopt.solvers._newton_pool import solve_pooled
from schedopt.solvers._newton_sums import bound as _bound
from schedopt.solvers._newton_sums import running_sums as _running_sums
from schedopt.solvers._newton_sums import tail_sums as _tail_sums
from schedopt._result import ScheduleResult
from schedopt._threads import single_blas_thread

_CENTRED = 0.25        # Newton decrement at which a point counts as centred
_CERTIFIABLE = 0.9     # Newton decrement below which the certificate is evaluated
_GROWTH = (100.0, 1000.0, 1e6)  # least, first and largest factor on τ between centrings
_START_SHARE = 1e-3    # ν/τ as a fraction of f at the start
_ARMIJO = 0.1          # sufficient-decrease fraction of the line search
_BOUNDARY = 0.99       # fraction of the step to the boundary of the domain
_MAX_ITER = 300
_REFINE = 2            # steps of iterative refinement of the augmented solve
_TRIAL_CUT = 0.9       # factor on λ² that a trial step of the damped phase must achieve


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
        after = np.append(np.cumsum(prefix[::-1])[::-1][1:], 0.0)     # p_{t+1:W}
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


def _add_head(model: _Model, state: _State, gf, hf, gb, hb):
    """Gradient and Hessian of the head terms, in (η₁, x₁) and then in (x₁, x₂)."""
    h = model.head
    e, y = _head_parts(h, state)
    rho = e / y
    # ½ g e²/y: ∂e = gρ, ∂y = −½gρ²; Hessian (g/y)·w wᵀ, w = (1, −ρ) in (e, y) pulled back
    # to (η₁, x₁) through e = e0 + e1·η₁, y = y0 + x₁ + y1·η₁.
    f_grad = np.array([np.sum(h.g * rho * h.e1 - 0.5 * h.g * rho**2 * h.y1),
                       np.sum(-0.5 * h.g * rho**2)])
    w = np.stack([h.e1 - rho * h.y1, -rho])
    f_hess = (w * (h.g / y)) @ w.T
    v = np.stack([h.y1, np.ones_like(h.y1)])
    b_grad = -np.sum(v / y, axis=1)
    b_hess = (v / y**2) @ v.T
    pieces = (f_hess, b_hess)
    for grad, band, g2, h2 in ((gf, hf, f_grad, f_hess), (gb, hb, b_grad, b_hess)):
        # (η₁, x₁) = (x₁ − x₂, x₁): pull back by J = [[1, −1], [1, 0]].
        grad[0] += g2[0] + g2[1]
        band[0, 0] += h2[0, 0] + 2.0 * h2[0, 1] + h2[1, 1]
        if model.n > 1:
            grad[1] -= g2[0]
            band[1, 0] -= h2[0, 0] + h2[0, 1]
            band[0, 1] += h2[0, 0]
    return pieces


def _add_slacks(model: _Model, state: _State, gb):
    """Gradient of −Σ log s_j; its Hessian Σ a_j a_jᵀ/s_j² is kept out of the band (_direction)."""
    rows = model.rows
    gb -= np.bincount(rows.cols.ravel(), weights=(rows.coef / state.slack[:, None]).ravel(),
                      minlength=model.n)


def _assemble(model: _Model, state: _State):
    """∇f, ∇²f and the barrier's ∇Φ, ∇²Φ at x (Hessians as lower bands, row k = k-th diagonal)."""
    n, g = model.n, model.g
    gf, gb = np.zeros(n), np.zeros(n)
    hf, hb = np.zeros((2, n)), np.zeros((2, n))
    # Terms i < n, ½ g_i η_i²/x_{i+1}: ∂x_i = gρ, ∂x_{i+1} = −g(ρ + ρ²/2), Hessian (g/y) v vᵀ
    # with v = (1, −(1+ρ)); the cone barrier −log x_{i+1} adds 1/x_{i+1}² on the diagonal.
    inv_y = 1.0 / state.x[1:]
    rho = state.eta[:-1] * inv_y
    w = g[:-1] * inv_y
    grho = g[:-1] * rho
    gf[:-1] = grho
    gf[1:] -= grho * (1.0 + 0.5 * rho)
    gf[-1] += 0.5 * g[-1]
    rho += 1.0                                  # now 1 + ρ
    w_rho = w * rho
    hf[0, :-1] = w
    hf[0, 1:] += w_rho * rho
    hf[1, :-1] = -w_rho
    gb[1:] = -inv_y
    hb[0, 1:] = inv_y * inv_y
    head = _add_head(model, state, gf, hf, gb, hb)
    if model.rows is not None:
        _add_slacks(model, state, gb)
    return gf, hf, gb, hb, (w, rho, inv_y, head)


def _solve_band(band, rhs):
    """Solve with a symmetric positive definite band matrix (lower form)."""
    if rhs.size == 1:
        if not band[0, 0] > 0:
            raise linalg.LinAlgError("the 1x1 Newton system is not positive definite")
        return rhs / band[0, 0]
    # LAPACK pttrf/pttrs (tridiagonal LDLᵀ) directly: solveh_banded's checks and copies
    # cost as much as the factorisation at T = 10⁶.
    d, e, info = linalg.lapack.dpttrf(band[0], band[1, :-1])
    if info != 0:
        raise linalg.LinAlgError(f"the Newton system is not positive definite (pttrf info {info})")
    x, info = linalg.lapack.dpttrs(d, e, rhs)
    if info != 0:
        raise linalg.LinAlgError(f"the Newton solve failed (pttrs info {info})")
    return x


def _direction(model: _Model, state: _State, system, tau):
    """The step Δx, λ² = −∇F_τ·Δx and the slacks' and multipliers' steps Δs, Δz.

    Without linear constraints the Hessian is tridiagonal: one Cholesky solve. With them the
    slacks get primal–dual treatment (multipliers z, centred at s·z = 1), so that an active
    slack can shrink by the same factor as 1/τ in one step, and the step solves the
    augmented system

        [ H₀    Aᵀ  ] [Δx]   [−∇F_τ]
        [ A   −S/Z  ] [ p] = [  0  ],   Δs = A Δx = (S/Z) p,   Δz = (1 − s z)/s − p,

    banded once each multiplier sits next to its x (LAPACK gbsv, with pivoting). Forming
    H₀ + Aᵀ(Z/S)A instead would lose everything below the rounding of its largest weight
    (an active constraint, or the 1/δ² of second differences, ~T⁴ times the tail sums').
    """
    gf, hf, gb, hb, pieces = system
    grad = tau * gf
    grad += gb
    band = tau * hf
    band += hb
    rows = model.rows
    if rows is None:
        dx = _solve_band(band, -grad)
        return dx, _checked(float(-grad @ dx), _curvature(pieces, tau, dx)), \
            np.zeros(0), np.zeros(0)
    k = rows.width
    ab = rows.template.copy()
    px = slice(rows.pos_x[0], None, 2)              # x_i sits at every other place
    ab[2 * k, px] = band[0]
    if model.n > 1:
        ab[2 * k + 2, rows.pos_x[:-1]] = band[1, :-1]  # below the diagonal
        ab[2 * k - 2, rows.pos_x[1:]] = band[1, :-1]   # above
    s, z = state.slack, state.dual
    ab[2 * k, rows.pos_p] = -s / z
    # Equilibrate symmetrically (x by 1/√H₀ᵢᵢ, each multiplier by the inverse of its largest
    # scaled coefficient): partial pivoting then compares like with like, although H₀ spans
    # ~10²⁰ and S/Z goes down to ~10⁻³⁰ near the end.
    if not np.all(band[0] > 0):
        raise linalg.LinAlgError("the Newton system lost positive definiteness to rounding")
    size = ab.shape[1]
    d = np.empty(size)
    d[px] = 1.0 / np.sqrt(band[0])
    d[rows.pos_p] = 1.0 / np.max(np.abs(rows.coef) * d[rows.pos_x[rows.cols]], axis=1)
    for offset in range(-k, k + 1):                 # ab[2k + r − c, c] holds A[r, c]
        lo, hi = max(0, -offset), size - max(0, offset)
        ab[2 * k + offset, lo:hi] *= d[lo + offset:hi + offset] * d[lo:hi]
    rhs = np.zeros(size)
    rhs[px] = -grad
    rhs *= d
    matrix = ab[k:].copy()
    lu, piv, info = linalg.lapack.dgbtrf(ab, k, k, overwrite_ab=True)
    if info != 0:
        raise linalg.LinAlgError(f"the augmented Newton system is singular (gbtrf info {info})")
    sol, _ = linalg.lapack.dgbtrs(lu, k, k, rhs, piv)
    for _ in range(_REFINE):                        # iterative refinement on the residual
        residual = rhs - _band_product(matrix, k, sol)
        sol += linalg.lapack.dgbtrs(lu, k, k, residual, piv)[0]
    sol *= d
    dx, p = sol[px], sol[rows.pos_p]
    d_slack = (s / z) * p
    # λ² two ways: −∇F·Δx, and Δxᵀ(H₀ + Aᵀ(Z/S)A)Δx as a sum of squares. They agree for an
    # accurate solve; a disagreement means rounding has taken over, and no centring is claimed.
    curvature = _curvature(pieces, tau, dx) + float(np.sum(d_slack * p))
    return dx, _checked(float(-grad @ dx), curvature), d_slack, (1.0 - s * z) / s - p


def _checked(lam2: float, curvature: float) -> float:
    """λ² from −∇F·Δx and from ΔxᵀHΔx (a sum of squares), which agree for an accurate solve.

    Returns the larger plus their difference, so that the centring test (λ² ≤ 1/16) errs on
    the safe side, or NaN when they disagree by more than that test could absorb: rounding
    has then taken over the step.
    """
    spread = abs(lam2 - curvature)
    if max(lam2, curvature) > 1.0 or spread <= 0.01 * max(lam2, curvature) + 0.01:
        return max(lam2, curvature) + spread        # far from centred, or close agreement
    return float("nan")


def _band_product(matrix, k, v):
    """A v for A in general band storage (matrix[k + r − c, c] = A[r, c])."""
    out = np.zeros_like(v)
    size = v.size
    for offset in range(-k, k + 1):
        lo, hi = max(0, -offset), size - max(0, offset)
        out[lo + offset:hi + offset] += matrix[k + offset, lo:hi] * v[lo:hi]
    return out


def _curvature(pieces, tau, dx) -> float:
    """Δxᵀ H₀ Δx as the sum of squares it is: τ·(g/y)(Δx_i − (1+ρ)Δx_{i+1})², the cone
    barriers' (Δx_{i+1}/x_{i+1})² and the head's 2×2 forms (H₀ itself has x as a near-null
    direction, so H₀Δx would cancel)."""
    w, one_rho, inv_y, (f_head, b_head) = pieces
    main = tau * np.sum(w * np.square(dx[:-1] - one_rho * dx[1:]))
    cones = np.sum(np.square(dx[1:] * inv_y))
    v = np.array([dx[0] - (dx[1] if dx.size > 1 else 0.0), dx[0]])     # (Δη₁, Δx₁)
    return float(main + cones + tau * (v @ f_head @ v) + v @ b_head @ v)


def _differences(model: _Model, state: _State, dx: np.ndarray):
    """dη and the head terms' (y, dy) along the step dx."""
    d_eta = np.append(dx[:-1] - dx[1:], dx[-1])
    h = model.head
    head_y = h.y0 + state.x[0] + h.y1 * state.eta[0]
    head_dy = dx[0] + h.y1 * d_eta[0]
    return d_eta, head_y, head_dy


def _max_step(state: _State, dx, d_slack, head_y, head_dy) -> float:
    """Largest α keeping every denominator and slack positive."""
    limit = np.inf
    for s, ds in ((state.x[1:], dx[1:]), (head_y, head_dy), (state.slack, d_slack)):
        shrinking = ds < 0
        if np.any(shrinking):
            limit = min(limit, float(np.min(-s[shrinking] / ds[shrinking])))
    return limit


def _change(model, state, tau, alpha, dx, d_slack, d_eta, head_y, head_dy) -> float:
    """F_τ(x + αΔx) − F_τ(x), term by term so that τ·f's size does not swamp the difference."""
    def quad(g, e, de, y, dy):
        # ½g[(e+α de)²/(y+α dy) − e²/y] over a common denominator.
        return 0.5 * np.sum(g * alpha * (e * (2.0 * de * y - e * dy) + alpha * de * de * y)
                            / (y * (y + alpha * dy)))

    h = model.head
    head_e = h.e0 + h.e1 * state.eta[0]
    df = (quad(model.g[:-1], state.eta[:-1], d_eta[:-1], state.x[1:], dx[1:])
          + 0.5 * model.g[-1] * alpha * dx[-1]
          + quad(h.g, head_e, h.e1 * d_eta[0], head_y, head_dy))
    dphi = -(np.sum(np.log1p(alpha * dx[1:] / state.x[1:]))
             + np.sum(np.log1p(alpha * head_dy / head_y))
             + np.sum(np.log1p(alpha * d_slack / state.slack)))
    return float(tau * df + dphi)


def _advance(model, state: _State, alpha, d_eta, d_slack, beta, d_dual) -> _State:
    # Slacks move with the step (Δs = (S/Z)p) rather than being recomputed from η, so an
    # active constraint's slack (~1/τ) is never a difference of two nearly equal numbers;
    # η is then rebuilt from them so that the two never drift apart.
    eta, slack = _reconcile(model, state.eta + alpha * d_eta, state.slack + alpha * d_slack)
    return _State(eta=eta, x=_tail_sums(eta), slack=slack,
                  dual=state.dual + beta * d_dual)


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


def _dual_step(state: _State, d_dual) -> float:
    shrinking = d_dual < 0
    if not np.any(shrinking):
        return 1.0
    return min(1.0, _BOUNDARY * float(np.min(-state.dual[shrinking] / d_dual[shrinking])))


def _certificate(model: _Model, tau: float, lam: float) -> float:
    """Upper bound on f̂(x) − f̂* at a point with Newton decrement lam < 1 (module docstring)."""
    nu = 2.0 * model.terms + model.slacks
    return (model.terms + model.slacks
            + (lam + np.sqrt(nu)) * lam / (1.0 - lam)) / tau


def _initial_tau(model: _Model, state: _State) -> float:
    """τ at which the barrier's share ν/τ is ``_START_SHARE`` of the bound at the start.

    The start (linear decay at the variational scale) is within a few per cent of optimal,
    so it lies near the central path only where the barrier perturbs f by less than that.
    """
    nu = 2.0 * model.terms + model.slacks
    return nu / (_START_SHARE * _objective(model, state))


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


def solve(problem, tol: float, max_iter: int | None) -> ScheduleResult:
    """Minimise bound (C) under ``problem``'s constraints; ``gap`` is the certificate above.

    Monotone problems without a warm-up go first to the pooled-block Newton method with a
    Lagrangian dual certificate (``schedopt.solvers._newton_pool``); this barrier method takes over
    where that one does not certify its answer.
    """
    with single_blas_thread():
        if problem.monotone and problem.warmup_length == 0:
            pooled = solve_pooled(problem, tol, max_iter)
            if pooled is not None:
                return pooled
        return _barrier(problem, tol, max_iter)


def _barrier(problem, tol: float, max_iter: int | None) -> ScheduleResult:
    """The path-following barrier method of the module docstring."""
    start = time.perf_counter()
    max_iter = _MAX_ITER if max_iter is None else max_iter
    model = _model(problem)
    state = _start(model)
    tau = _initial_tau(model, state)
    best = None                        # (state, certificate) with the smallest certificate
    message = None
    least, growth, most = _GROWTH
    steps_since_centred = 0
    rescale = 1.0
    damped = False                     # line search given up on until the next centring
    trial = None                       # (state, λ², safe step) before an unsafe damped-phase step
    reach = 1.0                        # the damped phase's trial step, a fraction of the full one
    for iteration in range(1, max_iter + 1):
        steps_since_centred += 1
        if damped:
            # The primal Newton step (z = 1/s), for which the damped step is safe.
            state = dataclasses.replace(state, dual=1.0 / state.slack)
        system = _assemble(model, state)
        try:
            dx, lam2, d_slack, d_dual = _direction(model, state, system, tau)
            failure = None
        except (linalg.LinAlgError, ValueError):
            lam2, failure = float("nan"), "the Newton system became singular to rounding"
        if failure is None and not (np.isfinite(lam2) and np.all(np.isfinite(dx))):
            lam2, failure = float("nan"), "the Newton step lost its accuracy to rounding"
        if trial is not None:
            # A long step of the damped phase stands only if it cut λ² by _TRIAL_CUT (NaN:
            # the solve failed); otherwise go back, take the safe step instead, and try a
            # shorter one next time. A certificate at the trial point would hold regardless:
            # it needs only that point's decrement.
            before, before_lam2, safe = trial
            trial = None
            if not lam2 <= _TRIAL_CUT * before_lam2:
                reach *= 0.25
                state = _advance(model, before, *safe)
                continue
            reach = min(1.0, 2.0 * reach)
        if failure is not None:
            message = failure
            break
        # λ in the metric of H₀ + Aᵀ(Z/S)A; the primal Hessian H₀ + AᵀS⁻²A is at least
        # min(1, 1/max s·z) times it, which bounds the true decrement (module docstring).
        lam = np.sqrt(max(lam2, 0.0) * max(1.0, float(np.max(state.slack * state.dual, initial=1.0))))
        d_eta, head_y, head_dy = _differences(model, state, dx)
        alpha_max = _max_step(state, dx, d_slack, head_y, head_dy)
        if lam < _CERTIFIABLE:
            # The certificate holds for any λ < 1; its λ-term is small beside (K + m)/τ.
            cert = _certificate(model, tau, lam)
            value = _objective(model, state)
            if best is None or cert < best[1]:
                best = (state, cert)
            if cert <= 0.5 * tol * value:      # half: room for the final rounding to feasible
                message = (f"certified within tol = {tol:g} (relative) after {iteration} Newton "
                           f"steps, barrier parameter {tau:.3g}")
                return _result(problem, model, state, cert, iteration, start, tol, message,
                               message)
        if lam <= _CENTRED:
            alpha = min(1.0, _BOUNDARY * alpha_max)
            # Grow τ faster while centring is cheap; never past where the certificate meets tol.
            if steps_since_centred <= 2:
                growth = min(most, 10.0 * growth)
            elif steps_since_centred > 5:
                growth = max(least, growth / 10.0)
            steps_since_centred = 0
            damped = False
            reach = 1.0
            new_tau = min(growth * tau, max(1.5 * tau, 2.2 * tau * cert / (tol * value)))
            rescale, tau = new_tau / tau, new_tau
        elif damped:
            # F_τ's differences no longer resolve the decrease (τ·f and the slacks' barrier
            # cancel); the damped Newton step 1/(1+λ) decreases a self-concordant function
            # without looking (Nesterov, Introductory Lectures, Thm 4.1.12).
            alpha = min(1.0 / (1.0 + lam), _BOUNDARY * alpha_max)
            if reach * min(1.0, _BOUNDARY * alpha_max) > 2.0 * alpha:
                # Try the longest step first, measuring its progress by the next Newton
                # decrement rather than by F_τ's differences; the safe step is kept for a
                # failure.
                d_dual = np.zeros_like(d_dual)
                trial = (state, lam2, (alpha, d_eta, d_slack, 0.0, d_dual))
                alpha = reach * min(1.0, _BOUNDARY * alpha_max)
        else:
            alpha = min(1.0, _BOUNDARY * alpha_max)
            while (_change(model, state, tau, alpha, dx, d_slack, d_eta, head_y, head_dy)
                   > -_ARMIJO * alpha * lam2) and alpha > 1e-12:
                alpha *= 0.5
            if alpha <= 1e-12:
                damped = True
                continue
        state = _advance(model, state, alpha, d_eta, d_slack, _dual_step(state, d_dual), d_dual)
        if rescale != 1.0:
            # z is the multiplier of the τ-scaled problem: moving it with τ keeps the true
            # multiplier z/τ, so an active slack can shrink by the same factor in one step.
            state = dataclasses.replace(state, dual=state.dual * rescale)
            rescale = 1.0
    else:
        message = f"reached max_iter = {max_iter} Newton steps before the certificate met tol"
    if best is None:
        return _result(problem, model, state, None, iteration, start, tol, None, message)
    state, cert = best
    # The last centred point may still meet tol, if not with the half kept for rounding.
    return _result(problem, model, state, cert, iteration, start, tol,
                   f"certified within tol = {tol:g} (relative) at the best certified point; "
                   f"after it, {message}", f"{message}; returning the best certified point")


def _result(problem, model, state, cert, iterations, start, tol, success,
            failure) -> ScheduleResult:
    """The result at state; converged when the certificate (with the final rounding) meets
    tol, and then the ``success`` message, else ``failure``."""
    eta = _schedule(problem, model, state)
    bound = _bound(problem, eta)
    gap = None
    if cert is not None:
        internal = model.value_scale * _objective(model, state)
        gap = model.value_scale * cert + max(0.0, bound - internal)
    converged = success is not None and gap is not None and gap <= tol * bound
    if converged:
        message = success
    else:
        message = failure
        if gap is not None and success is not None:
            message += f" (certified gap {gap:.3g} > tol·bound = {tol * bound:.3g})"
    return ScheduleResult(eta=eta, bound=bound, method="newton", converged=converged,
                          iterations=iterations, seconds=time.perf_counter() - start,
                          message=message, gap=gap)
