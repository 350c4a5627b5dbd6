"""Recording ‖g_t‖ during an optax run, for ``refine`` (docs/math.md §3, per-step G).

``log_grad_norms(steps)`` is a ``GradientTransformation`` that keeps one gradient norm per
step in its state and passes the updates on unchanged; ``logged_grad_norms(opt_state)``
reads the record back as a float64 array, ready for ``schedopt.refine``. The workflow:
run 1 with the logger → ``refine(norms, peak_lr=…)`` → run 2 with ``as_optax(result.eta)``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from schedopt import _validation


class GradNormLogState(NamedTuple):
    """State of ``log_grad_norms``: the number of updates seen and one norm per step."""
    count: jax.Array
    grad_norms: jax.Array


def log_grad_norms(steps) -> optax.GradientTransformation:
    """An optax transformation that records ‖g_t‖ of every update and passes it on unchanged.

    Put it first in the chain so that it sees the raw (stochastic) gradients, the g_t of
    docs/math.md §1::

        opt = optax.chain(schedopt.log_grad_norms(T), optax.sgd(schedule, momentum=0.9))
        ...                                 # train T steps
        norms = schedopt.logged_grad_norms(opt_state)      # float64, length T
        run2 = schedopt.refine(norms, peak_lr=...)         # then train with as_optax(run2.eta)

    The norm is ``optax.tree.norm`` (the global ℓ2 norm) of the incoming updates (all leaves together), stored
    in the parameters' floating dtype at index ``count``; updates past ``steps`` are not
    recorded. Works under ``jax.jit``; the buffer costs ``steps`` floats.
    """
    T = _validation.steps(steps)

    def init_fn(params):
        leaves = [leaf for leaf in jax.tree_util.tree_leaves(params)
                  if jnp.issubdtype(jnp.result_type(leaf), jnp.floating)]
        dtype = jnp.result_type(*leaves) if leaves else jnp.float32
        return GradNormLogState(count=jnp.zeros([], jnp.int32),
                                grad_norms=jnp.full((T,), jnp.nan, dtype))

    def update_fn(updates, state, params=None):
        del params
        norm = optax.tree.norm(updates).astype(state.grad_norms.dtype)
        grad_norms = state.grad_norms.at[state.count].set(norm, mode="drop")
        return updates, GradNormLogState(count=optax.safe_increment(state.count),
                                         grad_norms=grad_norms)

    return optax.GradientTransformation(init_fn, update_fn)


def logged_grad_norms(opt_state) -> np.ndarray:
    """The norms recorded so far by the ``log_grad_norms`` inside an optax state, float64.

    Finds the one ``GradNormLogState`` anywhere in ``opt_state`` (a chain, a
    ``inject_hyperparams`` wrapper, …) and returns its first ``min(count, steps)`` entries.
    """
    found = [leaf for leaf in jax.tree_util.tree_leaves(
        opt_state, is_leaf=lambda x: isinstance(x, GradNormLogState))
        if isinstance(leaf, GradNormLogState)]
    if len(found) != 1:
        raise ValueError(f"opt_state must contain exactly one log_grad_norms state, found "
                         f"{len(found)}; build the optimizer with optax.chain("
                         f"schedopt.log_grad_norms(steps), ...)")
    state = found[0]
    if state.grad_norms.ndim != 1:
        raise ValueError(f"the log_grad_norms state holds norms of shape "
                         f"{state.grad_norms.shape}; for a batched (vmapped) state take one "
                         f"run's state first")
    n = min(int(state.count), int(state.grad_norms.shape[0]))
    return np.asarray(state.grad_norms[:n], dtype=np.float64)
