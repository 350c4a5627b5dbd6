"""The checkpoint objective of ``anytime_schedule`` (docs/math.md §5.4).

f_i(A, y_i) = (C) at horizon t_i + 1 over its optimum OPT_i, in the coordinates A_t = η_{t:n}
and y_i = w_i − A_{t_i+1} of ``_anytime``'s module doc: a sum of quadratic-over-linear terms
``½ g e²/q`` with e = A_t − A_{t+1}, q = A_{t+1} + y_i, the head D²/(2(A_1 + y_i)) and the
linear weight term. ``_pieces`` gives its value, gradient and Hessian (each term's Hessian is
rank one, (g/q)·v vᵀ with v = (1, −(1 + e/q), −e/q) on (A_t, A_{t+1}, y_i), docs/math.md §4.2).
``checkpoint_ratios`` scores any schedule at the checkpoints by ``_prefix.applied_value``.
"""

from __future__ import annotations

import numpy as np

from schedopt import _validation
from schedopt.solvers import _prefix
from schedopt.solvers._exact import tail_ratios


def check_checkpoints(checkpoints) -> tuple:
    """Increasing positive whole numbers, at least one."""
    try:
        values = list(checkpoints)
    except TypeError:
        raise TypeError(f"checkpoints must be a list of whole numbers of steps, got "
                        f"{checkpoints!r}") from None
    if not values:
        raise ValueError("checkpoints must hold at least one number of steps, got none")
    out = tuple(_validation.steps(v, "checkpoints") for v in values)
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"checkpoints must be strictly increasing, got {list(out)}")
    return out


class _Checkpoints:
    """The data of every f_i: coefficients already divided by OPT_i."""

    def __init__(self, checkpoints, D, G2):
        self.N = np.asarray(checkpoints)
        self.n, self.K = int(self.N[-1]), len(checkpoints)
        self.D = D
        self.G2 = G2
        self.J = np.array([tail_ratios(G2[:N + 1])[0] for N in self.N])
        self.opt = D * np.sqrt(self.J)
        self.g = [G2[:N] / c for N, c in zip(self.N, self.opt)]
        self.gw = np.array([G2[N] / c for N, c in zip(self.N, self.opt)])
        self.d = D**2 / self.opt


def _pieces(model, A, y, i, derivatives=True):
    """f_i and, if asked, its gradient (A, y_i) and Hessian pieces; None off the domain."""
    N = int(model.N[i])
    nxt = np.append(A[1:], 0.0)[:N]
    e = A[:N] - nxt
    q = nxt + y[i]
    u = A[0] + y[i]
    if np.any(q <= 0) or u <= 0:
        return None
    g = model.g[i]
    ratio = e / q
    value = model.d[i] / (2 * u) + 0.5 * np.sum(g * e * ratio) + 0.5 * model.gw[i] * q[-1]
    if not derivatives:
        return value
    n = A.shape[0]
    head = model.d[i] / (2 * u * u)
    gA = np.zeros(n)
    gA[:N] += g * ratio
    down = -g * (ratio + 0.5 * ratio**2)
    m = min(N, n - 1)                               # index t+1 exists for t < n
    gA[1:m + 1] += down[:m]
    gA[0] -= head
    if N < n:
        gA[N] += 0.5 * model.gw[i]
    gy = -0.5 * np.sum(g * ratio**2) - head + 0.5 * model.gw[i]
    beta = g / q
    diag = np.zeros(n)
    off = np.zeros(n - 1)
    col = np.zeros(n)
    diag[:N] += beta
    diag[1:m + 1] += (beta * (1 + ratio) ** 2)[:m]
    off[:m] += -(beta * (1 + ratio))[:m]
    col[:N] += -beta * ratio
    col[1:m + 1] += (beta * (1 + ratio) * ratio)[:m]
    hy = np.sum(beta * ratio**2)
    curv = model.d[i] / u**3
    diag[0] += curv
    col[0] += curv
    hy += curv
    return value, gA, gy, diag, off, col, hy


def checkpoint_ratios(eta, checkpoints, D=1.0, G=1.0) -> np.ndarray:
    """bound(t_i)/optimal_bound(t_i) of the rates ``eta`` at each checkpoint (module doc).

    ``eta`` must hold at least t_K rates; G is a scalar or per step (t_K or t_K + 1 values).
    """
    from schedopt.solvers._extend import extended_G

    points = check_checkpoints(checkpoints)
    eta = _validation.schedule(eta, "eta")
    if eta.shape[0] < points[-1]:
        raise ValueError(f"eta holds {eta.shape[0]} rates, fewer than the last checkpoint "
                         f"{points[-1]}")
    D = _validation.positive_scalar(D, "D")
    G2 = extended_G(G, points[-1])
    out = []
    for N in points:
        opt = D * np.sqrt(tail_ratios(G2[:N + 1])[0])
        out.append(_prefix.applied_value(eta[:N], D, G2[:N + 1]).value / opt)
    return np.array(out)
