r"""A certified lower bound on the optimum of problem (C), for the first-order solvers.

``converged=True`` must mean that the returned bound is within ``tol`` of the optimum
(issue 15 item 1). L-BFGS-B and projected gradient have no certificate of their own, so this
module builds one from Lagrangian duality in tail-sum coordinates (docs/math.md §4.3, §4.7).

**Relaxation.** Every side constraint of a ``Problem`` is linear in η: a fixed warm-up
prefix ``η_t = p_t``, a linear ramp ``η_t = c_t·η_F``, a cap ``η_t ≤ m``, a floor ``η_t ≥ m`` and the monotone
chain ``η_t ≥ η_{t+1}``. Moving them into the objective with multipliers (free for the
equalities, ≥ 0 for the inequalities) leaves the Lagrangian

.. math:: L(η) = \text{(C)}(η) + a^\top η + c,

and by weak duality ``min_{η ≥ 0} L ≤ optimum`` for *any* admissible multipliers. So the
bound is valid whatever multipliers are chosen; a good choice only makes it tight.

**The inner minimum in O(T), exactly**, is ``solvers._dual.dual_value``, the one dual of the
package (a backward recursion in tail sums, docs/math.md §4.3, §4.4).

**Multipliers** come from the gradient g of (C) at the candidate η, by the KKT conditions
of the constrained problem: ``−g_t`` on the warm-up equalities (the ramp's are then
folded into η_F), ``max(0, −g_t)`` on caps that are active, ``max(0, h_t)`` on active floors (h the
Lagrangian's gradient after the other multipliers), and on the monotone chain the
running sums of the gradient over each block of equal rates (0 where two rates differ),
clipped at 0. At the optimum these are the true multipliers and the bound is the optimum
(complementary slackness); near it the gap is of the order of the primal error.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from schedopt.bounds._bounds import last_iterate_bound
from schedopt.solvers import _constraints
from schedopt.solvers._dual import dual_value
from schedopt.solvers._firstorder import bucket


@jax.jit
def _gradient_padded(eta, D, G):
    return jax.grad(last_iterate_bound)(eta, D, G)


def gradient(problem, eta: np.ndarray) -> np.ndarray:
    """∂(C)/∂η at eta, float64 numpy.

    Computed on a layout padded at the front to the first-order solvers' size bucket (zeros
    in front change neither the bound nor the other steps' gradients), so that one
    compilation serves many T.
    """
    T = eta.shape[0]
    pad = bucket(T) - T
    G = np.broadcast_to(np.asarray(problem.G, dtype=np.float64), (T,))
    with jax.enable_x64(True):
        g = _gradient_padded(jnp.asarray(np.concatenate([np.zeros(pad), eta])),
                             jnp.asarray(problem.D, jnp.float64),
                             jnp.asarray(np.concatenate([np.ones(pad), G])))
    return np.asarray(g, dtype=np.float64)[pad:]


def multipliers(problem, eta: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
    """(a, c) of the Lagrangian (C)(η) + aᵀη + c from the gradient g at eta (see module): every
    constraint record's multipliers, lowered in ``_constraints``."""
    return _constraints.multipliers(problem, eta, g)


def lower_bound(problem, eta) -> float:
    """A lower bound on the optimum of ``problem`` (valid up to rounding), from the dual."""
    eta = np.asarray(eta, dtype=np.float64)
    g = gradient(problem, eta)
    if not np.all(np.isfinite(g)):
        return -np.inf
    a, constant = multipliers(problem, eta, g)
    return dual_value(problem.G2, problem.D, a, constant)


def certify(problem, eta, bound: float, tol: float) -> tuple[bool, float | None, str]:
    """(converged, gap, sentence): converged when bound − lower ≤ tol·bound."""
    if not np.isfinite(bound):
        return False, None, "the bound is infinite"
    lower = lower_bound(problem, eta)
    if not np.isfinite(lower):
        return False, None, "no finite dual lower bound at this point (far from the optimum)"
    gap = max(0.0, bound - lower)
    if gap <= tol * bound:
        return True, gap, (f"certified: duality gap {gap:.3g} <= tol·bound = {tol * bound:.3g}")
    return False, gap, (f"not certified: duality gap {gap:.3g} > tol·bound = "
                        f"{tol * bound:.3g}, stopped short of the optimum")
