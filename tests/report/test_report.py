"""The report: self-contained HTML, Markdown with figures beside it, numbers from the API."""

import base64
import re

import numpy as np
import pytest

from schedopt.report import _report as report
from schedopt.solvers._solve import optimal_schedule

SMALL = report.ReportConfig(steps=60, scaling_grid=(100, 200, 400, 800), solver_steps=(40,),
                            solver_methods=("exact", "lbfgsb"))
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, report.write_report(out, show_progress=False, config=SMALL)


def test_report_writes_markdown_html_and_figures(small_report):
    out, paths = small_report
    assert paths["md"] == out / "report.md" and paths["html"] == out / "report.html"
    names = sorted(p.name for p in paths["figures"])
    assert names == ["optimal_vs_linear.png", "per_step.png", "scaling.png", "solvers.png"]
    for p in paths["figures"]:
        assert p.read_bytes().startswith(PNG)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_html_is_self_contained(small_report):
    out, paths = small_report
    page = paths["html"].read_text()
    sources = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert len(sources) == len(paths["figures"])
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    assert "http://" not in page and "https://" not in page
    embedded = {base64.b64decode(s.split(",", 1)[1]) for s in sources}
    assert embedded == {p.read_bytes() for p in paths["figures"]}


def test_markdown_links_every_figure_beside_it(small_report):
    out, paths = small_report
    text = paths["md"].read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(links) == sorted(p.name for p in paths["figures"])
    assert all((out / link).is_file() for link in links)


def test_report_numbers_are_the_apis(small_report):
    _, paths = small_report
    text = paths["md"].read_text()
    assert f"{optimal_schedule(60).bound:.10g}" in text
    from schedopt.theory._scaling import fit_scaling

    fit = fit_scaling(np.array(SMALL.scaling_grid)).fits["optimal"]
    assert f"p = {fit.p:.5f}" in text and f"c = {fit.c:.5f}" in text
    html = paths["html"].read_text()
    for section in ("Scaling", "Per-step gradient norms", "Solver benchmark"):
        assert section in text and section in html


def test_report_says_which_rates_to_train_with(small_report):
    # docs/math.md §5.1: 59 updates apply η_1..η_59 of the horizon-60 optimum
    from schedopt.solvers import applied_schedule

    _, paths = small_report
    text = paths["md"].read_text()
    applied = applied_schedule(59)
    rise = np.max(np.diff(applied.eta) / applied.eta[:-1])
    assert "The schedule to train with." in text
    assert f"bound (C) on θ_60 = {applied.bound:.10g}" in text
    assert f"of the 59 rates is {rise:+.3e} relative (strictly decreasing)" in text


def test_solver_benchmark_rows_match_the_solver():
    rows = report.solver_benchmark((30, 50), ("exact",))
    assert [(r["steps"], r["method"]) for r in rows] == [(30, "exact"), (50, "exact")]
    for r in rows:
        assert r["bound"] == optimal_schedule(r["steps"]).bound
        assert r["rel_gap"] == 0.0 and r["converged"] and r["seconds"] >= 0


def test_solver_benchmark_progress_is_a_callable_like_the_other_sweeps():
    calls = []
    report.solver_benchmark((30, 50), ("exact",), progress=lambda done, total: calls.append(
        (done, total)))
    assert calls == [(1, 2), (2, 2)]


def test_write_report_progress_is_the_deprecated_name_of_show_progress(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(report, "_progress", lambda total, desc, show: seen.append(show) or
                        report._NoProgress())
    for name in ("_comparison_section", "_scaling_section", "_per_step_section",
                 "_solver_section"):
        monkeypatch.setattr(report, name, lambda *a: report.Section("s", ["x"]))
    monkeypatch.setattr(report, "solver_benchmark", lambda *a, **k: [])
    with pytest.warns(DeprecationWarning, match="progress is deprecated.*use show_progress"):
        report.write_report(tmp_path, progress=True, config=SMALL)
    report.write_report(tmp_path, show_progress=True, config=SMALL)
    assert seen == [True, True]
    with pytest.raises(TypeError, match="give show_progress only"):
        report.write_report(tmp_path, progress=True, show_progress=False, config=SMALL)


def test_render_escapes_and_keeps_tables():
    sections = [report.Section("A <b> & c", ["x < y", report.Table(
        headers=["name", "value"], rows=[["a|b", "<1>"], ["c", "2"]], caption="cap")])]
    page = report.render_html("T", "intro", sections)
    assert "A &lt;b&gt; &amp; c" in page and "&lt;1&gt;" in page and "<b>" not in page
    md = report.render_markdown("T", "intro", sections)
    assert "| a\\|b | <1> |" in md and md.count("\n|") == 4


def test_failed_report_leaves_the_old_one(tmp_path, monkeypatch):
    (tmp_path / "report.md").write_text("old report\n")
    (tmp_path / "report.html").write_text("<p>old</p>\n")

    def broken(grid):
        raise RuntimeError("scaling fit failed")

    monkeypatch.setattr(report, "_scaling_section", broken)
    with pytest.raises(RuntimeError):
        report.write_report(tmp_path, show_progress=False, config=SMALL)
    assert (tmp_path / "report.md").read_text() == "old report\n"
    assert (tmp_path / "report.html").read_text() == "<p>old</p>\n"


def test_report_refuses_an_unwritable_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="out: cannot create folder"):
        report.write_report(tmp_path / "file" / "sub", show_progress=False, config=SMALL)


def test_cli_report_writes_and_says_where(tmp_path, capsys, monkeypatch):
    from schedopt import cli

    monkeypatch.setattr(report.ReportConfig, "default", classmethod(lambda cls, quick: SMALL))
    status = cli.main(["report", "--out", str(tmp_path / "r"), "--quick", "--no-progress"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert str(tmp_path / "r" / "report.html") in out
    assert (tmp_path / "r" / "report.md").is_file()


def test_cli_demo_says_where_the_report_is(tmp_path, capsys, monkeypatch):
    from schedopt import cli

    monkeypatch.setattr(report.ReportConfig, "default", classmethod(lambda cls, quick: SMALL))
    status = cli.main(["demo", "--out", str(tmp_path / "d")])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert f"The report is in {tmp_path / 'd'}/" in out
    assert (tmp_path / "d" / "report.html").is_file()


def test_extra_sections_come_after_the_built_in_ones(tmp_path):
    def build(progress):
        assert progress is False
        return report.Section("From a hook", ["text from the caller"])

    paths = report.write_report(tmp_path, show_progress=False, config=SMALL,
                                sections=[("hook", build)])
    text = paths["md"].read_text()
    assert "From a hook" in text and text.index("From a hook") > text.index("Solver")


@pytest.mark.parametrize("bad", [[report.Section("x", [])], [("name", 3)], ["name"]])
def test_bad_sections_are_refused_before_any_work(tmp_path, bad):
    with pytest.raises(TypeError, match="sections must hold"):
        report.write_report(tmp_path, show_progress=False, config=SMALL, sections=bad)
