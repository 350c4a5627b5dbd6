"""The diagonal change of variables shared by the first-order solvers (lbfgsb, pgd).

In η coordinates bound (C) is badly conditioned (docs/math.md §4.3): η_1 and η_{T−1} differ by a
factor of about T, and plain L-BFGS-B needs about T iterations. Writing the free values as
``η_t = d_t·z_t``, with ``d`` an a-priori shape at its best multiplier, keeps the box
``0 ≤ η_t ≤ max_lr`` a box (``0 ≤ z_t ≤ max_lr/d_t``) and leaves a problem whose iteration
count does not grow with T.

The starting point is Defazio et al.'s refinement (docs/math.md §3), ``s_t ∝ G_t⁻² Σ_{p≥t} G_p⁻²``
(discrete linear decay for constant G) at its best multiplier (docs/math.md §4.1), with η_T then
set to its best value given the rest (the last-step bump of docs/math.md §4.5). It does not use the
exact optimum. The scale d is the Jacobi preconditioner 1/√diag(Hessian) at that point.

Constraints become linear maps of z:

- a fixed warm-up prefix is a constant part of η;
- a linear ramp of W steps is ``η_t = t/(W+1)·η_{W+1}``, a column of coefficients on the
  first free value;
- ``monotone=True`` writes the free part as tail sums of non-negative decrements,
  ``η_t = Σ_{k≥t} d_k z_k`` with ``z ≥ 0``, so that η is non-increasing for any z in the box.

Every array is laid out over the whole schedule (length T, or longer when padded at the
front for a batch or a compile bucket): positions that are not free have ``d = 0`` and a
box ``[0, 0]``. Zeros in front of a schedule leave bound (C) unchanged.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from schedopt._closed_forms import defazio_shape
from schedopt._search import golden_section
from schedopt.bounds._bounds import last_iterate_bound
from schedopt.bounds._host import last_value_and_grad_numpy
from schedopt.bounds._scale import optimal_scale
from schedopt._sums import tail_sums
from schedopt.solvers import _constraints

# η_T > 0 keeps bound (C) finite (docs/math.md §2): its variable gets this lower bound, relative to
# its starting value; the solvers report a result that ends on it as not converged.
FLOOR = 1e-10
_MIN_BUCKET = 256


def bucket(length: int) -> int:
    """A layout length ≥ length, eight sizes per octave: ≤ 12.5% padding, few compilations."""
    if length <= _MIN_BUCKET:
        return _MIN_BUCKET
    step = 1 << max(0, (length - 1).bit_length() - 4)
    return -(-length // step) * step


@dataclasses.dataclass(frozen=True, eq=False)
class Scaled:
    """Problem (C) with its constraints in scaled coordinates z, over a layout of length L.

    ``η = base + ramp·η_F + mask·F(d·z)`` where F is the identity, or the reverse cumulative
    sum when ``monotone`` (tail sums), and η_F is the first free value (index ``first``).

    Attributes:
      steps: T of the problem; the layout may be longer (zeros in front).
      base: fixed warm-up values, 0 elsewhere.
      ramp: coefficients t/(W+1) of η_F on a linear ramp, 0 elsewhere.
      scale: d (0 where not free).
      mask: 1 on the free suffix, 0 elsewhere.
      first: index of η_F in the layout.
      monotone: whether F is the tail sum.
      z0: starting point (the a-priori schedule).
      lower, upper: the box on z.
      G2, D: the problem's G_t² (1 on padding) and D.
      f0: bound (C) at the starting point, the objective's unit.
    """

    steps: int
    base: np.ndarray
    ramp: np.ndarray
    scale: np.ndarray
    mask: np.ndarray
    first: int
    monotone: bool
    z0: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    G2: np.ndarray
    D: float
    f0: float

    @property
    def free(self) -> int:
        return int(self.mask.sum())

    def padded(self, length: int) -> "Scaled":
        """The same problem laid out over ``length`` positions (zeros in front)."""
        extra = length - self.base.shape[0]
        if extra < 0:
            raise ValueError(f"cannot pad a layout of {self.base.shape[0]} to {length}")

        def pad(a, value=0.0):
            return np.concatenate([np.full(extra, value), a])

        return dataclasses.replace(
            self, base=pad(self.base), ramp=pad(self.ramp), scale=pad(self.scale),
            mask=pad(self.mask), first=self.first + extra, z0=pad(self.z0),
            lower=pad(self.lower), upper=pad(self.upper), G2=pad(self.G2, 1.0))

    def eta(self, z) -> np.ndarray:
        """The schedule (length T) of a point z of the layout (numpy: eager jnp operations
        would compile each operation anew for every length)."""
        eta = _eta_numpy(np.asarray(z, dtype=np.float64), self.base, self.ramp, self.scale,
                         self.mask, self.first, self.monotone)[0]
        return eta[eta.shape[0] - self.steps:]


def _eta_numpy(z, base, ramp, scale, mask, first, monotone):
    """``eta_of`` in numpy: (η, the free part mask·F(d·z))."""
    free = scale * z
    if monotone:
        free = tail_sums(free)
    free = free * mask
    return base + ramp * free[first] + free, free


def eta_of(z, base, ramp, scale, mask, first, monotone):
    """η = base + ramp·η_F + mask·F(d·z) (jnp; traceable, vmappable)."""
    free = scale * z
    free = jnp.where(monotone, jax.lax.cumsum(free, reverse=True), free) * mask
    return base + ramp * free[first] + free


def objective(z, base, ramp, scale, mask, first, monotone, G2, D, f0):
    """Bound (C) at η(z), in units of its value at the start (jnp; differentiable)."""
    eta = eta_of(z, base, ramp, scale, mask, first, monotone)
    return last_iterate_bound(eta, D, jnp.sqrt(G2)) / f0


def host_objective(scaled: Scaled):
    """``objective`` and its gradient in z as a numpy function of z (over the layout of
    ``scaled``), for problems small enough (T ≤ ``_bounds.HOST_MAX``) that compiling the JAX
    objective would cost more than the whole solve.

    The same arithmetic as ``jax.value_and_grad(objective)``: η = base + ramp·η_F + mask·F(d·z),
    bound (C) and its gradient by ``last_value_and_grad_numpy``, then the chain rule back
    through η(z) (the adjoint of the tail sum is the prefix sum).
    """
    base, ramp, scale, mask = scaled.base, scaled.ramp, scaled.scale, scaled.mask
    first, monotone, f0 = scaled.first, scaled.monotone, scaled.f0
    D2 = scaled.D * scaled.D
    G2 = np.square(np.sqrt(scaled.G2))      # as objective's G = √G2, squared again
    ramped = bool(np.any(ramp))

    def fun(z):
        eta, _ = _eta_numpy(z, base, ramp, scale, mask, first, monotone)
        value, d_eta = last_value_and_grad_numpy(eta, D2, G2)
        d_free = d_eta.copy()
        if ramped:
            d_free[first] += np.dot(ramp, d_eta)
        d_free *= mask
        if monotone:
            d_free = np.cumsum(d_free)
        return value / f0, scale * d_free / f0

    return fun


def _shape(G2: np.ndarray, monotone: bool) -> np.ndarray:
    """A-priori shape of the free part: Defazio's G_t⁻² Σ_{p≥t} G_p⁻² (docs/math.md §3), peak 1."""
    shape = defazio_shape(G2)
    if monotone:
        shape = np.minimum.accumulate(shape)
    return shape / np.max(shape)


def _multiplier(problem, shape: np.ndarray, ramp: np.ndarray) -> float:
    """λ minimising bound (C) at prefix ++ λ·(ramp ++ shape): closed form without a prefix."""
    prefix = _constraints.warmup(problem).values
    rest = np.concatenate([ramp * shape[0], shape])
    guess = optimal_scale(rest, problem.D, np.sqrt(problem.G2[prefix.shape[0]:])).scale
    if prefix.shape[0] == 0:
        return guess
    G = problem.G

    def value(log_lam):
        return float(last_iterate_bound(np.concatenate([prefix, np.exp(log_lam) * rest]),
                                        problem.D, G))

    # The fixed prefix only adds to the tail sums, so the best λ lies within a wide
    # bracket of the prefix-free one; the bound is convex in λ (docs/math.md §4.2).
    best, _ = golden_section(value, np.log(guess) - 30, np.log(guess) + 5, xtol=1e-6)
    return float(np.exp(best))


def _settle_last(eta, G2, D, cap) -> float:
    """The η_T minimising bound (C) with η_1..η_{T−1} held, at most ``cap`` (None: no cap).

    Bound (C) is steep in η_T near 0 (the term ½G_{T−1}²η_{T−1}²/η_T), so a start with η_T
    too small costs a first-order method many iterations; this 1-D convex problem is cheap.
    Its derivative ½G_T² − ½Σ_{t<T} G_t²η_t²/S_{t+1}² − D²/(2S_1²) increases with η_T, is
    ≤ 0 at η_T = η_{T−1}G_{T−1}/G_T, and the root is bracketed by doubling from there.
    """
    head = eta[:-1]
    rest = tail_sums(head)          # S_{t+1} − η_T for t < T, and S_1 − η_T
    weights = 0.5 * G2[:-1] * head * head

    def slope(x):
        return 0.5 * G2[-1] - np.sum(weights / (rest + x) ** 2) - 0.5 * D * D / (rest[0] + x) ** 2

    low = head[-1] * np.sqrt(G2[-2] / G2[-1])
    if low <= 0:
        return float(eta[-1])
    high = 2.0 * low
    while slope(high) < 0 and high < 1e300:
        low, high = high, 2.0 * high
    best = scipy.optimize.brentq(slope, low, high, xtol=1e-6 * low, rtol=1e-6) \
        if slope(high) >= 0 and slope(low) < 0 else low
    return float(best if cap is None else min(best, cap))


def _jacobi_scale(eta, G2, D, F, monotone):
    """d = 1/√diag(JᵀHJ) at eta, over the free values (Jacobi preconditioner).

    Bound (C) is D²/(2S_1) + Σ_{t<T} ½G_t² η_t²/S_{t+1} + ½G_T²η_T, and each quadratic-over-
    linear term has the rank-one Hessian (G_t²/S_{t+1})·u_tu_tᵀ with
    u_t = e_t − r_t·1_{(t,T]}, r_t = η_t/S_{t+1}; the first term adds (D²/S_1³)·11ᵀ. J is the
    identity on the free values, or the tail-sum map when monotone; fixed warm-up terms add to
    the D² term's weight, and the ramp's coupling is left out (it is a preconditioner, not a
    derivative).
    """
    S = tail_sums(eta)
    nxt = np.append(S[1:], np.inf)
    w = G2 / nxt                                # 0 for t = T (the linear term)
    r = np.where(nxt > 0, eta / np.where(nxt > 0, nxt, 1.0), 0.0)
    r[-1] = 0.0
    # Terms of fixed steps t < F see the free values only through S_{t+1}.
    curv = D * D / S[0] ** 3 + float(np.sum(w[:F] * r[:F] ** 2))
    w, r = w[F:], r[F:]
    if not monotone:
        # diag_k = w_k + Σ_{t<k} w_t r_t² + D²/S_1³
        before = np.cumsum(w * r * r) - w * r * r
        diag = w + before + curv
    else:
        # (Jᵀu_t)_k = [t ≤ k]·(1 − r_t (k − t)) in the free index k = 1..n, so
        # diag_k = Σ_{t≤k} w_t (a_t − r_t k)² + D²/S_1³·k², a_t = 1 + r_t t.
        k = np.arange(1, w.shape[0] + 1, dtype=np.float64)
        a = 1.0 + r * k
        diag = (np.cumsum(w * a * a) - 2 * k * np.cumsum(w * a * r) + k * k * np.cumsum(w * r * r)
                + curv * k * k)
        diag = np.maximum(diag, w + curv)         # cancellation guard: the t = k term alone
    diag[-1] = max(diag[-1], curv, np.finfo(float).tiny)
    return 1.0 / np.sqrt(diag)


def scaled_problem(problem) -> Scaled:
    """The change of variables and starting point for a validated ``Problem``; its
    constraints lowered by ``_constraints`` (the warm-up's layout, the bounds' box)."""
    T = problem.steps
    warmup, monotone = _constraints.warmup(problem), _constraints.monotone(problem)
    prefix, W = warmup.values, warmup.ramp
    P = prefix.shape[0]
    F = P + W                                   # index of the first free value
    n = T - F
    coeff = warmup.ramp_coefficients()          # linear ramp, η_t = t/(W+1)·η_F
    shape = _shape(problem.G2[F:], monotone)
    # The multiplier and the last value depend on each other: two rounds settle both.
    for _ in range(2):
        start = _constraints.clip(problem, _multiplier(problem, shape, coeff) * shape)
        eta0 = np.concatenate([prefix, coeff * start[0], start])
        if n >= 2:
            cap = start[-2] if monotone else _constraints.free_bounds(problem)[1]
            last = _settle_last(eta0, problem.G2, problem.D, cap)
            start[-1] = eta0[-1] = max(last, _constraints.free_bounds(problem)[0])
            shape = start / np.max(start)
    if monotone:
        decrements = start - np.append(start[1:], 0.0)
        d = _jacobi_scale(eta0, problem.G2, problem.D, F, monotone=True)
        z = decrements / d
    else:
        d = _jacobi_scale(eta0, problem.G2, problem.D, F, monotone=False)
        z = start / d
    lower, upper = _constraints.first_order_box(problem, d, FLOOR * z[-1])
    head = np.zeros(F)
    base = np.concatenate([prefix, np.zeros(W + n)])
    ramp = np.concatenate([np.zeros(P), coeff, np.zeros(n)])
    f0 = float(last_iterate_bound(eta0, problem.D, problem.G))
    return Scaled(steps=T, base=base, ramp=ramp, scale=np.concatenate([head, d]),
                  mask=np.concatenate([head, np.ones(n)]), first=F, monotone=monotone,
                  z0=np.concatenate([head, z]), lower=np.concatenate([head, lower]),
                  upper=np.concatenate([head, upper]), G2=problem.G2.copy(), D=problem.D, f0=f0)


def kkt_residual(z, grad, value, lower, upper, typical) -> float:
    """Σ_i c_i² / value²: how far z is from the KKT conditions of the box, scale-free.

    For a free coordinate ``c_i = z_i·∂f/∂z_i``, the rate at which a relative change of it
    lowers f; it does not depend on the diagonal scaling d (z_i·∂f/∂z_i = η_i·∂f/∂η_i), so
    a poor d cannot hide a poor point. At the upper bound only a push outwards is allowed
    (``c_i = z_i·max(∂f/∂z_i, 0)``); at the lower bound only a push downwards,
    ``c_i = typical_i·min(∂f/∂z_i, 0)``. It is 0 at the optimum (docs/math.md §4.2, convexity)
    and, in the solvers' tests, about 1e-3 of the relative gap or less.
    """
    z, grad = np.asarray(z), np.asarray(grad)
    at_lower = z <= lower * (1.0 + 1e-9)
    at_upper = z >= upper * (1.0 - 1e-12)
    c = np.where(at_upper, z * np.maximum(grad, 0.0), z * grad)
    c = np.where(at_lower, typical * np.minimum(grad, 0.0), c)
    return float(np.dot(c, c)) / float(value) ** 2


FLOOR_NOTE = ("; η_T ended on its safeguard lower bound (bound (C) is infinite at η_T = 0), "
              "so the result may not be optimal")


def on_floor(scaled: Scaled, z) -> bool:
    """Whether η_T's safeguard lower bound is active at z (the result is then suspect; a
    min_lr bound above the safeguard is a constraint like any other)."""
    guard = FLOOR * scaled.z0[-1]
    return bool(scaled.lower[-1] <= guard and z[-1] <= guard * (1.0 + 1e-9))


def scaled_or_error(problem) -> Scaled:
    """``scaled_problem``, with a clear error naming G where its a-priori start (Defazio's
    shape, which scales like G_t⁻⁴ across steps) is not representable in float64."""
    from schedopt.bounds._scale import InfiniteBoundError  # noqa: F401  (a ValueError)

    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            scaled = scaled_problem(problem)
    except (InfiniteBoundError, ValueError):    # the problem is valid: a numeric failure
        scaled = None
    if scaled is None or not (np.all(np.isfinite(scaled.z0)) and np.isfinite(scaled.f0)):
        raise ValueError("G spans too many orders of magnitude for the first-order methods: "
                         "their starting schedule, which scales like 1/G_t², under- or "
                         "overflows float64; narrow the range of G or use method='newton'")
    return scaled
