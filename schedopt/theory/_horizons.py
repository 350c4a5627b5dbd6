"""Unknown horizons: the anytime schedule against the schedules people use, each at its best.

``anytime_table`` puts, in one table, the worst ratio bound(t_i)/optimal_bound(t_i) over the
checkpoints (``schedopt.solvers.checkpoint_ratios``, docs/math.md §5.1) of the anytime
schedule and of constant, 1/√t, WSD at its best cool-down fraction and the best
fixed-horizon optimum, each at the multiplier that minimises its own worst ratio. The worst
ratio of λ·shape is a maximum of functions convex in λ (docs/math.md §4.2), hence unimodal
in log λ, so a golden-section search finds that multiplier.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt._search import golden_section
from schedopt.solvers._anytime import anytime_schedule
from schedopt.solvers._checkpoints import check_checkpoints
from schedopt.solvers._checkpoints import checkpoint_ratios
from schedopt.solvers._exact import tail_ratios
from schedopt.solvers._extend import extended_G
from schedopt.solvers._solve import optimal_schedule
from schedopt import schedules

WSD_FRACTIONS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
HORIZON_FACTORS = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


@dataclasses.dataclass(frozen=True)
class AnytimeRow:
    """One schedule of the table: its name, parameter, multiplier, ratios and worst ratio."""
    name: str
    parameter: str
    multiplier: float
    ratios: tuple
    worst_ratio: float


def best_multiplier(shape, checkpoints, D=1.0, G=1.0, *, iters=50):
    """(multiplier, ratios) minimising the worst ratio of multiplier·shape (golden section)."""
    points = check_checkpoints(checkpoints)
    G2 = extended_G(G, points[-1])
    total = D / np.sqrt(tail_ratios(G2[:points[-1] + 1])[0])    # the optimum's total (§4.4)
    center = np.log(total / np.sum(shape[:points[-1]]))
    worst = lambda z: float(np.max(checkpoint_ratios(np.exp(z) * shape, points, D, G)))
    z, _ = golden_section(worst, center - 6.0, center + 6.0, max_iter=iters)
    if min(z - center + 6.0, center + 6.0 - z) < 1e-3:
        raise RuntimeError("the best multiplier lies at the edge of the searched range")
    return float(np.exp(z)), checkpoint_ratios(np.exp(z) * shape, points, D, G)


def _row(name, parameter, shape, points, D, G) -> AnytimeRow:
    m, ratios = best_multiplier(shape, points, D, G)
    return AnytimeRow(name, parameter, m, tuple(float(r) for r in ratios),
                      float(np.max(ratios)))


def _best(rows) -> AnytimeRow:
    return min(rows, key=lambda r: r.worst_ratio)


def anytime_table(checkpoints, D=1.0, G=1.0, *, anytime=None) -> list:
    """Rows for the anytime schedule and the four baselines of the module doc.

    ``anytime`` is a precomputed ``AnytimeResult`` (None: solve it here).
    """
    points = check_checkpoints(checkpoints)
    n = points[-1]
    result = anytime if anytime is not None else anytime_schedule(points, D, G)
    rows = [AnytimeRow("anytime", f"gap {result.gap:.2g}", 1.0,
                       tuple(float(r) for r in result.ratios), float(result.worst_ratio))]
    rows.append(_row("constant", "", schedules.constant(n), points, D, G))
    rows.append(_row("inverse_sqrt", "", schedules.inverse_sqrt(n), points, D, G))
    rows.append(_best(_row("warmup_stable_decay", f"decay_fraction={f:g}",
                           schedules.warmup_stable_decay(n, 0.0, f), points, D, G)
                      for f in WSD_FRACTIONS))
    G_full = np.sqrt(extended_G(G, n))
    fixed = []
    for k in HORIZON_FACTORS:
        H = int(round(k * n))
        G_H = G_full if H == n else np.append(G_full, np.full(H - n, G_full[-1]))
        shape = optimal_schedule(H + 1, D, G_H).eta[:n]
        fixed.append(_row("fixed_horizon_optimum", f"horizon={H}", shape, points, D, G))
    rows.append(_best(fixed))
    return rows
