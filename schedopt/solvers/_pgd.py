"""``method="pgd"``: projected gradient descent on bound (C), batchable under ``jax.vmap``.

The iteration is the spectral projected gradient method (Birgin, Martínez & Raydan, 2000):
a Barzilai–Borwein step ``α = sᵀs/sᵀy``, the projection onto the box, and a non-monotone
Armijo backtracking line search against the largest of the last ten values. It runs in the
diagonally scaled coordinates of ``_firstorder`` (η_t = d_t·z_t, the same change of
variables as ``"lbfgsb"``), where the box ``0 ≤ η ≤ max_lr`` stays a box and the iteration
count does not grow with T (docs/math.md §4.3).

The whole loop is one ``jax.lax.while_loop`` over fixed-shape arrays, so ``jax.vmap`` turns
it into a batch solver: problems of different T are padded at the front with zeros, which
leave bound (C) unchanged, and a problem that has converged stops moving while the others go
on. ``solve_batch`` runs a list of problems in one compiled call (on a GPU when JAX has one);
``solve`` is a batch of one. The gradient is ``jax.grad`` of ``last_iterate_bound``. A single
problem with T ≤ ``HOST_MAX`` runs the same iteration in numpy (``_spg_numpy``), without the
compilation that would dominate its time.

The loop stops when the best value has improved by less than ``tol`` (relative) over the
last ``_WINDOW`` iterations and the squared projected gradient (scaled coordinates, bound in
units of its starting value) is below ``tol``. That test is a heuristic: ``converged`` and
``gap`` come from the Lagrangian dual lower bound of ``_certificate`` (docs/math.md §4.7),
checked between rounds of at most ``_ROUND`` iterations; a problem not yet certified goes on
with a tighter internal test, within ``max_iter`` and ``time_limit``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

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
from schedopt.solvers._problem import check_time_limit
from schedopt.solvers._problem import check_tolerances
from schedopt.solvers._problem import from_units
from schedopt.solvers._problem import make_problem
from schedopt.solvers._problem import to_units

DEFAULT_MAX_ITER = 10000
DEFAULT_TIME_LIMIT = 60.0     # seconds, when optimal_schedule's time_limit is None
_WINDOW = 10              # non-monotone memory, and the stagnation window of the stopping rule
_ARMIJO = 1e-4
_MAX_HALVINGS = 40
_ALPHA_RANGE = (1e-12, 1e12)

# Status codes of one problem in a batch.
_RUNNING, _CONVERGED, _STALLED = 0, 1, 2


def _spg(z0, lower, upper, base, ramp, scale, mask, first, monotone, G2, D, f0, tol, max_iter):
    """One problem's spectral projected gradient loop (jnp; vmap over every argument but
    tol). Returns (z, gradient, value, iterations, status).

    This function is long because it is one ``lax.while_loop``: the line search, the
    Barzilai–Borwein step and the stopping test are closures over the loop's state tuple,
    which ``jax.vmap`` batches as a whole.
    """
    fun = functools.partial(objective, base=base, ramp=ramp, scale=scale, mask=mask,
                            first=first, monotone=monotone, G2=G2, D=D, f0=f0)
    value_and_grad = jax.value_and_grad(lambda z: fun(z))

    def project(z):
        return jnp.clip(z, lower, upper)

    def line_search(z, direction, slope, reference):
        """Halve the step until the non-monotone Armijo condition holds."""
        # Rounding allowance: near the optimum, values differ only in their last digits.
        slack = 8 * jnp.finfo(jnp.float64).eps * jnp.abs(reference)

        def rejected(state):
            step, value, _, halvings = state
            return (value > reference + _ARMIJO * step * slope + slack) & (halvings < _MAX_HALVINGS)

        def halve(state):
            step, _, _, halvings = state
            value, grad = value_and_grad(z + 0.5 * step * direction)
            return 0.5 * step, value, grad, halvings + 1

        value, grad = value_and_grad(z + direction)
        step, value, grad, halvings = jax.lax.while_loop(rejected, halve, (1.0, value, grad, 0))
        accepted = value <= reference + _ARMIJO * step * slope + slack
        return step, value, grad, accepted

    def running(state):
        return state["status"] == _RUNNING

    def iterate(state):
        z, grad, alpha = state["z"], state["grad"], state["alpha"]
        direction = project(z - alpha * grad) - z
        slope = jnp.vdot(grad, direction)
        reference = jnp.max(state["recent"])
        step, value, new_grad, accepted = line_search(z, direction, slope, reference)
        new_z = z + step * direction
        s, y = new_z - z, new_grad - grad
        sy = jnp.vdot(s, y)
        alpha = jnp.where(sy > 0, jnp.clip(jnp.vdot(s, s) / jnp.where(sy > 0, sy, 1.0),
                                           *_ALPHA_RANGE), _ALPHA_RANGE[1])
        k = state["k"] + 1
        best = jnp.minimum(state["best"], value)
        # The best value of _WINDOW iterations ago, to measure recent progress.
        ago = state["history"][k % _WINDOW]
        history = state["history"].at[k % _WINDOW].set(best)
        stagnant = (k >= _WINDOW) & (ago - best <= tol * jnp.abs(best))
        # In the scaled coordinates the Hessian of bound/bound_start has a diagonal of about
        # 1, so ‖projected gradient‖² estimates the relative gap (docs/math.md §4.2, convexity).
        pg = project(new_z - new_grad) - new_z
        small = jnp.vdot(pg, pg) <= tol
        stationary = jnp.all(direction == 0)
        status = jnp.where((stagnant & small) | stationary, _CONVERGED,
                           jnp.where(accepted, _RUNNING, _STALLED))
        status = jnp.where((status == _RUNNING) & (k >= max_iter), _STALLED, status)
        keep = accepted
        return dict(z=jnp.where(keep, new_z, z), grad=jnp.where(keep, new_grad, grad),
                    value=jnp.where(keep, value, state["value"]), alpha=alpha,
                    recent=state["recent"].at[k % _WINDOW].set(
                        jnp.where(keep, value, state["value"])),
                    history=history, best=best, k=k, status=status)

    value, grad = value_and_grad(z0)
    pg = project(z0 - grad) - z0
    alpha = 1.0 / jnp.maximum(jnp.max(jnp.abs(pg)), 1e-300)
    state = dict(z=z0, grad=grad, value=value, alpha=jnp.clip(alpha, *_ALPHA_RANGE),
                 recent=jnp.full(_WINDOW, value), history=jnp.full(_WINDOW, value), best=value,
                 k=jnp.asarray(0), status=jnp.where(max_iter > 0, _RUNNING, _STALLED))
    state = jax.lax.while_loop(running, iterate, state)
    return state["z"], state["grad"], state["value"], state["k"], state["status"]


# Every argument but tol has one row per problem (max_iter too: a problem that is done gets 0).
_batched = jax.jit(jax.vmap(_spg, in_axes=(0,) * 12 + (None, 0)))


def _spg_numpy(scaled, tol, max_iter, z0):
    """``_spg`` step for step in numpy, for one problem with T ≤ ``HOST_MAX``.

    Compiling the vmapped loop takes 1.4–2 s per size bucket, while the whole solve at
    T = 10³ takes milliseconds; this is the same iteration (same tests, same order of
    operations) on ``host_objective``, so it differs from the compiled loop by rounding only.
    Starts from ``z0`` (a round of ``solve_batch`` goes on from the last one). Returns
    (z, gradient, value, iterations, status) as the compiled loop does.
    """
    fun = host_objective(scaled)
    lower, upper = scaled.lower, scaled.upper

    def project(z):
        return np.clip(z, lower, upper)

    def line_search(z, direction, slope, reference):
        slack = 8 * np.finfo(np.float64).eps * abs(reference)
        step, halvings = 1.0, 0
        value, grad = fun(z + direction)
        while value > reference + _ARMIJO * step * slope + slack and halvings < _MAX_HALVINGS:
            value, grad = fun(z + 0.5 * step * direction)
            step, halvings = 0.5 * step, halvings + 1
        return step, value, grad, value <= reference + _ARMIJO * step * slope + slack

    z = np.array(z0, dtype=np.float64)
    value, grad = fun(z)
    pg = project(z - grad) - z
    alpha = float(np.clip(1.0 / max(np.max(np.abs(pg)), 1e-300), *_ALPHA_RANGE))
    recent, history = np.full(_WINDOW, value), np.full(_WINDOW, value)
    best, k, status = value, 0, (_RUNNING if max_iter > 0 else _STALLED)
    while status == _RUNNING:
        direction = project(z - alpha * grad) - z
        slope = float(np.dot(grad, direction))
        step, new_value, new_grad, accepted = line_search(z, direction, slope, np.max(recent))
        new_z = z + step * direction
        s, y = new_z - z, new_grad - grad
        sy = float(np.dot(s, y))
        alpha = float(np.clip(np.dot(s, s) / sy, *_ALPHA_RANGE)) if sy > 0 else _ALPHA_RANGE[1]
        k += 1
        best = min(best, new_value)
        ago = history[k % _WINDOW]
        history[k % _WINDOW] = best
        stagnant = k >= _WINDOW and ago - best <= tol * abs(best)
        pg = project(new_z - new_grad) - new_z
        small = float(np.dot(pg, pg)) <= tol
        if (stagnant and small) or not np.any(direction):
            status = _CONVERGED
        else:
            status = _RUNNING if accepted else _STALLED
        if status == _RUNNING and k >= max_iter:
            status = _STALLED
        if accepted:
            z, grad, value = new_z, new_grad, new_value
        recent[k % _WINDOW] = value
    return z, grad, value, k, status


def solve_batch(problems, tol: float, max_iter: int | None,
                time_limit: float | None = None) -> list[ScheduleResult]:
    """Minimise bound (C) for each ``Problem`` of a list in one vmapped, compiled call.

    Every problem is laid out over the same length (the bucket of the longest T, zeros in
    front). The loop runs in rounds of at most ``_ROUND`` iterations; after each round every
    problem's point is checked by the duality certificate of ``_certificate``, and only
    problems not yet certified go on (from where they stopped, with a tighter internal
    stopping test), until ``max_iter`` iterations, ``time_limit`` seconds (default
    ``DEFAULT_TIME_LIMIT``, checked between rounds, whose length is fitted to the time
    left) or a line search that cannot make
    progress. Returns one ``ScheduleResult`` per problem; ``seconds`` is the whole batch's
    time.
    """
    for problem in problems:
        refuse_unsupported(problem, "pgd")
    clock = Budget.begin(max_iter, DEFAULT_MAX_ITER, time_limit, DEFAULT_TIME_LIMIT)
    scaled = [scaled_or_error(problem) for problem in problems]
    host = len(scaled) == 1 and scaled[0].steps <= HOST_MAX   # one small problem: numpy
    size = bucket(max(s.base.shape[0] for s in scaled))
    lay = scaled if host else [s.padded(size) for s in scaled]
    fields = ("z0", "lower", "upper", "base", "ramp", "scale", "mask", "first", "monotone",
              "G2", "D", "f0")
    stacked = {f: np.stack([np.asarray(getattr(s, f)) for s in lay]) for f in fields}
    count = len(problems)
    budgets = [dataclasses.replace(clock) for _ in problems]     # one clock, own iterations
    outcome = [None] * count            # (eta, bound, converged, gap, note, code) per problem
    finished = np.zeros(count, dtype=bool)
    round_tol = tol
    while True:
        done = max(b.iterations for b in budgets)
        budget = np.where(finished, 0, np.minimum(clock.per_round(_ROUND, done),
                                                  [b.left() for b in budgets]))
        if host:
            zi, _, _, k, code = _spg_numpy(lay[0], round_tol, int(budget[0]), stacked["z0"][0])
            z, steps, status = zi[None, :], np.array([k]), np.array([code])
        else:
            with jax.enable_x64(True):
                out = _batched(*(jnp.asarray(stacked[f]) for f in fields),
                               jnp.asarray(round_tol, jnp.float64), jnp.asarray(budget))
                z, _, _, steps, status = (np.asarray(a) for a in out)
        for i in np.flatnonzero(budget > 0):
            budgets[i].iterations += int(steps[i])
            eta, bound = _schedule(problems[i], lay[i], z[i])
            outcome[i] = (eta, bound) + certify(problems[i], eta, bound, tol) + (int(status[i]),)
            # Certified, out of iterations, or a line search that gave up inside its budget.
            finished[i] = (outcome[i][2] or budgets[i].spent()
                           or (status[i] == _STALLED and steps[i] < budget[i]))
        stacked["z0"] = z
        if finished.all() or clock.late():
            break
        round_tol = max(round_tol * 1e-2, 1e-300)
    seconds = clock.seconds()
    return [_result(outcome[i], budgets[i], count, seconds) for i in range(count)]


_ROUND = 1000     # iterations per round between certificate checks (and time checks)


def _schedule(problem, lay, z):
    eta = lay.eta(z)
    eta = _constraints.feasible(problem, eta)   # rounding of d·z aside, the box holds
    return eta, problem.bound(eta)


def _result(outcome, budget, count, seconds) -> ScheduleResult:
    eta, bound, converged, gap, note, code = outcome
    if converged:
        message = "projected gradient"
    elif budget.why_stopped() is not None:
        message = budget.why_stopped()
    elif code == _STALLED:
        message = "the line search could not lower the bound further"
    else:
        message = "projected gradient"
    iterations = budget.iterations
    message += f" after {iterations} iterations; {note}"
    if count > 1:
        message += f" (solved in a batch of {count})"
    return ScheduleResult(eta=eta, bound=bound, method="pgd", converged=converged,
                          iterations=iterations, seconds=seconds, message=message, gap=gap)


def solve(problem, tol: float, max_iter: int | None,
          time_limit: float | None = None) -> ScheduleResult:
    """Minimise bound (C) for one ``Problem`` (a batch of one)."""
    return solve_batch([problem], tol, max_iter, time_limit)[0]



def _is_batch(value) -> bool:
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim >= 1)


def _split(steps, D, G) -> list[tuple]:
    """(steps, D, G) of each problem of a batch; see ``optimal_schedule_batch``."""
    per = {}
    if _is_batch(steps):
        per["steps"] = list(steps)
    if _is_batch(D):
        per["D"] = list(D)
    if isinstance(G, (list, tuple)) or (isinstance(G, np.ndarray) and G.ndim == 2):
        per["G"] = list(G)
    if not per:
        raise ValueError("optimal_schedule_batch needs a batch: give steps, D or G with one "
                         "entry per problem (a list, or G as a 2-D array with one row per "
                         "problem); for a single problem use optimal_schedule(..., method='pgd')")
    sizes = {name: len(values) for name, values in per.items()}
    if len(set(sizes.values())) > 1:
        described = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise ValueError(f"steps, D and G must give the same number of problems, but {described}")
    count = next(iter(sizes.values()))
    if count == 0:
        raise ValueError("optimal_schedule_batch needs at least one problem, got an empty batch")
    shared = {"steps": steps, "D": D, "G": G}
    columns = [per.get(name, [shared[name]] * count) for name in ("steps", "D", "G")]
    return list(zip(*columns))


def optimal_schedule_batch(steps, D=1.0, G=1.0, *, monotone=False, max_lr=None, warmup=None,
                           tol=1e-12, max_iter=None, time_limit=None,
                           min_lr=None) -> list[ScheduleResult]:
    """Many optimal schedules of bound (C) at once: ``method="pgd"`` under ``jax.vmap``.

    The batch is solved in one compiled call (on a GPU when JAX has one); problems of
    different T are padded at the front with zeros, which leave bound (C) unchanged. A batch
    of one problem with T ≤ ``HOST_MAX`` runs the same iteration in numpy instead.

    Args:
      steps: T, one for all, or a sequence with one per problem.
      D: ``‖θ_1 − θ*‖``, one for all, or a sequence with one per problem.
      G: gradient-norm bound shared by all (a scalar, or a 1-D array of one value per step
        when every problem has the same T), or one entry per problem (a list of scalars or
        per-step arrays, or a 2-D array with one row of per-step values per problem).
      monotone, max_lr, min_lr, warmup: as in ``optimal_schedule``, shared by every problem.
      tol, max_iter: as in ``optimal_schedule``.

    Returns:
      A list of ``ScheduleResult``, one per problem, in order; ``seconds`` is the batch's time.
    """
    problems = [make_problem(T, d, g, monotone=monotone, max_lr=max_lr, warmup=warmup,
                             min_lr=min_lr)
                for T, d, g in _split(steps, D, G)]
    tol, max_iter = check_tolerances(tol, max_iter)
    time_limit = check_time_limit(time_limit)
    converted = [to_units(problem) for problem in problems]
    results = solve_batch([unit for unit, _ in converted], tol, max_iter, time_limit)
    return [dataclasses.replace(from_units(result, problem, units), problem=problem.summary())
            for result, problem, (_, units) in zip(results, problems, converted)]
