"""BOUNDS is a registry of records that the code reads; every claim of every record is checked."""

from __future__ import annotations

import numpy as np
import pytest

import schedopt.bounds as bounds_module
from schedopt.bounds import BOUNDS
from schedopt.bounds import optimal_scale
from schedopt.bounds._registry import get
from schedopt.theory import family_table


def _evaluate(record, eta, D, G):
    function = getattr(bounds_module, record.function)
    if record.function == "average_iterate_bound":
        form = "nonincreasing" if record.nonincreasing else "weighted"
        return float(function(eta, D, G, form=form))
    return float(function(eta, D, G))


@pytest.mark.parametrize("name", BOUNDS)
def test_coefficients_are_the_bound_in_the_multiplier(name):
    record = BOUNDS[name]
    assert record.name == name
    rng = np.random.default_rng(0)
    T, D = 50, 1.7
    G = rng.uniform(0.5, 2.0, T)
    shape = np.sort(rng.uniform(0.1, 1.0, T))[::-1].copy()
    a, b = record.coefficients(shape, D * D, G * G)
    for lam in (0.01, 0.3):
        assert _evaluate(record, lam * shape, D, G) == pytest.approx(a / lam + b * lam, rel=1e-12)
    found = optimal_scale(shape, D, G, bound=name)
    assert found.scale == pytest.approx(np.sqrt(a / b), rel=1e-12)
    assert found.value == pytest.approx(2 * np.sqrt(a * b), rel=1e-12)


@pytest.mark.parametrize("name", BOUNDS)
def test_the_nonincreasing_claim_is_what_optimal_scale_enforces(name):
    rising = np.linspace(0.1, 1.0, 20)
    if BOUNDS[name].nonincreasing:
        with pytest.raises(ValueError, match="non-increasing|nonincreasing|increas"):
            optimal_scale(rising, bound=name)
    else:
        assert optimal_scale(rising, bound=name).value > 0


def test_labels_are_the_table_headings():
    labels = [r.label for r in BOUNDS.values()]
    assert len(set(labels)) == len(labels)
    table = family_table(100, bounds=list(BOUNDS), families=["constant"])
    assert table.header[1:1 + len(BOUNDS)] == labels


@pytest.mark.parametrize("bad", ["last", "(C)", None, 3])
def test_unknown_bounds_are_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"bound must be one of 'last_iterate'"):
        get(bad)
    with pytest.raises(ValueError, match=r"bound must be one of"):
        optimal_scale(np.ones(5), bound=bad)
