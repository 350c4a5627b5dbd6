"""Smoke test: benchmarks/solvers.py --quick runs and writes a table every method is in."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs(tmp_path):
    out = tmp_path / "solvers.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "solvers.py"), "--quick",
                           "--out", str(out)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    rows = {row["method"]: row for row in report["rows"]}
    for method in ("exact", "lbfgsb", "pgd"):
        assert rows[method]["T"] == 100 and rows[method]["converged"]
        assert abs(rows[method]["rel_gap"]) <= 1e-9
    assert "baseline: L-BFGS-B on η (Defazio et al.)" in rows
    assert "| lbfgsb |" in done.stdout
