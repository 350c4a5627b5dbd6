"""Schedules against the theory of docs/math.md §3 and against the optimum.

- ``compare``: how far a schedule (normally the optimum of bound (C)) is from those
  predictions, or, for a per-step G, from the two closed forms of docs/math.md §3, which live
  beside ``refine`` (``schedopt.continuous_schedule`` and ``schedopt.defazio_schedule``).
- ``family_table``: every family of ``FAMILIES`` at its best multiplier under each bound.

The fitted 1/√T law (``fit_scaling``) lives in ``schedopt.theory._scaling``.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Mapping, NamedTuple

import numpy as np

from schedopt import _validation
from schedopt._validation import NotNonIncreasingError
from schedopt.bounds._bounds import BOUNDS
from schedopt.bounds._scale import InfiniteBoundError
from schedopt.bounds._bounds import last_iterate_bound
from schedopt.bounds._scale import optimal_scale
from schedopt._closed_forms import continuous_schedule
from schedopt._closed_forms import defazio_schedule
from schedopt._result import ScheduleResult
from schedopt.schedules import FAMILIES
from schedopt.schedules import linear_decay
from schedopt.theory._predictions import Prediction
from schedopt.theory._predictions import linear_decay_guarantee
from schedopt.theory._predictions import variational_schedule
from schedopt.solvers._solve import optimal_schedule

INF = float("inf")


@dataclasses.dataclass(frozen=True)
class Reference:
    """One prediction in a ``Comparison``: its bound (C) and that bound over the schedule's.

    ``kind`` is ``"schedule"`` (bound (C) of a schedule, +∞ when its last step is 0) or
    ``"value"`` (a number the theory predicts, not the bound of any schedule).
    """
    key: str
    label: str
    kind: str
    bound: float
    ratio: float


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A schedule against the theory of docs/math.md §3 (see ``compare``).

    Attributes:
      steps, D: T and D.
      per_step: whether G was a per-step array (the references are then the closed forms).
      bound: bound (C) of the compared schedule.
      references: the predictions, each with its bound and ratio to ``bound``.
      shape_reference: the shape the distances are measured against.
      shape_max_deviation: max over t ≤ T − 1 of |η̂_t/ŝ_t − 1|, with η̂ and ŝ each scaled to
        unit sum over t ≤ T − 1 (the last step carries the bump, docs/math.md §4.5).
      shape_max_deviation_step: the step t where that maximum is reached.
      shape_l2: ‖η̂ − ŝ‖₂/‖ŝ‖₂ over t ≤ T − 1.
      peak_ratio: η_1 over the continuous prediction's peak D/(G_1²√Q_T) (= (D/G)/√T for
        constant G).
      bump: η_T/η_{T−1} (1 + √2 for the optimum with constant G, docs/math.md §4.5).
    """
    steps: int
    D: float
    per_step: bool
    bound: float
    references: tuple
    shape_reference: str
    shape_max_deviation: float
    shape_max_deviation_step: int
    shape_l2: float
    peak_ratio: float
    bump: float

    def reference(self, key: str) -> Reference:
        for ref in self.references:
            if ref.key == key:
                return ref
        raise KeyError(f"no reference {key!r}; have {', '.join(r.key for r in self.references)}")

    def to_dict(self) -> dict:
        """JSON-ready, +∞ as the string "inf" (the package's rule)."""
        def num(x):
            return "inf" if x == INF else x

        return {"steps": self.steps, "D": self.D, "per_step": self.per_step,
                "bound": num(self.bound),
                "references": [{"key": r.key, "label": r.label, "kind": r.kind,
                                "bound": num(r.bound), "ratio": num(r.ratio)}
                               for r in self.references],
                "shape_reference": self.shape_reference,
                "shape_max_deviation": self.shape_max_deviation,
                "shape_max_deviation_step": self.shape_max_deviation_step,
                "shape_l2": self.shape_l2, "peak_ratio": self.peak_ratio,
                "bump": num(self.bump)}

    def as_rows(self) -> list[tuple[str, str]]:
        """(quantity, value) pairs as text, the bound first."""
        rows = [("bound (C) of the schedule", f"{self.bound:.10g}")]
        for ref in self.references:
            what = "bound (C) of " if ref.kind == "schedule" else ""
            rows.append((f"{what}{ref.label} / bound", _format_ratio(ref.ratio)))
        rows += [
            (f"shape: max relative deviation from {self.shape_reference} (t ≤ T−1)",
             f"{self.shape_max_deviation:.4g} (at t = {self.shape_max_deviation_step})"),
            (f"shape: relative L2 distance from {self.shape_reference} (t ≤ T−1)",
             f"{self.shape_l2:.4g}"),
            ("peak η_1 / " + ("(D/(G_1²√Q_T))" if self.per_step else "((D/G)/√T)"),
             f"{self.peak_ratio:.6f}"),
            ("last-step bump η_T/η_{T−1}", f"{self.bump:.6f}"),
        ]
        return rows

    def to_markdown(self) -> str:
        lines = ["| quantity | value |", "|---|---|"]
        lines += [f"| {q} | {v} |" for q, v in self.as_rows()]
        return "\n".join(lines)


def _format_ratio(ratio: float) -> str:
    return "+∞" if ratio == INF else f"{ratio:.6f}"


def _bound(eta, D, G) -> float:
    return float(last_iterate_bound(eta, D, G))


def _best(shape, D, G) -> float:
    """Bound (C) at the best multiplier; +∞ when the shape's last step is 0."""
    return optimal_scale(shape, D, G).value if shape[-1] > 0 else INF


def _shape_distance(eta, ref):
    a = eta[:-1] / np.sum(eta[:-1])
    b = ref[:-1] / np.sum(ref[:-1])
    rel = np.abs(a / b - 1.0)
    i = int(np.argmax(rel))
    return float(rel[i]), i + 1, float(np.linalg.norm(a - b) / np.linalg.norm(b))


def compare(result_or_eta, D=1.0, G=1.0) -> Comparison:
    """Compare a schedule (normally ``optimal_schedule``'s result) with docs/math.md §3's predictions.

    For a scalar G the references are the variational schedule (sampled at t and at
    t − ½), its value 2DG/√T, the proven linear decay and its guarantee 2√2·DG/√T, and
    linear decay at its best multiplier; shapes are compared with linear decay. For a per-step
    G they are part V's continuous formula (sampled at t and at t − ½), Defazio et al.'s
    closed form at its best multiplier (the published η_T = 0 form and the form summing over
    p ≥ t) and linear decay at its best multiplier; shapes are compared with Defazio et al.'s
    (the continuous formula has the same shape, docs/math.md §3). Forms with η_T = 0 have bound (C)
    = +∞ and are reported so.

    Args:
      result_or_eta: a ``ScheduleResult`` or a schedule η_1..η_T with T ≥ 2 and η_T > 0.
      D: ‖θ_1 − θ*‖ (> 0).
      G: a scalar or one gradient-norm bound per step.
    """
    eta = result_or_eta.eta if isinstance(result_or_eta, ScheduleResult) else result_or_eta
    eta = _validation.schedule(eta, "eta")
    T = eta.shape[0]
    if T < 2:
        raise ValueError(f"compare needs a schedule of at least 2 steps, got {T}")
    D = _validation.positive_scalar(D, "D")
    G = _validation.gradient_norms(G, T)
    if eta[-1] == 0:
        raise ValueError("compare needs a schedule with a finite bound (C), but eta[-1] = 0 "
                         "makes it +∞ (docs/math.md §2)")
    if not np.any(eta[:-1] > 0):
        # The shape over steps 1..T−1 is compared, normalised by its sum (issue 21: 0/0 gave
        # NaN deviations and an infinite bump presented as a valid comparison).
        raise ValueError(f"compare needs a schedule with a positive rate before its last step "
                         f"(its shape over steps 1..T−1 is compared), but eta[:-1] is all zero "
                         f"(eta = {eta[:4].tolist()}{'...' if T > 4 else ''})")
    bound = _bound(eta, D, G)
    per_step = G.ndim == 1
    if per_step:
        refs, shape_ref, name = _per_step_references(T, D, G)
        peak = D * G[0] ** -2 / np.sqrt(np.sum(G ** -2.0))
    else:
        refs, shape_ref, name = _constant_references(T, D, float(G))
        peak = (D / float(G)) / np.sqrt(T)
    references = tuple(Reference(key, label, kind, value, value / bound)
                       for key, label, kind, value in refs)
    deviation, where, l2 = _shape_distance(eta, shape_ref)
    return Comparison(steps=T, D=D, per_step=per_step, bound=bound, references=references,
                      shape_reference=name, shape_max_deviation=deviation,
                      shape_max_deviation_step=where, shape_l2=l2,
                      peak_ratio=float(eta[0] / peak),
                      bump=float(eta[-1] / eta[-2]) if eta[-2] > 0 else INF)   # η_T/η_(T−1)


def _constant_references(T, D, G):
    variational = variational_schedule(T, D, G)
    midpoint = variational_schedule(T, D, G, last="midpoint")
    proven = linear_decay_guarantee(T, D, G)
    shape = linear_decay(T)
    refs = [
        ("variational_value", "variational value 2DG/√T", "value", variational.value),
        ("variational", "variational schedule at t = 1..T", "schedule",
         _bound(variational.eta, D, G)),
        ("variational_midpoint", "variational schedule at t − ½", "schedule",
         _bound(midpoint.eta, D, G)),
        ("linear_decay_proven", "proven linear decay α(1 − t/(T+1))", "schedule",
         _bound(proven.eta, D, G)),
        ("linear_decay_guarantee", "linear-decay guarantee 2√2·DG/√T", "value", proven.value),
        ("linear_decay_best", "linear decay at its best multiplier", "schedule",
         _best(shape, D, G)),
    ]
    return refs, shape, "linear decay"


def _per_step_references(T, D, G):
    defazio = defazio_schedule(G)
    refs = [
        ("continuous", "continuous formula (part V) at t", "schedule",
         _bound(continuous_schedule(G, D), D, G)),
        ("continuous_midpoint", "continuous formula (part V) at t − ½", "schedule",
         _bound(continuous_schedule(G, D, last="midpoint"), D, G)),
        ("defazio_best", "Defazio et al. (η_T = 0) at its best multiplier", "schedule",
         _best(defazio, D, G)),
        ("defazio_inclusive_best", "Defazio et al. summed over p ≥ t, best multiplier",
         "schedule", _best(defazio_schedule(G, last="inclusive"), D, G)),
        ("linear_decay_best", "linear decay at its best multiplier", "schedule",
         _best(linear_decay(T), D, G)),
    ]
    return refs, defazio, "Defazio et al.'s shape"


# ---------------------------------------------------------------------------------------
# family_table: every family at its best multiplier under each bound
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FamilyRow:
    """One schedule at its best multiplier λ* under each bound (docs/math.md §4.1).

    ``values[bound]`` and ``scales[bound]`` are None where the bound does not apply (bounds
    (B) and (A, non-increasing) need a non-increasing schedule) and +∞ / 0 where the shape
    makes the bound infinite for every multiplier (η_T = 0 for (B) and (C)). ``ratio`` is the
    bound (C) value over the optimum of bound (C).
    """
    name: str
    values: Mapping
    scales: Mapping
    ratio: float


@dataclasses.dataclass(frozen=True)
class FamilyTable:
    """``family_table``'s result: the optimum of bound (C) and a row per family."""
    steps: int
    D: float
    optimum: float
    bounds: tuple
    rows: tuple

    @property
    def header(self) -> list[str]:
        return (["schedule"] + [BOUNDS[b].label for b in self.bounds]
                + ["(C) / optimum", "(C) above optimum"])

    def as_rows(self) -> list[list]:
        """One list per row, in ``header`` order: name, a value per bound, ratio, excess in %."""
        return [[row.name] + [row.values[b] for b in self.bounds]
                + [row.ratio, 100.0 * (row.ratio - 1.0)] for row in self.rows]

    def to_markdown(self) -> str:
        def cell(x):
            if x is None:
                return "n/a"
            return "+∞" if x == INF else f"{x:.6g}"

        lines = ["| " + " | ".join(self.header) + " |", "|---" * len(self.header) + "|"]
        for row in self.rows:
            cells = [f"`{row.name}`"] + [cell(row.values[b]) for b in self.bounds]
            excess = ("+∞" if row.ratio == INF
                      else f"{round(100.0 * (row.ratio - 1.0), 3) + 0.0:+.3f}%")
            cells += [cell(row.ratio), excess]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready: +∞ becomes the string "inf", a bound that does not apply None."""
        def num(x):
            return "inf" if x == INF else x

        return {"steps": self.steps, "D": self.D, "optimum": self.optimum,
                "bounds": list(self.bounds),
                "rows": [{"name": r.name, "ratio": num(r.ratio),
                          "values": {b: num(r.values[b]) for b in self.bounds},
                          "scales": {b: r.scales[b] for b in self.bounds}} for r in self.rows]}


def at_best(shape, D, G, bound):
    """(value, λ*) of ``bound`` at the best multiplier; (None, None) where it does not apply."""
    try:
        best = optimal_scale(shape, D, G, bound=bound)
    except NotNonIncreasingError:
        return None, None
    except InfiniteBoundError:
        return INF, 0.0
    return best.value, best.scale


def family_callables(families) -> dict[str, Callable]:
    if families is None:
        return dict(FAMILIES)
    if isinstance(families, Mapping):
        return dict(families)
    if isinstance(families, str):
        families = [families]
    out = {}
    for name in families:
        if name not in FAMILIES:
            raise ValueError(f"families must name entries of FAMILIES "
                             f"({', '.join(FAMILIES)}), got {name!r}")
        out[name] = FAMILIES[name]
    return out


def family_table(steps=1000, D=1.0, G=1.0, *, families=None, bounds=BOUNDS,
                 progress=None) -> FamilyTable:
    """Every family at its best multiplier under each bound, against the optimum of bound (C).

    The first row, ``"optimal"``, is the exact optimum of bound (C) (docs/math.md §4.4) rescaled to
    each bound's best multiplier. For T = 1000, D = G = 1 linear decay is 0.18% above it
    (docs/math.md §4's reference values).

    Args:
      steps: T.
      D, G: as in ``optimal_schedule`` (G a scalar or one value per step).
      families: names from ``FAMILIES``, or a mapping name → callable(steps); default all.
      bounds: which of ``BOUNDS`` to tabulate (the ratio column is always bound (C)).
      progress: None, or a callable ``progress(done, total)`` called after the optimum and
        after each row, e.g. for a progress bar.
    """
    T = _validation.steps(steps)
    bounds = (bounds,) if isinstance(bounds, str) else tuple(bounds)
    for b in bounds:
        if b not in BOUNDS:
            raise ValueError(f"bounds must be among {', '.join(map(repr, BOUNDS))}, got {b!r}")
    callables = family_callables(families)
    optimum = optimal_schedule(T, D, G, method="exact")
    if progress is not None:
        progress(1, len(callables) + 2)
    D = float(D)
    shapes = {"optimal": optimum.eta}
    shapes.update({name: np.asarray(f(T), dtype=np.float64) for name, f in callables.items()})
    rows = []
    for i, (name, shape) in enumerate(shapes.items()):
        found = {b: at_best(shape, D, G, b) for b in bounds}
        value_c = found["last_iterate"][0] if "last_iterate" in found else at_best(
            shape, D, G, "last_iterate")[0]
        rows.append(FamilyRow(name=name, values={b: v for b, (v, _) in found.items()},
                              scales={b: s for b, (_, s) in found.items()},
                              ratio=value_c / optimum.bound))
        if progress is not None:
            progress(i + 2, len(shapes) + 1)
    return FamilyTable(steps=T, D=D, optimum=optimum.bound, bounds=bounds, rows=tuple(rows))

