r"""A cap on a non-increasing optimum: the cap holds on a prefix, the rest is §4.4's tail.

When the unconstrained optimum (docs/math.md §4.4) is non-increasing (G growing fast enough)
and a monotone problem without warm-up or floor caps it at ``c`` below its peak, let P_k be
the problem with η_1..η_k = c and the rest free. Its optimum continues the frozen prefix with
the unconstrained optimum's tail shape, scaled to the best tail sum (docs/math.md §4.6,
``solvers._prefix``): the backward recursion sees only G_{k+1..T}, not the cap. That tail is
non-increasing, so P_k's optimum is feasible exactly when its η_{k+1} ≤ c. P_{k+1} ⊂ P_k, so
the optimal values rise with k, and the constrained optimum is P_k's for the smallest
feasible k, when the optimum's capped steps are a prefix; a binary search over k finds it.

**Certificate.** Whatever k, the point is certified by weak duality on the cap alone (the
monotone constraints dropped: a relaxation, so still a lower bound on the optimum):
``L = f + Σ_{i≤k} ν_i(η_i − c)`` with ν_i = max(0, −∂f/∂η_i), minimised over η ≥ 0 by the
package's one dual (``solvers._dual``), whose recursion divides by no G and overflows for no
G² that float64 holds. Everything runs in logarithms or in O(1)-scaled sums, so G spanning
200 decades (issue 21: G from 1e-100 to 1e100, rates down to 1e-219) is solved and
certified; where the prefix structure is wrong the certificate fails and the caller falls
back to newton.
"""

from __future__ import annotations

import math
import time

import numpy as np

from schedopt.bounds._host import last_value_and_grad_numpy
from schedopt.bounds._tail import minimise_tail
from schedopt.solvers import _constraints
from schedopt.solvers._dual import dual_value
from schedopt.solvers._exact import log_schedule
from schedopt._result import ScheduleResult

_EPS = np.finfo(np.float64).eps


def decreasing_optimum(problem):
    """``(log_eta, J)`` of the unconstrained optimum (``_exact.log_schedule(costs=True)``:
    log η for D = 1 up to √J_1, and the costs-to-go J_1..J_T) when it is non-increasing and the
    problem is monotone with no warm-up or floor, else None. Then only a cap can bind: above
    the peak the optimum is the constrained one (``solvers._solve``), below it ``solve``
    takes it. G_T² ≥ 3G_{T−1}² (η_{T−1} ≥ η_T needs m_{T−1} ≥ 1, §4.4) is tested first, in
    O(1), so that ordinary monotone solves do not pay the O(T) Python recursion (a second at
    T = 10⁶), which itself stops at the first rise it meets."""
    if not (problem.steps >= 2 and _constraints.monotone(problem)
            and _constraints.find(problem, _constraints.Warmup) is None
            and _constraints.find(problem, _constraints.Floor) is None):
        return None
    G2 = np.broadcast_to(problem.G2, (problem.steps,))
    if not G2[-1] >= 3.0 * G2[-2]:
        return None
    log_eta, J = log_schedule(G2, costs=True)
    if J is None or not (np.all(J > 0) and np.all(np.isfinite(J))) or np.any(np.diff(log_eta) > 0):
        return None
    return log_eta, J


def cap_binds(problem, optimum) -> bool:
    """Whether ``problem``'s cap lies below the peak of ``decreasing_optimum``'s schedule."""
    cap = _constraints.find(problem, _constraints.Cap)
    log_eta, J = optimum
    return cap is not None and bool(
        np.log(cap.value) < log_eta[0] + np.log(problem.D) - 0.5 * np.log(J[0]))


class _Candidates:
    """P_k's optimum for each k, from one backward recursion (O(T)) and one 1-D tail solve
    (O(k)) per k."""

    def __init__(self, problem, log_eta, J):
        self.problem, self.J = problem, J
        self.G2 = np.broadcast_to(problem.G2, (problem.steps,))
        self.cap = _constraints.find(problem, _constraints.Cap).value
        # log of η_t / η_{t:T} for the unconstrained tail: the first rate of a tail that sums to 1.
        tail = np.logaddexp.accumulate(log_eta[::-1])[::-1]
        self.log_eta, self.log_tail = log_eta, tail

    def first_rate(self, k):
        """η_{k+1} of P_k's optimum, and its tail sum (for 0 < k < T)."""
        S = minimise_tail(np.full(k, self.cap), self.problem.D, self.G2[:k], self.J[k]).S
        return S * math.exp(self.log_eta[k] - self.log_tail[k]), S

    def schedule(self, k):
        """P_k's optimum as a schedule, rates at most the cap."""
        eta = np.full(self.problem.steps, self.cap)
        if k < self.problem.steps:
            _, S = self.first_rate(k)
            eta[k:] = np.exp(np.log(S) + self.log_eta[k:] - self.log_tail[k])
        return np.minimum(eta, self.cap)


def _smallest_feasible(candidates, T) -> int:
    """The smallest k in 1..T with P_k's η_{k+1} ≤ c (T: every step capped), by bisection."""
    lo, hi = 0, T                                   # P_0 is infeasible (the cap binds)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if candidates.first_rate(mid)[0] <= candidates.cap:
            hi = mid
        else:
            lo = mid
    return hi


def lower_bound(problem, eta, k) -> float:
    """The dual bound of the module doc at the schedule ``eta`` whose first k rates are
    capped: ``L = (C) + Σ_{i≤k} ν_i(η_i − c)``, minimised by the package's one dual."""
    cap = _constraints.find(problem, _constraints.Cap).value
    with np.errstate(over="ignore", under="ignore"):
        grad = last_value_and_grad_numpy(eta, problem.D**2, problem.G2)[1]
    nu = np.zeros(problem.steps)
    nu[:k] = np.maximum(-grad[:k], 0.0)
    return dual_value(problem.G2, problem.D, nu, -cap * math.fsum(nu.tolist()))


def solve(problem, tol: float, optimum):
    """The certified optimum of a capped problem whose ``decreasing_optimum`` is ``optimum``
    and whose cap binds, or None (the caller's solver takes it) when it cannot be certified."""
    start = time.perf_counter()
    G2 = np.broadcast_to(problem.G2, (problem.steps,))
    log_eta, J = optimum
    candidates = _Candidates(problem, log_eta, J)
    k = _smallest_feasible(candidates, problem.steps)
    eta = candidates.schedule(k)
    if not (np.all(np.isfinite(eta)) and eta[-1] > 0):
        return None
    with np.errstate(over="ignore", under="ignore"):
        bound = float(last_value_and_grad_numpy(eta, problem.D**2, G2, grad=False)[0])
        lower = lower_bound(problem, eta, k)
    # Rounding allowed for, as in _newton_pool: the bound's blocked tail sums (≲ (1024 +
    # n/1024)·ε relative) and 64ε for the dual's recursion and its J_{k+1}, which
    # tests/adversarial/test_solvers_extreme.py checks against 50 digits.
    gap = max(0.0, bound - lower) + _EPS * (1024 + problem.steps / 1024 + 64) * bound
    if not (math.isfinite(bound) and gap <= tol * bound):
        return None
    return ScheduleResult(
        eta=eta, bound=bound, method="newton", converged=True, iterations=0,
        seconds=time.perf_counter() - start, gap=gap,
        message=(f"the cap binds on the first {k} steps and the rest is the unconstrained "
                 f"optimum's tail (docs/math.md §4.4, §4.6); certified within tol = {tol:g} "
                 f"(relative) by a Lagrangian dual bound on the cap"))
