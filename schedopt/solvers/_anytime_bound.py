"""The certified lower bound of ``anytime_schedule``, in (η, w) coordinates (docs/math.md §5.4;
``_anytime``'s module doc gives the bound).

Near the end of a checkpoint the rates are small and the terms ½ g η²/q stiff, and the
coordinates (A, y) hold η_t = A_t − A_{t+1} only to the rounding of A: at t_K = 10⁶ the
Newton steps on the Lagrangian cannot bring its gradient there below ~5e-6, and the box
term then costs ~2e-3 of the bound whatever τ is (issue 22: [10⁵, 10⁶] stalled at a gap of
1.8e-3). In (η, w), with w_i the weight itself, every tail q_t = w_i + η_{t+1:N_i} is a
sum of positive numbers and the gradient
    ∂f_i/∂η_k = −d/(2u²) + g_k η_k/q_k − ½ Σ_{t<k} g_t η_t²/q_t²,
    ∂f_i/∂w_i = −d/(2u²) − ½ Σ_t g_t η_t²/q_t² + ½ g_w
is exact to rounding. A damped Newton step on the last ``_WINDOW`` rates before every
checkpoint (and the weights), with their dense Hessian, removes the stiff part; the bound
is then f(z) − ∇f·z plus the minimum of ∇f·z* over the box η* ≥ 0, η*_{1:n} ≤ total_K,
0 ≤ w*_i ≤ total_i (the same box as in (A, y), ``_anytime``'s module doc).
"""

from __future__ import annotations

import numpy as np


_WINDOW = 1024                       # rates polished, shared among the checkpoints
_EPS = np.finfo(np.float64).eps


def _eta_point(model, x):
    """(η, w) of the point x = (A, y, r)."""
    n = model.n
    A, y = x[:n], x[n:n + model.K]
    nxt = np.append(A[1:], 0.0)
    w = np.array([y[i] + nxt[N - 1] for i, N in enumerate(model.N)])
    return A - nxt, w


def _eta_lagrangian(model, lam, eta, w):
    """Σ λ_i f_i at (η, w): value, gradient in η and in w, and each f_i's (N, q, u, g, η/q);
    None off the domain."""
    n, K = model.n, model.K
    value, g_eta, g_w, pieces = 0.0, np.zeros(n), np.zeros(K), []
    for i in range(K):
        N = int(model.N[i])
        e = eta[:N]
        suffix = np.cumsum(e[::-1])[::-1]
        q = np.append(suffix[1:], 0.0) + w[i]
        u = suffix[0] + w[i]
        if u <= 0 or np.any(q <= 0):
            return None
        g = model.g[i]
        ratio = e / q
        sq = g * ratio * ratio
        head = model.d[i] / (2 * u * u)
        value += lam[i] * (model.d[i] / (2 * u) + 0.5 * np.sum(g * e * ratio)
                           + 0.5 * model.gw[i] * w[i])
        earlier = np.concatenate([[0.0], np.cumsum(sq)[:-1]])
        g_eta[:N] += lam[i] * (g * ratio - head - 0.5 * earlier)
        g_w[i] = lam[i] * (0.5 * model.gw[i] - head - 0.5 * np.sum(sq))
        pieces.append((N, q, u, g, ratio))
    return value, g_eta, g_w, pieces


def _eta_bound(model, lam, eta, w, worst, parts):
    value, g_eta, g_w, _ = parts
    total = 2 * worst * model.D / np.sqrt(model.J)          # η*_{1:N_i} + w*_i ≤ this
    ramp = total[-1] * min(0.0, float(np.min(g_eta)))
    box_w = np.sum(np.minimum(-g_w * w, g_w * (total - w)))
    return float(value - g_eta @ eta - g_w @ w + ramp + box_w)


def _window_hessian(model, lam, idx, pieces):
    """The Hessian of Σ λ_i f_i over η[idx] (idx increasing) and w, dense: for a ≤ b,
    ∂²f_i/∂η_a∂η_b = d/u³ + Σ_{t<a} g_t η_t²/q_t³ + (g_a/q_a if a = b else −g_a η_a/q_a²),
    w counting as a rate after every other."""
    m, K = idx.size, model.K
    H = np.zeros((m + K, m + K))
    for i, (N, q, u, g, ratio) in enumerate(pieces):
        head = model.d[i] / u**3
        earlier = np.concatenate([[0.0], np.cumsum(g * ratio * ratio / q)])
        sel = np.flatnonzero(idx < N)
        a = idx[sel]
        cross = g * ratio / q
        low = np.minimum.outer(a, a)
        block = head + earlier[low] - cross[low]
        block[np.diag_indices(a.size)] = head + earlier[a] + (g / q)[a]
        H[np.ix_(sel, sel)] += lam[i] * block
        col = lam[i] * (head + earlier[a] - cross[a])
        H[sel, m + i] += col
        H[m + i, sel] += col
        H[m + i, m + i] += lam[i] * (head + earlier[N])
    return H


def polished_bound(model, lam, x, worst, steps=2):
    """The (η, w) bound at x and after damped Newton steps on the windows (above)."""
    eta, w = _eta_point(model, x)
    parts = _eta_lagrangian(model, lam, eta, w)
    if parts is None:
        return -np.inf
    best = _eta_bound(model, lam, eta, w, worst, parts)
    width = max(1, _WINDOW // model.K)
    idx = np.unique(np.concatenate([np.arange(max(0, N - width), N) for N in model.N]))
    for _ in range(steps):
        grad = np.concatenate([parts[1][idx], parts[2]])
        try:
            d = -np.linalg.solve(_window_hessian(model, lam, idx, parts[3]), grad)
        except np.linalg.LinAlgError:
            break
        alpha, trial = 1.0, None
        while alpha > 1e-8:
            eta2, w2 = eta.copy(), w + alpha * d[idx.size:]
            eta2[idx] += alpha * d[:idx.size]
            trial = _eta_lagrangian(model, lam, eta2, w2)
            # no increase beyond rounding: the Lagrangian is flat there to ~1e-12
            if trial is not None and trial[0] <= parts[0] + 64 * _EPS * abs(parts[0]):
                break
            alpha, trial = alpha / 2, None
        if trial is None:
            break
        eta, w, parts = eta2, w2, trial
        best = max(best, _eta_bound(model, lam, eta, w, worst, parts))
    return best
