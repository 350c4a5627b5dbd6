"""The package's one summation policy (schedopt/_sums.py) against exact rational sums."""

from fractions import Fraction

import numpy as np
import pytest

from schedopt._sums import prefix_sums
from schedopt._sums import tail_sums


@pytest.mark.parametrize("n", [1, 5, 1024, 1025, 3000, 200_000])
def test_tail_and_prefix_sums_match_exact_sums(n):
    x = np.random.default_rng(n).lognormal(0.0, 2.0, n)
    tails, prefixes = tail_sums(x), prefix_sums(x)
    for i in sorted({0, n // 3, n // 2, n - 1}):
        exact_tail = float(sum(map(Fraction, x[i:])))
        exact_prefix = float(sum(map(Fraction, x[:i + 1])))
        assert abs(tails[i] - exact_tail) <= 1e-13 * exact_tail
        assert abs(prefixes[i] - exact_prefix) <= 1e-13 * exact_prefix


def test_blocked_sums_beat_the_plain_running_sum_at_a_million():
    x = np.random.default_rng(0).random(10**6)
    exact = float(sum(map(Fraction, x)))
    assert abs(tail_sums(x)[0] - exact) <= abs(np.cumsum(x[::-1])[-1] - exact) + 1e-16 * exact
    assert abs(tail_sums(x)[0] - exact) <= 1e-13 * exact
