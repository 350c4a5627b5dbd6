"""Theory against the optimum (issue 4): tables, figures and the fitted 1/√T law.

For T = 10³ and D = G = 1: the optimum of bound (C) (docs/math.md §4.4) against the variational
prediction and linear decay (``schedopt.compare``), every schedule family at its best
multiplier under each bound (``schedopt.family_table``), and the same comparison for a
per-step G profile against the two closed forms of docs/math.md §3. Then the scaling fit
bound*(T) ≈ c·T^(−p) on 25 log-spaced T from 10² to 10⁶ (``schedopt.fit_scaling``), timed
cold (JAX compiling the exact recursion once per power-of-two length) and warm, against a
baseline measured in the same run: the same sweep with each bound evaluated by
``last_iterate_bound`` at the best multiplier instead of ``optimal_scale``'s closed form.

Usage: ``python benchmarks/theory.py``. Writes ``benchmarks/results/theory.json``, the
figures ``docs/figures/theory_*.png`` and the page ``docs/theory.md``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

import schedopt
from schedopt.adapters import _io
from schedopt.report._figures import plot_optimal_vs_linear, plot_per_step, plot_scaling
from schedopt.theory._scaling import default_steps_grid
from schedopt.theory._predictions import example_gradient_norms

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
T = 1000


def _num(x):
    """JSON-ready number: +∞ as the string "inf"."""
    return "inf" if x == float("inf") else x


def deviation_before(eta, ref, fraction):
    """max |η̂/ŝ − 1| over t ≤ fraction·T, both on unit sum over t ≤ T − 1 (as in compare)."""
    a = eta[:-1] / eta[:-1].sum()
    b = ref[:-1] / ref[:-1].sum()
    n = int(fraction * eta.shape[0])
    return float(np.max(np.abs(a[:n] / b[:n] - 1.0)))


def baseline_sweep(grid, families):
    """The sweep with bound (C) evaluated by the JAX function at λ* (the straightforward way)."""
    values = {}
    for name in families:
        row = []
        for steps in grid:
            shape = schedopt.FAMILIES[name](int(steps))
            scale = schedopt.optimal_scale(shape).scale
            row.append(float(schedopt.last_iterate_bound(scale * shape)))
        values[name] = np.array(row)
    return values


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> int:
    FIGURES.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)

    optimum = schedopt.optimal_schedule(T, method="exact")
    comparison = schedopt.compare(optimum)
    families = schedopt.family_table(T)
    G = example_gradient_norms(T)
    per_step_optimum = schedopt.optimal_schedule(T, 1.0, G, method="exact")
    per_step = schedopt.compare(per_step_optimum, 1.0, G)
    linear = schedopt.linear_decay(T)
    early = {f: deviation_before(optimum.eta, linear, f) for f in (0.5, 0.9, 0.99)}

    grid = default_steps_grid()
    scaling, cold = timed(schedopt.fit_scaling, grid)
    _, warm = timed(schedopt.fit_scaling, grid)
    baseline_values, baseline = timed(baseline_sweep, grid, schedopt.theory._scaling.SCALING_FAMILIES)
    for name, values in baseline_values.items():            # the two ways agree
        np.testing.assert_allclose(values, scaling.values[name], rtol=1e-9)

    figures = {
        "optimal_vs_linear": plot_optimal_vs_linear(FIGURES / "theory_optimal_vs_linear.png", T),
        "scaling": plot_scaling(FIGURES / "theory_scaling.png", scaling),
        "per_step": plot_per_step(FIGURES / "theory_per_step.png", G),
    }

    fit = scaling.fits["optimal"]
    checks = {"p_within_0.005_of_0.5": abs(fit.p - 0.5) < 0.005,
              "c_within_0.5%_of_2DG": abs(fit.c / 2.0 - 1.0) < 0.005}
    payload = {
        "steps": T, "D": 1.0, "G": 1.0,
        "comparison": comparison.to_dict(),
        "shape_max_deviation_before": {str(k): v for k, v in early.items()},
        "family_table": families.to_dict(),
        "per_step": per_step.to_dict(),
        "per_step_G": "example_gradient_norms(1000)",
        "scaling": scaling.to_dict(),
        "checks": checks,
        "timing_seconds": {"fit_scaling_cold": cold, "fit_scaling_warm": warm,
                           "baseline_sweep_families_by_last_iterate_bound": baseline},
        "figures": {k: str(v.relative_to(ROOT)) for k, v in figures.items()},
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "note": "timings on a shared 2-core machine, disturbed by other work"},
    }
    _io.write_text(RESULTS / "theory.json", json.dumps(payload, indent=1) + "\n")
    page = render_page(comparison, families, per_step, scaling, early, cold, warm, baseline,
                       checks)
    _io.write_text(DOCS / "theory.md", page)

    print(comparison.to_markdown(), end="\n\n")
    print(families.to_markdown(), end="\n\n")
    print(per_step.to_markdown(), end="\n\n")
    print(scaling.to_markdown(), end="\n\n")
    print(f"fit_scaling on {len(grid)} T from {grid[0]} to {grid[-1]}: {cold:.2f} s cold, "
          f"{warm:.2f} s warm; baseline family sweep by last_iterate_bound {baseline:.2f} s")
    print(f"checks: {checks}")
    print(f"wrote {RESULTS / 'theory.json'}, {DOCS / 'theory.md'} and {len(figures)} figures")
    return 0 if all(checks.values()) else 1


def render_page(comparison, families, per_step, scaling, early, cold, warm, baseline,
                checks) -> str:
    fit = scaling.fits["optimal"]
    const, const_log = scaling.fits["constant"], scaling.log_fits["constant"]
    ratio = {r.key: r.ratio for r in comparison.references}
    lin = next(r for r in families.rows if r.name == "linear_decay")
    grid = scaling.steps
    at_end = {name: float(np.sqrt(grid[-1]) * v[-1]) for name, v in scaling.values.items()}
    return f"""# Theory against the optimum

*Generated by `python benchmarks/theory.py` (numbers in `benchmarks/results/theory.json`);
every number below was measured in that run. Formulas and bounds: `docs/math.md`.*

How close is the exact optimum of bound (C) (docs/math.md §2, computed by the O(T) recursion of
docs/math.md §4.4) to what the continuous variational argument predicts (docs/math.md §3), and does the
optimum scale like 1/√T?

In short: at T = 10³ the optimum's bound is {1 / ratio['variational_value'] - 1:.2%} above
the variational value 2DG/√T, linear decay at its best multiplier is
{lin.ratio - 1:.2%} above the optimum, and the fitted law over T = 10²…10⁶ is
bound* ≈ {fit.c:.4f}·T^(−{fit.p:.5f}) (p = 0.5 and c = 2DG predicted).

## 1. The optimum against the predictions, T = 10³, D = G = 1

`schedopt.compare(schedopt.optimal_schedule(1000, method="exact"))`:

{comparison.to_markdown()}

Reading the table:

- The variational schedule sampled at t = 1..T, as docs/math.md §3 writes it, ends in η_T = 0,
  which makes bound (C) infinite (docs/math.md §2); sampled at t − ½ it is
  {ratio['variational_midpoint'] - 1:.3%} above the optimum.
- The proven linear decay α(1 − t/(T+1)), α = D/(G√(2T)), is {ratio['linear_decay_proven'] - 1:.1%}
  above the optimum; its guarantee 2√2·DG/√T is {ratio['linear_decay_guarantee'] - 1:.1%}
  above. At its best multiplier the same shape is {ratio['linear_decay_best'] - 1:.3%} above:
  the proof's multiplier is what costs, not the shape.
- The optimum's peak is {comparison.peak_ratio:.4f}·(D/G)/√T: it tracks the variational
  peak, not the proof's D/(G√(2T)).
- Shapes (each scaled to unit sum over t ≤ T − 1): the L2 distance from linear decay is
  {comparison.shape_l2:.2%}, but the largest relative deviation, {comparison.shape_max_deviation:.2f},
  is at t = {comparison.shape_max_deviation_step}: in the last few steps the optimum stays
  above linear decay (the max deviation is {early[0.5]:.2%} over the first half of the steps,
  {early[0.9]:.2%} over the first 90% and {early[0.99]:.2%} over the first 99%).
- The last step jumps by η_T/η_(T−1) = {comparison.bump:.6f} = 1 + √2 (docs/math.md §4.5).

![optimum vs linear decay vs variational](figures/theory_optimal_vs_linear.png)

## 2. Every family at its best multiplier, T = 10³, D = G = 1

`schedopt.family_table(1000)`: each shape (peak 1, from `schedopt.FAMILIES`) scaled by the
best multiplier of each bound (docs/math.md §4.1); the last two columns compare bound (C) with the
optimum {families.optimum:.10g}. "n/a": bounds (B) and (A, non-increasing) need a
non-increasing schedule (the optimum's last-step bump is not); "+∞": a last step of 0.
Bound (B) divides by η_T, so shapes that end near 0 (cosine, WSD) score very badly on it.

{families.to_markdown()}

## 3. Per-step G: the optimum against the two closed forms

G_t = `example_gradient_norms(1000)` (an early spike, a slow rise and a wobble; the top panel
of the figure), D = 1. Part V's continuous formula D·G_t⁻²(Q_T − Q_t)/Q_T^(3/2) and Defazio
et al.'s η_t ∝ G_t⁻² Σ_(p>t) G_p⁻² have the same shape; as published both end in η_T = 0 and
so have bound (C) = +∞. The variants that keep η_T > 0 (the continuous formula at t − ½,
Defazio et al.'s sum over p ≥ t) are finite and close to the optimum:

{per_step.to_markdown()}

![per-step G: profile, optimum and the closed forms](figures/theory_per_step.png)

## 4. The scaling law

`schedopt.fit_scaling()`: {len(grid)} log-spaced T from {grid[0]} to {grid[-1]:,}; the optimum
from the exact recursion, each family at its best multiplier under bound (C); least squares
of ln bound on ln T (± are standard errors; residuals are in ln bound, i.e. relative).

{scaling.to_markdown()}

- **Optimum:** p = {fit.p:.5f} ± {fit.p_se:.1e} and c = {fit.c:.4f} ± {fit.c_se:.1e}, i.e.
  c/2DG − 1 = {fit.c / 2 - 1:+.2%}; the targets p ∈ 0.5 ± 0.005 and c within 0.5% of 2DG are
  {'met' if all(checks.values()) else 'NOT met'}. √T·bound* is not exactly constant: it rises
  to ≈2.004 near T ≈ 300 and falls towards 2DG (docs/math.md §4), which is what the small
  p − 0.5 > 0 and c > 2 absorb; the worst residual is {fit.worst_residual:.1e}.
- **Constant η** has bound (C) = DG·√((H_(T−1) + 1)/T) at its best multiplier, a √(ln T)
  factor: the pure power law fits it visibly worse (p = {const.p:.3f}, worst residual
  {const.worst_residual:.1e}) than c·T^(−p)(ln T)^q (p = {const_log.p:.3f},
  q = {const_log.q:.3f}, worst residual {const_log.worst_residual:.1e}). q comes out below ½
  because H_(T−1) + 1 ≈ ln T + 1.58 is not yet ln T at these T. 1/√t behaves alike.
- At T = {grid[-1]:,}, √T·bound/(DG) is {at_end['optimal']:.5f} for the optimum,
  {at_end['linear_decay']:.5f} for linear decay (which approaches the optimum as T grows),
  {at_end['cosine_decay']:.4f} for cosine and {at_end['warmup_stable_decay']:.4f} for WSD,
  which settle at their own constants above 2DG (the right panel of the figure).

![√T·bound against T with the fitted lines](figures/theory_scaling.png)

Timing (shared 2-core machine, disturbed by the other engineers' work; re-run on a quiet
machine for clean figures): the default sweep took {cold:.2f} s cold (JAX compiles the exact
recursion once per power-of-two length) and {warm:.2f} s warm. Baseline in the same run:
the five families' values by `last_iterate_bound` at the best multiplier instead of
`optimal_scale`'s closed form took {baseline:.2f} s (the two agree to 1e-9).
"""


if __name__ == "__main__":
    sys.exit(main())
