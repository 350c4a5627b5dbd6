"""schedopt report about the user's run; the table of contents; matplotlib missing."""

import re
import sys

import numpy as np
import pytest

from schedopt import cli
from schedopt.report import _report as report
from schedopt.report import _render
from schedopt.report import your_run_sections

SMALL = report.ReportConfig(steps=60, scaling_grid=(100, 200, 400, 800), solver_steps=(40,),
                            solver_methods=("exact",))


@pytest.fixture()
def small(monkeypatch):
    monkeypatch.setattr(report.ReportConfig, "default", classmethod(lambda cls, quick: SMALL))


def _log(tmp_path):
    rng = np.random.default_rng(2)
    g = 1 + 3 * np.exp(-np.arange(50) / 5) + 0.2 * rng.random(50)
    path = tmp_path / "run1.csv"
    path.write_text("Wall time,Step,Value\n" + "".join(
        f"{1000.0 + i!r},{10 * (i + 1)},{float(x)!r}\n" for i, x in enumerate(g)))
    return path


def test_report_about_the_users_run(tmp_path, capsys, small):
    out = tmp_path / "r"
    status = cli.main(["report", "--out", str(out), "--no-progress", "--quick",
                       "--grad-norms", str(_log(tmp_path)), "--peak-lr", "0.1",
                       "--warmup", "20", "--monotone"])
    stdout, err = capsys.readouterr()
    assert status == 0, err
    assert "horizon T = 500" in stdout
    md = (out / "report.md").read_text()
    titles = re.findall(r"^## (.*)$", md, flags=re.M)
    assert titles[:3] == ["Your schedule (N = 500 updates)", "The schedule families at horizon T = 500",
                          "Refinement from your log"]
    assert (out / "your_schedule.png").is_file() and (out / "your_refinement.png").is_file()
    # the checkpoints table holds the API's schedule scaled to the peak
    import schedopt

    G = schedopt.grad_norm_profile(schedopt.read_grad_norms(_log(tmp_path)))
    eta = schedopt.optimal_schedule(500, 1.0, G, monotone=True, warmup=20).eta
    lr = 0.1 * eta / eta.max()
    assert f"| 250 | 249 | {lr[249]:.6g} |" in md and "| 1 | 0 | " in md


def test_contents_link_every_section_in_both_renderings():
    sections = [_render.Section("Your schedule (T = 5)", ["a"]), _render.Section("Scaling", []),
                _render.Section("Scaling", [])]
    slugs = _render.anchors(sections)
    assert slugs == ["your-schedule-t-5", "scaling", "scaling-2"]
    md = _render.render_markdown("T", "intro", sections)
    page = _render.render_html("T", "intro", sections)
    for slug in slugs:
        assert f"](#{slug})" in md and f'<a id="{slug}"></a>' in md
        assert f'href="#{slug}"' in page and f'<h2 id="{slug}">' in page


def test_bad_run_arguments_exit_2_before_any_work(tmp_path, capsys, small, monkeypatch):
    def never(*a, **k):
        raise AssertionError("the report started")

    monkeypatch.setattr(report, "_comparison_section", never)
    for argv, message in [(["--steps", "0"], "steps must be a positive integer"),
                          (["--peak-lr", "0.1"], "give --steps or --grad-norms"),
                          (["--steps", "10", "--warmup", "10"], "warmup must leave"),
                          (["--grad-norms", str(tmp_path / "nope.csv")], "no such file")]:
        status = cli.main(["report", "--out", str(tmp_path / "r"), *argv])
        err = capsys.readouterr().err
        assert status == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_missing_matplotlib_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status = cli.main(["report", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "matplotlib, which is not installed" in err and "schedopt[figures]" in err


def test_sections_without_a_log_use_a_constant_G():
    pairs = your_run_sections(200, peak_lr=0.5)
    assert [stage for stage, _ in pairs] == ["your schedule", "families at your T"]
    section = pairs[0][1](False)
    assert section.title == "Your schedule (N = 200 updates)"


def test_your_schedule_is_the_rates_optimize_writes():
    """The report's schedule is the N rates to apply (docs/math.md §5.1), as optimize writes."""
    import schedopt
    from schedopt.report import Table
    from schedopt.report import format_number
    from schedopt.report import your_run_sections

    stage, build = your_run_sections(200)[0]
    table = next(item for item in build(False).items if isinstance(item, Table))
    rates = schedopt.applied_schedule(200).eta
    for t, k, value in table.rows:
        assert k == t - 1 and value == format_number(rates[t - 1], 6)
