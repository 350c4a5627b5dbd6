"""Bounds at extreme scales, complex and non-finite input, and CPU-count determinism (issue 21).

Every value is checked against an independent float64 formula at scale 1, carried to the
extreme scale by the bounds' exact homogeneity (docs/math.md §4.1): with η and D scaled by c
every bound scales by c, and with η scaled by c and G by 1/c it scales by 1/c.
"""

import numpy as np
import pytest

import schedopt as so

ETA = np.array([1.0, 0.75, 0.5, 0.25])          # non-increasing, so (A), (B) and (C) all apply
G_STEPS = np.array([1.0, 2.0, 0.5, 1.5])


def _reference(name, eta, D, G):
    """The four bounds in plain float64 at moderate scale (docs/math.md §2)."""
    T = eta.size
    G2 = np.broadcast_to(np.square(G), eta.shape)
    if name == "last":
        tails = np.array([eta[t + 1:].sum() for t in range(T - 1)] + [eta[-1]])
        return D ** 2 / (2 * eta.sum()) + 0.5 * np.sum(G2 * eta ** 2 / tails)
    if name == "monotone":
        w = np.array([1.0 / (T - t) for t in range(1, T)] + [1.0])
        return D ** 2 / (2 * T * eta[-1]) + 0.5 * np.sum(G2 * eta ** 2 * w) / eta[-1]
    if name == "average":
        return (D ** 2 + np.sum(G2 * eta ** 2)) / (2 * eta.sum())
    return (D ** 2 + np.sum(G2 * eta ** 2)) / (2 * T * eta[-1])


BOUNDS = {
    "last": so.last_iterate_bound,
    "monotone": so.monotone_last_iterate_bound,
    "average": so.average_iterate_bound,
    "average_ni": lambda e, D, G: so.average_iterate_bound(e, D, G, form="nonincreasing"),
}
SCALES = [1e-200, 1e-150, 1e-100, 1e100, 1e150, 1e200]


@pytest.mark.parametrize("name", sorted(BOUNDS))
@pytest.mark.parametrize("c", SCALES)
@pytest.mark.parametrize("per_step", [False, True])
def test_eta_and_D_scaled_together(name, c, per_step):
    G = G_STEPS if per_step else 1.0
    value = float(BOUNDS[name](ETA * c, c, G))
    assert value == pytest.approx(c * _reference(name, ETA, 1.0, G), rel=1e-13)


@pytest.mark.parametrize("name", sorted(BOUNDS))
@pytest.mark.parametrize("c", SCALES)
def test_eta_up_G_down(name, c):
    value = float(BOUNDS[name](ETA * c, 1.0, G_STEPS / c))
    assert value == pytest.approx(_reference(name, ETA, 1.0, G_STEPS) / c, rel=1e-13)


@pytest.mark.parametrize("name", sorted(BOUNDS))
@pytest.mark.parametrize("D, G", [(1e200, 1e200), (1e-200, 1e250), (1e300, 1.0)])
def test_overflowing_bound_is_inf_not_nan(name, D, G):
    # The bound ∝ D·G (or D²/η) is beyond float64: +∞, never ∞/∞ = NaN.
    assert float(BOUNDS[name](ETA, D, G)) == np.inf


@pytest.mark.parametrize("eta", [[1.0], [1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [2.0, 1.0, 0.5]])
def test_last_iterate_with_the_smallest_G(eta):
    # G = 5e-324: the G terms vanish and (C) is D²/(2η_{1:T}) (0.1.0 gave 0.25 for [1, 1]).
    eta = np.array(eta)
    assert float(so.last_iterate_bound(eta, 1.0, 5e-324)) == pytest.approx(0.5 / eta.sum(),
                                                                           rel=1e-15)


@pytest.mark.parametrize("T", [70_000])
def test_last_iterate_smallest_G_compiled_path(T):
    eta = np.linspace(1.0, 0.1, T)            # past HOST_MAX: the compiled path
    assert float(so.last_iterate_bound(eta, 1.0, 5e-324)) == pytest.approx(0.5 / eta.sum(),
                                                                           rel=1e-12)


COMPLEX = [
    ("eta", lambda f: f(np.array([1 + 1j, 1.0]), 1.0, 1.0)),
    ("eta", lambda f: f([1.0, complex(2, 0)], 1.0, 1.0)),
    ("D", lambda f: f([1.0, 1.0], 1 + 2j, 1.0)),
    ("D", lambda f: f([1.0, 1.0], np.complex128(1), 1.0)),
    ("G", lambda f: f([1.0, 1.0], 1.0, np.array([1 + 0j, 1.0]))),
    ("G", lambda f: f([1.0, 1.0], 1.0, 2j)),
]


@pytest.mark.parametrize("name", sorted(BOUNDS))
@pytest.mark.parametrize("arg, call", COMPLEX)
def test_complex_input_refused(name, arg, call):
    with pytest.raises(TypeError, match=rf"^{arg} must be .*complex"):
        call(BOUNDS[name])


@pytest.mark.parametrize("arg, call", COMPLEX)
def test_complex_input_refused_by_solvers(arg, call):
    def solve(eta, D, G):
        return so.optimal_scale(eta, D, G) if arg != "eta" else so.compare(eta, D, G)
    with pytest.raises(TypeError, match=rf"^{arg} must be .*complex"):
        call(solve)


def _host_value_hex(seed):
    from schedopt.bounds._bounds import last_iterate_bound

    rng = np.random.default_rng(seed)
    eta, G = rng.uniform(0.1, 1.0, 12_345), rng.uniform(0.5, 2.0, 12_345)
    return float(last_iterate_bound(eta, 1.0, G)).hex()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bit_identical_across_blas_threads(seed):
    # OpenBLAS split np.dot over its threads; 1 and 2 threads now give the same bits.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        one = _host_value_hex(seed)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        two = _host_value_hex(seed)
    assert one == two
