"""``optimal_schedule`` itself: argument checks, method dispatch, the result type, and the
exact recursion against docs/math.md §4's reference table."""

from __future__ import annotations

import numpy as np
import pytest

from schedopt import METHODS
from schedopt import ScheduleResult
from schedopt import optimal_schedule

# docs/math.md §4 reference table (D = G = 1): T, optimal bound, η_1, η_{T−1}, η_T.
TABLE = [
    (1, 1.0, 1.0, None, 1.0),
    (2, 0.9101797211244548, 0.32179712645279, 0.32179712645279, 0.77688698701502),
    (10, 0.5780129504480603, 0.24763857816566, 0.09078753702265, 0.21918050317453),
    (100, 0.20011435821107343, 0.09809307344553, 0.00403013295304, 0.00972960163339),
    (1000, 0.0633219371216577, 0.03159762058118, 0.00012883009199, 0.00031102335532),
    (10**4, 0.020004716847491406, 0.01000035740875, 4.0657758235e-06, 9.8156511348e-06),
    (10**6, 0.0020000093208275183, 0.00100000266039, 4.0633597415e-09, 9.8098181968e-09),
]


@pytest.mark.parametrize("T, value, first, before_last, last", TABLE)
def test_exact_matches_reference_table(T, value, first, before_last, last):
    r = optimal_schedule(T, method="exact")
    assert r.bound == pytest.approx(value, rel=1e-12)
    assert r.eta[0] == pytest.approx(first, rel=1e-10)
    assert r.eta[-1] == pytest.approx(last, rel=1e-10)
    if before_last is not None:
        assert r.eta[-2] == pytest.approx(before_last, rel=1e-10)
    assert r.gap == 0.0 and r.converged and r.iterations == 0


def test_auto_picks_exact_when_unconstrained_and_newton_otherwise():
    assert optimal_schedule(50).method == "exact"
    assert optimal_schedule(50, G=np.linspace(1, 2, 50)).method == "exact"
    for kwargs in ({"monotone": True}, {"max_lr": 0.1}, {"warmup": 5},
                   {"warmup": np.array([0.01, 0.02])}):
        assert optimal_schedule(50, **kwargs).method == "newton"


def test_auto_equals_the_method_it_picks():
    a = optimal_schedule(300, monotone=True, max_lr=0.05)
    b = optimal_schedule(300, monotone=True, max_lr=0.05, method="newton")
    assert a.eta.tobytes() == b.eta.tobytes() and a.bound == b.bound


@pytest.mark.parametrize("method", ["exact", "newton", "auto"])
def test_result_type(method):
    r = optimal_schedule(64, 2.0, 0.5, method=method)
    assert isinstance(r, ScheduleResult)
    assert r.eta.dtype == np.float64 and r.eta.shape == (64,) and r.steps == 64
    assert not r.eta.flags.writeable
    assert r.method in METHODS and r.method != "auto"
    assert isinstance(r.bound, float) and np.isfinite(r.bound)
    assert r.seconds >= 0 and isinstance(r.message, str) and r.message
    assert r.gap is not None and r.gap >= 0
    # the mathematical object: horizon T, T − 1 rates to apply, and the repr says so
    assert (r.horizon, r.updates, r.applied, r.weight) == (64, 63, False, None)
    assert r.rates_to_apply.tobytes() == r.eta[:63].tobytes()
    assert "ScheduleResult(horizon=64, updates=63, eta=<64 rates; apply eta[:63]" in repr(r)


@pytest.mark.parametrize("method", ["exact", "newton"])
def test_same_input_same_output_bit_for_bit(method):
    G = np.random.default_rng(0).uniform(0.5, 2.0, 5000)
    a = optimal_schedule(5000, 1.5, G, method=method)
    b = optimal_schedule(5000, 1.5, G.copy(), method=method)
    assert a.eta.tobytes() == b.eta.tobytes()
    assert (a.bound, a.gap, a.iterations) == (b.bound, b.gap, b.iterations)


def test_accepts_jax_and_list_inputs():
    import jax
    import jax.numpy as jnp
    G = np.linspace(1.0, 2.0, 20)
    a = optimal_schedule(20, 1.0, G, method="newton", warmup=[0.01, 0.02])
    with jax.enable_x64(True):                 # float64 JAX arrays, the same numbers
        D_jax, G_jax = jnp.asarray(1.0), jnp.asarray(G)
    b = optimal_schedule(20, D_jax, G_jax, method="newton", warmup=np.array([0.01, 0.02]))
    assert a.eta.tobytes() == b.eta.tobytes() and a.bound == b.bound


# ---------------------------------------------------------------------------------------
# Bad input (issue 3 §5): an error that names the argument
# ---------------------------------------------------------------------------------------

BAD = [
    (dict(steps=0), ValueError, "steps"),
    (dict(steps=10.0), TypeError, "steps"),
    (dict(steps=True), TypeError, "steps"),
    (dict(steps=10, D=0.0), ValueError, "D"),
    (dict(steps=10, D=float("nan")), ValueError, "D"),
    (dict(steps=10, G=-1.0), ValueError, "G"),
    (dict(steps=10, G=np.ones(9)), ValueError, "G"),
    (dict(steps=10, G=np.array([1.0] * 9 + [np.inf])), ValueError, "G"),
    (dict(steps=10, method="newtonn"), ValueError, "method"),
    (dict(steps=10, method=None), ValueError, "method"),
    (dict(steps=10, max_lr=0.0), ValueError, "max_lr"),
    (dict(steps=10, max_lr=-1.0), ValueError, "max_lr"),
    (dict(steps=10, max_lr="big"), TypeError, "max_lr"),
    (dict(steps=10, warmup=10), ValueError, "warmup"),
    (dict(steps=10, warmup=12), ValueError, "warmup"),
    (dict(steps=10, warmup=-1), ValueError, "warmup"),
    (dict(steps=3, warmup=np.ones(3)), ValueError, "warmup"),
    (dict(steps=10, warmup=np.array([0.1, -0.1])), ValueError, "warmup"),
    (dict(steps=10, warmup=np.array([0.1, np.nan])), ValueError, "warmup"),
    (dict(steps=10, warmup=np.array([0.1, 0.5]), max_lr=0.2), ValueError, "max_lr"),
    (dict(steps=10, monotone="yes"), TypeError, "monotone"),
    (dict(steps=10, method="exact", monotone=True), ValueError, "exact"),
    (dict(steps=10, method="exact", max_lr=1.0), ValueError, "exact"),
    (dict(steps=10, method="exact", warmup=2), ValueError, "exact"),
    (dict(steps=10, tol=0.0), ValueError, "tol"),
    (dict(steps=10, tol=float("nan")), ValueError, "tol"),
    (dict(steps=10, max_iter=0), ValueError, "max_iter"),
    (dict(steps=10, max_iter=2.5), TypeError, "max_iter"),
]


@pytest.mark.parametrize("kwargs, error, name", BAD, ids=[str(b[0]) for b in BAD])
def test_bad_input_names_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        optimal_schedule(**kwargs)


def test_warmup_leaving_one_free_step_is_fine():
    r = optimal_schedule(10, warmup=9)
    assert r.converged and np.all(r.eta > 0)
    np.testing.assert_allclose(r.eta[:9], np.arange(1, 10) / 10 * r.eta[9], rtol=1e-12)


def test_a_result_owns_its_schedule():
    """The caller's array is copied (changing it later does not change the result); a
    result's own read-only array is passed on without a copy by dataclasses.replace."""
    import dataclasses

    from schedopt import ScheduleResult

    mine = np.array([0.3, 0.2, 0.1])
    result = ScheduleResult(eta=mine, bound=1.0, method="exact", converged=True,
                            iterations=0, seconds=0.0, message="")
    mine[0] = 9.0
    assert result.eta[0] == 0.3 and not result.eta.flags.writeable
    frozen_view = np.array([0.3, 0.2])[:]
    frozen_view.setflags(write=False)
    assert ScheduleResult(eta=frozen_view, bound=1.0, method="exact", converged=True,
                          iterations=0, seconds=0.0, message="").eta is not frozen_view
    assert dataclasses.replace(result, bound=2.0).eta is result.eta
