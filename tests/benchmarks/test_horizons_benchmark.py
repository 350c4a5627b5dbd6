"""Smoke test of benchmarks/horizons.py's parts at a small scale (the full run is the script)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import horizons  # noqa: E402

from schedopt import extend_schedule  # noqa: E402


def test_extension_beats_the_grid_at_a_small_scale(monkeypatch):
    monkeypatch.setattr(horizons, "T1", 40)
    for kind in ("constant", "decaying"):
        G = horizons.G_profile(kind, 161)
        gamma = horizons.base_rate(G)
        grid = horizons.transfer_grid(gamma, 120, G[:121])
        ours = extend_schedule(np.full(40, gamma), 120, 1.0, G[:121])
        assert ours.bound <= grid[0] and ours.gap <= 1e-9 * ours.bound


def test_unknown_horizon_part_runs():
    rows = horizons.part_c(10, 3)
    assert [r["K"] for r in rows[:-1]] == [1, 2, 3] and "fit" in rows[-1]
    for r in rows[:-1]:
        assert r["anytime_worst_ratio"] <= r["inverse_sqrt_worst_ratio"]
        assert r["anytime_lower_bound"] <= r["anytime_worst_ratio"] + 1e-12
