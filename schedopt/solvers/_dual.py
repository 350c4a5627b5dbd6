r"""The one Lagrangian dual bound of bound (C): every method's certificate ends here.

For a Lagrangian ``L(η) = (C)(η) + aᵀη + c`` (the constraints moved into the objective with
multipliers, ``_constraints.multipliers``), weak duality gives ``min_{η ≥ 0} L ≤ optimum``
for any admissible multipliers. In tail sums ``S_t = η_{t:T}`` (docs/math.md §4.3),
``aᵀη = Σ_t b_t S_t`` with ``b_t = a_t − a_{t−1}`` (a_0 = 0), and apart from D²/(2S_1) every
term of L is homogeneous of degree one in S, so the cost-to-go of docs/math.md §4.4 is again
``½J_t S_t``: ``J_T = G_T² + 2b_T`` and, with ``u = S_{t+1}/S_t ∈ (0, 1]`` (η_t ≥ 0),

.. math:: J_t = 2b_t + \min_{0<u\le1}\Big[\frac{G_t^2}{u} − 2G_t^2 + (G_t^2 + J_{t+1})u\Big]
          = 2b_t + \begin{cases} 2J_{t+1}G_t/(\sqrt{G_t^2 + J_{t+1}} + G_t) & J_{t+1} > 0 \\
                                  J_{t+1} & J_{t+1} \le 0 \end{cases}

(for J_{t+1} ≤ 0 the bracket decreases on (0, 1], so u = 1). Finally
``min_{S_1>0} D²/(2S_1) + ½J_1S_1 = D√J_1`` when ``J_1 ≥ 0`` and −∞ otherwise, so the dual
value is ``D√J_1 + c``. With ``a = 0`` it is the exact recursion and the bound is the optimum.
The recursion runs on ``solvers._scan``, the package's one backward scan.
"""

from __future__ import annotations

import numpy as np

from schedopt.solvers import _scan


def dual_value(G2, D: float, a: np.ndarray, constant: float) -> float:
    """min over η ≥ 0 of (C)(η) + aᵀη + constant (−∞ when unbounded below); G2 a scalar or
    one value per step."""
    a = np.asarray(a, dtype=np.float64)
    G2 = np.broadcast_to(np.asarray(G2, dtype=np.float64), a.shape)
    b = np.diff(a, prepend=0.0)
    J = float(G2[-1] + 2.0 * b[-1])
    if a.size > 1:
        J = float(_scan.backward("dual", J, G2[:-1], b[:-1])[0])
    if not J >= 0:
        return -np.inf
    return float(D * np.sqrt(J) + constant)
