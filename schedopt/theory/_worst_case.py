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
semidefinite program in that matrix and ``f_1..f_{N+1}``, solved with cvxpy and Clarabel.

**Constraint generation, exact.** The SDP is first solved with the (N+2)(N+1)/2 pair
inequalities with i < j (the function at an earlier point, or at x*, above the linearisation
at a later one): the multipliers of the full problem's solution lie there (checked for N = 20
on the minimax schedule and on random steps). Leaving inequalities out can only raise the
maximum, so that value is an upper bound; then *every* one of the (N+2)(N+1) inequalities is
evaluated at the solution (from its Gram matrix and f, exactly), the violated ones (by more than
1e-9) are added and the SDP is solved again, until none is violated. The solution is then
feasible for the full problem, whose maximum it therefore is: the status and the value are the
full problem's, up to the solver's tolerance, as before. The first set usually suffices (one
solve with half the rows of the full SDP, ``rounds == 1``).
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
# Constraint generation: an inequality left out of the SDP counts as violated above this
# (the D = G = 1 problem, values and Gram entries of order 1), stricter than the solver's own
# feasibility tolerance on the inequalities it keeps.
_VIOLATION = 1e-9
_MAX_ROUNDS = 20
# Size limit. Peak resident memory of one solve ≈ this many bytes per pair of Gram entries,
# plus the interpreter with cvxpy (measured by benchmarks/worst_case_pep.py, rounded up).
MAX_STEPS = 150
_BYTES_PER_ENTRY_PAIR = 60
_BASE_BYTES = 450 * 2 ** 20


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
      seconds: wall time of building and solving the SDP (every round).
      steps: N, the number of rates applied.
      constraints: how many of the (N+2)(N+1) interpolation inequalities the last SDP kept;
        the others hold at its solution (module doc), so ``status`` is the full problem's.
      rounds: SDPs solved by the constraint generation (1 when the first set sufficed).
    """

    value: float
    status: str
    gap: float
    seconds: float
    steps: int
    constraints: int = 0
    rounds: int = 1

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


def _coordinates(h):
    """Coordinates of x*, θ_1..θ_{N+1} in the Gram basis (θ_1 − θ*, g_1, …, g_{N+1}):
    x* = 0 and θ_i = e_0 − Σ_{t<i} h_t e_t."""
    N = h.shape[0]
    X = np.zeros((N + 2, N + 2))
    X[1:, 0] = 1.0
    X[2:, 1:N + 1] = -np.tril(np.broadcast_to(h, (N, N)))
    return X


def _pair_rows(X, I, J):
    """The pair inequalities ``f_j − f_i + ⟨g_j, x_i − x_j⟩ ≤ 0`` for the pairs (I[k], J[k]) as
    sparse rows.

    Returns (A, B): A acts on the Gram matrix flattened (symmetrised coefficients, so the
    flattening order does not matter), B on f_1..f_{N+1}. Point 0 is x* (x = 0, g = 0, f = 0);
    point i ≥ 1 is θ_i with g_i = e_i.
    """
    import scipy.sparse as sp

    n = X.shape[0]
    rows = I.shape[0]
    d = X[I] - X[J]
    d[J == 0] = 0.0                                  # g* = 0
    r, k = np.nonzero(d)
    j, v = J[r], 0.5 * d[r, k]
    A = sp.csr_matrix((np.concatenate([v, v]), (np.concatenate([r, r]),
                                                np.concatenate([j * n + k, k * n + j]))),
                      shape=(rows, n * n))
    up, down = np.flatnonzero(J > 0), np.flatnonzero(I > 0)
    B = sp.csr_matrix((np.concatenate([np.ones(up.size), -np.ones(down.size)]),
                       (np.concatenate([up, down]), np.concatenate([J[up], I[down]]) - 1)),
                      shape=(rows, n - 1))
    return A, B


def _violations(X, gram, f):
    """V[i, j] = f_j − f_i + ⟨g_j, x_i − x_j⟩ for every ordered pair (−∞ on the diagonal)."""
    fp = np.concatenate([[0.0], f])
    inner = gram @ X.T                               # inner[j, i] = ⟨g_j, x_i⟩ for j ≥ 1
    inner[0] = 0.0                                   # g* = 0
    V = fp[None, :] - fp[:, None] + inner.T - np.diag(inner)[None, :]
    np.fill_diagonal(V, -np.inf)
    return V


def _solve_pairs(cp, X, I, J):
    """The PEP value (D = G = 1) with the pair inequalities (I, J) only: an upper bound on
    the full problem's, with its status, dual gap and maximiser (Gram matrix, f)."""
    n = X.shape[0]
    A, B = _pair_rows(X, I, J)
    gram = cp.Variable((n, n), PSD=True)
    f = cp.Variable(n - 1)
    constraints = [
        A @ cp.vec(gram, order="C") + B @ f <= 0,          # interpolation, the pairs kept
        gram[0, 0] <= 1.0,                                  # ‖θ_1 − θ*‖² ≤ D²
        cp.diag(gram)[1:] <= 1.0,                           # ‖g_i‖² ≤ G²
    ]
    problem = cp.Problem(cp.Maximize(f[n - 2]), constraints)
    with warnings.catch_warnings():
        # cvxpy warns about every inaccurate solution; worst_case judges it by the gap.
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        problem.solve(solver=cp.CLARABEL, **_TOLERANCES)
    if problem.value is None or problem.status not in ("optimal", "optimal_inaccurate"):
        return problem.value, problem.status, float("nan"), None, None
    # Weak duality: the multipliers of ‖θ_1 − θ*‖² ≤ 1 and ‖g_i‖² ≤ 1 price the right-hand
    # sides, so their sum is the dual objective (of the full problem too: an inequality left
    # out is one with multiplier 0).
    dual = float(constraints[1].dual_value) + float(np.sum(constraints[2].dual_value))
    return problem.value, problem.status, dual - float(problem.value), gram.value, f.value


def _first_pairs(n):
    """The pairs of the first SDP: i < j, an earlier point (or x*) and a later g_j."""
    return np.triu_indices(n, 1)


def _solve_unit(h):
    """The PEP value for D = G = 1 and steps h by constraint generation (module doc).

    Returns (value, status, gap, constraints kept, rounds).
    """
    cp = _import_cvxpy()
    X = _coordinates(h)
    I, J = _first_pairs(X.shape[0])
    for rounds in range(1, _MAX_ROUNDS + 1):
        value, status, gap, gram, f = _solve_pairs(cp, X, I, J)
        if gram is None:
            return value, status, gap, I.size, rounds
        V = _violations(X, gram, f)
        V[I, J] = -np.inf                                   # kept: the solver's tolerance
        bad_i, bad_j = np.nonzero(V > _VIOLATION)
        if bad_i.size == 0:
            return value, status, gap, I.size, rounds
        I, J = np.concatenate([I, bad_i]), np.concatenate([J, bad_j])
    return value, "inaccurate: constraint generation did not settle", gap, I.size, rounds


def memory_needed(steps: int) -> int:
    """Bytes the PEP SDP of N = ``steps`` needs, from the peak resident size measured by
    ``benchmarks/worst_case_pep.py`` (rounded up): dominated by the dense block of the
    interior-point method on the m = (N+2)(N+3)/2 entries of the Gram matrix."""
    m = (steps + 2) * (steps + 3) // 2
    return int(_BYTES_PER_ENTRY_PAIR * m * m + _BASE_BYTES)


def _check_size(N: int) -> None:
    from schedopt._memory import available_bytes

    if N > MAX_STEPS:
        raise ValueError(f"worst_case solves the PEP for at most N = {MAX_STEPS} rates "
                         f"(documented size limit), got N = {N}: the SDP would need about "
                         f"{memory_needed(N) / 2 ** 30:.1f} GiB of memory")
    need, have = memory_needed(N), available_bytes()
    if have is not None and need > have:
        raise ValueError(f"worst_case for N = {N} rates needs about {need / 2 ** 30:.1f} GiB "
                         f"of memory for its SDP but {have / 2 ** 30:.1f} GiB is available; "
                         f"use fewer rates")


def _unit_steps(eta, D, G):
    """η·G/D (the D = G = 1 problem's steps) without overflow or 0·∞ in G/D."""
    ratio = G / D
    if np.isfinite(ratio) and ratio >= np.finfo(np.float64).tiny:
        with np.errstate(over="ignore"):
            h = eta * ratio
    else:
        with np.errstate(divide="ignore"):
            h = np.where(eta > 0, np.exp(np.log(eta) + (np.log(G) - np.log(D))), 0.0)
    if not np.all(np.isfinite(h)):
        raise ValueError(f"worst_case: the rates times G/D (the steps of the D = G = 1 "
                         f"problem) overflow float64 for D = {D:g}, G = {G:g} and a largest "
                         f"rate of {np.max(eta):g}; give η, D and G in units where η·G/D is "
                         f"at most about 1e300")
    return h


def _scaled(value, D, G, what="worst case"):
    """value·D·G, refused where it leaves float64's normal range (it would print as inf or 0)."""
    out = value * D * G
    if value > 0 and not (np.isfinite(out) and out >= np.finfo(np.float64).tiny):
        log10 = (np.log(value) + np.log(D) + np.log(G)) / np.log(10.0)
        raise ValueError(f"worst_case: the {what} D·G·{value:.6g} = 10^{log10:.1f} for "
                         f"D = {D:g}, G = {G:g} is outside float64's range; give D and G in "
                         f"units where D·G is between 1e-300 and 1e300")
    return float(out)


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

    Size, memory and time. The SDP has an (N+2)×(N+2) Gram matrix and at least
    (N+2)(N+1)/2 linear inequalities (module doc). The interior-point method factors a dense
    block over the m = (N+2)(N+3)/2 Gram entries, so memory grows like m² ≈ N⁴/4 and time
    like m³ per iteration. **Size limit: N ≤ 150** (``MAX_STEPS``); beyond it, or where
    ``memory_needed(N)`` exceeds the memory available (``/proc/meminfo`` and the
    address-space limit ``ulimit -v``), worst_case refuses up front with a ValueError.
    Times measured on the shared 2-core machine are in ``benchmarks/README.md``
    (``benchmarks/worst_case_pep.py``, against PEPit on the same problem).
    The solver stalls near an absolute duality gap of 1e-8, so values carry about 7–8 digits.

    Args:
      eta: the N ≥ 1 rates applied, finite and ≥ 0 (zeros allowed).
      D: ‖θ_1 − θ*‖, > 0.
      G: the Lipschitz constant, a scalar > 0 (a per-step profile defines no function class).

    Returns:
      ``WorstCase(value, status, gap, seconds, steps, constraints, rounds)``;
      ``float(result)`` is the value.

    Raises:
      ImportError: cvxpy or Clarabel missing (``pip install 'schedopt[pep]'``).
      ValueError: N above the size limit or the memory available; η·G/D or the value D·G·(…)
        outside float64's range (e.g. D = G = 1e200, whose worst case is of order 1e400).
      RuntimeError: the solver did not reach an optimal solution.
    """
    eta = _validation.schedule(eta)
    D = _validation.positive_scalar(D, "D")
    if np.ndim(G) != 0:
        raise ValueError(f"G must be a single Lipschitz constant (a scalar > 0) for worst_case, "
                         f"got an array of shape {np.shape(G)}")
    G = _validation.positive_scalar(G, "G")
    N = int(eta.shape[0])
    _check_size(N)
    start = time.perf_counter()
    value, status, gap, kept, rounds = _solve_unit(_unit_steps(eta, D, G))
    seconds = time.perf_counter() - start
    if status not in ("optimal", "optimal_inaccurate") or value is None:
        raise RuntimeError(f"worst_case: the SDP solver (Clarabel) ended with status {status!r} "
                           f"for N = {N} steps; no value is returned")
    if status == "optimal_inaccurate" and abs(gap) > _ACCEPT_GAP * abs(value):
        warnings.warn(f"worst_case: Clarabel reports 'optimal_inaccurate' for N = {N} with a "
                      f"duality gap of {gap:.1e} on a value of {value:.6g}", RuntimeWarning,
                      stacklevel=2)
    return WorstCase(_scaled(float(value), D, G), status, float(gap) * D * G, seconds, N,
                     kept, rounds)


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

    Raises:
      ValueError: a step outside float64's normal range (D/G near 1e-400, say), which would
        come out as 0 or inf.
    """
    N = _validation.steps(steps)
    D = _validation.positive_scalar(D, "D")
    G = _validation.positive_scalar(G, "G")
    shape = (N + 1 - np.arange(1, N + 1, dtype=np.float64)) / (N + 1) ** 1.5
    ratio = D / G
    if np.isfinite(ratio) and ratio >= np.finfo(np.float64).tiny:
        with np.errstate(over="ignore", under="ignore"):
            h = D * shape / G
    else:                                          # D/G itself over- or underflows
        h = np.exp(np.log(shape) + (np.log(D) - np.log(G)))
    if not (np.all(np.isfinite(h)) and np.all(h >= np.finfo(np.float64).tiny)):
        raise ValueError(f"minimax_schedule: its steps D(N+1−t)/(G(N+1)^{{3/2}}) for N = {N}, "
                         f"D = {D:g}, G = {G:g} range over "
                         f"10^{np.log10(shape[-1]) + np.log10(D) - np.log10(G):.1f}.."
                         f"10^{np.log10(shape[0]) + np.log10(D) - np.log10(G):.1f}, outside "
                         f"float64's normal range (they would be 0 or inf); give D and G in "
                         f"units where D/G is between 1e-300 and 1e300")
    return h
