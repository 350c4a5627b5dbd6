"""The theory figures render headless (no pyplot, Agg canvas), hold the expected lines and
are written atomically."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import schedopt  # noqa: E402
from schedopt.report import _figures  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def solid_lines(ax):
    """Data lines of an axis, without the horizontal reference levels."""
    return [line for line in ax.get_lines() if not _is_level(line)]


def _is_level(line):
    y = np.asarray(line.get_ydata(), dtype=float)
    x = np.asarray(line.get_xdata(), dtype=float)
    return x.size == 2 and y.size == 2 and y[0] == y[1] and tuple(x) == (0.0, 1.0)


def test_optimal_vs_linear_figure(tmp_path):
    fig = _figures.figure_optimal_vs_linear(40, D=2.0, G=0.5)
    full, tail = fig.axes
    assert len(full.get_lines()) == 3 and len(tail.get_lines()) == 3
    assert len(full.get_legend().get_texts()) == 3
    assert full.get_xlabel() == "step t" and full.get_ylabel() == "learning rate η_t"
    assert "1+√2" in tail.get_title() and "2.4142" in tail.get_title()
    optimum = schedopt.optimal_schedule(40, 2.0, 0.5, method="exact").eta
    np.testing.assert_array_equal(full.get_lines()[0].get_ydata(), optimum)
    np.testing.assert_array_equal(tail.get_lines()[0].get_ydata(), optimum[-2:])
    path = _figures.plot_optimal_vs_linear(tmp_path / "opt.png", 40)
    assert path == tmp_path / "opt.png" and path.read_bytes()[:8] == PNG_MAGIC
    assert [p.name for p in tmp_path.iterdir()] == ["opt.png"]       # no temporary left


def test_scaling_figure_lines(tmp_path):
    table = schedopt.fit_scaling([20, 40, 80, 160], families=("linear_decay", "constant"))
    fig = _figures.figure_scaling(table)
    full, zoom = fig.axes
    # full: markers + fit for optimal, linear decay, constant; the log fit of constant;
    # the 2DG and 2√2·DG levels.
    assert len(solid_lines(full)) == 3 * 2 + 1 and len(full.get_lines()) == 3 * 2 + 1 + 2
    # zoom: only the schedules near 2DG (optimal and linear decay), and the two levels.
    assert len(solid_lines(zoom)) == 2 * 2 and len(zoom.get_lines()) == 2 * 2 + 2
    levels = sorted(line.get_ydata()[0] for line in full.get_lines() if _is_level(line))
    assert levels == pytest.approx([2.0, 2.0 * np.sqrt(2.0)], rel=1e-15)
    markers = full.get_lines()[0]
    np.testing.assert_allclose(markers.get_ydata(),
                               np.sqrt(table.steps) * table.values["optimal"], rtol=1e-15)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == 3 + 1 + 2 and any("with (ln T)^q" in s for s in labels)
    assert full.get_xscale() == "log" and full.get_ylabel() == "√T · bound / (DG)"
    assert _figures.plot_scaling(tmp_path / "s.png", table).read_bytes()[:8] == PNG_MAGIC


def test_per_step_figure_lines(tmp_path):
    G = 1.0 + np.linspace(0, 1, 60) ** 2
    fig = _figures.figure_per_step(G, D=2.0)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    profile = next(ax for title, ax in by_title.items() if title.startswith("Per-step"))
    assert len(profile.get_lines()) == 1
    np.testing.assert_array_equal(profile.get_lines()[0].get_ydata(), G)
    assert len(by_title["Schedules"].get_lines()) == 3
    assert len(by_title["Last 5% of the steps"].get_lines()) == 3
    assert len(fig.legends[0].get_texts()) == 3
    path = _figures.plot_per_step(tmp_path / "g.png", G)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_default_profile_renders():
    fig = _figures.figure_per_step()
    assert len(fig.axes) == 3


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "opt.png"
    target.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    from matplotlib.figure import Figure
    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _figures.plot_optimal_vs_linear(target, 40)
    assert target.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("call,error,message", [
    (lambda p: _figures.plot_optimal_vs_linear(p / "x.pdf", 40), ValueError, r"\.png"),
    (lambda p: _figures.plot_optimal_vs_linear(p / "x.png", 10), ValueError, "at least 20"),
    (lambda p: _figures.plot_optimal_vs_linear(p / "x.png", 40, D=-1), ValueError, "D must"),
    (lambda p: _figures.plot_per_step(p / "x.png", 1.0), ValueError, "per-step array"),
    (lambda p: _figures.plot_per_step(p / "x.png", [1.0, -2.0]), ValueError, "G must be > 0"),
])
def test_bad_input(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(tmp_path)
    assert not list(tmp_path.iterdir())
