"""Report sections about the user's own run: ``schedopt report --steps T --grad-norms log``.

``your_run_sections(...)`` checks every argument and reads the log at once (so a bad one is a
one-line error before any work), then returns ``(stage, build)`` pairs that ``write_report``
puts before its built-in sections:

1. *Your schedule*: the optimum of bound (C) for the run's T and G (the log's smoothed
   profile, or a constant) with its constraints, as learning rates (scaled to ``peak_lr``
   when given: only the shape then comes from the bound, docs/math.md §4.1), with the
   values at a few steps and a figure against linear decay and cosine at the same peak;
2. *The families at your T*: every family at its best multiplier under bound (C) for that
   T and G, as a ratio to the optimum (``family_table``);
3. *Refinement from your log* (with a log): the log, its smoothed profile, and what the
   refined optimum gains over the constant-G optimum under the logged G_t (docs/math.md §3).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from schedopt.report._render import Section
from schedopt.report._render import Table
from schedopt.report._render import format_number
from schedopt.report._render import rendered_figure

_PLOT_POINTS = 2000


@dataclasses.dataclass(frozen=True)
class _Run:
    steps: int
    D: float
    G: object                       # float or per-step array
    log: object                     # GradNormLog or None
    peak_lr: float | None
    monotone: bool
    warmup: int | None
    smoothing: str | None
    width: float
    source: str | None


def your_run_sections(steps=None, *, grad_norms=None, peak_lr=None, D=1.0, monotone=False,
                      warmup=None, column=None, invalid="raise", duplicates="raise",
                      smoothing="median", width=0.1) -> list:
    """The report's sections for one run, as ``(stage, build)`` pairs for ``write_report``.

    Args:
      steps: T of the run (default: the log's horizon, ``GradNormLog.horizon``).
      grad_norms: a gradient-norm log (path, array or ``GradNormLog``), read with
        ``column``, ``invalid`` and ``duplicates`` as in ``read_grad_norms`` and smoothed
        with ``smoothing`` and ``width`` as in ``grad_norm_profile``; None: constant G.
      peak_lr: show the schedules as learning rates with this peak (the usual case).
      D, monotone, warmup: as in ``optimal_schedule``.

    Raises:
      ValueError / TypeError: a bad argument or log, before any section is computed.
    """
    from schedopt import _validation
    from schedopt.adapters import grad_norm_profile
    from schedopt.adapters import read_grad_norms

    if steps is None and grad_norms is None:
        raise ValueError("your_run_sections needs steps, or grad_norms whose horizon is used")
    log, source = None, None
    if grad_norms is not None:
        if isinstance(grad_norms, (str, bytes)) or hasattr(grad_norms, "__fspath__"):
            source = str(grad_norms)
            log = read_grad_norms(grad_norms, column=column, invalid=invalid,
                                  duplicates=duplicates)
        else:
            from schedopt.adapters import grad_norm_log

            log = grad_norms if hasattr(grad_norms, "horizon") else grad_norm_log(grad_norms)
            source = None if log.source == "array" else log.source
    T = _validation.steps(steps) if steps is not None else log.horizon
    G = 1.0 if log is None else grad_norm_profile(log, steps=steps, smoothing=smoothing,
                                                  width=width)
    D = _validation.positive_scalar(D, "D")
    if peak_lr is not None:
        peak_lr = _validation.positive_scalar(peak_lr, "peak_lr")
    from schedopt.solvers._problem import make_problem

    make_problem(T, D, G, monotone=monotone, warmup=warmup)      # the same checks, now
    run = _Run(T, D, G, log, peak_lr, bool(monotone), warmup, smoothing, float(width), source)
    pairs = [("your schedule", lambda show_progress: _schedule_section(run)),
             ("families at your T", lambda show_progress: _families_section(run))]
    if log is not None:
        pairs.append(("refinement", lambda show_progress: _refine_section(run)))
    return pairs


def _solve(run, G=None):
    """The rates to apply for the run's updates: η_1..η_N of the horizon-(N+1) optimum,
    exactly what ``schedopt optimize``/``refine`` write (docs/math.md §5.1)."""
    from schedopt.solvers import applied_schedule

    return applied_schedule(run.steps, run.D, run.G if G is None else G,
                            monotone=run.monotone, warmup=run.warmup)


def _as_lr(run, eta) -> np.ndarray:
    from schedopt.adapters._peak import scale_to_peak

    return np.asarray(eta) if run.peak_lr is None else scale_to_peak(eta, run.peak_lr)


def _describe(run, constraints=True) -> str:
    G = ("a constant G" if run.log is None else
         f"G_t from {run.source or 'the log'} ({len(run.log)} logged norms; "
         f"{run.log.horizon_text()}; smoothing {run.smoothing or 'none'}"
         + (f", width {run.width:g})" if run.smoothing else ")"))
    parts = [f"N = {run.steps:,} updates", G]
    if constraints and run.warmup:
        parts.append(f"{run.warmup} warm-up steps")
    if constraints and run.monotone:
        parts.append("non-increasing after the warm-up")
    return "; ".join(parts)


def _checkpoints(T, warmup) -> list[int]:
    picks = {1, T, max(T - 1, 1)} | {max(1, round(f * T)) for f in (0.1, 0.25, 0.5, 0.75, 0.9)}
    if warmup:
        picks.add(min(int(warmup) + 1, T))
    return sorted(picks)


def _schedule_section(run) -> Section:
    result = _solve(run)
    lr = _as_lr(run, result.eta)
    units = (f"learning rates with peak {run.peak_lr:g} (only the shape comes from the bound)"
             if run.peak_lr is not None else f"units of D/G with D = {run.D:g}")
    text = (f"The {run.steps:,} rates to apply for your run ({_describe(run)}): η_1..η_N "
            f"of the optimum of bound (C) at horizon N + 1 = {run.steps + 1:,}, whose bound "
            f"covers the parameters the run keeps (docs/math.md §5.1). Solved by "
            f"{result.method} ({'converged' if result.converged else 'NOT converged'}: "
            f"{result.message}). Values below are {units}. The same schedule as a file: "
            f"schedopt optimize (or refine) with these flags and --out eta.csv.")
    rows = [[t, t - 1, format_number(lr[t - 1], 6)] for t in _checkpoints(run.steps, run.warmup)]
    table = Table(headers=["step t", "counter k = t − 1 (optax, PyTorch)", "η_t"], rows=rows,
                  caption="The schedule at a few steps.")
    return Section(f"Your schedule (N = {run.steps:,} updates)", [text, table, rendered_figure(
        "your_schedule", _schedule_figure(run, lr),
        "your optimum against linear decay and cosine with the same peak")])


def _plot_index(T):
    idx = np.unique(np.linspace(0, T - 1, min(T, _PLOT_POINTS)).round().astype(np.int64))
    return np.union1d(idx, np.arange(max(T - 3, 0), T))     # keep the last-step bump


def _schedule_figure(run, lr):
    from matplotlib.figure import Figure as MplFigure

    from schedopt import cosine_decay
    from schedopt import linear_decay

    T, idx = run.steps, _plot_index(run.steps)
    peak = float(np.max(lr))
    fig = MplFigure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(idx + 1, lr[idx], color="black", lw=1.6, label="optimum of bound (C)")
    for name, f, colour in (("linear decay", linear_decay, "#1f77b4"),
                            ("cosine", cosine_decay, "#2ca02c")):
        shape = np.asarray(f(T), dtype=np.float64)
        ax.plot(idx + 1, peak * shape[idx] / np.max(shape), color=colour, lw=1.1, ls="--",
                label=f"{name}, same peak")
    ax.set(xlabel="step t", ylabel="learning rate η_t" if run.peak_lr else "η_t (units of D/G)",
           title=f"Your schedule, N = {T:,} updates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _families_section(run) -> Section:
    from schedopt.theory import family_table

    table = family_table(run.steps, run.D, run.G, bounds=("last_iterate",))
    rows = [[row.name, format_number(row.values.get("last_iterate"), 6),
             f"{100 * (row.ratio - 1):+.3f}%" if np.isfinite(row.ratio) else "∞"]
            for row in table.rows]
    text = (f"Every schedule family at its best multiplier under bound (C) for your run "
            f"({_describe(run, constraints=False)}; without your warm-up or monotone "
            f"constraint, which the families do not have), against the "
            f"unconstrained optimum {table.optimum:.6g} (units of D·G, D = {run.D:g}). "
            f"The ratio is what each family loses on the bound; it does not depend on D.")
    return Section(f"The schedule families at horizon T = {run.steps:,}", [text, Table(
        headers=["schedule", "bound (C) at the best multiplier", "above the optimum"],
        rows=rows, caption="Families at their best multiplier.")])


def _refine_section(run) -> Section:
    from schedopt.bounds import applied_bound

    refined = _solve(run)
    flat = _solve(run, G=float(np.exp(np.mean(np.log(run.G)))))
    flat_value = applied_bound(flat.eta, run.D, run.G)
    refined_value = refined.bound
    text = (f"Your log ({_describe(run)}) gives per-step G_t. Under that G_t, the guarantee "
            f"of the refined rates (bound (C) at horizon N + 1) is {refined_value:.6g}; the "
            f"rates optimal for a constant G (the geometric mean of the profile) get "
            f"{flat_value:.6g} under your G_t, {100 * (flat_value / refined_value - 1):+.3f}% "
            f"above. The figure shows the logged norms, the smoothed profile G_t and both "
            f"schedules at the same peak.")
    return Section("Refinement from your log", [text, rendered_figure(
        "your_refinement", _refine_figure(run, refined.eta, flat.eta),
        "your gradient-norm log, its smoothed profile, and the refined and constant-G optima")])


def _refine_figure(run, refined, flat):
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(11.0, 4.0), layout="constrained")
    left, right = fig.subplots(1, 2)
    log, idx = run.log, _plot_index(run.steps)
    keep = np.unique(np.linspace(0, len(log) - 1, min(len(log), _PLOT_POINTS)).astype(int))
    left.plot(log.step[keep], log.grad_norm[keep], ".", ms=2, color="0.6", label="logged ‖g‖")
    left.plot(idx + 1, np.asarray(run.G)[idx], color="#d62728", lw=1.4, label="G_t used")
    left.set(xlabel="step", ylabel="gradient norm", title="Your gradient norms")
    left.legend(fontsize=8)
    for eta, label, style in ((refined, "refined optimum", "-"),
                              (flat, "optimum for constant G", "--")):
        lr = _as_lr(run, eta) if run.peak_lr is not None else eta / np.max(eta)
        right.plot(idx + 1, lr[idx], ls=style, label=label)
    right.set(xlabel="step t", ylabel="learning rate" if run.peak_lr else "η_t / max η",
              title="Refined against constant-G optimum, same peak")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return fig
