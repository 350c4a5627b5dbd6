"""The schedopt report: tables and figures as ``report.md`` and a self-contained ``report.html``.

``write_report(out)`` runs, in order,

1. the comparison of every schedule family with the optimum of bound (C) at T steps
   (THEORY §3, §4.1), with the figure of the optimum against linear decay and the
   variational prediction;
2. the scaling fit bound*(T) ≈ c·T^(−p) over a grid of T (THEORY §3);
3. the per-step-G case: a gradient-norm profile, its optimum and the two closed forms;
4. a short solver benchmark: every method of ``optimal_schedule`` at a few T, time and gap
   to the exact optimum, measured in this run;
5. the quick training benchmark of ``benchmarks/training.py`` (present in a source checkout).

Figures are written beside the report as PNG files (``report.md`` links them) and embedded
in ``report.html`` as base64, so the HTML opens anywhere with no network. Every file is
written atomically (``schedopt._io``).
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

from schedopt import _io
from schedopt._render import Figure
from schedopt._render import Section
from schedopt._render import Table
from schedopt._render import format_number
from schedopt._render import render_html
from schedopt._render import render_markdown
from schedopt._render import rendered_figure

SOLVER_METHODS = ("exact", "newton", "lbfgsb", "pgd")


# ---------------------------------------------------------------------------------------
# 4. Solver benchmark
# ---------------------------------------------------------------------------------------

def solver_benchmark(steps_grid=(100, 1_000, 10_000), methods=SOLVER_METHODS, *,
                     progress=None) -> list[dict]:
    """Each method of ``optimal_schedule`` at each T (unconstrained, D = G = 1).

    Every (T, method) is solved twice: the first call includes JAX's compilation for that
    size, the second is the warm time a user sees on repeated solves. Returns one dict per
    (T, method): steps, method, first_seconds, seconds (warm), bound, rel_gap (bound / exact
    optimum − 1), converged, iterations, and note (why a row is empty, else None).
    """
    from schedopt._solve import optimal_schedule

    rows = []
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
                progress.update(1)
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
            "recursion of THEORY §4.4 (negative: below it by rounding).")
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
    from schedopt._figures import figure_optimal_vs_linear
    from schedopt._solve import optimal_schedule
    from schedopt._theory import compare
    from schedopt._theory import family_table

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
                   caption=f"The optimum of bound (C) at T = {steps} against THEORY §3.")
    text = (f"The optimum of bound (C) at T = {steps} is {table.optimum:.10g} (exact O(T) "
            f"recursion, THEORY §4.4). Linear decay at its best multiplier is "
            f"{100 * (linear.ratio - 1):.3f}% above it; the variational prediction 2DG/√T is "
            f"{comparison.reference('variational_value').ratio:.6f} of it and the optimum's "
            f"peak η_1 is {comparison.peak_ratio:.6f} of the predicted (D/G)/√T. The optimum "
            f"ends with a bump η_T/η_(T−1) = {comparison.bump:.6f} (1 + √2, THEORY §4.5).")
    return Section(f"The optimum against linear decay and the variational prediction (T = {steps})",
                   [text, families, theory, rendered_figure(
                       "optimal_vs_linear", figure_optimal_vs_linear(steps),
                       f"the optimum of bound (C), linear decay and the variational schedule, "
                       f"T = {steps}, with the last 5% of the steps enlarged")])


def _fmt_excess(percent) -> str:
    if percent is None:
        return "n/a"
    if percent == float("inf"):
        return "∞"
    return f"{round(percent, 3) + 0.0:+.3f}%"


def _scaling_section(grid) -> Section:
    from schedopt._figures import figure_scaling
    from schedopt._scaling import fit_scaling

    table = fit_scaling(grid)
    fit = table.fits["optimal"]
    rows = [[name, model, f"{p:.5f}", f"{p_se:.1e}", f"{c:.5f}", f"{c_se:.1e}",
             "" if q is None else f"{q:.4f}", f"{worst:.2e}"]
            for name, model, p, p_se, c, c_se, q, worst in table.as_rows()]
    text = (f"Least-squares fits of bound*(T) ≈ c·T^(−p) in log–log over {len(grid)} values of T "
            f"from {grid[0]:,} to {grid[-1]:,} (D = G = 1; each family at its best multiplier "
            f"under bound (C)). The optimum gives p = {fit.p:.5f} ± {fit.p_se:.1e} and "
            f"c = {fit.c:.5f} ± {fit.c_se:.1e}; THEORY §3 predicts p = 1/2 and c = 2DG = 2. "
            f"Constant and inverse-√t schedules carry a log factor, which the fits with "
            f"(ln T)^q capture.")
    return Section("Scaling: bound*(T) ≈ c·T^(−p)", [
        text, Table(headers=table.header, rows=rows, caption="Fitted power laws (± one standard "
                    "error); worst |residual| is the largest relative misfit."),
        rendered_figure("scaling", figure_scaling(table),
                "√T · bound against T for the optimum and each family, with the fitted lines "
                "and the 2DG and 2√2·DG reference levels")])


def _per_step_section(steps: int) -> Section:
    from schedopt._figures import figure_per_step
    from schedopt._solve import optimal_schedule
    from schedopt._theory import compare
    from schedopt._theory import example_gradient_norms

    G = example_gradient_norms(steps)
    comparison = compare(optimal_schedule(steps, 1.0, G, method="exact"), 1.0, G)
    text = ("Real gradient norms change over training. With a per-step G_t (here a synthetic "
            "profile: an early spike, a slow rise and a wobble) the exact recursion still gives "
            "the optimum of bound (C) in O(T); the closed forms of THEORY §3 (part V's "
            "continuous formula, Defazio et al.'s refinement) approximate it.")
    return Section("Per-step gradient norms", [
        text, Table(headers=["quantity", "value"], rows=comparison.as_rows(),
                    caption=f"The optimum for the profile against the closed forms, "
                            f"T = {steps}."),
        rendered_figure("per_step", figure_per_step(G),
                "a gradient-norm profile, the optimum of bound (C) for it and the two closed "
                "forms")])


# ---------------------------------------------------------------------------------------
# 5. Training benchmark (benchmarks/training.py, in a source checkout)
# ---------------------------------------------------------------------------------------

def _training_module():
    """``benchmarks/training.py`` of the source checkout this package runs from, or None."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "training.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("schedopt_benchmarks_training", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_TRAINING_CAPTIONS = {
    "training_gap_vs_bound": "convex problems: measured mean last-iterate gap against bound (C) "
                             "for each schedule (below the diagonal: the bound holds)",
    "training_convex_curves": "convex problems: mean gap L(θ_t) − L* along training",
    "training_mlp_curves": "MLP on digits: mini-batch training loss at each schedule's best "
                           "peak learning rate",
    "training_mlp_lr_sweep": "MLP on digits: final training loss against the peak learning rate",
}


def training_tables(results) -> list:
    """The quick training benchmark's results dict as report tables."""
    items = []
    for p in results["convex"]:
        rows = []
        for h in p["horizons"]:
            for r in h["schedules"]:
                rows.append([h["steps"], r["schedule"], format_number(r["peak_lr"]), format_number(r["bound"]),
                             f"{r['gap_mean']:.4g} ± {r['gap_ci95']:.2g}",
                             format_number(r["gap_mean"] / r["bound"], 3), format_number(r["bound_holds"])])
            rows.append([h["steps"], "Spearman ρ (gap rank vs bound rank)", "", "", "",
                         f"{h['spearman_rho']:.3f} (p = {h['spearman_pvalue']:.2g})", ""])
        items.append(Table(
            headers=["T", "schedule", "peak η (best multiplier)", "bound (C)",
                     "mean gap L(θ_T) − L* (95% CI)", "gap / bound", "bound holds"],
            rows=rows,
            caption=f"{p['problem']} on {p['dataset']} (convex, G-Lipschitz): D = {p['D']:.4g}, "
                    f"G = {p['G']:.4g}, L* = {p['L_star']:.6g}; each schedule at its "
                    f"bound-optimal multiplier, {p['horizons'][0]['seeds']} seeds."))
    m = results["mlp"]
    for opt in m["optimizers"]:
        items.append(Table(
            headers=["schedule", "best peak LR", "final training loss (mean ± std)",
                     "test accuracy (mean ± std)"],
            rows=[[r["schedule"], format_number(r["best_peak_lr"]),
                   f"{r['train_loss_mean']:.4g} ± {r['train_loss_std']:.2g}",
                   f"{r['test_accuracy_mean']:.4f} ± {r['test_accuracy_std']:.4f}"]
                  for r in opt["schedules"]],
            caption=f"{opt['optimizer']} on {m['dataset']}, {m['architecture']}, {m['steps']} "
                    f"steps of batch {m['batch']}, {m['seeds']} seeds, peak LRs "
                    f"{', '.join(f'{x:g}' for x in opt['peak_lrs'])} (best: lowest mean "
                    f"final training loss)."))
    return items


def _training_section(module, progress: bool) -> Section:
    import tempfile

    results = module.run(quick=True, progress=progress)
    violations = module.bound_violations(results)
    text = (f"The quick mode of benchmarks/training.py ({results['seconds']:.0f} s here): SGD "
            f"through optax on convex problems built on scikit-learn data, where bound (C) "
            f"must hold, and an MLP on digits with SGD + momentum and Adam, beyond the "
            f"theory. The full benchmark (python benchmarks/training.py) uses more seeds, "
            f"horizons and learning rates; its tables are in benchmarks/README.md.")
    items = [text]
    if violations:
        items.append("BOUND VIOLATED (a bug to find): " + "; ".join(violations))
    items += training_tables(results)
    from _training_figures import figures        # beside training.py, on its sys.path

    with tempfile.TemporaryDirectory() as folder:
        for path in figures(results, folder):
            items.append(Figure(name=path.stem, png=path.read_bytes(),
                                caption=_TRAINING_CAPTIONS.get(path.stem, path.stem)))
    return Section("Training benchmark (quick mode)", items)


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


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
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
    """What the report computes. ``quick`` shrinks every grid and skips the training run."""
    steps: int = 1000
    scaling_grid: tuple = ()
    solver_steps: tuple = (100, 1_000, 10_000)
    solver_methods: tuple = SOLVER_METHODS
    training: bool = True

    @classmethod
    def default(cls, quick: bool = False) -> "ReportConfig":
        from schedopt._scaling import default_steps_grid

        if quick:
            return cls(steps=1000, scaling_grid=tuple(default_steps_grid(100, 10_000, 9)),
                       solver_steps=(100, 1_000), training=False)
        return cls(scaling_grid=tuple(default_steps_grid()))


def write_report(out="report", *, quick: bool = False, progress: bool = True,
                 config: ReportConfig | None = None) -> dict:
    """Run the report's computations and write ``out/report.md``, ``out/report.html`` and
    one PNG per figure in ``out`` (created if missing).

    Args:
      out: the output folder.
      quick: smaller grids and no training benchmark (about a minute instead of a few).
      progress: tqdm progress bars on standard error.
      config: overrides ``ReportConfig.default(quick)``.

    Returns:
      ``{"md": Path, "html": Path, "figures": [Path, ...], "seconds": float}``.
    """
    out = _io.check_folder(out, "out", create=True)
    _require_matplotlib()
    config = ReportConfig.default(quick) if config is None else config
    start = time.perf_counter()
    stages = ["comparison", "scaling fit", "per-step G", "solver benchmark"]
    training = _training_module() if config.training else None
    if training is not None:
        stages.append("training benchmark")
    bar = _progress(len(stages), "schedopt report", progress)
    sections = []
    try:
        bar.set_description("comparison")
        sections.append(_comparison_section(config.steps))
        bar.update(1)
        bar.set_description("scaling fit")
        sections.append(_scaling_section(np.asarray(config.scaling_grid)))
        bar.update(1)
        bar.set_description("per-step G")
        sections.append(_per_step_section(config.steps))
        bar.update(1)
        bar.set_description("solver benchmark")
        sections.append(_solver_section(solver_benchmark(config.solver_steps,
                                                         config.solver_methods)))
        bar.update(1)
        if training is not None:
            bar.set_description("training benchmark")
            sections.append(_training_section(training, progress))
            bar.update(1)
    finally:
        bar.close()
    if config.training and training is None:
        sections.append(Section("Training benchmark", [
            "Not run: benchmarks/training.py is not beside this installation (the report "
            "runs it from a source checkout)."]))
    seconds = time.perf_counter() - start
    title = "schedopt report: optimal learning-rate schedules against theory and practice"
    intro = (f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
             f"schedopt {_version()} on {platform.machine()} / Python "
             f"{platform.python_version()} in {seconds:.0f} s"
             f"{' (quick mode: smaller grids, no training benchmark)' if quick else ''}. "
             f"Bound (C), the formulas and the notation are those of THEORY.md; every number "
             f"below was computed in this run.")
    figures = [item for section in sections for item in section.items
               if isinstance(item, Figure)]
    paths = [_io.write_bytes(out / f"{f.name}.png", f.png) for f in figures]
    md = _io.write_text(out / "report.md", render_markdown(title, intro, sections))
    page = _io.write_text(out / "report.html", render_html(title, intro, sections))
    return {"md": md, "html": page, "figures": paths, "seconds": seconds}


def _require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise ValueError("the report draws figures with matplotlib, which is not installed: "
                         "pip install 'schedopt[figures]'")


def _version() -> str:
    from schedopt import __version__

    return __version__
