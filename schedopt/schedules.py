"""Schedule families people already train with, as peak-1 shapes η_1..η_T.

Every function returns a float64 numpy array of length ``steps`` whose largest entry is 1:
a *shape*. Scale it by the best multiplier of a bound (``optimal_scale``, docs/math.md §4.1) or by
a peak learning rate of your own.

Step convention (docs/math.md §1): optax's first update uses ``schedule(0)``, so ``η_t`` is the
optax schedule evaluated at count ``t − 1``. Where optax has the same schedule the function
takes optax's argument names and returns exactly ``optax_schedule(init_value=1, ...)`` at
counts ``0..T−1``. A decay "to zero" in optax's sense reaches 0 at count T, one step after the
last update, so ``η_T > 0`` and bounds (B) and (C) stay finite; ``linear_decay_to_zero`` is the
one family whose last step is exactly 0 (bounds (B) and (C) are then +∞, docs/math.md §2).
"""

from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from schedopt import _validation


# ---------------------------------------------------------------------------------------
# Argument checks particular to the families
# ---------------------------------------------------------------------------------------

def _number(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {out!r}")
    return out


def _in_range(value, name: str, low: float, high: float, *, low_open=False, high_open=False):
    out = _number(value, name)
    too_low = out <= low if low_open else out < low
    too_high = out >= high if high_open else out > high
    if too_low or too_high:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ValueError(f"{name} must lie in {lo}{low:g}, {high:g}{hi}, got {out!r}")
    return out


def _counts(steps) -> np.ndarray:
    """The optax counts t − 1 = 0..T−1 of steps t = 1..T, as float64."""
    return np.arange(_validation.steps(steps), dtype=np.float64)


# ---------------------------------------------------------------------------------------
# The families
# ---------------------------------------------------------------------------------------

def constant(steps) -> np.ndarray:
    """η_t = 1 (optax ``constant_schedule(1)``). Bound (B): O(√(ln T / T)), docs/math.md §2."""
    return np.ones(_validation.steps(steps))


def inverse_sqrt(steps) -> np.ndarray:
    r"""η_t = 1/√t, the α/√t schedule with α = 1 (peak 1 at t = 1).

    Bound (B) of this schedule is O(ln T/√T) at its best α (docs/math.md §2).
    """
    return 1.0 / np.sqrt(np.arange(1, _validation.steps(steps) + 1, dtype=np.float64))


def linear_decay(steps) -> np.ndarray:
    r"""η_t = (T + 1 − t)/T: the seed's linear decay ``1 − t/(T+1)`` rescaled to peak 1.

    Equal to optax ``linear_schedule(1, 0, transition_steps=T)`` at counts 0..T−1: it reaches 0
    at count T, one step after the last, so η_T = 1/T. At the multiplier
    ``α·T/(T+1)``, ``α = D/(G√(2T))``, it is the schedule proven to give bound (C) ≤ 2√2·DG/√T
    (docs/math.md §3); ``schedopt.linear_decay_guarantee`` returns that scaled form.
    """
    counts = _counts(steps)
    T = counts.shape[0]
    return 1.0 - counts / T


def linear_decay_to_zero(steps) -> np.ndarray:
    r"""η_t = 1 − (t − 1)/(T − 1): linear decay whose last step is exactly 0.

    Equal to optax ``linear_schedule(1, 0, transition_steps=T − 1)`` at counts 0..T−1 (and to
    ``[1]`` when T = 1). With η_T = 0, bounds (B) and (C) are +∞ (docs/math.md §2); bound (A) is
    finite.
    """
    counts = _counts(steps)
    T = counts.shape[0]
    if T == 1:
        return np.ones(1)
    out = 1.0 - counts / (T - 1)
    out[-1] = 0.0
    return out


def cosine_decay(steps, alpha=0.0, exponent=1.0) -> np.ndarray:
    r"""Cosine decay to a floor ``alpha``, as optax ``cosine_decay_schedule(1, T, alpha, exponent)``.

    .. math:: \eta_t = (1-\alpha)\left[\tfrac12\left(1+\cos\frac{\pi (t-1)}{T}\right)\right]^{p} + \alpha

    With ``alpha = 0`` it reaches 0 at count T, one step after the last (Loshchilov & Hutter,
    SGDR, 2017).

    Args:
      steps: T.
      alpha: the floor as a fraction of the peak, in [0, 1].
      exponent: the power p of the cosine factor, > 0.
    """
    counts = _counts(steps)
    alpha = _in_range(alpha, "alpha", 0.0, 1.0)
    exponent = _validation.positive_scalar(exponent, "exponent")
    T = counts.shape[0]
    cosine = 0.5 * (1.0 + np.cos(np.pi * counts / T))
    return (1.0 - alpha) * cosine**exponent + alpha


_COOLDOWNS = ("linear", "1-sqrt")


def warmup_stable_decay(steps, warmup_fraction=0.0, decay_fraction=0.2,
                        decay_shape="linear") -> np.ndarray:
    r"""Warm-up, stable, decay (WSD; Hägele et al. 2024, Schaipp et al. 2025).

    With ``W = round(warmup_fraction·T)`` warm-up steps and ``K = round(decay_fraction·T)``
    cool-down steps:

    - warm-up, t ≤ W: η_t = t/(W + 1), the ramp of ``optimal_schedule(warmup=W)``, so no
      step is wasted at 0;
    - stable: η_t = 1;
    - cool-down, the last K steps, counted from the start of the cool-down by optax counts
      ``k = t − 1 − (T − K) = 0..K−1``: ``1 − k/K`` (``"linear"``) or ``1 − √(k/K)``
      (``"1-sqrt"``); like optax's decays it reaches 0 at count T, one step after the last.

    ``warmup_stable_decay(T, 0, 1)`` equals ``linear_decay(T)``.

    Args:
      steps: T.
      warmup_fraction: share of the steps spent warming up, in [0, 1).
      decay_fraction: share of the steps spent cooling down, in [0, 1].
      decay_shape: ``"linear"`` or ``"1-sqrt"``.
    """
    T = _validation.steps(steps)
    warmup_fraction = _in_range(warmup_fraction, "warmup_fraction", 0.0, 1.0, high_open=True)
    decay_fraction = _in_range(decay_fraction, "decay_fraction", 0.0, 1.0)
    if decay_shape not in _COOLDOWNS:
        raise ValueError(f"decay_shape must be one of {', '.join(map(repr, _COOLDOWNS))}, "
                         f"got {decay_shape!r}")
    W = int(round(warmup_fraction * T))
    K = int(round(decay_fraction * T))
    if W + K > T:
        raise ValueError(f"warmup_fraction + decay_fraction must not exceed 1: "
                         f"{warmup_fraction!r} + {decay_fraction!r} covers {W + K} of "
                         f"steps = {T}")
    if W == T:
        raise ValueError(f"warmup_fraction = {warmup_fraction!r} leaves no step after the "
                         f"warm-up of {W} steps; use a warm-up shorter than steps = {T}")
    eta = np.ones(T)
    eta[:W] = np.arange(1, W + 1) / (W + 1)
    if K:
        fraction = np.arange(K, dtype=np.float64) / K
        eta[T - K:] = 1.0 - (fraction if decay_shape == "linear" else np.sqrt(fraction))
    return eta


def step_decay(steps, boundaries=(0.5, 0.75), decay_rate=0.1) -> np.ndarray:
    r"""Piecewise-constant decay: multiply by ``decay_rate`` at each boundary.

    A boundary ``b`` (a fraction of the steps) acts at count ``n = max(1, round(b·T))`` (at
    least 1, so that the first step keeps the peak): steps ``t`` with ``t − 1 ≥ n`` are
    multiplied by ``decay_rate``. Equal to optax
    ``piecewise_constant_schedule(1, {n: decay_rate for each boundary})``.

    Args:
      steps: T.
      boundaries: increasing fractions in (0, 1).
      decay_rate: the factor at each boundary, in (0, 1].
    """
    counts = _counts(steps)
    T = counts.shape[0]
    decay_rate = _in_range(decay_rate, "decay_rate", 0.0, 1.0, low_open=True)
    if isinstance(boundaries, (str, bytes)) or not np.iterable(boundaries):
        raise TypeError(f"boundaries must be a sequence of fractions in (0, 1), "
                        f"got {boundaries!r}")
    fractions = [_in_range(b, "each of boundaries", 0.0, 1.0, low_open=True, high_open=True)
                 for b in boundaries]
    if any(later <= earlier for earlier, later in zip(fractions, fractions[1:])):
        raise ValueError(f"boundaries must be strictly increasing, got {tuple(fractions)}")
    eta = np.ones(T)
    for b in fractions:
        eta[counts >= max(1, round(b * T))] *= decay_rate
    return eta


def exponential_decay(steps, decay_rate=0.01, transition_steps=None, *, transition_begin=0,
                      staircase=False, end_value=None) -> np.ndarray:
    r"""Exponential decay, as optax ``exponential_decay(1, transition_steps, decay_rate, ...)``.

    .. math:: \eta_t = \text{decay\_rate}^{\,(t - 1 - \text{begin})/\text{transition\_steps}}
              \quad (t - 1 > \text{begin}; 1 before)

    floored at ``end_value`` when given, with the exponent rounded down when ``staircase``.

    Args:
      steps: T.
      decay_rate: the factor per ``transition_steps`` steps, in (0, 1].
      transition_steps: steps per factor of ``decay_rate``; default T (η decays to
        ``decay_rate`` at count T).
      transition_begin: counts held at 1 before the decay starts, an integer in [0, T).
      staircase: decay in whole factors only.
      end_value: a floor in [0, 1], or None.
    """
    counts = _counts(steps)
    T = counts.shape[0]
    decay_rate = _in_range(decay_rate, "decay_rate", 0.0, 1.0, low_open=True)
    transition_steps = T if transition_steps is None else _validation.steps(
        transition_steps, "transition_steps")
    if (isinstance(transition_begin, (bool, np.bool_))
            or not isinstance(transition_begin, numbers.Integral)):
        raise TypeError(f"transition_begin must be an integer in [0, {T}), got "
                        f"{transition_begin!r}")
    if not 0 <= transition_begin < T:
        raise ValueError(f"transition_begin must be an integer in [0, {T}) (steps = {T}), "
                         f"got {int(transition_begin)}")
    if not isinstance(staircase, (bool, np.bool_)):
        raise TypeError(f"staircase must be True or False, got {staircase!r}")
    if end_value is not None:
        end_value = _in_range(end_value, "end_value", 0.0, 1.0)
    elapsed = counts - int(transition_begin)
    power = elapsed / transition_steps
    if staircase:
        power = np.floor(power)
    eta = np.where(elapsed <= 0, 1.0, decay_rate ** np.maximum(power, 0.0))
    if end_value is not None:
        eta = np.maximum(eta, end_value)
    return eta


# ---------------------------------------------------------------------------------------
# The registry used by the tables
# ---------------------------------------------------------------------------------------

def _wsd_1_sqrt(steps):
    return warmup_stable_decay(steps, decay_shape="1-sqrt")


_wsd_1_sqrt.__doc__ = "WSD with a 1−√ cool-down over the last 20% (``warmup_stable_decay``)."

FAMILIES: dict[str, Callable[[int], np.ndarray]] = {
    "linear_decay": linear_decay,
    "linear_decay_to_zero": linear_decay_to_zero,
    "cosine_decay": cosine_decay,
    "warmup_stable_decay": warmup_stable_decay,
    "warmup_stable_decay_1_sqrt": _wsd_1_sqrt,
    "step_decay": step_decay,
    "exponential_decay": exponential_decay,
    "constant": constant,
    "inverse_sqrt": inverse_sqrt,
}
"""Every family on its defaults, name → ``callable(steps)`` returning the peak-1 shape.

Defaults: cosine to 0; WSD without warm-up and a 20% linear (or 1−√) cool-down; step decay
÷10 at 50% and 75% of the steps; exponential decay to 1% at count T.
"""
