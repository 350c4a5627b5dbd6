"""The convergence bounds of docs/math.md §2 as differentiable JAX functions.

Every bound has the form ``a/λ + b·λ`` in the schedule's multiplier λ (docs/math.md §4.1), which
``optimal_scale`` solves in closed form.

Precision: the bounds are computed in float64 whatever the caller's JAX settings. Each
public function enters ``jax.enable_x64(True)``, a thread-local context manager, for the
duration of the call (or of its tracing under ``jax.jit``) and leaves the global
``jax_enable_x64`` flag untouched. The returned value is a float64 JAX scalar; gradients
with respect to a float32 input come back in float32 (JAX casts cotangents to the input's
dtype), computed from float64 intermediates. One limit no library can lift: with x64 off,
``jax.jit``, ``jax.grad`` and ``jax.vmap`` cast a float64 numpy argument to float32 *at
their boundary*, before schedopt sees it; to keep every digit of the input under your own
transformations, apply and call them inside ``with jax.enable_x64(True):`` (or enable x64
globally). Plain calls keep every digit.

Conventions (docs/math.md §2): a term ``η_t²/η_{t+1:T}`` with ``η_t > 0`` over an empty tail is
``+∞``, ``0/0`` counts as 0, and ``D²/(2η_{1:T})`` is ``+∞`` for an all-zero schedule.
Bounds (B) and (C) are therefore finite exactly when ``η_T > 0``. Where a bound is ``+∞``
its gradient is reported as 0 (no finite subgradient exists there); no value or gradient
is ever NaN on ``η ≥ 0``.

Scale and dtypes (issue 15): every bound (C) evaluation runs in exact power-of-two units
where D ≈ 1 and G ≈ 1 (geometric mean), so no finite positive D or G over- or underflows in
D² or G²; traced calls go through one custom JVP that differentiates inside the x64 context,
so jit, grad (η, D, per-step G), vmap and jacfwd work with x64 off and on. Concrete
schedules up to ``HOST_MAX`` steps are evaluated by the numpy host path of ``_host``.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np

from schedopt import _validation
from schedopt._units import exponents
from schedopt.bounds._registry import BOUNDS  # noqa: F401  (the registry of records)
from schedopt.bounds._registry import monotone_weights
from schedopt.bounds import _split
from schedopt.bounds._host import HOST_MAX
from schedopt.bounds._host import last_value_and_grad_numpy

_INF = float("inf")


def _prepare(eta, D, G, broadcast=True):
    """Validated float64 (eta, D², G²) with G² broadcast to the schedule's length (or, with
    ``broadcast=False``, left a scalar when G is one)."""
    eta = _validation.schedule(eta)
    D = _validation.scale(D, "D")
    G = _validation.gradient_norms(G, eta.shape[0])
    eta = jnp.asarray(eta, jnp.float64)
    G2 = jnp.square(jnp.asarray(G, jnp.float64))
    if broadcast:
        G2 = jnp.broadcast_to(G2, eta.shape)
    return eta, jnp.square(jnp.asarray(D, jnp.float64)), G2


# ---------------------------------------------------------------------------------------
# Tail and prefix sums in O(T), blocked for XLA on the CPU
#
# A plain cumsum of 10⁶ doubles costs XLA:CPU several milliseconds (it lowers to a
# log-depth scan of many passes). Here the schedule is viewed as rows of _BLOCK
# consecutive steps: sums inside a row are _BLOCK selects that fuse into the elementwise
# pass that consumes them, and only the row totals (1/_BLOCK of the data) go through the
# recursive, matrix-product form below. Every partial sum adds non-negative numbers
# (schedule entries, or squared ratios), so no digit is lost to cancellation; nothing is
# ever computed as a total minus a prefix.
# ---------------------------------------------------------------------------------------

_BLOCK = 8      # steps per row
_SMALL = 128    # up to this length, exclusive sums are one product with a triangular 0/1 matrix


def _triangle(n, reverse, dtype):
    """M[k, j] = 1 when x_k enters the exclusive sum at j (k > j reversed, k < j forward)."""
    k = jax.lax.broadcasted_iota(jnp.int32, (n, n), 0)
    j = jax.lax.broadcasted_iota(jnp.int32, (n, n), 1)
    return ((k > j) if reverse else (k < j)).astype(dtype)


def _row_sums(X):
    # A matrix-vector product: XLA:CPU reduces short rows several times slower with reduce().
    return X @ jnp.ones(X.shape[-1], X.dtype)


def _exclusive_sums(x, reverse):
    """Σ_{s>t} x_s (reverse) or Σ_{s<t} x_s of a 1-D x ≥ 0, recursively by rows of _BLOCK."""
    n = x.shape[0]
    if n <= _SMALL:
        return x @ _triangle(n, reverse, x.dtype)
    X, _ = _rows(x)
    offsets = _exclusive_sums(_row_sums(X), reverse)       # what the other rows contribute
    # One product does the row's own sums and adds the offset (the last row of M): the
    # result is materialised, so the caller indexes a plain array, not this recursion.
    M = jnp.concatenate([_triangle(_BLOCK, reverse, x.dtype), jnp.ones((1, _BLOCK), x.dtype)])
    return (jnp.concatenate([X, offsets[:, None]], axis=1) @ M).reshape(-1)[:n]


def _rows(v):
    """v as rows of _BLOCK steps, zero-padded at the end, and the number of real steps."""
    n = v.shape[0]
    return jnp.pad(v, (0, -n % _BLOCK)).reshape(-1, _BLOCK), n


def _within_rows(X, reverse):
    """Exclusive sums inside each row, as selects that XLA fuses into their consumer."""
    j = jax.lax.broadcasted_iota(jnp.int32, X.shape, X.ndim - 1)
    out = jnp.zeros_like(X)
    for k in range(_BLOCK):
        out = out + jnp.where((j < k) if reverse else (j > k), X[:, k:k + 1], 0.0)
    return out


def _is_step(X, t):
    """Mask of 0-based step t in the row layout."""
    i = jax.lax.broadcasted_iota(jnp.int32, X.shape, 0)
    j = jax.lax.broadcasted_iota(jnp.int32, X.shape, 1)
    return (i == t // _BLOCK) & (j == t % _BLOCK)


# ---------------------------------------------------------------------------------------
# Bound (C): D²/(2η_{1:T}) + ½ Σ_t G_t² η_t² / η_{min(t+1,T):T}
# ---------------------------------------------------------------------------------------

def _last_value(eta, D2, G2):
    """Bound (C) through _last_core, on whole rows of _BLOCK steps.

    Steps with η = 0 put in front change neither the value (their terms are 0, the tail
    sums are unchanged) nor the other steps' gradients, and the padding is then done once,
    outside the custom rule (jax.grad slices the padded gradient back).
    """
    pad = -eta.shape[0] % _BLOCK
    if jnp.ndim(G2):
        G2 = jnp.pad(G2, (pad, 0))
    return _last_core(jnp.concatenate([jnp.zeros(pad, eta.dtype), eta]), D2, G2)


# One compiled computation per length instead of op-by-op dispatch, which compiles each of
# the many small operations above for every new T (seconds per new length). Under an outer
# jax.jit or jax.grad this is inlined.
_last_value_jit = jax.jit(_last_value)


def _last_parts(eta):
    """Rows X of η (length a multiple of _BLOCK), the ratios r_t = η_t / η_{min(t+1,T):T}
    (so r_T = 1) and S_1 = η_{1:T}.

    A finite bound needs η_T > 0, and then every η_{t+1:T} ≥ η_T > 0 for t < T; the guard
    only keeps the discarded branch (bound +∞) free of 0/0.
    """
    X = eta.reshape(-1, _BLOCK)
    totals = _row_sums(X)
    offsets = _exclusive_sums(totals, True)
    later = _within_rows(X, True) + offsets[:, None]          # η_{t+1:T}
    r = jnp.where(_is_step(X, eta.shape[0] - 1), 1.0, X / jnp.where(later > 0, later, 1.0))
    return X, r, offsets[0] + totals[0]


def _rows_like(G2, X):
    return G2.reshape(X.shape) if jnp.ndim(G2) else G2


@jax.custom_vjp
def _last_core(eta, D2, G2):
    return _last_fwd(eta, D2, G2)[0]


def _last_fwd(eta, D2, G2):
    X, r, S1 = _last_parts(eta)
    finite = eta[-1] > 0
    S1 = jnp.where(finite, S1, 1.0)
    # ½ G_t² η_t · r_t: the t < T terms η_t²/η_{t+1:T}, and ½ G_T² η_T for t = T.
    value = 0.5 * D2 / S1 + 0.5 * jnp.sum(_rows_like(G2, X) * X * r)
    return jnp.where(finite, value, _INF), (eta, D2, G2, r, S1)


def _last_bwd(res, g):
    # jax.grad traces this rule after last_iterate_bound has returned, outside its x64
    # context, so the rule enters the context itself.
    with jax.enable_x64(True):
        return _last_bwd_x64(res, g)


def _last_bwd_x64(res, g):
    eta, D2, G2, r, S1 = res
    finite = eta[-1] > 0
    G2r = _rows_like(G2, r)
    # ∂/∂η_k: −D²/(2S_1²) + G_k² η_k/S_{k+1} − Σ_{t<k} ½ G_t² η_t²/S_{t+1}²  (k < T),
    # and ½ G_T² − Σ_{t<T} ½ G_t² η_t²/S_{t+1}² for k = T.  (η_t/S_{t+1} = r_t.)
    q = 0.5 * G2r * r * r
    before = _within_rows(q, False) + _exclusive_sums(_row_sums(q), False)[:, None]
    own = G2r * r * jnp.where(_is_step(r, eta.shape[0] - 1), 0.5, 1.0)
    scale = jnp.where(finite, g, 0.0)
    d_eta = jnp.where(finite, own - before - 0.5 * D2 / jnp.square(S1), 0.0) * scale
    d_G2 = jnp.where(finite, 0.5 * eta.reshape(r.shape) * r, 0.0) * scale
    d_G2 = d_G2.reshape(eta.shape) if jnp.ndim(G2) else jnp.sum(d_G2)
    return d_eta.reshape(eta.shape), 0.5 / S1 * scale, d_G2


_last_core.defvjp(_last_fwd, _last_bwd)


def last_iterate_bound(eta, D=1.0, G=1.0):
    r"""Bound (C) on ``E[L(θ_T) − L*]`` for any schedule ``η ≥ 0`` (docs/math.md §2).

    .. math::
        \frac{D^2}{2\eta_{1:T}} + \frac12 \sum_{t=1}^{T} \frac{G_t^2 \eta_t^2}{\eta_{\min(t+1,T):T}}

    Su, "让炼丹更科学一些 (IV)", eq. last-2; Defazio et al. (2023), Thm 10.

    Args:
      eta: the schedule η_1..η_T, a non-empty 1-D array of finite values ≥ 0.
      D: distance ``‖θ_1 − θ*‖`` (> 0).
      G: gradient-norm bound, a scalar or one value per step (each > 0).

    Returns:
      A float64 JAX scalar, ``+∞`` when ``η_T = 0``. O(T) time and memory; works under
      ``jax.grad``, ``jax.jit`` and ``jax.vmap``. A concrete call with T ≤ ``HOST_MAX``
      is evaluated in numpy, without compiling anything; the result agrees with the
      compiled path to rounding.
    """
    with jax.enable_x64(True):
        _prepare(eta, D, G, broadcast=False)           # validation only
        if not any(_validation.is_traced(x) for x in (eta, D, G)):
            eta = _validation.schedule(eta)
            if eta.shape[0] <= HOST_MAX:
                return jax.device_put(np.float64(_last_host(eta, D, G)))
            # One compiled program per length: run op by op, the unit changes around the
            # kernel compiled a dozen small programs anew for every length (0.8 s at 10⁵).
            return _last_scaled_jit(eta, jnp.float64(D), jnp.asarray(G, jnp.float64))
    # Traced (jit, grad, vmap, jacfwd): the rule below differentiates inside the x64
    # context and hands back tangents in the caller's dtypes (issue 15 item 3).
    return _last_entry(eta, D, G)


def _last_host(eta, D, G) -> float:
    """``_last_scaled`` in numpy, for concrete schedules up to ``HOST_MAX`` steps: no
    compilation (a first call at a new length took about a second), the same units."""
    D = _validation.scale(D, "D")
    G = np.asarray(_validation.gradient_norms(G, eta.shape[0]), dtype=np.float64)
    d, g = exponents(D, G)
    k = _split.host_exponent(d, g, int(np.frexp(np.max(eta))[1]))
    with np.errstate(over="ignore", under="ignore"):
        unit_eta = np.ldexp(eta, -k)
        G2 = np.square(np.broadcast_to(np.ldexp(G, -g), eta.shape))
        b = last_value_and_grad_numpy(unit_eta, 0.0, G2, grad=False)[0]
        a = 0.5 * np.ldexp(D, -d) ** 2 / np.sum(unit_eta) if eta[-1] > 0 else _INF
        return float(np.ldexp(a, 2 * d - k) + np.ldexp(b, 2 * g + k))


def _last_scaled(eta, D, G):
    """Bound (C) computed in units where D ≈ 1 and G ≈ 1 (geometric mean), rescaled.

    The D and G terms apart, each in the exact power-of-two units of bounds/_split.py: no
    over- or underflow where the bound is representable (docs/math.md §4.1; issues 15, 21).
    """
    eta = jnp.asarray(eta, jnp.float64)
    D = jnp.asarray(D, jnp.float64)
    G = jnp.asarray(G, jnp.float64)
    d, g, k = _split.unit_exponents(eta, D, G)
    unit_eta = _split.times_power_of_two(eta, -k)
    b = _last_value_jit(unit_eta, jnp.zeros(()), jnp.square(_split.times_power_of_two(G, -g)))
    a = _split.d_term(_split.times_power_of_two(D, -d), unit_eta)
    return _split.times_power_of_two(a, 2 * d - k) + _split.times_power_of_two(b, 2 * g + k)


_last_scaled_jit = jax.jit(lambda eta, D, G: _last_scaled(eta, D, G))


@jax.custom_jvp
def _last_entry(eta, D, G):
    with jax.enable_x64(True):
        return _last_scaled(eta, D, G)


@_last_entry.defjvp
def _last_entry_jvp(primals, tangents):
    # Reverse mode transposes this rule (it is linear in the tangents), so jax.grad, vmap
    # and jacfwd all go through the custom VJP of _last_core, evaluated in float64.
    with jax.enable_x64(True):
        return _last_jvp_jit(primals, tangents)


@jax.jit
def _last_jvp_jit(primals, tangents):
    """The rule above as one compiled program per length: run op by op under an eager
    jax.grad, it compiled each of its ~60 primitives anew for every new length."""
    value, vjp = jax.vjp(_last_scaled, *primals)
    slopes = vjp(jnp.ones((), value.dtype))
    out = sum(jnp.sum(jnp.asarray(s, jnp.float64) * jnp.asarray(t, jnp.float64))
              for s, t in zip(slopes, tangents))
    return value, out.astype(value.dtype)


# ---------------------------------------------------------------------------------------
# Bound (B): D²/(2Tη_T) + G_T²η_T/2 + ½ Σ_{t<T} G_t² η_t² / (η_T (T − t))
# ---------------------------------------------------------------------------------------

_monotone_weights = monotone_weights     # the (B) weights, shared with the registry


def _monotone_value(eta, D2, G2):
    T = eta.shape[0]
    finite = eta[-1] > 0
    last = jnp.where(finite, eta[-1], 1.0)
    weights = _monotone_weights(T, jnp)
    value = 0.5 * D2 / (T * last) + 0.5 * jnp.sum(G2 * jnp.square(eta) * weights) / last
    return jnp.where(finite, value, _INF)


def monotone_last_iterate_bound(eta, D=1.0, G=1.0):
    r"""Bound (B) on ``E[L(θ_T) − L*]`` for a non-increasing schedule (docs/math.md §2).

    .. math::
        \frac{D^2}{2T\eta_T} + \frac{G_T^2\eta_T}{2}
        + \frac12 \sum_{t=1}^{T-1} \frac{G_t^2 \eta_t^2}{\eta_T (T-t)}

    Su, "让炼丹更科学一些 (III)", eq. last-1.

    Raises:
      ValueError: when a concrete ``eta`` increases anywhere beyond rounding (the message
        says where). A traced ``eta`` cannot be checked; the bound does not hold for it.
    """
    with jax.enable_x64(True):
        eta, D, G = _split.checked(eta, D, G)
        _validation.nonincreasing(eta, "eta", "bound (B)")
        return _split.split_units(_monotone_value, eta, D, G)


# ---------------------------------------------------------------------------------------
# Bound (A): the average-iterate bounds
# ---------------------------------------------------------------------------------------

def _average_weighted_value(eta, D2, G2):
    total = jnp.sum(eta)
    finite = total > 0
    return jnp.where(finite, (D2 + jnp.sum(G2 * jnp.square(eta))) / (2.0 * jnp.where(finite, total, 1.0)), _INF)


def _average_nonincreasing_value(eta, D2, G2):
    T = eta.shape[0]
    finite = eta[-1] > 0
    last = jnp.where(finite, eta[-1], 1.0)
    return jnp.where(finite, (D2 + jnp.sum(G2 * jnp.square(eta))) / (2.0 * T * last), _INF)


_AVERAGE_FORMS = {"weighted": _average_weighted_value,
                  "nonincreasing": _average_nonincreasing_value}


def average_iterate_bound(eta, D=1.0, G=1.0, *, form="weighted"):
    r"""Bound (A) on the averaged iterate's suboptimality (docs/math.md §2).

    ``form="weighted"`` (any η ≥ 0), for the η-weighted average iterate θ̄:

    .. math:: \frac{D^2 + \sum_t G_t^2 \eta_t^2}{2\eta_{1:T}}

    ``form="nonincreasing"`` (non-increasing η, seed 000 eq. avg-2), for the plain average
    of the losses ``(1/T) Σ_t E[L(θ_t) − L*]``:

    .. math:: \frac{D^2}{2T\eta_T} + \frac{1}{2T}\sum_t \frac{G_t^2\eta_t^2}{\eta_T}
    """
    if form not in _AVERAGE_FORMS:
        raise ValueError(f"form must be one of {sorted(_AVERAGE_FORMS)}, got {form!r}")
    with jax.enable_x64(True):
        eta, D, G = _split.checked(eta, D, G)
        if form == "nonincreasing":
            _validation.nonincreasing(eta, "eta", "bound (A) in its non-increasing form")
        return _split.split_units(_AVERAGE_FORMS[form], eta, D, G)
