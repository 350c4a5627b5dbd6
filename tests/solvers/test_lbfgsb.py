"""method="lbfgsb": scipy L-BFGS-B in scaled coordinates (schedopt/_lbfgsb.py)."""

import numpy as np
import pytest

from schedopt import optimal_schedule
from solver_checks import G_profiles

METHOD = "lbfgsb"


def test_iteration_limit_is_reported_not_hidden():
    result = optimal_schedule(1000, 1.0, G_profiles(1000)["random"], method=METHOD, max_iter=2)
    assert not result.converged
    assert "ITERATIONS" in result.message.upper()
    assert np.all(np.isfinite(result.eta)) and np.isfinite(result.bound)


def test_fast_driver_follows_scipy_minimize_bit_for_bit(monkeypatch):
    # _fast_box_lbfgsb drives scipy's private setulb directly (minimize() spends seconds on
    # 10⁶ bounds); it must give exactly minimize()'s iterates, or not be used at all.
    from schedopt.solvers import _lbfgsb
    if not _lbfgsb._fast_driver_works():
        pytest.skip("this scipy's setulb has another interface; minimize() is used")
    G = G_profiles(300)["random"]
    results = []
    for fast in (True, False):
        monkeypatch.setattr(_lbfgsb, "_FAST_DRIVER", lambda fast=fast: fast)
        results.append(optimal_schedule(300, 1.0, G, method=METHOD, max_lr=0.03))
    assert results[0].eta.tobytes() == results[1].eta.tobytes()
    assert results[0].iterations == results[1].iterations
