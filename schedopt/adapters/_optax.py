"""Schedules as optax schedules: ``as_optax``, ``resample`` and ``optimal_optax_schedule``.

optax calls a schedule with the update count k = 0, 1, …, and its first update uses
``schedule(0)``; so a schedule η_1..η_T of docs/math.md §1 becomes ``k ↦ η_{k+1}``.

Precision. The table is kept as a float64 numpy array. With the default ``dtype=None``, when
the schedule is called (or traced) it looks at the widest float JAX allows at that moment:

- under ``jax_enable_x64`` (the global flag or the ``jax.enable_x64(True)`` context) it
  indexes the float64 table and returns ``η_{k+1}`` in float64, bit for bit;
- otherwise JAX has no float64 at all, and it indexes a float32 copy of the table made once
  by numpy's round-to-nearest, so it returns ``float32(η_{k+1})``.

Every optax optimizer that takes a ``learning_rate`` (``sgd``, ``adam``, …, and
``scale_by_learning_rate`` in a ``chain``) goes through ``scale_by_schedule``, which casts the
value to each parameter's dtype (``jnp.array(step_size, dtype=g.dtype)``). So float64
parameters (x64 on) receive ``η_{k+1}`` exactly and float32 parameters receive
``float32(η_{k+1})`` exactly, rounded once from float64 either way.

``inject_hyperparams`` is different: it casts only weakly typed values to the parameters'
dtype and keeps a float64 array as it is, so under x64 with float32 parameters the state
would hold η in float64 and the update would be computed in float64. ``dtype=`` fixes the
returned dtype for that case: the table is rounded once, by numpy, from float64 to that dtype
(this also gives 16-bit parameters a single rounding, where float64 → float32 → bfloat16
could be off by one unit in the last place).
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

from schedopt import _lr_units
from schedopt import _validation
from schedopt._validation import renamed as _renamed
from schedopt.adapters._peak import scale_to_peak

AFTER = ("hold", "zero")


def _check_after(after):
    if not isinstance(after, str) or after not in AFTER:
        raise ValueError(f"after must be 'hold' (keep the last value past the horizon) or "
                         f"'zero' (0 past the horizon), got {_validation._describe(after)}")
    return after


def _concrete_schedule(eta, name="eta"):
    if _validation.is_traced(eta):
        raise TypeError(f"{name} must be a concrete array (numpy or JAX), not a value traced "
                        f"by jax.jit or jax.vmap: the schedule's table is built once, in Python")
    return _validation.schedule(eta, name)


def _x64_enabled() -> bool:
    return jax.dtypes.canonicalize_dtype(np.float64) == np.dtype(np.float64)


def as_optax(eta, *, after="hold", dtype=None, include_weight=False):
    r"""The optax schedule ``k ↦ η_{k+1}`` of a schedule η_1..η_T (docs/math.md §1).

    .. math:: \mathrm{schedule}(k) = \eta_{k+1}, \qquad k = 0, \dots, T-1

    Works with ``optax.sgd``, ``optax.adam``, ``optax.chain``, ``optax.inject_hyperparams``
    and under ``jax.jit`` and ``jax.vmap`` (the count may be a traced int32 array of any
    shape; the result has the count's shape). Give it rates to apply (docs/math.md §5.1),
    ``applied_schedule(N).eta``: ``optimal_schedule(T).eta`` ends with a never-applied weight.

    Args:
      eta: the schedule, a non-empty 1-D array of finite values ≥ 0 (numpy or JAX,
        concrete), or a ``ScheduleResult``, whose ``rates_to_apply`` are used: all of an
        ``applied_schedule`` result, and the first T − 1 of an ``optimal_schedule(T)`` one
        (its η_T is bound (C)'s never-applied weight; a warning says so). An array ending
        with that weight's 1 + √2 jump is applied as given, with a warning.
      after: what the schedule gives past the horizon, for counts k ≥ T: ``"hold"`` (the
        default) keeps the last value η_T, ``"zero"`` gives 0 so that extra updates do
        nothing. Counts below 0 (never produced by optax) give η_1.
      dtype: the float dtype of the returned values (e.g. ``jnp.float32`` for float32
        parameters under ``inject_hyperparams``). None, the default, means the widest float
        JAX allows when the schedule is called: float64 under x64, float32 otherwise. A
        float64 ``dtype`` without x64 gives float32, as JAX itself does.
      include_weight: apply all T entries of a horizon-T result, weight included (the
        parameters then end at θ_{T+1}, which its bound does not cover).

    Returns:
      A function of a step count returning a JAX scalar (or array shaped like the count);
      a float count (optax's own schedules accept them) is floored, so 2.0 and 2.7 both
      give η_3:
      ``η_{k+1}`` rounded once from float64 to the dtype above (exactly ``η_{k+1}`` in
      float64). See the module docstring for how optax casts it to the parameters' dtype.

    Raises:
      ValueError: for an empty, non-1-D, negative, NaN or infinite ``eta``, or an unknown
        ``after``.
    """
    after = _check_after(after)
    eta = _lr_units.rates_of(eta, include_weight=include_weight, who="as_optax")
    table64 = np.array(_concrete_schedule(eta), dtype=np.float64)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be a float dtype such as jnp.float32, got {dtype!r}") from None
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"dtype must be a float dtype such as jnp.float32, got {dtype}")
    wide = table64 if dtype is None else table64.astype(dtype)      # one rounding, by numpy
    narrow = table64.astype(np.float32) if wide.dtype == np.float64 else wide
    last = table64.shape[0] - 1
    on_device = {}       # one transfer per precision, not one per call (eager optax loops)

    def schedule(count):
        count, index = _count_and_index(count, last)
        x64 = _x64_enabled()
        if x64 not in on_device:
            with jax.ensure_compile_time_eval():      # a concrete array even inside a trace
                on_device[x64] = jnp.asarray(wide if x64 else narrow)
        table = on_device[x64]
        value = table[index]
        if after == "zero":
            value = jnp.where(count > last, jnp.zeros((), table.dtype), value)
        return value

    return schedule


def _count_and_index(count, last):
    """(count, table index) of an integer or float step count; a float count is floored, as
    optax's own schedules accept floats (step k is in progress until k + 1)."""
    if not isinstance(count, jax.core.Tracer):
        host = np.asarray(count)
        if np.issubdtype(host.dtype, np.integer):
            # Clipped before JAX sees it: without x64 a count ≥ 2³¹ (2**40, an int64 array)
            # overflowed or wrapped to η_1 instead of holding the last value (issue 21).
            count = np.clip(host, -1, last + 1).astype(np.int32)
    count = jnp.asarray(count)
    if jnp.issubdtype(count.dtype, jnp.floating):
        count = jnp.floor(count)
        return count, jnp.clip(count, 0, last).astype(jnp.int32)
    if jnp.issubdtype(count.dtype, jnp.integer):
        return count, jnp.clip(count, 0, last)
    raise TypeError(f"the schedule's count must be a step count (integer or float), got "
                    f"dtype {count.dtype}")


def resample(eta, steps):
    r"""The same schedule shape on another horizon of ``steps`` steps.

    Step t of the new schedule sits at the same fraction of training as position
    ``(t − 1)(T − 1)/(steps − 1)`` of the old one, and takes the value of the piecewise-linear
    interpolation there (each value clipped to its segment's range, so rounding cannot
    break monotonicity). Properties kept:

    - the endpoints: the result starts at η_1 and ends at η_T;
    - monotonicity: a non-increasing (non-decreasing) η gives a non-increasing
      (non-decreasing) result;
    - the peak: ``max`` of the result equals ``max(η)``; when no new step falls on the peak
      (a schedule that rises and falls, shrunk), the new step nearest to it takes the peak
      value, which keeps a rise-then-fall shape rise-then-fall (with ``steps == 2`` there
      is no such step and the endpoints win);
    - values stay within ``[min(η), max(η)]``; ``steps == T`` returns η unchanged.

    ``steps == 1`` cannot keep both endpoints; it returns ``[max(η)]``, the peak. A
    one-step η resamples to a constant schedule.

    Resample rates to apply, not the mathematical object: the last entry of
    ``optimal_schedule(T).eta`` is the never-applied weight (docs/math.md §5.1) and would
    land on the last update. For an optimal schedule of another length, solving
    ``applied_schedule(steps)`` is exact and O(steps).

    Args:
      eta: the schedule, a non-empty 1-D array of finite values ≥ 0.
      steps: the new number of steps (a positive integer).

    Returns:
      A float64 numpy array of length ``steps``.
    """
    eta = np.array(_concrete_schedule(eta), dtype=np.float64)
    steps = _validation.steps(steps)
    T = eta.shape[0]
    if steps == T:
        return eta
    if T == 1:
        return np.full(steps, eta[0])
    if steps == 1:
        return np.array([np.max(eta)])
    position = np.arange(steps, dtype=np.float64) * ((T - 1) / (steps - 1))
    left = np.minimum(np.floor(position).astype(np.int64), T - 2)
    frac = position - left
    a, b = eta[left], eta[left + 1]
    out = np.clip(a + frac * (b - a), np.minimum(a, b), np.maximum(a, b))
    out[0], out[-1] = eta[0], eta[-1]
    peak = np.max(eta)
    if np.max(out) < peak:
        where = np.flatnonzero(eta == peak)
        # the new step nearest to the first peak in relative position
        j = int(np.rint(where[0] * (steps - 1) / (T - 1)))
        if steps > 2:
            out[min(max(j, 1), steps - 2)] = peak
    return out


def optimal_optax_schedule(updates=None, peak_lr=None, *, warmup=0, monotone=False, G=1.0,
                           after="hold", method="auto", dtype=None, warmup_steps=None,
                           steps=None):
    r"""The rates to apply for ``updates`` updates, scaled to a peak learning rate, for optax.

    A run of N updates keeps θ_{N+1}, whose guarantee is bound (C) at horizon N + 1; so the
    N rates optax applies are η_1..η_N of ``optimal_schedule(N + 1, D=1, G=G,
    monotone=monotone, warmup=warmup)``, multiplied so that their largest value is
    ``peak_lr`` (``applied_schedule``, docs/math.md §5.1). The weight η_{N+1}, which carries
    the 1 + √2 bump of docs/math.md §4.5, is never applied. The shape does not depend on D
    (docs/math.md §4.1), so a tuned peak learning rate is enough. Applying all N rates of the
    horizon-N optimum instead (what this function did before) ends at θ_{N+1}, which that
    bound does not cover; its exact worst case is 1.50, 1.35, 1.21, 1.12 × the minimax
    DG/√(N+1) at N = 5, 10, 20, 40, where linear decay is within 1.001 × (docs/math.md §5.3).

    Args:
      updates: N, the number of updates (training steps) optax will take.
      peak_lr: the largest learning rate of the schedule (> 0).
      warmup: W ≥ 0 updates of linear warm-up, η_t = t/(W+1)·η_{W+1} for t ≤ W (docs/math.md
        §4.3's fixed-prefix constraint), then the optimum; must be < updates.
      monotone: force the rates non-increasing after the warm-up. Default False since the
        applied rule: with constant G the rates are then already strictly decreasing (the
        bump sits on the never-applied weight) and the unconstrained solve is the exact O(N)
        recursion, where ``monotone=True`` needs the Newton solver (about 50 s at N = 10⁶
        instead of under a second). With a per-step G the optimum can rise where G falls;
        ``monotone=True`` forbids that.
      G: gradient-norm profile, a scalar or one value per update (length N, then G_{N+1} =
        G_N, or length N + 1); only its shape matters.
      after: past-horizon behaviour, as in ``as_optax``.
      method: solver passed to ``optimal_schedule``.
      dtype: the float dtype of the returned values, as in ``as_optax`` (None: float64 under
        x64, float32 otherwise).

    Returns:
      An optax schedule (see ``as_optax``) whose N values have ``max = peak_lr``.
    Raises:
      ValueError: updates ≤ 0, peak_lr ≤ 0 or not finite, warmup < 0 or ≥ updates.
      RuntimeError: the solver did not converge (its message is included).

    ``warmup_steps`` is optax's own spelling of ``warmup`` (as in
    ``optax.warmup_cosine_decay_schedule``) and is accepted as well; give one of them.
    ``steps`` is the old name of ``updates``: it still works for one release and warns
    (``DeprecationWarning``).
    """
    from schedopt.solvers._applied import applied_schedule

    updates = _renamed(steps, "steps", updates, "updates", default=None)
    if updates is None or peak_lr is None:
        raise TypeError("optimal_optax_schedule needs updates (the number of updates) and "
                        "peak_lr, e.g. optimal_optax_schedule(1000, peak_lr=0.1)")
    updates = _validation.steps(updates, "updates")
    peak_lr = _validation.positive_scalar(peak_lr, "peak_lr")
    if warmup_steps is not None:
        if warmup is not None and not (isinstance(warmup, numbers.Integral) and warmup == 0):
            raise TypeError(f"give warmup or warmup_steps (optax's spelling of the same "
                            f"thing), not both: got warmup={_short(warmup)}, "
                            f"warmup_steps={_short(warmup_steps)}")
        warmup = warmup_steps
    warmup = 0 if warmup is None else warmup
    if isinstance(warmup, (bool, np.bool_)) or not isinstance(warmup, numbers.Integral):
        raise TypeError(f"warmup must be an integer number of updates, got {_short(warmup)}")
    if not 0 <= warmup < updates:
        raise ValueError(f"warmup must be >= 0 and smaller than updates = {updates} (at least "
                         f"one update after the warm-up), got {int(warmup)}")
    after = _check_after(after)
    result = applied_schedule(updates, 1.0, G, method=method, monotone=monotone,
                              warmup=int(warmup) or None)
    if not result.converged:
        raise RuntimeError(f"optimal_schedule did not converge for horizon = "
                           f"{result.horizon}: {result.message}")
    return as_optax(scale_to_peak(result.eta, peak_lr), after=after, dtype=dtype)


def _short(value) -> str:
    """A value for an error message, cut short when it is long (e.g. an array)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}... ({type(value).__name__})"
