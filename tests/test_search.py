"""The one 1-D search (schedopt._search) against minimisers known in closed form."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from schedopt._search import golden_section


@settings(max_examples=50, deadline=None)
@given(st.floats(-5.0, 5.0), st.floats(0.1, 10.0))
def test_quadratic_minimiser(center, width):
    x, fx = golden_section(lambda z: (z - center) ** 2, center - width, center + 2 * width,
                           xtol=1e-12)
    assert abs(x - center) < 1e-6
    assert fx == pytest.approx((x - center) ** 2)


def test_scale_of_a_convex_bound_matches_the_closed_form():
    # a/λ + bλ (the form of every bound in a multiplier, docs/math.md §4.2) is minimised at
    # λ* = √(a/b); the search runs in log λ, where it is unimodal.
    a, b = 3.0, 0.02
    z, _ = golden_section(lambda u: a / math.exp(u) + b * math.exp(u), -10.0, 10.0, xtol=1e-10)
    assert math.exp(z) == pytest.approx(math.sqrt(a / b), rel=1e-8)


def test_grid_finds_the_cell_of_the_minimum_and_the_iteration_count_is_kept():
    calls = []

    def f(z):
        calls.append(z)
        return abs(z - 0.3)

    x, _ = golden_section(f, -100.0, 100.0, grid=41, max_iter=60)
    assert abs(x - 0.3) < 1e-6
    assert len(calls) == 41 + 2 + 60


def test_endpoint_minimum_is_approached():
    x, _ = golden_section(lambda z: z, 0.0, 1.0, xtol=1e-9)
    assert 0.0 <= x < 1e-8


@pytest.mark.parametrize("lo, hi", [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf), (np.nan, 1.0)])
def test_bad_interval_is_refused(lo, hi):
    with pytest.raises(ValueError, match="lo < hi"):
        golden_section(lambda z: z * z, lo, hi)
