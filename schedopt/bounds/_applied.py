r"""The guarantee on the parameters a user keeps after applying N rates (docs/math.md §5.1).

Bound (C) at horizon T bounds ``E[L(θ_T)]``, the point where the T-th gradient is taken:
only η_1..η_{T−1} move θ and η_T is an analysis weight. A user who applies the N rates
η_1..η_N keeps θ_{N+1}, so their guarantee is (C) at horizon N + 1 with a weight η_{N+1}
that is never applied and may be chosen freely:

.. math::
    B(\eta) = \min_{w > 0} F(w), \qquad
    F(w) = \frac{D^2}{2(\eta_{1:N} + w)}
         + \frac12 \sum_{t=1}^{N} \frac{G_t^2 \eta_t^2}{\eta_{t+1:N} + w}
         + \frac12 G_{N+1}^2 w .

F is strictly convex on w > 0 and tends to +∞ at both ends (the last term with η_t > 0
has an empty tail, so its denominator is w alone; with η = 0 the D² term is D²/(2w)), so
the minimiser is the unique root of F′, i.e. of

.. math:: \varphi(w) = \sum_{j=0}^{N} \frac{c_j}{(a_j + w)^2} = G_{N+1}^2,

with ``c_0 = D², a_0 = η_{1:N}`` and ``c_t = G_t² η_t², a_t = η_{t+1:N}``. Each single term
gives ``w* ≥ √c_j/G_{N+1} − a_j``, and φ is convex and decreasing, so Newton's method started
left of the root climbs onto it (``bounds._tail``, the one Newton for this 1-D problem, shared
with the frozen-prefix continuation of ``solvers._prefix``). No closed form exists in general
(clearing denominators leaves a polynomial of degree 2N + 1).

Uses ``schedopt.last_iterate_bound`` for the value at the minimiser, so that the number is
bit for bit bound (C) of the schedule ``(η_1..η_N, w*)``; and ``schedopt._validation`` (the
foundation layer) for argument checks.
"""

from __future__ import annotations

import numpy as np

from schedopt import _validation
from schedopt._units import exponents
from schedopt.bounds._tail import minimise_tail


def _arguments(eta, D, G):
    """Validated float64 (η, D, G as given, G_t² for t ≤ N, G_{N+1}²)."""
    eta = _validation.schedule(eta)
    N = eta.shape[0]
    D = _validation.positive_scalar(D, "D")
    if np.ndim(G) == 1 and np.shape(G)[0] == N:
        G = np.append(G, G[-1])      # G_{N+1} = G_N, as applied_schedule takes it
    if np.ndim(G) == 1 and np.shape(G)[0] != N + 1:
        raise ValueError(f"G must be a scalar or a 1-D array of length N = {N} or N + 1 = "
                         f"{N + 1} for a schedule of N applied rates (G_{{N+1}} weighs the "
                         f"never-applied analysis weight η_{{N+1}}; with length N it is taken "
                         f"equal to G_N), got length {np.shape(G)[0]}")
    G = _validation.gradient_norms(G, N + 1)
    with np.errstate(over="ignore", under="ignore"):       # the units of _weight_in_units
        G2 = np.broadcast_to(np.square(G), (N + 1,)).astype(np.float64)
    return eta, D, G, G2[:N], float(G2[N])


def _weight_in_units(eta, D, G) -> tuple[float, int, int, int]:
    """The root w* of φ(w) = G_{N+1}² (``bounds._tail.minimise_tail``, the Newton shared with
    ``solvers._prefix``) for (η, D, G) of any scale: η = 2^k·η', G = 2^g·G' and the D term's
    share carried by D·2^(−g−k), all exact powers of two, w* = 2^k·w*'. k is d − g (η in
    units of D/G) raised only as far as keeps max(η') ≤ 2^500, so that G_t²η_t² cannot
    overflow (issue 21: rates of 1e300 gave c = ∞ and an infinite w). It is never lowered:
    rates far below D/G weigh nothing beside the D² term, while lowering k overflows D·2^(−g−k)
    (η = [4.4e-308] with D = G = 1 gave c_0 = ∞). Returns (w*', k, d, g)."""
    N = eta.shape[0]
    G = np.broadcast_to(np.asarray(G, dtype=np.float64), (N + 1,))
    d, g = exponents(D, G)
    top = int(np.frexp(np.max(eta))[1]) if np.any(eta > 0) else d - g
    k = max(d - g, top - 500)
    with np.errstate(over="ignore", under="ignore"):
        G2 = np.square(np.ldexp(G, -g))
        tail = minimise_tail(np.ldexp(eta, -k), float(np.ldexp(D, -g - k)), G2[:N],
                             float(G2[N]))
    return tail.S, k, d, g


def applied_bound_weight(eta, D=1.0, G=1.0) -> float:
    r"""The analysis weight ``w* = argmin_w (C)(η_1..η_N, w)`` behind ``applied_bound``.

    It is the η_{N+1} of bound (C) at horizon N + 1 that makes the bound on θ_{N+1} smallest;
    it is never applied. Same arguments as ``applied_bound``.
    """
    eta, D, G, _, _ = _arguments(eta, D, G)
    w, k, _, _ = _weight_in_units(eta, D, G)
    return float(np.ldexp(w, k))


def applied_bound(eta, D=1.0, G=1.0) -> float:
    r"""Bound (C) on ``E[L(θ_{N+1}) − L*]`` after applying the N rates ``η_1..η_N`` (docs/math.md §5.1).

    .. math::
        \min_{w>0}\; \frac{D^2}{2(\eta_{1:N}+w)}
        + \frac12\sum_{t=1}^{N}\frac{G_t^2\eta_t^2}{\eta_{t+1:N}+w} + \frac12 G_{N+1}^2 w

    — bound (C) at horizon N + 1 with the never-applied weight η_{N+1} = w chosen optimally
    (``applied_bound_weight`` returns it). This is the guarantee on the parameters a user keeps
    after N updates; ``last_iterate_bound(η)`` instead covers θ_N, where the last rate has not
    acted yet. The applied rates of the horizon-(N+1) optimum,
    ``optimal_schedule(N + 1).eta[:N]``, minimise it.

    Zeros are allowed anywhere. Trailing zeros leave θ unchanged, so with constant G the value
    equals that of the schedule without them; with η = 0 everywhere it is ``D·G_{N+1}`` (no
    step is taken, and (C) at horizon 1 is ``min_w D²/(2w) + G²w/2``). The value is finite for
    every η ≥ 0.

    Args:
      eta: the N ≥ 1 rates to apply, finite and ≥ 0.
      D: ‖θ_1 − θ*‖, > 0.
      G: the gradient-norm bound, > 0: a scalar, or one per step G_1..G_{N+1} (length N + 1;
        G_{N+1} weighs the analysis weight), or G_1..G_N (then G_{N+1} = G_N, as
        ``applied_schedule`` takes it).

    Returns:
      The bound as a Python float.
    """
    eta, D, G, _, _ = _arguments(eta, D, G)
    unit_w, k, d, g = _weight_in_units(eta, D, G)
    # Imported here: schedopt's public names load JAX on first use (PEP 562).
    from schedopt import last_iterate_bound
    with np.errstate(over="ignore", under="ignore"):
        w = float(np.ldexp(unit_w, k))
        if np.isfinite(w) and w > 0:
            return float(last_iterate_bound(np.append(eta, w), D, G))
        # w* ∝ D/G is not representable (η = 0, D = 1e300, G = 1e-300: the value is D·G):
        # (C)(η; D, G) = 2^(d+g)·(C)(η/2^(d−g); D/2^d, G/2^g), exactly.
        unit = np.append(np.ldexp(eta, g - d), np.ldexp(unit_w, k - d + g))
        value = last_iterate_bound(unit, float(np.ldexp(D, -d)), np.ldexp(np.asarray(G), -g))
        return float(np.ldexp(float(value), d + g))
