"""The exact recursion of docs/math.md §4.4 (schedopt/_exact.py) against the same recursion in
50-digit decimal arithmetic, and its logarithmic fallback."""

from decimal import Decimal, getcontext

import numpy as np
import pytest

from schedopt import last_iterate_bound
from schedopt import optimal_schedule
from schedopt.solvers._exact import exact_schedule


def decimal_optimum(G, D):
    """docs/math.md §4.4 literally (J_t, r_t, S_t, λ* by §4.1's closed form), in 50 digits."""
    getcontext().prec = 50
    G2 = [Decimal(float(g)) ** 2 for g in G]
    T = len(G2)
    J, r = G2[-1], [None] * T
    for t in range(T - 2, -1, -1):
        r[t] = (1 + J / G2[t]).sqrt()
        J = 2 * G2[t] * (r[t] - 1)
    S = [Decimal(1)] * (T + 1)
    S[T] = Decimal(0)
    for t in range(T - 2, -1, -1):
        S[t] = r[t] * S[t + 1]
    shape = [S[t] - S[t + 1] for t in range(T)]
    lam = Decimal(float(D)) / (S[0] * J.sqrt())
    return np.array([float(lam * s) for s in shape]), float(Decimal(float(D)) * J.sqrt())


@pytest.mark.parametrize("T, seed", [(1, 0), (2, 1), (7, 2), (1500, 3)])
def test_matches_decimal_arithmetic(T, seed):
    G = np.random.default_rng(seed).uniform(0.3, 3.0, T)
    eta, value = exact_schedule(np.square(G), 1.7)
    ref_eta, ref_value = decimal_optimum(G, 1.7)
    assert value == pytest.approx(ref_value, rel=1e-14)
    np.testing.assert_allclose(eta, ref_eta, rtol=1e-12, atol=0)


def test_logarithmic_fallback_keeps_the_bound():
    # S_1/η_T passes 1e308 (the running product overflows) but η itself is representable
    T = 200
    G = 10.0 ** np.linspace(0, 40, T)
    r = optimal_schedule(T, 1.3, G)
    assert np.all(np.isfinite(r.eta)) and r.eta[-1] > 0
    assert r.eta.max() / r.eta[-1] > 1e108
    assert float(last_iterate_bound(r.eta, 1.3, G)) == pytest.approx(r.bound, rel=1e-12)
    ref_eta, ref_value = decimal_optimum(G, 1.3)
    assert r.bound == pytest.approx(ref_value, rel=1e-13)
    np.testing.assert_allclose(r.eta, ref_eta, rtol=1e-11, atol=0)


def test_unrepresentable_schedule_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="orders of magnitude|not representable in float64"):
        optimal_schedule(200, 1.0, 10.0 ** np.linspace(0, 150, 200))


@pytest.mark.parametrize("T", [2, 10, 3000])
def test_python_loop_and_compiled_scan_agree(T, monkeypatch):
    import jax  # noqa: F401  (the compiled scan runs only where JAX is loaded)

    from schedopt.solvers import _exact
    from schedopt.solvers import _scan
    G2 = np.random.default_rng(T).uniform(0.3, 3.0, T) ** 2
    J1, m = _exact.tail_ratios(G2)
    monkeypatch.setattr(_scan, "PYTHON_MAX", 0)          # the compiled scan
    assert _scan.compiled(T - 1)
    J1_scan, m_scan = _exact.tail_ratios(G2)
    assert J1 == pytest.approx(J1_scan, rel=1e-15)
    np.testing.assert_allclose(m, m_scan, rtol=1e-15, atol=0)
