"""The schedopt report: tables and figures as ``report.md`` and a self-contained ``report.html``.

``write_report(out)`` runs, in order,

1. the comparison of every schedule family with the optimum of bound (C) at T steps
   (docs/math.md §3, §4.1), with the figure of the optimum against linear decay and the
   variational prediction;
2. the scaling fit bound*(T) ≈ c·T^(−p) over a grid of T (docs/math.md §3);
3. the per-step-G case: a gradient-norm profile, its optimum and the two closed forms;
4. a short solver benchmark: every method of ``optimal_schedule`` at a few T, time and gap
   to the exact optimum, measured in this run;
5. any extra sections the caller passes (``make demo`` adds the quick training benchmark).

Figures are written beside the report as PNG files (``report.md`` links them) and embedded
in ``report.html`` as base64, so the HTML opens anywhere with no network. Every file is
written atomically (``schedopt.adapters._io``).
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.util
import platform
import sys
import time
from pathlib import Path

import numpy as np

from schedopt import _validation
from schedopt.adapters import _io
from schedopt.report._render import Figure
from schedopt.report._render import Section
from schedopt.report._render import Table
from schedopt.report._render import format_number
from schedopt.report._render import render_html
from schedopt.report._render import render_markdown
from schedopt.report._render import rendered_figure

SOLVER_METHODS = ("exact", "newton", "lbfgsb", "pgd")


# ---------------------------------------------------------------------------------------
# 4. Solver benchmark
# ---------------------------------------------------------------------------------------

def solver_benchmark(steps_grid=(100, 1_000, 10_000), methods=SOLVER_METHODS, *,
                     progress=None) -> list[dict]:
    """Each method of ``optimal_schedule`` at each T (unconstrained, D = G = 1).

    ``progress``: None, or a callable ``progress(done, total)`` called after each row, as
    ``fit_scaling`` and ``family_table`` take it.

    Every (T, method) is solved twice: the first call includes JAX's compilation for that
    size, the second is the warm time a user sees on repeated solves. Returns one dict per
    (T, method): steps, method, first_seconds, seconds (warm), bound, rel_gap (bound / exact
    optimum − 1), converged, iterations, and note (why a row is empty, else None).
    """
    from schedopt.solvers._solve import optimal_schedule

    rows = []
    total = len(steps_grid) * len(methods)
    for T in steps_grid:
        reference = optimal_schedule(T, method="exact").bound
        for method in methods:
            row = {"steps": int(T), "method": method, "first_seconds": None, "seconds": None,
                   "bound": None, "rel_gap": None, "converged": None, "iterations": None,
                   "note": None}
            try:
                times = []
                for _ in range(2):
                    start = time.perf_counter()
                    result = optimal_schedule(T, method=method)
                    times.append(time.perf_counter() - start)
            except ModuleNotFoundError as err:      # a solver missing from this installation
                if not (err.name or "").startswith("schedopt."):
                    raise
                row["note"] = f"not available ({err.name} is missing)"
            else:
                row.update(first_seconds=times[0], seconds=times[1], bound=result.bound,
                           rel_gap=result.bound / reference - 1.0,
                           converged=bool(result.converged),
                           iterations=int(result.iterations))
            rows.append(row)
            if progress is not None:
                progress(len(rows), total)
    return rows


def _solver_section(rows) -> Section:
    table = Table(
        headers=["T", "method", "first call (s)", "warm call (s)", "bound (C)",
                 "bound / optimum − 1", "converged", "iterations"],
        rows=[[r["steps"], r["method"], format_number(r["first_seconds"], 3), format_number(r["seconds"], 3),
               format_number(r["bound"], 12), format_number(r["rel_gap"], 2), r["note"] or format_number(r["converged"]),
               format_number(r["iterations"])] for r in rows],
        caption="Every method of optimal_schedule on the unconstrained problem, D = G = 1.")
    text = ("Wall-clock seconds of one call on the machine that wrote this report: the first "
            "call at each T includes JAX compilation, the warm call is a repeat. Other work on "
            "the machine inflates them; benchmarks/solvers.py measures warm times up to "
            "T = 10⁶ with a baseline. The relative gap is taken against the exact O(T) "
            "recursion of docs/math.md §4.4 (negative: below it by rounding).")
    return Section("Solver benchmark", [text, table, rendered_figure(
        "solvers", _solver_figure(rows), "warm solve time against T for each method")])


def _solver_figure(rows):
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    for method in dict.fromkeys(r["method"] for r in rows):
        pts = [(r["steps"], r["seconds"]) for r in rows
               if r["method"] == method and r["seconds"] is not None]
        if pts:
            ax.loglog(*zip(*pts), marker="o", label=method)
    ax.set_xlabel("steps T")
    ax.set_ylabel("wall-clock time of a warm solve (s)")
    ax.set_title("optimal_schedule: time per solve, D = G = 1")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="method")
    return fig


# ---------------------------------------------------------------------------------------
# 1–3. Theory against the optimum
# ---------------------------------------------------------------------------------------

def _comparison_section(steps: int) -> Section:
    from schedopt.report._figures import figure_optimal_vs_linear
    from schedopt.solvers._solve import optimal_schedule
    from schedopt.theory import compare
    from schedopt.theory import family_table

    table = family_table(steps)
    comparison = compare(optimal_schedule(steps, method="exact"))
    linear = next(r for r in table.rows if r.name == "linear_decay")
    families = Table(
        headers=[h for h in table.header],
        rows=[[f"{row[0]}"] + [format_number(x, 6) if x is not None else "n/a" for x in row[1:-1]]
              + [_fmt_excess(row[-1])] for row in table.as_rows()],
        caption=f"Every family at its best multiplier under each bound, T = {steps}, "
                f"D = G = 1 (n/a: the bound needs a non-increasing schedule).")
    theory = Table(headers=["quantity", "value"], rows=comparison.as_rows(),
                   caption=f"The optimum of bound (C) at T = {steps} against docs/math.md §3.")
    text = (f"The optimum of bound (C) at T = {steps} is {table.optimum:.10g} (exact O(T) "
            f"recursion, docs/math.md §4.4). Linear decay at its best multiplier is "
            f"{100 * (linear.ratio - 1):.3f}% above it; the variational prediction 2DG/√T is "
            f"{comparison.reference('variational_value').ratio:.6f} of it and the optimum's "
            f"peak η_1 is {comparison.peak_ratio:.6f} of the predicted (D/G)/√T. The optimum "
            f"ends with a bump η_T/η_(T−1) = {comparison.bump:.6f} (1 + √2, docs/math.md §4.5).")
    use = _applied_text(steps)
    return Section(f"The optimum against linear decay and the variational prediction (T = {steps})",
                   [text, use, families, theory, rendered_figure(
                       "optimal_vs_linear", figure_optimal_vs_linear(steps),
                       f"the optimum of bound (C), linear decay and the variational schedule, "
                       f"T = {steps}, with the last 5% of the steps enlarged")])


def _applied_text(steps: int) -> str:
    """The schedule to use for a run of ``steps − 1`` updates: the rule of docs/math.md §5.1."""
    from schedopt.solvers._applied import applied_schedule

    N = steps - 1
    applied = applied_schedule(N, method="exact")
    rise = float(np.max(np.diff(applied.eta) / applied.eta[:-1]))
    return (f"The schedule to train with. Bound (C) at T = {steps} covers θ_{steps}, which the "
            f"first N = {N} rates reach; η_{steps} (the bump) only weighs the analysis. So a "
            f"run of N updates applies η_1..η_N of the horizon-(N+1) optimum and keeps "
            f"θ_(N+1), whose guarantee is that optimum's bound (docs/math.md §5.1; "
            f"applied_schedule, optimal_optax_schedule and the CLI's optimize --steps N do "
            f"this). For N = {N}: bound (C) on θ_{steps} = {applied.bound:.10g}, and the "
            f"largest step-to-step change of the {N} rates is {rise:+.3e} relative "
            f"({'strictly decreasing' if rise < 0 else 'not strictly decreasing'}). Applying all T rates including the bump instead ends at "
            f"θ_(T+1), which the bound does not cover; its exact worst case is 1.50, 1.35, "
            f"1.21, 1.12 × the minimax DG/√(N+1) at N = 5, 10, 20, 40 (docs/math.md §5.3).")


def _fmt_excess(percent) -> str:
    if percent is None:
        return "n/a"
    if percent == float("inf"):
        return "∞"
    return f"{round(percent, 3) + 0.0:+.3f}%"


def _scaling_section(grid) -> Section:
    from schedopt.report._figures import figure_scaling
    from schedopt.theory._scaling import fit_scaling

    table = fit_scaling(grid)
    fit = table.fits["optimal"]
    rows = [[name, model, f"{p:.5f}", f"{p_se:.1e}", f"{c:.5f}", f"{c_se:.1e}",
             "" if q is None else f"{q:.4f}", f"{worst:.2e}"]
            for name, model, p, p_se, c, c_se, q, worst in table.as_rows()]
    text = (f"Least-squares fits of bound*(T) ≈ c·T^(−p) in log–log over {len(grid)} values of T "
            f"from {grid[0]:,} to {grid[-1]:,} (D = G = 1; each family at its best multiplier "
            f"under bound (C)). The optimum gives p = {fit.p:.5f} ± {fit.p_se:.1e} and "
            f"c = {fit.c:.5f} ± {fit.c_se:.1e}; docs/math.md §3 predicts p = 1/2 and c = 2DG = 2. "
            f"Constant and inverse-√t schedules carry a log factor, which the fits with "
            f"(ln T)^q capture.")
    return Section("Scaling: bound*(T) ≈ c·T^(−p)", [
        text, Table(headers=table.header, rows=rows, caption="Fitted power laws (± one standard "
                    "error); worst |residual| is the largest relative misfit."),
        rendered_figure("scaling", figure_scaling(table),
                "√T · bound against T for the optimum and each family, with the fitted lines "
                "and the 2DG and 2√2·DG reference levels")])


def _per_step_section(steps: int) -> Section:
    from schedopt.report._figures import figure_per_step
    from schedopt.solvers._solve import optimal_schedule
    from schedopt.theory import compare
    from schedopt.theory._predictions import example_gradient_norms

    G = example_gradient_norms(steps)
    comparison = compare(optimal_schedule(steps, 1.0, G, method="exact"), 1.0, G)
    text = ("Real gradient norms change over training. With a per-step G_t (here a synthetic "
            "profile: an early spike, a slow rise and a wobble) the exact recursion still gives "
            "the optimum of bound (C) in O(T); the closed forms of docs/math.md §3 (part V's "
            "continuous formula, Defazio et al.'s refinement) approximate it.")
    return Section("Per-step gradient norms", [
        text, Table(headers=["quantity", "value"], rows=comparison.as_rows(),
                    caption=f"The optimum for the profile against the closed forms, "
                            f"T = {steps}."),
        rendered_figure("per_step", figure_per_step(G),
                "a gradient-norm profile, the optimum of bound (C) for it and the two closed "
                "forms")])


# ---------------------------------------------------------------------------------------
# The whole report
# ---------------------------------------------------------------------------------------

class _NoProgress:
    def update(self, n=1):
        pass

    def set_description(self, text):
        pass

    def close(self):
        pass


def _show_progress(enabled) -> bool:
    """None: bars only on a terminal, so that no carriage returns go into a log file."""
    if enabled is None:
        return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return bool(enabled)


def _progress(total: int, desc: str, enabled):
    if not _show_progress(enabled):
        return _NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError:                   # tqdm is a dev extra; print the stages instead
        class _Print(_NoProgress):
            def set_description(self, text):
                print(f"{desc}: {text}", file=sys.stderr)
        return _Print()
    return tqdm(total=total, desc=desc, unit="step", leave=True, file=sys.stderr)


@dataclasses.dataclass(frozen=True)
class ReportConfig:
    """What the report computes. ``quick`` shrinks every grid."""
    steps: int = 1000
    scaling_grid: tuple = ()
    solver_steps: tuple = (100, 1_000, 10_000)
    solver_methods: tuple = SOLVER_METHODS

    @classmethod
    def default(cls, quick: bool = False) -> "ReportConfig":
        from schedopt.theory._scaling import default_steps_grid

        if quick:
            return cls(steps=1000, scaling_grid=tuple(default_steps_grid(100, 10_000, 9)),
                       solver_steps=(100, 1_000))
        return cls(scaling_grid=tuple(default_steps_grid()))


def write_report(out="report", *, quick: bool = False, show_progress: bool | None = None,
                 config: ReportConfig | None = None, sections=(), lead_sections=(),
                 progress: bool | None = None) -> dict:
    """Run the report's computations and write ``out/report.md``, ``out/report.html`` and
    one PNG per figure in ``out`` (created if missing).

    Args:
      out: the output folder.
      quick: smaller grids and no training benchmark (about a minute instead of a few).
      show_progress: tqdm progress bars on standard error: None (the default) only when it
        is a terminal, so that no carriage returns go into a log; True or False to force.
      config: overrides ``ReportConfig.default(quick)``.
      sections: extra sections after the built-in ones, as ``(stage, build)`` pairs where
        ``build(show_progress)`` returns a ``Section`` (``make demo`` adds the training
        benchmark of ``benchmarks/training.py`` this way; the package itself never imports
        from ``benchmarks/``).
      lead_sections: ``(stage, build)`` pairs placed before the built-in sections
        (``schedopt report --steps/--grad-norms`` puts the user's run there:
        ``your_run_sections``).
      progress: the old name of ``show_progress``; warns (``DeprecationWarning``). In the
        library's sweeps ``progress`` is a callable ``progress(done, total)``.

    Returns:
      ``{"md": Path, "html": Path, "figures": [Path, ...], "seconds": float}``.
    """
    out = _io.check_folder(out, "out", create=True)
    _require_matplotlib()
    config = ReportConfig.default(quick) if config is None else config
    start = time.perf_counter()
    extra = _check_sections(sections)
    lead = _check_sections(lead_sections)
    show = _show_progress(_validation.renamed(progress, "progress", show_progress,
                                              "show_progress", default=None))
    bar = _progress(4 + len(extra) + len(lead), "schedopt report", show)
    built_in = [
        ("comparison", lambda show: _comparison_section(config.steps)),
        ("scaling fit", lambda show: _scaling_section(np.asarray(config.scaling_grid))),
        ("per-step G", lambda show: _per_step_section(config.steps)),
        ("solver benchmark", lambda show: _solver_section(
            solver_benchmark(config.solver_steps, config.solver_methods)))]
    sections = []
    try:
        for stage, build in lead + built_in + extra:
            bar.set_description(stage)
            sections.append(build(show))
            bar.update(1)
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    title = "schedopt report: optimal learning-rate schedules against theory and practice"
    intro = (f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
             f"schedopt {_version()} on {platform.machine()} / Python "
             f"{platform.python_version()} in {seconds:.0f} s"
             f"{' (quick mode: smaller grids)' if quick else ''}. "
             f"Bound (C), the formulas and the notation are those of docs/math.md; every number "
             f"below was computed in this run.")
    figures = [item for section in sections for item in section.items
               if isinstance(item, Figure)]
    paths = [_io.write_bytes(out / f"{f.name}.png", f.png) for f in figures]
    md = _io.write_text(out / "report.md", render_markdown(title, intro, sections))
    page = _io.write_text(out / "report.html", render_html(title, intro, sections))
    return {"md": md, "html": page, "figures": paths, "seconds": seconds}


def _check_sections(sections) -> list:
    extra = list(sections)
    for item in extra:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                and callable(item[1])):
            raise TypeError(f"sections must hold (stage, build) pairs with build(show_progress) -> "
                            f"Section, got {item!r}")
    return extra


def _require_matplotlib() -> None:
    """A ValueError (one line at the command line, exit 2) when matplotlib is missing."""
    try:
        if importlib.util.find_spec("matplotlib") is not None:
            import matplotlib  # noqa: F401
            return
    except (ImportError, ValueError):
        pass
    raise ValueError("the report draws figures with matplotlib, which is not installed: "
                     "pip install 'schedopt[figures]'")


require_matplotlib = _require_matplotlib


def _version() -> str:
    from schedopt import __version__

    return __version__
