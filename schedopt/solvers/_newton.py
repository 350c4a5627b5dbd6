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

from schedopt.solvers import _constraints
from schedopt.solvers._driver import Best
from schedopt.solvers._driver import Budget
from schedopt.solvers._newton_pool import solve_pooled
from schedopt.solvers._newton_sums import bound as _bound
from schedopt._sums import tail_sums as _tail_sums
from schedopt.solvers._newton_model import _Model
from schedopt.solvers._newton_model import _State
from schedopt.solvers._newton_model import _model
from schedopt.solvers._newton_model import _objective
from schedopt.solvers._newton_model import _reconcile
from schedopt.solvers._newton_model import _schedule
from schedopt.solvers._newton_model import _start
from schedopt.solvers._newton_linalg import _assemble
from schedopt.solvers._newton_linalg import _direction
from schedopt._result import ScheduleResult
from schedopt._threads import single_blas_thread

_CENTRED = 0.25        # Newton decrement at which a point counts as centred
_CERTIFIABLE = 0.9     # Newton decrement below which the certificate is evaluated
_GROWTH = (100.0, 1000.0, 1e6)  # least, first and largest factor on τ between centrings
_START_SHARE = 1e-3    # ν/τ as a fraction of f at the start
_ARMIJO = 0.1          # sufficient-decrease fraction of the line search
_BOUNDARY = 0.99       # fraction of the step to the boundary of the domain
_MAX_ITER = 300
_TRIAL_CUT = 0.9       # factor on λ² that a trial step of the damped phase must achieve
# The constraint sets the pooled-block method takes (monotone, optionally capped, no warm-up).
_POOLED = (frozenset({"monotone"}), frozenset({"monotone", "max_lr"}))




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


def solve(problem, tol: float, max_iter: int | None) -> ScheduleResult:
    """Minimise bound (C) under ``problem``'s constraints; ``gap`` is the certificate above.

    Monotone problems without a warm-up go first to the pooled-block Newton method with a
    Lagrangian dual certificate (``schedopt.solvers._newton_pool``); this barrier method takes over
    where that one does not certify its answer. (A cap on a non-increasing unconstrained optimum,
    G growing fast, is solved before this by ``solvers._solve``, in logarithms, as a capped
    prefix and §4.4's tail: ``schedopt.solvers._capped``.)
    """
    with single_blas_thread():
        if _constraints.kinds(problem) in _POOLED:
            pooled = solve_pooled(problem, tol, max_iter)
            if pooled is not None:
                return pooled
        return _barrier(problem, tol, max_iter)


@dataclasses.dataclass
class _Path:
    """The barrier method's loop state: the iterate, the barrier parameter τ and its growth
    policy, the best certified point, and the damped phase's trial step (``_step``)."""
    state: _State
    tau: float
    growth: float = _GROWTH[1]
    best: Best = dataclasses.field(default_factory=Best)   # the state with the smallest certificate
    cert: float = np.inf               # the certificate at the last certifiable point
    steps_since_centred: int = 0
    rescale: float = 1.0
    damped: bool = False               # line search given up on until the next centring
    trial: tuple | None = None         # (state, λ², safe step) before an unsafe damped step
    reach: float = 1.0                 # the damped phase's trial step, a fraction of the full one


_CERTIFIED = "certified"


def _barrier(problem, tol: float, max_iter: int | None) -> ScheduleResult:
    """The path-following barrier method of the module docstring: a ``_Path`` record and one
    ``_step`` per Newton iteration, until the certificate meets tol or max_iter."""
    budget = Budget.begin(max_iter, _MAX_ITER)
    model = _model(problem)
    state = _start(model)
    path = _Path(state=state, tau=_initial_tau(model, state))
    message = None
    while not budget.spent():
        budget.iterations += 1
        outcome = _step(model, path, tol)
        if outcome == _CERTIFIED:
            message = (f"certified within tol = {tol:g} (relative) after {budget.iterations} "
                       f"Newton steps, barrier parameter {path.tau:.3g}")
            return _result(problem, model, path.state, path.cert, budget, tol, message, message)
        if outcome is not None:
            message = outcome
            break
    else:
        message = f"{budget.why_stopped('Newton steps')} before the certificate met tol"
    if not path.best:
        return _result(problem, model, path.state, None, budget, tol, None, message)
    # The last centred point may still meet tol, if not with the half kept for rounding.
    return _result(problem, model, path.best.point, path.best.certificate, budget, tol,
                   f"certified within tol = {tol:g} (relative) at the best certified point; "
                   f"after it, {message}", f"{message}; returning the best certified point")


def _step(model: _Model, path: _Path, tol: float) -> str | None:
    """One Newton iteration of the barrier method on ``path``: None to go on, ``_CERTIFIED``
    when the certificate meets tol at ``path.state``, or the sentence saying why it stops."""
    path.steps_since_centred += 1
    if path.damped:
        # The primal Newton step (z = 1/s), for which the damped step is safe.
        path.state = dataclasses.replace(path.state, dual=1.0 / path.state.slack)
    state = path.state
    system = _assemble(model, state)
    try:
        dx, lam2, d_slack, d_dual = _direction(model, state, system, path.tau)
        failure = None
    except (linalg.LinAlgError, ValueError):
        lam2, failure = float("nan"), "the Newton system became singular to rounding"
    if failure is None and not (np.isfinite(lam2) and np.all(np.isfinite(dx))):
        lam2, failure = float("nan"), "the Newton step lost its accuracy to rounding"
    if path.trial is not None:
        # A long step of the damped phase stands only if it cut λ² by _TRIAL_CUT (NaN: the
        # solve failed); otherwise go back, take the safe step instead, and try a shorter
        # one next time. A certificate at the trial point would hold regardless: it needs
        # only that point's decrement.
        before, before_lam2, safe = path.trial
        path.trial = None
        if not lam2 <= _TRIAL_CUT * before_lam2:
            path.reach *= 0.25
            path.state = _advance(model, before, *safe)
            return None
        path.reach = min(1.0, 2.0 * path.reach)
    if failure is not None:
        return failure
    # λ in the metric of H₀ + Aᵀ(Z/S)A; the primal Hessian H₀ + AᵀS⁻²A is at least
    # min(1, 1/max s·z) times it, which bounds the true decrement (module docstring).
    lam = np.sqrt(max(lam2, 0.0) * max(1.0, float(np.max(state.slack * state.dual, initial=1.0))))
    d_eta, head_y, head_dy = _differences(model, state, dx)
    alpha_max = _max_step(state, dx, d_slack, head_y, head_dy)
    value = None
    if lam < _CERTIFIABLE:
        # The certificate holds for any λ < 1; its λ-term is small beside (K + m)/τ.
        path.cert = _certificate(model, path.tau, lam)
        value = _objective(model, state)
        path.best.offer(state, path.cert)
        if path.cert <= 0.5 * tol * value:     # half: room for the final rounding to feasible
            return _CERTIFIED
    move = _step_length(model, path, tol, value, lam, lam2, alpha_max,
                        (dx, d_slack, d_eta, head_y, head_dy, d_dual))
    if move is None:
        return None
    alpha, d_dual = move
    path.state = _advance(model, state, alpha, d_eta, d_slack, _dual_step(state, d_dual), d_dual)
    if path.rescale != 1.0:
        # z is the multiplier of the τ-scaled problem: moving it with τ keeps the true
        # multiplier z/τ, so an active slack can shrink by the same factor in one step.
        path.state = dataclasses.replace(path.state, dual=path.state.dual * path.rescale)
        path.rescale = 1.0
    return None


def _step_length(model, path: _Path, tol, value, lam, lam2, alpha_max, step):
    """The step to take along ``step`` = (dx, d_slack, d_eta, head_y, head_dy, d_dual), and the
    dual direction to take it with; None when the line search gives up (the damped phase
    starts). Centred: grow τ (``value`` is then set: λ < _CENTRED < _CERTIFIABLE)."""
    dx, d_slack, d_eta, head_y, head_dy, d_dual = step
    state = path.state
    if lam <= _CENTRED:
        alpha = min(1.0, _BOUNDARY * alpha_max)
        # Grow τ faster while centring is cheap; never past where the certificate meets tol.
        least, _, most = _GROWTH
        if path.steps_since_centred <= 2:
            path.growth = min(most, 10.0 * path.growth)
        elif path.steps_since_centred > 5:
            path.growth = max(least, path.growth / 10.0)
        path.steps_since_centred = 0
        path.damped = False
        path.reach = 1.0
        tau = path.tau
        new_tau = min(path.growth * tau, max(1.5 * tau, 2.2 * tau * path.cert / (tol * value)))
        path.rescale, path.tau = new_tau / tau, new_tau
    elif path.damped:
        # F_τ's differences no longer resolve the decrease (τ·f and the slacks' barrier
        # cancel); the damped Newton step 1/(1+λ) decreases a self-concordant function
        # without looking (Nesterov, Introductory Lectures, Thm 4.1.12).
        alpha = min(1.0 / (1.0 + lam), _BOUNDARY * alpha_max)
        if path.reach * min(1.0, _BOUNDARY * alpha_max) > 2.0 * alpha:
            # Try the longest step first, measuring its progress by the next Newton
            # decrement rather than by F_τ's differences; the safe step is kept for a failure.
            d_dual = np.zeros_like(d_dual)
            path.trial = (state, lam2, (alpha, d_eta, d_slack, 0.0, d_dual))
            alpha = path.reach * min(1.0, _BOUNDARY * alpha_max)
    else:
        alpha = min(1.0, _BOUNDARY * alpha_max)
        while (_change(model, state, path.tau, alpha, dx, d_slack, d_eta, head_y, head_dy)
               > -_ARMIJO * alpha * lam2) and alpha > 1e-12:
            alpha *= 0.5
        if alpha <= 1e-12:
            path.damped = True
            return None
    return alpha, d_dual


def _result(problem, model, state, cert, budget, tol, success, failure) -> ScheduleResult:
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
                          iterations=budget.iterations, seconds=budget.seconds(),
                          message=message, gap=gap)
