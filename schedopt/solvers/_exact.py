"""The exact optimum of bound (C) without constraints: docs/math.md §4.4's O(T) recursion.

Backward recursion ``J_T = G_T²``; for t = T−1..1: ``x = J_{t+1}/G_t²``,
``r_t = √(1 + x)``, ``J_t = 2G_t²(r_t − 1)``. In tail-sum coordinates ``S_T = 1``,
``S_t = r_t S_{t+1}``, ``η_t = S_t − S_{t+1} = (r_t − 1) S_{t+1}``; the optimal value is
``D·√J_1`` and the schedule is scaled by λ* of §4.1. ``r_t − 1`` is computed as
``x/(√(1+x) + 1)``: the naive form loses digits to cancellation once T ≳ 10⁵.

The loop carries ``m_t = r_t − 1`` alone: with ``J_{t+1} = 2G_{t+1}² m_{t+1}`` (and
``m_T = ½``, so that ``J_T = G_T²``), ``x_t = c_t m_{t+1}`` with ``c_t = 2G_{t+1}²/G_t²``
computed beforehand for every t at once. Each step is then one multiply, one square root,
one add and one divide, all dependent: that chain is the floor of the recursion.
"""

from __future__ import annotations

import math

import numpy as np

from schedopt._sums import tail_sums
from schedopt.solvers import _scan


def tail_ratios(G2: np.ndarray) -> tuple[float, np.ndarray]:
    """J_1 and (r_t − 1) for t = 1..T−1, for squared gradient norms G2 (float64, length T),
    on the package's one backward scan (``solvers._scan``: Python floats, or compiled when
    JAX is loaded and T > 4096)."""
    T = G2.shape[0]
    if T == 1:
        return float(G2[0]), np.zeros(0)
    c = G2[1:] / G2[:-1]
    c *= 2.0
    r_minus_1 = _scan.backward("ratios", 0.5, c)      # m_T = ½: J_T = 2G_T²·½ = G_T²
    return float(2.0 * G2[0] * r_minus_1[0]), r_minus_1


def exact_schedule(G2: np.ndarray, D: float) -> tuple[np.ndarray, float]:
    """The optimal schedule of bound (C) and its value D·√J_1 (docs/math.md §4.4).

    The multiplier is λ* of §4.1 in closed form: at the optimum both parts of
    ``a/λ + bλ`` are equal, so ``λ* = 2a/value = D/(S_1·√J_1)`` for the shape with η_T = 1
    (``a = D²/(2S_1)``), with no further pass over the schedule.
    """
    J1, m = tail_ratios(G2)
    T = G2.shape[0]
    if T > 1 and not (J1 > 0 and np.min(m) > 0):
        return _exact_in_logs(G2, D)        # m_t = r_t − 1 underflowed (it is always > 0)
    value = D * float(np.sqrt(J1))
    if T == 1:
        return np.array([D / float(np.sqrt(J1))]), value
    # S_{t+1} = Π_{k=t+1}^{T−1} (1 + m_k), S_T = 1: a running product from the end.
    tails = np.empty(T - 1)
    tails[-1] = 1.0
    np.add(m[1:], 1.0, out=tails[:-1])
    backwards = tails[::-1]
    with np.errstate(over="ignore"):
        np.multiply.accumulate(backwards, out=backwards)
    S1 = tails[0] * (1.0 + m[0])
    if not np.isfinite(S1):
        return _schedule_in_logs(m, J1, D), value
    lam = D / (S1 * float(np.sqrt(J1)))
    eta = np.empty(T)
    np.multiply(m, tails, out=eta[:-1])
    eta[-1] = 1.0
    eta *= lam
    return eta, value


def _schedule_in_logs(m: np.ndarray, J1: float, D: float) -> np.ndarray:
    """``exact_schedule`` when S_1/η_T passes 1e308 (G_t growing by orders of magnitude):
    the same formula in logarithms, normalised by S_2."""
    logs = np.append(tail_sums(np.log1p(m[1:])), 0.0)    # log S_{t+1}
    top = logs[0]
    log_lam = np.log(D) - np.log1p(m[0]) - 0.5 * np.log(J1)            # λ* for S_2 = 1
    eta = np.exp(np.append(np.log(m) + logs, 0.0) + (log_lam - top))
    if not eta[-1] > 0:
        raise ValueError("G spans too many orders of magnitude for float64: the optimal "
                         "schedule's last step would be below 1e-308 of its largest; "
                         "rescale or clip the gradient norms")
    return eta


def _exact_in_logs(G2: np.ndarray, D: float) -> tuple[np.ndarray, float]:
    """``exact_schedule`` when m_t = J_{t+1}/(G_t²(√(1+x)+1)) underflows (G_t falling by
    many orders of magnitude, issue 21: G from 1e100 to 1e-100). The recursion then carries
    J_t = 2J_{t+1}/(√(1+x)+1), which stays near G_T², and log m_t; the schedule is built in
    logarithms. Python floats, about 1 µs a step."""
    log_eta, J = log_schedule(G2)
    if not (J > 0 and math.isfinite(J)):
        raise ValueError("G spans too many orders of magnitude for float64: the optimal "
                         "bound's square J_1 over- or underflows")
    eta = np.exp(log_eta + (math.log(D) - 0.5 * math.log(J)))
    if not (eta[-1] > 0 and np.isfinite(np.max(eta))):
        raise ValueError("G spans too many orders of magnitude for float64: the optimal "
                         "schedule's rates over- or underflow")
    return eta, D * math.sqrt(J)


def log_schedule(G2: np.ndarray, costs: bool = False):
    """log η_t of the unconstrained optimum for D = 1 (up to the multiplier's √J_1, which
    is returned apart: η = exp(log_eta)/√J_1), and J_1, in logarithms so that no rate
    under- or overflows however many decades the schedule spans.

    With ``costs`` (for ``solvers._capped``, which continues a capped prefix with it): the
    whole cost-to-go J_1..J_T as an array in place of J_1, or ``(None, None)`` as soon as the
    schedule rises somewhere (η_t < η_{t+1}: m_t(1 + m_{t+1}) < m_{t+1} with η_t = m_t S_{t+1},
    and m_{T−1} < 1 at the end), which the backward loop sees near the end for most profiles."""
    log_G2 = np.log(G2).tolist()
    J, log_m = float(G2[-1]), [0.0] * (len(log_G2) - 1)
    every = [J] * len(log_G2)
    for t in range(len(log_G2) - 2, -1, -1):
        log_x = math.log(J) - log_G2[t]
        x = math.exp(log_x) if log_x < 700 else math.inf
        denominator = math.sqrt(1.0 + x) + 1.0 if x < 1e300 else math.sqrt(x)
        log_m[t] = log_x - math.log(denominator)
        J = 2.0 * J / denominator if x < 1e300 else 2.0 * math.sqrt(J * G2[t])
        every[t] = J
        if costs and log_m[t] < (_log_m_over_1p_m(log_m[t + 1]) if t + 2 < len(log_G2) else 0.0):
            return None, None
    J = np.array(every) if costs else J
    if not (np.all(J > 0) and np.all(np.isfinite(J))):
        return np.zeros(len(log_G2)), J
    log_m = np.array(log_m)
    log1p_m = np.log1p(np.exp(log_m))
    logs = np.append(tail_sums(log1p_m[1:]), 0.0)                 # log S_{t+1}, S_T = 1
    return np.append(log_m + logs, 0.0) - (logs[0] + log1p_m[0]), J


def _log_m_over_1p_m(log_m: float) -> float:
    """log(m/(1 + m)) from log m, without overflow."""
    return -math.log1p(math.exp(-log_m)) if log_m > 0 else log_m - math.log1p(math.exp(log_m))


def exact_shape(G2: np.ndarray) -> tuple[np.ndarray, float]:
    """The optimal schedule's shape (peak 1) and J_1, for callers that scale it themselves
    (``extend_schedule`` fits the tail after a frozen history)."""
    eta, bound = exact_schedule(np.asarray(G2, dtype=np.float64), 1.0)
    return eta / np.max(eta), bound * bound
