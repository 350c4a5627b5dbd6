"""Rescaling a schedule to a peak learning rate: the one place it is done.

Bound (C)'s optimal shape does not depend on D (docs/math.md §4.1), so a practitioner who
tunes a peak learning rate instead of knowing D and G takes the shape and scales it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt import _validation


def scale_to_peak(eta, peak_lr) -> np.ndarray:
    """``eta`` multiplied so that its largest value is exactly ``peak_lr`` (to the bit).

    ``min`` and the exact assignment keep every other value at or below the peak
    (``x·c`` can round up to ``c·top`` + 1 ulp).
    """
    peak_lr = _validation.positive_scalar(peak_lr, "peak_lr")
    eta = np.asarray(eta, dtype=np.float64)
    top = float(np.max(eta))
    if not top > 0:
        raise ValueError(f"eta must have a positive value to scale to peak_lr, got max {top!r}")
    out = np.minimum(eta * (peak_lr / top), peak_lr)
    out[eta == top] = peak_lr
    return out


def rescale_result(result, peak_lr, D, G):
    """``result`` with η scaled to ``peak_lr``; bound recomputed, gap carried over honestly.

    If ``result`` is within ``gap`` of the optimum, the rescaled schedule is within
    ``max(bound(rescaled) − result.bound, 0) + gap`` of it. ``peak_lr=None`` returns
    ``result`` unchanged. For the rates to apply (``applied_schedule``), the never-applied
    weight η_{N+1} is scaled by the same factor and the bound stays the guarantee on
    θ_{N+1}: bound (C) at horizon N + 1 (docs/math.md §5.1), with ``G`` as given to
    ``applied_schedule`` (length N or N + 1 when per step).
    """
    if peak_lr is None:
        return result
    from schedopt.bounds import last_iterate_bound

    eta = scale_to_peak(result.eta, peak_lr)
    weight = None
    full = eta
    if result.applied:
        from schedopt.solvers._applied import horizon_profile

        # the factor scale_to_peak applied; the weight is not an applied rate, so no cap
        weight = result.weight * (float(np.max(eta)) / float(np.max(result.eta)))
        full, G = np.append(eta, weight), horizon_profile(G, result.updates)
    bound = float(last_iterate_bound(full, D, G))
    gap = None if result.gap is None else max(bound - result.bound, 0.0) + result.gap
    return dataclasses.replace(
        result, eta=eta, bound=bound, gap=gap, weight=weight,
        message=f"{result.message}; rescaled to peak_lr = {peak_lr!r} (bound: bound (C) of the "
                f"rescaled schedule, D = {float(D)!r})")
