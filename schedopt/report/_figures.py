"""Figures of the theory against the optimum (docs/math.md §3, §4), as PNG files.

Each figure has two entry points: ``figure_*`` builds a ``matplotlib.figure.Figure`` (no
pyplot, so no global backend is touched and it renders headless with Agg) and ``plot_*``
writes it to a PNG atomically (``schedopt.adapters._io``: a temporary file in the same folder, then
``os.replace``) and returns the path. matplotlib is the optional ``figures`` extra and is
imported only inside these functions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from schedopt.adapters import _io
from schedopt import _validation
from schedopt.bounds._scale import optimal_scale
from schedopt._closed_forms import continuous_schedule
from schedopt._closed_forms import defazio_schedule
from schedopt.theory._scaling import ScalingTable
from schedopt.theory._scaling import fit_scaling
from schedopt.schedules import linear_decay
from schedopt.solvers._solve import optimal_schedule
from schedopt.theory._predictions import example_gradient_norms
from schedopt.theory import variational_schedule

_DPI = 130
_COLORS = {"optimal": "#000000", "linear_decay": "#1f77b4", "variational": "#d62728",
           "cosine_decay": "#2ca02c", "warmup_stable_decay": "#9467bd", "constant": "#8c564b",
           "inverse_sqrt": "#e377c2", "continuous": "#d62728", "defazio": "#1f77b4"}
_LABELS = {"optimal": "optimum of (C)", "linear_decay": "linear decay",
           "cosine_decay": "cosine", "warmup_stable_decay": "WSD (20% linear cool-down)",
           "constant": "constant", "inverse_sqrt": "1/√t"}


def _new_figure(width, height, **kwargs):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", **kwargs)


def _png_path(path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must name a .png file, got {str(path)!r}")
    return path


def _write(path: Path, fig) -> Path:
    return _io.write_png(path, fig, dpi=_DPI)


# ---------------------------------------------------------------------------------------
# The optimum against linear decay and the variational prediction
# ---------------------------------------------------------------------------------------

def figure_optimal_vs_linear(steps=1000, D=1.0, G=1.0):
    """η_t of the optimum of bound (C), linear decay at its best multiplier and the sampled
    variational schedule (docs/math.md §3), with a second panel on the last 5% of the steps, where
    the optimum's last step jumps by 1 + √2 (docs/math.md §4.5)."""
    T = _validation.steps(steps)
    if T < 20:
        raise ValueError(f"steps must be at least 20 for this figure (its second panel shows "
                         f"the last 5% of the steps), got {T}")
    D = _validation.positive_scalar(D, "D")
    G = _validation.positive_scalar(G, "G")
    opt = optimal_schedule(T, D, G, method="exact")
    shape = linear_decay(T)
    linear = optimal_scale(shape, D, G)
    variational = variational_schedule(T, D, G)
    t = np.arange(1, T + 1)
    curves = [
        ("optimal", opt.eta, f"optimum of (C): bound {opt.bound:.5g}", "-", 2.2),
        ("linear_decay", linear.scale * shape,
         f"linear decay, best multiplier: {linear.value / opt.bound:.4f}× optimum", "--", 1.6),
        ("variational", variational.eta,
         "variational (D/G)(1 − t/T)/√T, value 2DG/√T", ":", 1.8),
    ]
    fig = _new_figure(11.5, 4.4)
    full, tail = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    start = T - max(int(np.ceil(0.05 * T)), 2)
    for key, eta, label, style, width in curves:
        full.plot(t, eta, style, color=_COLORS[key], lw=width, label=label)
        tail.plot(t[start:], eta[start:], style, color=_COLORS[key], lw=width,
                  marker="o" if key == "optimal" else None, ms=3)
    full.axvspan(t[start], T, color="0.9", zorder=0)
    full.set(xlabel="step t", ylabel="learning rate η_t", xlim=(0, T + 1), ylim=(0, None),
             title=f"Schedules at T = {T:,}, D = {D:g}, G = {G:g}")
    full.legend(loc="upper right", fontsize=9, framealpha=0.95)
    bump = opt.eta[-1] / opt.eta[-2]
    tail.set(xlabel="step t", ylabel="learning rate η_t", ylim=(0, None),
             title=f"Last 5% of the steps: η_T/η_(T−1) = {bump:.4f} (1+√2)")
    tail.annotate("last-step bump: the bound's\nweight η_T, never applied", xy=(T, opt.eta[-1]),
                  xytext=(0.75, 0.5),
                  textcoords="axes fraction", fontsize=9, ha="center", va="center",
                  arrowprops={"arrowstyle": "->", "color": "0.3"})
    for ax in (full, tail):
        ax.grid(alpha=0.3)
    return fig


def plot_optimal_vs_linear(path, steps=1000, D=1.0, G=1.0) -> Path:
    """Write ``figure_optimal_vs_linear`` as a PNG at ``path``; returns the path."""
    path = _png_path(path)
    return _write(path, figure_optimal_vs_linear(steps, D, G))


# ---------------------------------------------------------------------------------------
# √T·bound against T, with the fitted power laws
# ---------------------------------------------------------------------------------------

def figure_scaling(table: ScalingTable | None = None):
    """√T·bound/(DG) against T for the optimum and each family, with the fitted lines
    (c·T^(−p), and c·T^(−p)(ln T)^q where fitted) and the reference levels 2 (variational)
    and 2√2 (the linear-decay guarantee), docs/math.md §3. ``table`` defaults to
    ``fit_scaling()``."""
    table = fit_scaling() if table is None else table
    T = table.steps.astype(np.float64)
    dense = np.geomspace(T[0], T[-1], 200)
    norm = table.D * table.G
    fig = _new_figure(12.5, 6.4)
    full, zoom = fig.subplots(1, 2)
    close = []                                # the schedules within 15% of 2DG everywhere
    for i, (name, values) in enumerate(table.values.items()):
        scaled = np.sqrt(T) * values / norm
        axes = (full, zoom) if np.max(scaled) < 2.3 else (full,)
        color = _COLORS.get(name, f"C{i}")
        fit = table.fits[name]
        for ax in axes:
            label = (f"{_LABELS.get(name, name)}: p = {fit.p:.4f} ± {fit.p_se:.1e}, "
                     f"c = {fit.c / norm:.4f}·DG") if ax is full else None
            ax.plot(T, scaled, "o", color=color, ms=4.5, label=label, zorder=3)
            ax.plot(dense, np.sqrt(dense) * fit.predict(dense) / norm, "-", color=color,
                    lw=1.1, zorder=2)
        if len(axes) == 2:
            close.append(scaled)
        if name in table.log_fits:
            log_fit = table.log_fits[name]
            full.plot(dense, np.sqrt(dense) * log_fit.predict(dense) / norm, "--", color=color,
                      lw=1.1, label=f"{_LABELS.get(name, name)} with (ln T)^q: "
                                    f"p = {log_fit.p:.3f}, q = {log_fit.q:.3f}")
    for ax in (full, zoom):
        ax.axhline(2.0, color="0.4", lw=1.3, ls="-.", zorder=1,
                   label="2DG: variational value" if ax is full else None)
        ax.axhline(2.0 * np.sqrt(2.0), color="0.4", lw=1.3, ls=(0, (1, 1)), zorder=1,
                   label="2√2·DG: linear-decay guarantee" if ax is full else None)
        ax.set_xscale("log")
        ax.grid(alpha=0.3, which="both")
        ax.set(xlabel="number of steps T", ylabel="√T · bound / (DG)")
    which = "C" if table.bound == "last_iterate" else table.bound
    full.set_title(f"Bound ({which}) at the best multiplier; lines: fits c·T^(−p)")
    if close:
        top = max(float(np.max(v)) for v in close)
        zoom.set_ylim(1.99, top + 0.25 * (top - 1.99))
    zoom.set_title("Zoom on the schedules near 2DG")
    fig.legend(loc="outside lower center", ncol=2, fontsize=9, framealpha=0.95)
    return fig


def plot_scaling(path, table: ScalingTable | None = None) -> Path:
    """Write ``figure_scaling`` as a PNG at ``path``; returns the path."""
    path = _png_path(path)
    return _write(path, figure_scaling(table))


# ---------------------------------------------------------------------------------------
# Per-step G: a profile, its optimum and the two closed forms
# ---------------------------------------------------------------------------------------

def figure_per_step(G=None, D=1.0):
    """A gradient-norm profile G_t (default ``example_gradient_norms(1000)``), the optimum of
    bound (C) for it, part V's continuous formula at its own scale and Defazio et al.'s form
    (summed over p ≥ t so that η_T > 0) at its best multiplier (docs/math.md §3)."""
    G = example_gradient_norms(1000) if G is None else G
    G = np.atleast_1d(np.asarray(G, dtype=np.float64)) if np.ndim(G) else G
    if np.ndim(G) != 1 or np.shape(G)[0] < 2:
        raise ValueError(f"G must be a per-step array of at least 2 gradient norms, got "
                         f"shape {np.shape(G)}")
    G = _validation.gradient_norms(G, np.shape(G)[0])
    D = _validation.positive_scalar(D, "D")
    T = G.shape[0]
    t = np.arange(1, T + 1)
    opt = optimal_schedule(T, D, G, method="exact")
    continuous = continuous_schedule(G, D)
    shape = defazio_schedule(G, last="inclusive")
    defazio = optimal_scale(shape, D, G)
    fig = _new_figure(11.5, 7.0)
    axes = fig.subplot_mosaic([["G", "G"], ["eta", "tail"]],
                              gridspec_kw={"height_ratios": [1, 1.8], "width_ratios": [1.5, 1]})
    axes["G"].plot(t, G, color="0.2", lw=1.4)
    axes["G"].set(xlabel="step t", ylabel="gradient norm G_t", ylim=(0, None), xlim=(0, T + 1),
                  title=f"Per-step gradient norms (T = {T:,}, D = {D:g}) and their schedules")
    curves = [
        (opt.eta, "-", _COLORS["optimal"], 2.2, f"optimum of (C): bound {opt.bound:.5g}"),
        (continuous, ":", _COLORS["continuous"], 2.0,
         "continuous formula (part V): D·G_t⁻²(Q_T − Q_t)/Q_T^1.5, η_T = 0"),
        (defazio.scale * shape, "--", _COLORS["defazio"], 1.5,
         f"Defazio et al. G_t⁻²·Σ_(p≥t) G_p⁻² at its best multiplier: "
         f"{defazio.value / opt.bound:.4f}× optimum"),
    ]
    start = T - max(int(np.ceil(0.05 * T)), 2)
    for eta, style, color, width, label in curves:
        axes["eta"].plot(t, eta, style, color=color, lw=width, label=label)
        axes["tail"].plot(t[start:], eta[start:], style, color=color, lw=width,
                          marker="o" if style == "-" else None, ms=3)
    axes["eta"].axvspan(t[start], T, color="0.9", zorder=0)
    axes["eta"].set(xlabel="step t", ylabel="learning rate η_t", ylim=(0, None),
                    xlim=(0, T + 1), title="Schedules")
    axes["tail"].set(xlabel="step t", ylabel="learning rate η_t", ylim=(0, None),
                     title="Last 5% of the steps")
    for ax in axes.values():
        ax.grid(alpha=0.3)
    fig.legend(*axes["eta"].get_legend_handles_labels(), loc="outside lower center",
               fontsize=9, framealpha=0.95)
    return fig


def plot_per_step(path, G=None, D=1.0) -> Path:
    """Write ``figure_per_step`` as a PNG at ``path``; returns the path."""
    path = _png_path(path)
    return _write(path, figure_per_step(G, D))
