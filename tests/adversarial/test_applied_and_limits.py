"""applied_bound at extreme scales and the memory check under a real address-space limit
(issue 21). Values are checked against exact homogeneity (docs/math.md §4.1) and the
closed forms of docs/math.md §5.1."""

import os
import warnings
import subprocess
import sys

import numpy as np
import pytest

import schedopt as so

HISTORIES = [[1.0], [1.0, 0.5, 0.25], [0.0, 1.0], [2.0, 0.0, 1.0]]


@pytest.mark.parametrize("c", [1e-300, 1e-200, 1e200, 1e300])
@pytest.mark.parametrize("eta", HISTORIES)
def test_applied_bound_eta_and_D_scaled(c, eta):
    eta = np.array(eta)
    assert so.applied_bound(eta * c, c) == pytest.approx(c * so.applied_bound(eta), rel=1e-12)


@pytest.mark.parametrize("c", [1e-300, 1e-200, 1e200, 1e300])
@pytest.mark.parametrize("eta", HISTORIES)
def test_applied_bound_eta_up_G_down(c, eta):
    eta = np.array(eta)
    assert so.applied_bound(eta * c, 1.0, 1.0 / c) == pytest.approx(so.applied_bound(eta) / c,
                                                                    rel=1e-12)


@pytest.mark.parametrize("D, G", [(1e300, 1e-300), (1e-300, 1e300), (2.0, 3.0), (1e150, 1e150)])
@pytest.mark.parametrize("N", [1, 3])
def test_applied_bound_of_no_step_is_D_times_G(D, G, N):
    # η = 0: no step is taken, and min_w D²/(2w) + G²w/2 = D·G (docs/math.md §5.1).
    value = so.applied_bound(np.zeros(N), D, G)
    assert value == (np.inf if D * G == np.inf else pytest.approx(D * G, rel=1e-14))


@pytest.mark.parametrize("history", [[1e300], [1e300, 1e300], [1e-300], [1e-300, 1e-300]])
def test_applied_bound_agrees_with_extend(history):
    result = so.extend_schedule(history, 8)
    assert so.applied_bound(result.eta) == pytest.approx(result.bound, rel=1e-9)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ulimit -v is Linux's")
def test_cli_refuses_under_an_address_space_limit():
    # compare --horizon 10⁸ needs ~15 GiB; under a 3 GiB address space it must refuse in one
    # line (exit 2), reading the limit rather than MemAvailable.
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30));"
            "from schedopt.cli import main; sys.exit(main(['compare', '--horizon', '100000000']))")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(so.__file__)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "--horizon = 100,000,000 needs" in done.stderr


@pytest.mark.parametrize("tiny", [4.3981561920244346e-308, 1e-310, 5e-324, 1e-200])
@pytest.mark.parametrize("D, G", [(1.0, 1.0), (1e100, 1e-100), (3.0, 0.5)])
def test_applied_bound_of_rates_far_below_D_over_G(tiny, D, G):
    # Rates far below D/G weigh nothing beside the D² term: the value is that of η = 0,
    # D·G (hypothesis found η = [4.4e-308] overflowing the D term's units to ∞).
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert so.applied_bound([tiny], D, G) == pytest.approx(D * G, rel=1e-12)
        assert so.applied_bound([tiny, tiny], D, G) == pytest.approx(D * G, rel=1e-12)
