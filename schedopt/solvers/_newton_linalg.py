"""The ``newton`` solver's linear algebra: the barrier Hessian's banded system, solved with
equilibration and iterative refinement, and the Newton direction with its decrement. See
``schedopt/solvers/_newton.py`` for the method."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from schedopt.solvers._newton_model import _Model
from schedopt.solvers._newton_model import _State
from schedopt.solvers._newton_model import _head_parts

_REFINE = 2            # steps of iterative refinement of the augmented solve


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
    px = rows.pos_x                                 # x_i's places, its rows between them
    ab[2 * k, px] = band[0]
    if model.n > 1:
        spacing = np.diff(px)
        ab[2 * k + spacing, px[:-1]] = band[1, :-1]    # below the diagonal
        ab[2 * k - spacing, px[1:]] = band[1, :-1]     # above
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
