"""``method="lbfgsb"``: scipy's L-BFGS-B on bound (C) with the exact JAX gradient.

The free values are optimised in the scaled coordinates of ``_firstorder`` (η_t = d_t·z_t, d the
a-priori shape at its best multiplier), where the box ``0 ≤ η ≤ max_lr`` stays a box and the
iteration count no longer grows with T (about 20 iterations from T = 10² to 10⁶, against
about T in η coordinates; THEORY §4.3). The gradient is ``jax.grad`` of
``last_iterate_bound`` (its custom VJP) through the linear change of variables, so a
linear warm-up ramp and the tail sums of ``monotone`` are handled by the chain rule.

The objective is compiled once per size bucket (the layout is padded at the front with
zeros, which leave bound (C) unchanged), so repeated solves of nearby T reuse the code.
L-BFGS-B cannot certify a gap: ``gap`` is None.
"""

from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from schedopt._result import ScheduleResult
from schedopt._firstorder import bucket
from schedopt._firstorder import kkt_residual
from schedopt._firstorder import objective
from schedopt._firstorder import on_floor
from schedopt._firstorder import refuse_monotone_cap
from schedopt._firstorder import scaled_problem

DEFAULT_MAX_ITER = 2000
_RESIDUAL = 1.0        # KKT residual ≤ _RESIDUAL·tol to count as converged
_RESTARTS = 3


@functools.partial(jax.jit, static_argnames="monotone")
def _value_and_grad(z, base, ramp, scale, mask, first, G2, D, f0, monotone):
    return jax.value_and_grad(objective)(z, base, ramp, scale, mask, first, monotone, G2, D, f0)


def solve(problem, tol: float, max_iter: int | None) -> ScheduleResult:
    """Minimise bound (C) for a ``Problem`` with L-BFGS-B in scaled coordinates.

    ``tol`` is L-BFGS-B's ``ftol`` (it stops when an iteration lowers the bound by less than
    ``tol`` relative to the bound) and the bar for the scale-free KKT residual of
    ``_firstorder.kkt_residual`` (0 at the optimum), which decides ``converged``. Stopping
    short (iteration limit, a residual above tol after restarts, or η_T ending on its
    safeguard floor) gives ``converged=False`` and says why.
    """
    refuse_monotone_cap(problem, "lbfgsb")
    max_iter = DEFAULT_MAX_ITER if max_iter is None else max_iter
    start = time.perf_counter()
    scaled = scaled_problem(problem)
    size = bucket(scaled.base.shape[0])
    lay = scaled.padded(size)
    n = scaled.free
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

    lower, upper = scaled.lower[-n:], scaled.upper[-n:]
    bounds = scipy.optimize.Bounds(lower, upper)
    x, iterations, restarts = scaled.z0[-n:], 0, 0
    while True:
        found = scipy.optimize.minimize(
            fun, x, jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": max_iter - iterations, "maxfun": 5 * max_iter + 20,
                     "ftol": tol, "gtol": 0.0})
        iterations += int(found.nit)
        x = found.x
        # L-BFGS-B's own test is on the progress of one iteration, which it can pass short
        # of the optimum: check the scale-free KKT residual, and restart with a fresh memory
        # (which usually finishes the job) when it is too large.
        residual = kkt_residual(x, found.jac, found.fun, lower, upper, scaled.z0[-n:])
        stuck = not found.success and found.nit == 0
        if residual <= _RESIDUAL * tol or iterations >= max_iter or restarts == _RESTARTS or stuck:
            break
        restarts += 1
    z = np.concatenate([np.zeros(scaled.base.shape[0] - n), x])
    eta = scaled.eta(z)
    if problem.max_lr is not None:
        eta = np.minimum(eta, problem.max_lr)   # the box holds already; rounding of d·z aside
    bound = problem.bound(eta)
    # The KKT residual decides: L-BFGS-B may report a failed line search at the optimum
    # (nothing left to gain) or success short of it.
    converged = bool(np.isfinite(bound)) and residual <= _RESIDUAL * tol
    message = f"L-BFGS-B: {found.message}"
    if restarts:
        message += f" (after {restarts} restart{'s' if restarts > 1 else ''})"
    message += f"; KKT residual {residual:.3g}"
    message += " <= tol" if converged else " > tol: stopped short of the optimum"
    if on_floor(scaled, z):
        converged = False
        message += ("; η_T ended on its safeguard lower bound (bound (C) is infinite at "
                    "η_T = 0), so the result may not be optimal")
    return ScheduleResult(eta=eta, bound=bound, method="lbfgsb", converged=converged,
                          iterations=iterations, seconds=time.perf_counter() - start,
                          message=message, gap=None)
