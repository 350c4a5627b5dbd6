"""Bounds: what a schedule costs (docs/math.md §2, §4.1).

Bound (C) ``last_iterate_bound`` (any η ≥ 0), bound (B) ``monotone_last_iterate_bound``
(non-increasing η), bound (A) ``average_iterate_bound``, the best multiplier of a shape
``optimal_scale``, and the ``BOUNDS`` registry of all three. Differentiable JAX functions,
float64 inside. This layer imports only the foundation (``schedopt._validation``).
"""

from schedopt import _lazy

_EXPORTS = {
    "applied_bound": "schedopt.bounds._applied",
    "applied_bound_weight": "schedopt.bounds._applied",
    "BOUNDS": "schedopt.bounds._registry",
    "InfiniteBoundError": "schedopt.bounds._scale",
    "NotNonIncreasingError": "schedopt._validation",
    "Scale": "schedopt.bounds._scale",
    "average_iterate_bound": "schedopt.bounds._bounds",
    "last_iterate_bound": "schedopt.bounds._bounds",
    "monotone_last_iterate_bound": "schedopt.bounds._bounds",
    "optimal_scale": "schedopt.bounds._scale",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)
