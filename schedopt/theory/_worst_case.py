r"""The exact worst case of a schedule, and the minimax schedule (docs/math.md §5.2, §5.3).

``worst_case`` solves the performance-estimation problem (PEP; Drori & Teboulle 2014) of the
deterministic subgradient method ``θ_{t+1} = θ_t − η_t g_t``, ``g_t ∈ ∂f(θ_t)``, t = 1..N:
the largest ``f(θ_{N+1}) − f*`` over convex G-Lipschitz f with ``‖θ_1 − θ*‖ ≤ D``. By the
interpolation theorem for convex functions with subgradients bounded by G (Taylor,
Hendrickx & Glineur, *Smooth strongly convex interpolation and exact worst-case performance
of first-order methods*, Math. Program. 2017), triples ``(x_i, g_i, f_i)`` come from such a
function exactly when, for every ordered pair i ≠ j,

.. math:: f_i \ge f_j + \langle g_j, x_i - x_j\rangle, \qquad \|g_i\| \le G .

Here the points are x* (with g* = 0, f* = 0) and θ_1..θ_{N+1}; every inner product is an
entry of the (N+2)×(N+2) Gram matrix of ``(θ_1 − θ*, g_1, …, g_{N+1})``, so the problem is a
semidefinite program in that matrix and ``f_1..f_{N+1}``, solved with cvxpy and Clarabel. All
(N+2)(N+1) pair inequalities are kept: no reduction of the set is used, so the value is the
exact worst case up to the solver's tolerance.
"""

from __future__ import annotations

import time
import warnings
from typing import NamedTuple

import numpy as np

from schedopt import _validation

# Clarabel's default tolerances (1e-8). Tighter ones do not help: from N ≈ 40 on, the solver
# stalls at an absolute gap near 1e-8 whatever it is asked for, and reports AlmostSolved.
_TOLERANCES = dict(tol_gap_abs=1e-8, tol_gap_rel=1e-8, tol_feas=1e-8)
# A status 'optimal_inaccurate' is accepted silently when the duality gap is below this,
# relative to the value; it is far below the 1e-6 the tests ask of the minimax value.
_ACCEPT_GAP = 1e-6


class WorstCase(NamedTuple):
    """The exact deterministic worst case of a schedule and how it was obtained.

    Attributes:
      value: the largest f(θ_{N+1}) − f*.
      status: the solver's status through cvxpy: ``"optimal"``, or ``"optimal_inaccurate"``
        (Clarabel's AlmostSolved; a warning is issued when ``gap`` exceeds 1e-6 of the value).
        Any other status raises.
      gap: the duality gap, dual objective (from the solver's multipliers of the norm
        constraints, in units of the result) minus ``value``: how far above ``value`` the true
        worst case may lie, up to the solver's feasibility tolerance (1e-8).
      seconds: wall time of building and solving the SDP.
      steps: N, the number of rates applied.
    """

    value: float
    status: str
    gap: float
    seconds: float
    steps: int

    def __float__(self) -> float:
        return self.value


def _import_cvxpy():
    try:
        import cvxpy
    except ImportError:
        raise ImportError("worst_case needs cvxpy and the Clarabel solver: "
                          "pip install 'schedopt[pep]'") from None
    if "CLARABEL" not in cvxpy.installed_solvers():
        raise ImportError("worst_case needs the Clarabel solver for cvxpy: "
                          "pip install 'schedopt[pep]'")
    return cvxpy


def _pair_rows(h):
    """The pair inequalities ``f_j − f_i + ⟨g_j, x_i − x_j⟩ ≤ 0`` as sparse rows.

    Returns (A, B): A acts on the Gram matrix flattened (symmetrised coefficients, so the
    flattening order does not matter), B on f_1..f_{N+1}. Point 0 is x* (x = 0, g = 0, f = 0);
    point i ≥ 1 is θ_i with g_i = e_i and θ_i = e_0 − Σ_{t<i} h_t e_t in the Gram basis.
    """
    import scipy.sparse as sp

    N = h.shape[0]
    n = N + 2
    X = np.zeros((N + 2, n))                      # coordinates of x*, θ_1..θ_{N+1}
    X[1:, 0] = 1.0
    for i in range(2, N + 2):
        X[i] = X[i - 1]
        X[i, i - 1] = -h[i - 2]
    rows, cols, vals, f_rows, f_cols, f_vals = [], [], [], [], [], []
    r = 0
    for j in range(N + 2):
        for i in range(N + 2):
            if i == j:
                continue
            if j > 0:                              # ⟨g_j, x_i − x_j⟩, g_j = e_j, symmetrised
                d = X[i] - X[j]
                nz = np.flatnonzero(d)
                for k in nz:
                    rows += [r, r]
                    cols += [j * n + k, k * n + j]
                    vals += [0.5 * d[k], 0.5 * d[k]]
                f_rows.append(r), f_cols.append(j - 1), f_vals.append(1.0)
            if i > 0:
                f_rows.append(r), f_cols.append(i - 1), f_vals.append(-1.0)
            r += 1
    A = sp.csr_matrix((vals, (rows, cols)), shape=(r, n * n))
    B = sp.csr_matrix((f_vals, (f_rows, f_cols)), shape=(r, N + 1))
    return A, B


def _solve_unit(h):
    """The PEP value for D = G = 1 and steps h, with the solver's status."""
    cp = _import_cvxpy()
    N = h.shape[0]
    A, B = _pair_rows(h)
    gram = cp.Variable((N + 2, N + 2), PSD=True)
    f = cp.Variable(N + 1)
    constraints = [
        A @ cp.vec(gram, order="C") + B @ f <= 0,          # interpolation, every pair
        gram[0, 0] <= 1.0,                                  # ‖θ_1 − θ*‖² ≤ D²
        cp.diag(gram)[1:] <= 1.0,                           # ‖g_i‖² ≤ G²
    ]
    problem = cp.Problem(cp.Maximize(f[N]), constraints)
    with warnings.catch_warnings():
        # cvxpy warns about every inaccurate solution; worst_case judges it by the gap.
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        problem.solve(solver=cp.CLARABEL, **_TOLERANCES)
    if problem.value is None or problem.status not in ("optimal", "optimal_inaccurate"):
        return problem.value, problem.status, float("nan")
    # Weak duality: the multipliers of ‖θ_1 − θ*‖² ≤ 1 and ‖g_i‖² ≤ 1 price the right-hand
    # sides, so their sum is the dual objective.
    dual = float(constraints[1].dual_value) + float(np.sum(constraints[2].dual_value))
    return problem.value, problem.status, dual - float(problem.value)


def worst_case(eta, D=1.0, G=1.0) -> WorstCase:
    r"""The exact worst case of ``f(θ_{N+1}) − f*`` after the N subgradient steps η_1..η_N.

    The supremum over convex G-Lipschitz f, ``‖θ_1 − θ*‖ ≤ D`` and every choice of
    subgradients of ``f(θ_{N+1}) − f*`` for ``θ_{t+1} = θ_t − η_t g_t``: the performance-
    estimation SDP of docs/math.md §5.2 with the full set of interpolation inequalities.

    It is the **deterministic** worst case, hence a lower bound on the stochastic worst case
    (``E‖g_t‖² ≤ G²``) that bound (C) covers: for any schedule,
    ``D·G/√(N+1) ≤ worst_case(η) ≤ applied_bound(η)``, the left side being the best
    last-iterate value any N-step method can guarantee (docs/math.md §5.3).

    Units. Solved for D = G = 1 and rescaled, since
    ``worst_case(η, D, G) = D·G · worst_case(η·G/D, 1, 1)``: if f is feasible for (D, G) then
    ``f̃(y) = f(θ* + D·y)/(D·G)`` is 1-Lipschitz with ``‖y_1‖ ≤ 1``, its subgradients are
    ``g/G``, so its subgradient method with steps ``η·G/D`` visits ``y_t = (θ_t − θ*)/D``, and
    ``f̃(y_{N+1}) − f̃* = (f(θ_{N+1}) − f*)/(DG)`` (and back). So with the schedule itself scaled by D/G, as ``minimax_schedule`` is, the worst
    case scales as D·G.

    Size and time. The SDP has an (N+2)×(N+2) Gram matrix and (N+2)(N+1) linear
    inequalities. ``benchmarks/worst_case.py`` measured one solve on the shared 2-core machine
    at 3.8 s of CPU time for N = 40 (4–8 s wall) and 44 s of CPU for N = 80 (64 s wall at load
    average 5.5, up to 180 s at load 14), and 163 s of CPU for N = 100 (475 s wall at load 8).
    N ≈ 100 is the practical limit: the cost of the dense PSD block of the interior-point
    method grows like N^3.5 from 40 to 80 and faster beyond.
    The solver stalls near an absolute duality gap of 1e-8, so values carry about 7–8 digits.

    Args:
      eta: the N ≥ 1 rates applied, finite and ≥ 0 (zeros allowed).
      D: ‖θ_1 − θ*‖, > 0.
      G: the Lipschitz constant, a scalar > 0 (a per-step profile defines no function class).

    Returns:
      ``WorstCase(value, status, gap, seconds, steps)``; ``float(result)`` is the value.

    Raises:
      ImportError: cvxpy or Clarabel missing (``pip install 'schedopt[pep]'``).
      RuntimeError: the solver did not reach an optimal solution.
    """
    eta = _validation.schedule(eta)
    D = _validation.positive_scalar(D, "D")
    if np.ndim(G) != 0:
        raise ValueError(f"G must be a single Lipschitz constant (a scalar > 0) for worst_case, "
                         f"got an array of shape {np.shape(G)}")
    G = _validation.positive_scalar(G, "G")
    start = time.perf_counter()
    value, status, gap = _solve_unit(eta * (G / D))
    seconds = time.perf_counter() - start
    N = int(eta.shape[0])
    if status not in ("optimal", "optimal_inaccurate") or value is None:
        raise RuntimeError(f"worst_case: the SDP solver (Clarabel) ended with status {status!r} "
                           f"for N = {N} steps; no value is returned")
    if status == "optimal_inaccurate" and abs(gap) > _ACCEPT_GAP * abs(value):
        warnings.warn(f"worst_case: Clarabel reports 'optimal_inaccurate' for N = {N} with a "
                      f"duality gap of {gap:.1e} on a value of {value:.6g}", RuntimeWarning,
                      stacklevel=2)
    return WorstCase(float(value) * D * G, status, gap * D * G, seconds, N)


def minimax_schedule(steps, D=1.0, G=1.0) -> np.ndarray:
    r"""The Zamani–Glineur steps ``h_t = D(N+1−t)/(G(N+1)^{3/2})``, t = 1..N (docs/math.md §5.3).

    A linear decay whose last iterate θ_{N+1} has worst case exactly ``D·G/√(N+1)`` over convex
    G-Lipschitz f (Zamani & Glineur, *Exact convergence rate of the last iterate in subgradient
    methods*, arXiv 2307.11134): the best any N-step first-order method can guarantee, and the
    reference line of ``docs/worst_case.md``.

    Args:
      steps: N, the number of rates to apply.
      D: ‖θ_1 − θ*‖, > 0.
      G: the Lipschitz constant, > 0.
    """
    N = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    G = _validation.positive_scalar(G, "G")
    t = np.arange(1, N + 1, dtype=np.float64)
    return D * (N + 1 - t) / (G * (N + 1) ** 1.5)
