"""Solvers, extend, schedules, adapters and the command line under adversarial input
(issue 21): each case checks a value against an independent computation (mpmath, a
rescaled or limiting problem, the bound of the returned schedule) or a specific message."""

import io
import contextlib
import warnings

import mpmath
import numpy as np
import pytest

import schedopt as so
from schedopt import _memory
from schedopt.cli import main


def _exact_reference(G, D=1.0):
    """The unconstrained optimum of bound (C), D·√J_1, by the backward recursion of
    docs/math.md §4.4 in 60-digit arithmetic."""
    with mpmath.workdps(60):
        G2 = [mpmath.mpf(float(g)) ** 2 for g in G]
        J = G2[-1]
        for g2 in reversed(G2[:-1]):
            J = 2 * g2 * (mpmath.sqrt(1 + J / g2) - 1)
        return float(D * mpmath.sqrt(J))


@pytest.mark.parametrize("lo, hi", [(100, -100), (50, -150), (120, -60), (80, -80), (150, -30)])
def test_exact_with_G_falling_many_decades(lo, hi):
    G = np.logspace(lo, hi, 60)
    result = so.optimal_schedule(60, G=G)
    assert result.converged and np.all(np.isfinite(result.eta)) and result.eta[-1] > 0
    assert result.bound == pytest.approx(_exact_reference(G), rel=1e-11)
    assert float(so.last_iterate_bound(result.eta, 1.0, G)) == pytest.approx(result.bound,
                                                                             rel=1e-9)


def test_issue_case_rates_and_bound():
    result = so.optimal_schedule(60, G=np.logspace(100, -100, 60))
    assert result.bound == pytest.approx(1e-100, rel=1e-6)
    assert result.eta.min() == pytest.approx(5e-301, rel=1e-6)
    assert result.eta.max() == pytest.approx(1e100, rel=1e-6)


@pytest.mark.parametrize("max_lr", [None])
def test_monotone_with_G_falling_many_decades(max_lr):
    # Non-increasing rates against a falling G: the best is a constant schedule (a rising
    # one would be better), whose best multiplier optimal_scale gives in closed form.
    G = np.logspace(100, -100, 60)
    result = so.optimal_schedule(60, G=G, monotone=True, max_lr=max_lr)
    constant = so.optimal_scale(np.ones(60), 1.0, G)
    assert result.converged
    assert result.bound == pytest.approx(constant.value, rel=1e-9)
    assert np.allclose(result.eta, constant.scale, rtol=1e-6)


def _monotone_quietly(G, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no RuntimeWarning may leak
        return so.optimal_schedule(60, G=G, monotone=True, **kw)


@pytest.mark.parametrize("max_lr", [None, 1e300])
@pytest.mark.parametrize("decades", [20, 40, 60])
def test_monotone_with_G_growing_is_the_unconstrained_optimum(decades, max_lr):
    # G growing fast: the unconstrained optimum (mpmath) is already non-increasing and
    # under the cap, so it is the monotone optimum; newton stopped 1e26 above it at 1e±20.
    G = np.logspace(-decades, decades, 60)
    result = _monotone_quietly(G, max_lr=max_lr)
    assert result.converged and result.method == "exact"
    assert np.all(np.diff(result.eta) <= 0)
    assert result.bound == pytest.approx(_exact_reference(G), rel=1e-11)
    assert float(so.last_iterate_bound(result.eta, 1.0, G)) == pytest.approx(result.bound,
                                                                             rel=1e-9)


@pytest.mark.parametrize("max_lr", [None, 1e300])
def test_monotone_with_G_growing_200_decades_is_refused_at_D_1(max_lr):
    # The optimum (mpmath) is non-increasing with rates from 2e96 down to 8.5e-315, a
    # subnormal: not representable at D = 1, so a clear error, with no RuntimeWarning.
    with pytest.raises(ValueError, match=r"G \(per step, from 1e-100 to 1e\+100\) is not "
                                         r"representable in float64: its rates, which scale "
                                         r"like D/G, run from about 1e96 down to 1e-314"):
        _monotone_quietly(np.logspace(-100, 100, 60), max_lr=max_lr)


def test_monotone_with_G_growing_200_decades_at_a_representable_D():
    # Rates ∝ D: at D = 1e100 they run from 2.04e196 to 8.52e-215, all normal (mpmath).
    G = np.logspace(-100, 100, 60)
    result = _monotone_quietly(G, D=1e100)
    assert result.converged and np.all(np.diff(result.eta) <= 0)
    assert result.bound == pytest.approx(_exact_reference(G, D=1e100), rel=1e-11)
    assert result.eta[0] == pytest.approx(2.0377e196, rel=1e-4)
    assert result.eta[-1] == pytest.approx(8.5167e-215, rel=1e-4)
    assert float(so.last_iterate_bound(result.eta, 1e100, G)) == pytest.approx(result.bound,
                                                                               rel=1e-9)


def test_monotone_with_G_spanning_many_decades_under_a_binding_cap_no_crash():
    result = _monotone_quietly(np.logspace(-100, 100, 60), max_lr=1.0)
    assert not (result.converged and not np.isfinite(result.bound))


def test_monotone_with_G_spanning_many_decades_under_a_binding_cap():
    # The optimum is representable: the cap holds on η_1..η_28, then the unconstrained
    # optimum's tail shape (the §4.4 recursion runs backwards, so it does not see the cap),
    # scaled; minimised over (k, scale) in mpmath: bound 0.01785714292, rates to 1.35e-219.
    result = so.optimal_schedule(60, G=np.logspace(-100, 100, 60), monotone=True, max_lr=1.0)
    assert result.converged
    assert result.bound == pytest.approx(0.0178571429202853, rel=1e-6)
    assert np.all(result.eta[:28] == 1.0) and result.eta[28] < 1.0
    assert result.eta[-1] == pytest.approx(1.35e-219, rel=1e-2)


def _mp_bound(eta, G, D=1.0):
    """Bound (C) of docs/math.md §2 in 50-digit arithmetic, from its definition."""
    with mpmath.workdps(50):
        e = [mpmath.mpf(float(v)) for v in eta]
        g2 = [mpmath.mpf(float(v)) ** 2 for v in G]
        x = [mpmath.fsum(e[t:]) for t in range(len(e))]
        terms = [g2[t] * e[t] ** 2 / x[t + 1] for t in range(len(e) - 1)]
        return float(mpmath.mpf(D) ** 2 / (2 * x[0]) + (mpmath.fsum(terms) + g2[-1] * e[-1]) / 2)


def _mp_capped_optimum(G, cap, D=1.0):
    """min over k of min over the tail sum S of bound (C) with η_1..η_k = cap and the rest
    the unconstrained tail (the §4.4 recursion run in 50 digits), feasible tails only. For a
    tail of fixed shape its terms are A·S, so f(S) = D²/(2(kc + S)) + ½Σ_{t≤k} G_t²c²/((k − t)c
    + S) + A·S, whose increasing slope is bisected in log S."""
    with mpmath.workdps(50):
        g2 = [mpmath.mpf(float(v)) ** 2 for v in G]
        c, T = mpmath.mpf(cap), len(g2)
        J, ratio = [None] * T, [None] * T
        J[-1] = g2[-1]
        for t in range(T - 2, -1, -1):
            ratio[t] = mpmath.sqrt(1 + J[t + 1] / g2[t]) - 1       # η_t / η_{t+1:T}
            J[t] = 2 * g2[t] * ratio[t]
        best = None
        for k in range(1, T):
            shape, after = [mpmath.mpf(1)], [mpmath.mpf(0)]       # η_T; η_{t+1:T} backwards
            for t in range(T - 2, k - 1, -1):
                after.insert(0, after[0] + shape[0])
                shape.insert(0, ratio[t] * after[0])
            total = mpmath.fsum(shape)
            w = [s / total for s in shape]
            tail_after = [mpmath.fsum(w[i + 1:]) for i in range(len(w))]
            A = (mpmath.fsum(g2[k + i] * w[i] ** 2 / tail_after[i] for i in range(len(w) - 1))
                 + g2[-1] * w[-1]) / 2

            def slope(S):
                return (-D ** 2 / (2 * (k * c + S) ** 2) - mpmath.fsum(
                    g2[t] * c ** 2 / ((k - 1 - t) * c + S) ** 2 for t in range(k)) / 2 + A)

            lo, hi = mpmath.log(c) - 700, mpmath.log(c) + 700
            for _ in range(200):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if slope(mpmath.exp(mid)) < 0 else (lo, mid)
            S = mpmath.exp(lo)
            if S * w[0] <= c:
                value = (D ** 2 / (2 * (k * c + S)) + mpmath.fsum(
                    g2[t] * c ** 2 / ((k - 1 - t) * c + S) for t in range(k)) / 2 + A * S)
                best = value if best is None else min(best, value)
        return float(best)


@pytest.mark.parametrize("G, cap", [(np.logspace(-100, 100, 200), 1.0),
                                    (np.logspace(-100, 100, 200), 1e-50),
                                    (np.logspace(-10, 10, 40), 1e-3)])
def test_monotone_under_a_binding_cap_matches_50_digits(G, cap):
    # G growing fast: the unconstrained optimum is decreasing and the cap holds on a prefix.
    result = so.optimal_schedule(G.size, G=G, monotone=True, max_lr=cap)
    assert result.converged and result.gap <= 1e-12 * result.bound
    assert np.all(result.eta <= cap) and np.all(np.diff(result.eta) <= 0)
    assert result.bound == pytest.approx(_mp_bound(result.eta, G), rel=1e-12)
    if G.size <= 40:
        assert result.bound == pytest.approx(_mp_capped_optimum(G, cap), rel=1e-10)


def test_monotone_under_a_binding_cap_agrees_with_the_barrier_method():
    # Where the blocks' Newton certifies too (G within 20 decades), both give one optimum.
    from schedopt.solvers import _newton
    from schedopt.solvers._problem import from_units, make_problem, to_units

    G = np.logspace(-10, 10, 40)
    problem = make_problem(40, 1.0, G, monotone=True, max_lr=1e-3)
    unit, units = to_units(problem)
    pooled = _newton._barrier(unit, 1e-12, None)
    capped = so.optimal_schedule(40, G=G, monotone=True, max_lr=1e-3)
    assert pooled is not None and capped.message.startswith("the cap binds")
    pooled = from_units(pooled, problem, units)
    assert capped.bound == pytest.approx(pooled.bound, rel=1e-11)
    assert np.allclose(capped.eta, pooled.eta, rtol=1e-6, atol=0)


@pytest.mark.parametrize("max_lr", [None, 1e300])
def test_monotone_with_G_falling_200_decades(max_lr):
    # A cap beyond float64 in the solver's units cannot bind (it overflowed into NaN rows):
    # the result is the uncapped one, a constant rate, whose bound is D·√(A/T) with
    # A = Σ_{t<T} G_t²/(T − t) + G_T² (mpmath).
    G = np.logspace(100, -100, 60)
    result = _monotone_quietly(G, max_lr=max_lr)
    assert result.converged
    assert np.allclose(result.eta, result.eta[0], rtol=1e-9)
    with mpmath.workdps(40):
        G2 = [mpmath.mpf(float(g)) ** 2 for g in G]
        A = sum(G2[t] / (59 - t) for t in range(59)) + G2[-1]
        reference = float(mpmath.sqrt(A / 60))
    assert result.bound == pytest.approx(reference, rel=1e-10)


ZERO_HISTORY = so.extend_schedule([0.0], 10)


@pytest.mark.parametrize("tiny", [1e-300, 1e-250, 1e-200, 1e-150, 1e-100, 1e-50, 1e-30])
def test_extend_after_a_negligible_history(tiny):
    result = so.extend_schedule([tiny], 10)
    assert result.converged
    assert result.bound == pytest.approx(ZERO_HISTORY.bound, rel=1e-12)
    assert np.allclose(result.eta[1:], ZERO_HISTORY.eta[1:], rtol=1e-10)


@pytest.mark.parametrize("c", [1e-300, 1e-200, 1e-100, 1e100, 1e200, 1e300])
@pytest.mark.parametrize("history", [[1.0], [1.0, 1.0], [1.0, 0.5, 0.25]])
def test_extend_is_homogeneous(c, history):
    # η and D scaled by c: the bound scales by c and the rates by c (docs/math.md §4.1).
    base = so.extend_schedule(history, 10)
    scaled = so.extend_schedule(np.array(history) * c, 10, D=c)
    assert scaled.bound == pytest.approx(c * base.bound, rel=1e-11)
    assert np.allclose(scaled.eta / c, base.eta, rtol=1e-10)


@pytest.mark.parametrize("history", [[1e300, 1e300], [1e300], [1e200, 1e250]])
def test_extend_huge_history_is_its_own_bound(history):
    result = so.extend_schedule(history, 10)
    assert result.converged and np.isfinite(result.bound)
    full = np.append(result.eta, result.weight)
    assert float(so.last_iterate_bound(full)) == pytest.approx(result.bound, rel=1e-9)


@pytest.mark.parametrize("G", [[1e-200, 1e200], [1e200, 1e-200], [1e-300, 1.0, 1e300],
                               [1e-160, 1e160, 1.0, 1e-10]])
@pytest.mark.parametrize("last", ["zero", "inclusive"])
def test_defazio_across_many_decades(G, last):
    with mpmath.workdps(50):
        w = [1 / mpmath.mpf(g) ** 2 for g in G]
        shape = [w[t] * (sum(w[t + 1:]) + (w[t] if last == "inclusive" else 0))
                 for t in range(len(G))]
        if len(G) == 1:
            shape = [1]
        top = max(shape)
        ref = [float(x / top) for x in shape]
    got = so.defazio_schedule(G, last=last)
    assert np.all(np.isfinite(got))
    assert np.allclose(got, ref, rtol=1e-12, atol=1e-300)


ETA3 = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize("count, after, expected", [
    (2 ** 31, "hold", 3.0), (2 ** 40, "hold", 3.0), (2 ** 62, "hold", 3.0),
    (np.int64(2 ** 40), "hold", 3.0), (np.uint64(2 ** 63), "hold", 3.0), (-2 ** 40, "hold", 1.0),
    (2 ** 40, "zero", 0.0), (np.int64(2 ** 35), "zero", 0.0), (1e12, "hold", 3.0),
    (2, "hold", 3.0), (1, "zero", 2.0), (0, "hold", 1.0)])
def test_as_optax_far_counts(count, after, expected):
    assert float(so.as_optax(ETA3, after=after)(count)) == expected


def test_as_optax_far_counts_array():
    assert np.array_equal(np.asarray(so.as_optax(ETA3)(np.array([0, 2 ** 40]))), [1.0, 3.0])


@pytest.mark.parametrize("eta", [[0, 1], [0.0, 0.0, 1.0], [0, 0, 0, 0, 2.5]])
def test_compare_all_zero_before_last(eta):
    with pytest.raises(ValueError, match=r"eta\[:-1\] is all zero"):
        so.compare(eta)


def test_compare_zero_before_last_step_reports_infinite_bump():
    assert so.compare([1.0, 0.0, 1.0]).bump == np.inf


def _no_memory(monkeypatch, have=10 ** 9):
    monkeypatch.setattr(_memory, "available_bytes", lambda: have)


@pytest.mark.parametrize("call, name", [
    (lambda: so.optimal_schedule(10 ** 12), "steps"),
    (lambda: so.optimal_schedule(10 ** 8, monotone=True), "steps"),
    (lambda: so.applied_schedule(10 ** 12), "updates"),
    (lambda: so.applied_schedule(10 ** 8, max_lr=1.0), "updates"),
    (lambda: so.anytime_schedule([10 ** 9]), r"checkpoints\[-1\]"),
    (lambda: so.anytime_schedule([10, 10 ** 8]), r"checkpoints\[-1\]"),
])
def test_memory_refused_up_front(monkeypatch, call, name):
    _no_memory(monkeypatch)
    with pytest.raises(MemoryError, match=rf"^{name} = [\d,]+ needs about .* GiB"):
        call()


def test_memory_limit_is_read(monkeypatch):
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    monkeypatch.setattr(resource, "getrlimit",
                        lambda which: (2 ** 33, hard) if which == resource.RLIMIT_AS
                        else (resource.RLIM_INFINITY, hard))
    assert _memory.available_bytes() <= 2 ** 33


@pytest.mark.parametrize("argv", [["compare", "--horizon", "100000000"],
                                  ["optimize", "--steps", "100000000", "--out", "x.json"]])
def test_cli_memory_one_line(monkeypatch, tmp_path, argv):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_memory, "available_bytes", lambda: 10 ** 9)
    from schedopt.cli import _common
    monkeypatch.setattr(_common, "available_memory", lambda: 10 ** 9)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(argv) == 2
    assert err.getvalue().count("\n") == 1 and f"{argv[1]} = 100,000,000 needs" in err.getvalue()


BAD_ARGS = [
    (dict(method=["exact"]), ValueError, r"^method must be one of .* got \['exact'\]"),
    (dict(method={"a": 1}), ValueError, r"^method must be one of"),
    (dict(method=None), ValueError, r"^method must be one of"),
    (dict(tol="abc"), TypeError, r"^tol must be a positive finite number, got 'abc'"),
    (dict(tol=[1e-9]), TypeError, r"^tol must be a positive finite number"),
    (dict(tol=float("nan")), ValueError, r"^tol must be a positive finite number"),
    (dict(tol=-1.0), ValueError, r"^tol must be a positive finite number"),
    (dict(tol=0), ValueError, r"^tol must be a positive finite number"),
    (dict(tol=np.inf), ValueError, r"^tol must be a positive finite number"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_ARGS)
@pytest.mark.parametrize("entry", ["optimal", "applied"])
def test_vague_errors_now_name_the_argument(kwargs, error, message, entry):
    fn = so.optimal_schedule if entry == "optimal" else so.applied_schedule
    with pytest.raises(error, match=message):
        fn(10, **kwargs)


@pytest.mark.parametrize("tol", ["x", [1], float("nan"), -1.0, 0.0])
def test_anytime_tol_named(tol):
    with pytest.raises((TypeError, ValueError), match=r"^tol must be a positive finite number"):
        so.anytime_schedule([2, 4], tol=tol)


CLI_BAD = [
    (["optimize", "--D", "1e300", "--G", "1e300", "--steps", "10", "--out", "o.json"],
     "bound, which scales like D·G"),
    (["optimize", "--D", "1e300", "--G", "1e-300", "--steps", "10", "--out", "o.json"],
     "rates, which scale like D/G"),
    (["optimize", "--steps", "0", "--out", "o.json"], "positive integer"),
    (["optimize", "--steps", "abc", "--out", "o.json"], "--steps"),
    (["optimize", "--steps", "10", "--D", "-1", "--out", "o.json"], "D"),
    (["optimize", "--steps", "10", "--D", "nan", "--out", "o.json"], "D"),
    (["optimize", "--steps", "10", "--G", "inf", "--out", "o.json"], "G"),
    (["compare", "--horizon", "1"], "2"),
    (["extend", "--steps", "10"], ""),
]


@pytest.mark.parametrize("argv, fragment", CLI_BAD)
def test_cli_errors_are_one_line(monkeypatch, tmp_path, argv, fragment):
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 2
    text = err.getvalue()
    assert text.count("\n") == 1 and "Traceback" not in text and fragment in text


def test_capped_dual_bound_rounds_to_a_few_eps_against_50_digits():
    # The certificate's recursion runs over every capped step (980188 of them for G = 1 then
    # a final 2 at T = 10⁶): its rounding must stay far inside the gap's allowance.
    from schedopt.solvers import _capped
    from schedopt.solvers._exact import log_schedule
    from schedopt.solvers._problem import make_problem, to_units

    T = 3000
    G = np.r_[np.ones(T - 1), 2.0]
    unit, _ = to_units(make_problem(T, 1.0, G, monotone=True, max_lr=1e-2))
    log_eta, J = log_schedule(unit.G2, costs=True)
    candidates = _capped._Candidates(unit, log_eta, J)
    k = _capped._smallest_feasible(candidates, T)
    eta = candidates.schedule(k)
    lower = _capped.lower_bound(unit, eta, k)
    grad = so.bounds._host.last_value_and_grad_numpy(eta, unit.D ** 2, unit.G2)[1]
    with mpmath.workdps(50):
        g2 = [mpmath.mpf(float(v)) for v in unit.G2]
        cost = g2[-1]
        for t in range(T - 2, k - 1, -1):                   # J_{t+1} of §4.4, in 50 digits
            cost = 2 * g2[t] * (mpmath.sqrt(1 + cost / g2[t]) - 1)
        value = cost / 2
        nu = [max(mpmath.mpf(float(-q)), 0) for q in grad[:k]]
        for i in range(k - 1, -1, -1):
            a = value - nu[i]
            if a > 0:
                value = nu[i] + g2[i] * (mpmath.sqrt(1 + 2 * a / g2[i]) - 1)
        cap = mpmath.mpf(float(_capped._constraints.find(unit, _capped._constraints.Cap).value))
        reference = float(mpmath.mpf(float(unit.D)) * mpmath.sqrt(2 * value) - cap * mpmath.fsum(nu))
    assert k > 1000
    assert abs(lower - reference) <= 64 * np.finfo(float).eps * abs(reference)


def test_log_schedule_costs_are_the_suffix_optima_and_stop_at_a_rise():
    from schedopt.solvers._exact import exact_schedule, log_schedule

    G2 = np.logspace(-3, 6, 25) ** 2
    log_eta, J = log_schedule(G2, costs=True)
    assert np.all(np.diff(log_eta) <= 0)
    for t in (0, 7, 20, 23, 24):
        assert J[t] == pytest.approx(exact_schedule(G2[t:], 1.0)[1] ** 2 if t < 24 else G2[-1],
                                     rel=1e-13)
    assert log_schedule(np.ones(25), costs=True) == (None, None)   # the §4.5 bump rises
