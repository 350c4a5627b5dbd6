"""``make demo``'s script: the training benchmark as a report section (benchmarks/demo.py)."""

import importlib.util
import json
import pathlib
import sys

import pytest

from schedopt.report import _report as report

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("demo", ROOT / "benchmarks" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_tables_render_the_benchmarks_results(demo):
    path = ROOT / "benchmarks" / "results" / "training.json"
    if not path.is_file():
        pytest.skip("benchmarks/results/training.json has not been written")
    results = json.loads(path.read_text())
    tables = demo.training_tables(results)
    assert len(tables) == len(results["convex"]) + len(results["mlp"]["optimizers"])
    first = results["convex"][0]["horizons"][0]["schedules"][0]
    assert tables[0].rows[0][1] == first["schedule"]
    assert tables[0].rows[0][3] == report.format_number(first["bound"])
    html = report.render_html("t", "i", [report.Section("Training", tables)])
    assert html.count("<table>") == len(tables)


@pytest.mark.slow
def test_full_report_with_the_training_benchmark(tmp_path, demo):
    paths = report.write_report(tmp_path, show_progress=False,
                                sections=[("training benchmark", demo.training_section)])
    names = {p.stem for p in paths["figures"]}
    assert {"optimal_vs_linear", "scaling", "per_step", "solvers"} <= names
    text = paths["md"].read_text()
    assert "Training benchmark (quick mode)" in text and "BOUND VIOLATED" not in text
    assert any(n.startswith("training_") for n in names)


def test_worst_case_section_reads_the_benchmarks_numbers(demo):
    path = ROOT / "benchmarks" / "results" / "worst_case.json"
    if not path.is_file():
        pytest.skip("benchmarks/results/worst_case.json has not been written")
    data = json.loads(path.read_text())
    section = demo.worst_case_section(False)
    table = next(item for item in section.items if isinstance(item, report.Table))
    applied = next(row for row in table.rows if row[0] == data["labels"]["applied"])
    assert applied[1:] == [f"{r['schedules']['applied']['ratio']:.4f}" for r in data["rows"]]
    assert len(table.rows) == len(data["rows"][0]["schedules"]) + 1
