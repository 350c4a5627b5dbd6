"""``method="lbfgsb"``: scipy's L-BFGS-B on bound (C) with the exact JAX gradient.

The free values are optimised in the scaled coordinates of ``_firstorder`` (η_t = d_t·z_t, d a
Jacobi scale at an a-priori start), where the box ``0 ≤ η ≤ max_lr`` stays a box and the
iteration count no longer grows with T (11–15 iterations from T = 10² to 10⁶ for constant G,
against about T in η coordinates; docs/math.md §4.3). The gradient is ``jax.grad`` of
``last_iterate_bound`` (its custom VJP) through the linear change of variables, so a
linear warm-up ramp and the tail sums of ``monotone`` are handled by the chain rule.

Up to T = ``HOST_MAX`` the objective is evaluated in numpy (no compilation: a first call
at T = 10³ takes milliseconds, not a second). Above it the objective is compiled once per
size bucket (the layout is padded at the front with zeros, which leave bound (C) unchanged),
so repeated solves of nearby T reuse the code.
scipy's compiled L-BFGS-B is driven with array bounds (``_fast_box_lbfgsb``) where this
scipy allows it. L-BFGS-B has no certificate of its own: ``converged`` and ``gap`` come from
the Lagrangian dual lower bound of ``_certificate`` (docs/math.md §4.7), and a run is bounded
by ``max_iter`` and ``time_limit``.
"""

from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from schedopt.bounds._host import HOST_MAX
from schedopt.solvers import _constraints
from schedopt.solvers._solve import refuse_unsupported
from schedopt.solvers._firstorder import bucket
from schedopt.solvers._firstorder import host_objective
from schedopt.solvers._firstorder import objective
from schedopt.solvers._firstorder import scaled_or_error
from schedopt._result import ScheduleResult
from schedopt.solvers._certificate import certify
from schedopt.solvers._driver import Budget

try:        # scipy's private L-BFGS-B pieces, for _fast_box_lbfgsb; minimize() otherwise
    from scipy.optimize import _lbfgsb as _scipy_lbfgsb
    from scipy.optimize import _lbfgsb_py as _scipy_lbfgsb_py
except ImportError:                        # pragma: no cover
    _scipy_lbfgsb = _scipy_lbfgsb_py = None

DEFAULT_MAX_ITER = 2000
DEFAULT_TIME_LIMIT = 60.0     # seconds, when optimal_schedule's time_limit is None
_RESTARTS = 3
_FAST_DRIVER = functools.cache(lambda: _fast_driver_works())


@functools.partial(jax.jit, static_argnames="monotone")
def _value_and_grad(z, base, ramp, scale, mask, first, G2, D, f0, monotone):
    return jax.value_and_grad(objective)(z, base, ramp, scale, mask, first, monotone, G2, D, f0)


def _scipy_box_lbfgsb(fun, x0, lower, upper, *, max_iter, ftol, deadline=None):
    """scipy.optimize.minimize(method="L-BFGS-B") on the box [lower, upper], stopped at the
    first iterate past ``deadline`` (a ``time.perf_counter()`` value; None: no limit)."""
    def callback(intermediate_result):
        if _stop_at(deadline):
            raise StopIteration

    return scipy.optimize.minimize(
        fun, x0, jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(lower, upper),
        callback=callback,
        options={"maxiter": max_iter, "maxfun": 5 * max_iter + 20, "ftol": ftol, "gtol": 0.0})


def _fast_box_lbfgsb(fun, x0, lower, upper, *, max_iter, ftol, maxcor=10, maxls=20,
                     deadline=None):
    """The same iteration as ``_scipy_box_lbfgsb``, with the bounds passed as arrays.

    ``minimize`` converts the bounds to lists and back and classifies them one variable at a
    time in Python: seconds at n = 10⁶, as long as the whole L-BFGS-B solve. This is scipy's
    own driver loop (``scipy.optimize._lbfgsb_py._minimize_lbfgsb``, scipy ≥ 1.15) around the
    same compiled ``setulb``; a test checks that both give the same iterates bit for bit.
    """
    n = x0.shape[0]
    x = np.array(np.clip(x0, lower, upper), dtype=np.float64)
    finite_upper = np.isfinite(upper)
    nbd = np.where(finite_upper, 2, 1).astype(np.int32)   # lower bound always, upper if finite
    low = np.asarray(lower, dtype=np.float64)
    high = np.where(finite_upper, upper, 0.0).astype(np.float64)
    f, g = 0.0, np.zeros(n)
    wa = np.zeros(2 * maxcor * n + 5 * n + 11 * maxcor * maxcor + 8 * maxcor)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task, ln_task = np.zeros(2, dtype=np.int32), np.zeros(2, dtype=np.int32)
    lsave, isave, dsave = (np.zeros(4, dtype=np.int32), np.zeros(44, dtype=np.int32),
                           np.zeros(29))
    factr = ftol / np.finfo(float).eps
    max_fun = 5 * max_iter + 20
    iterations = evaluations = 0
    while True:
        _scipy_lbfgsb.setulb(maxcor, x, low, high, nbd, f, g, factr, 0.0, wa, iwa, task, lsave,
                             isave, dsave, maxls, ln_task)
        if task[0] == 3:                   # f and g wanted at x
            f, g = fun(x)
            g = np.asarray(g, dtype=np.float64)
            evaluations += 1
        elif task[0] == 1:                 # a new iterate
            iterations += 1
            if iterations >= max_iter or _stop_at(deadline):
                task[0], task[1] = 5, 504
            elif evaluations > max_fun:
                task[0], task[1] = 5, 502
        else:
            break
    message = (f"{_scipy_lbfgsb_py.status_messages[int(task[0])]}: "
               f"{_scipy_lbfgsb_py.task_messages[int(task[1])]}")
    return scipy.optimize.OptimizeResult(x=x, fun=f, jac=g, nit=iterations, nfev=evaluations,
                                         success=bool(task[0] == 4), message=message)


def _fast_driver_works() -> bool:
    """Whether this scipy's setulb has the interface ``_fast_box_lbfgsb`` was written for."""
    if _scipy_lbfgsb is None:
        return False
    try:
        found = _fast_box_lbfgsb(lambda x: (float(x @ x), 2 * x), np.array([1.0, -2.0]),
                                 np.array([0.5, -np.inf]), np.array([np.inf, np.inf]),
                                 max_iter=50, ftol=1e-12)
    except Exception:                      # noqa: BLE001  (any change in the private API)
        return False
    return bool(found.success) and bool(np.allclose(found.x, [0.5, 0.0], atol=1e-8))


def _objective(scaled):
    """x ↦ (value, gradient) of the scaled objective over the free values x.

    Small problems run in numpy (``host_objective``): compiling the JAX objective took
    0.8–1.1 s per size bucket, longer than the whole solve. Larger ones use the compiled
    objective, once per size bucket (zeros in front, which leave bound (C) unchanged).
    """
    n, T = scaled.free, scaled.steps
    if T <= HOST_MAX:
        host = host_objective(scaled)
        z = np.zeros(T)

        def fun(x):
            z[T - n:] = x
            value, grad = host(z)
            return float(value), grad[T - n:]

        return fun
    size = bucket(T)
    lay = scaled.padded(size)
    head = size - n
    with jax.enable_x64(True):
        args = [jnp.asarray(a) for a in (lay.base, lay.ramp, lay.scale, lay.mask)]
        args += [jnp.asarray(lay.first), jnp.asarray(lay.G2), jnp.asarray(lay.D),
                 jnp.asarray(lay.f0)]
    padded = np.zeros(size)

    def fun(x):
        padded[head:] = x
        with jax.enable_x64(True):
            value, grad = _value_and_grad(jnp.asarray(padded), *args, monotone=lay.monotone)
        return float(value), np.asarray(grad)[head:]

    return fun


def _stop_at(deadline):
    """A setulb-loop test: whether the wall clock has passed ``deadline`` (None: never)."""
    return deadline is not None and time.perf_counter() >= deadline


def solve(problem, tol: float, max_iter: int | None,
          time_limit: float | None = None) -> ScheduleResult:
    """Minimise bound (C) for a ``Problem`` with L-BFGS-B in scaled coordinates.

    ``tol`` is L-BFGS-B's ``ftol`` (it stops when an iteration lowers the bound by less than
    ``tol`` relative to the bound). ``converged`` is decided by the duality certificate of
    ``_certificate`` (a lower bound on the optimum): True only when ``bound − lower ≤
    tol·bound``, and ``gap`` is that certified ``bound − lower``. While the certificate
    fails, L-BFGS-B restarts with a fresh memory and a tighter ``ftol``, up to ``_RESTARTS``
    times, ``max_iter`` iterations in all and ``time_limit`` seconds (default
    ``DEFAULT_TIME_LIMIT``); stopping short gives ``converged=False`` and says why.
    """
    refuse_unsupported(problem, "lbfgsb")
    budget = Budget.begin(max_iter, DEFAULT_MAX_ITER, time_limit, DEFAULT_TIME_LIMIT)
    scaled = scaled_or_error(problem)
    n = scaled.free
    fun = _objective(scaled)

    lower, upper = scaled.lower[-n:], scaled.upper[-n:]
    driver = _fast_box_lbfgsb if _FAST_DRIVER() else _scipy_box_lbfgsb
    x, restarts, ftol = scaled.z0[-n:], 0, tol
    while True:
        found = driver(fun, x, lower, upper, max_iter=budget.left(), ftol=ftol,
                       deadline=budget.deadline)
        budget.iterations += int(found.nit)
        x = found.x
        eta, bound = _schedule(problem, scaled, x)
        converged, gap, note = certify(problem, eta, bound, tol)
        stuck = not found.success and found.nit == 0
        if converged or budget.spent() or restarts == _RESTARTS or stuck or budget.late():
            break
        # L-BFGS-B's own test is on the progress of one iteration, which it can pass short
        # of the optimum: restart with a fresh memory and a tighter progress test.
        restarts += 1
        ftol = max(ftol * 1e-3, np.finfo(float).eps)
    limit = None if converged else budget.why_stopped()
    # A late run says so, not what setulb was told to stop with: the driver ends it through
    # the iteration-limit task, whose "TOTAL NO. OF ITERATIONS REACHED LIMIT" contradicted
    # the time limit after it.
    late = limit is not None and not budget.spent()
    message = f"L-BFGS-B: {limit if late else found.message}"
    if restarts:
        message += f" (after {restarts} restart{'s' if restarts > 1 else ''})"
    if limit is not None and not late:
        message += f"; {limit}"
    message += f"; {note}"
    return ScheduleResult(eta=eta, bound=bound, method="lbfgsb", converged=converged,
                          iterations=budget.iterations, seconds=budget.seconds(),
                          message=message, gap=gap)


def _schedule(problem, scaled, x):
    """The schedule of the free values x and its bound."""
    n = x.shape[0]
    z = np.concatenate([np.zeros(scaled.base.shape[0] - n), x])
    eta = scaled.eta(z)
    eta = _constraints.feasible(problem, eta)   # the box holds already; rounding of d·z aside
    return eta, problem.bound(eta)
