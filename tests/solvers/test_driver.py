"""The limits the iterative solvers share (schedopt/solvers/_driver.py): one budget, one best
certified point, one sentence for a run that stopped on a limit, whichever method wrote it."""

import math
import time

import numpy as np
import pytest

from schedopt import optimal_schedule
from schedopt.solvers._driver import Best
from schedopt.solvers._driver import Budget
from solver_checks import G_profiles


def test_budget_defaults_and_the_stop_sentences():
    b = Budget.begin(None, 7)
    assert (b.max_iter, b.deadline, b.left()) == (7, math.inf, 7)
    assert b.why_stopped() is None and not b.late()
    b.iterations = 7
    assert b.spent() and b.left() == 0
    assert b.why_stopped() == "stopped at the iteration limit max_iter = 7"
    assert b.why_stopped("Newton steps") == "stopped at the iteration limit max_iter = 7 (Newton steps)"
    late = Budget.begin(5, 7, time_limit=0.0)
    assert late.late() and late.why_stopped() == "stopped at the time limit of 0 s"
    timed = Budget.begin(None, 7, None, 60.0)
    assert timed.deadline - timed.start == 60.0


def test_rounds_shrink_to_the_time_left():
    b = Budget.begin(None, 10**6, time_limit=1.0)
    assert b.per_round(1000, 0) == 1000                       # nothing measured yet
    b.start -= 0.5                                            # 0.5 s for 10 iterations so far
    left = b.deadline - time.perf_counter()
    assert 1 <= b.per_round(1000, 10) <= max(1, left / 0.05) + 1
    assert Budget.begin(None, 10).per_round(1000, 10) == 1000  # untimed: never shortened


def test_best_keeps_the_smallest_certificate():
    best = Best()
    assert not best
    for point, cert in (("a", 3.0), ("b", 1.0), ("c", 2.0), ("d", math.inf)):
        best.offer(point, cert)
    assert best and (best.point, best.certificate) == ("b", 1.0)


@pytest.mark.parametrize("method, kw", [("newton", {"max_lr": 0.01}), ("lbfgsb", {}),
                                        ("pgd", {})])
def test_every_method_says_the_iteration_limit_alike(method, kw):
    r = optimal_schedule(1000, 1.0, G_profiles(1000)["random"], method=method, max_iter=1,
                         warmup=5, **kw)
    assert not r.converged and "stopped at the iteration limit max_iter = 1" in r.message
    assert r.iterations <= 1 and np.all(np.isfinite(r.eta))


@pytest.mark.parametrize("method", ["lbfgsb", "pgd"])
def test_timed_methods_say_the_time_limit(method, monkeypatch):
    # pgd checks the clock between rounds: rounds of one iteration, so that the first one
    # cannot already certify.
    monkeypatch.setattr("schedopt.solvers._pgd._ROUND", 1)
    r = optimal_schedule(3000, 1.0, G_profiles(3000)["random"], method=method, time_limit=1e-9,
                         warmup=5, max_lr=0.002)
    assert not r.converged and "stopped at the time limit of 1e-09 s" in r.message
    assert "ITERATIONS REACHED LIMIT" not in r.message      # scipy's text for its own stop
    assert r.iterations >= 1 and np.all(np.isfinite(r.eta))


def test_anytime_says_the_iteration_limit_like_the_others():
    from schedopt import anytime_schedule

    r = anytime_schedule([10, 100], max_iter=1)
    assert not r.converged and r.iterations == 1
    assert "stopped at the iteration limit max_iter = 1 (Newton steps)" in r.message
