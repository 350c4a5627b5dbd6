"""The package's public surface: every exported name resolves, and importing is cheap."""

import subprocess
import sys

import pytest

import schedopt


@pytest.mark.parametrize("name", schedopt.__all__)
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(schedopt, name)
    assert value is getattr(sys.modules[schedopt._EXPORTS[name]], name)
    assert name in dir(schedopt)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'optimal'"):
        schedopt.optimal  # noqa: B018


def test_import_and_cli_help_do_not_load_jax():
    # --help must answer at once: JAX, optax and scipy load only when a command needs them.
    code = ("import sys, schedopt, schedopt.cli, schedopt.calibration, schedopt.solvers\n"
            "heavy = [m for m in ('jax', 'optax', 'scipy') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_citation_of_the_maths_page_points_to_a_section_that_exists():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    math = (root / "docs" / "math.md").read_text()
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", math, flags=re.M))
    assert {"1", "2", "3", "4", "4.4", "5"} <= sections
    cited = {}
    for path in [*root.glob("schedopt/**/*.py"), *root.glob("docs/*.md"), root / "README.md",
                 *root.glob("benchmarks/*.py"), *root.glob("notebooks/*.ipynb")]:
        for number in re.findall(r"docs/math\.md §(\d+(?:\.\d+)?)", path.read_text()):
            cited.setdefault(number, path.relative_to(root))
    assert {n: str(p) for n, p in cited.items() if n not in sections} == {}


def test_nothing_points_outside_the_repository():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [*root.glob("schedopt/**/*.py"), *root.glob("docs/*.md"), root / "README.md"]:
        assert "shared/" not in path.read_text(), path


def test_optimize_on_the_exact_path_does_not_load_jax(tmp_path):
    # The one backward scan runs in Python floats while JAX is not loaded (solvers/_scan.py),
    # and bound (C) has a numpy path: an unconstrained optimize needs neither JAX nor optax.
    code = ("import runpy, sys\n"
            f"sys.argv = ['schedopt', 'optimize', '--steps', '20000', '--out', {str(tmp_path / 'e.json')!r}]\n"
            "try:\n    runpy.run_module('schedopt', run_name='__main__')\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "heavy = [m for m in ('jax', 'optax') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert (tmp_path / "e.json").stat().st_size > 20000
