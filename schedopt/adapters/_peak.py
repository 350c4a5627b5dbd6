"""Rescaling a schedule to a peak learning rate: the one place it is done.

Bound (C)'s optimal shape does not depend on D (docs/math.md §4.1), so a practitioner who
tunes a peak learning rate instead of knowing D and G takes the shape and scales it.
"""

from __future__ import annotations

from schedopt import _lr_units
from schedopt._lr_units import scale_to_peak  # noqa: F401  (the adapters' name for it)


def rescale_result(result, peak_lr, D, G):
    """``result`` with η scaled to ``peak_lr``; bound recomputed, gap carried over honestly
    (``schedopt._lr_units.rescale``, shared with ``applied_schedule(peak_lr=)``).

    For the rates to apply (``applied_schedule``), the never-applied weight η_{N+1} is scaled
    by the same factor and the bound stays the guarantee on θ_{N+1}: bound (C) at horizon
    N + 1 (docs/math.md §5.1), with ``G`` as given to ``applied_schedule`` (length N or
    N + 1 when per step). ``peak_lr=None`` returns ``result`` unchanged.
    """
    if peak_lr is None:
        return result
    from schedopt.bounds import last_iterate_bound

    if result.applied:
        from schedopt.solvers._applied import horizon_profile

        G = horizon_profile(G, result.updates)
    return _lr_units.rescale(result, peak_lr, D, G, last_iterate_bound)
