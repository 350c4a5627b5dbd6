"""The training benchmark's quick mode runs, and bound (C) holds in it (issue 5 §2c, §3)."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def training():
    spec = importlib.util.spec_from_file_location("training", ROOT / "benchmarks" / "training.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(training):
    return training.run(quick=True, progress=False)


def test_bound_holds_for_every_schedule(results, training):
    assert training.bound_violations(results) == []
    for problem in results["convex"]:
        for horizon in problem["horizons"]:
            assert len(horizon["schedules"]) == 7
            for row in horizon["schedules"]:
                assert row["gap_mean"] + row["gap_ci95"] <= row["bound"] <= row["bound_G_max"]
                assert row["gap_min"] >= -1e-9          # nothing beats the linprog optimum
                assert horizon["seeds"] >= 30


def test_convex_problems_are_what_the_bound_assumes(training):
    """θ* is optimal (no subgradient step from it lowers the loss) and G bounds E‖g‖²."""
    for problem in training.problems.convex_problems():
        theta = problem.theta_star
        rng = np.random.default_rng(0)
        for _ in range(50):
            probe = theta + 1e-3 * rng.normal(size=theta.shape)
            assert problem.loss_np(probe) >= problem.L_star - 1e-12
        norms2 = np.sum(problem.X**2, axis=1)
        assert math.isclose(problem.G**2, norms2.mean(), rel_tol=1e-12)
        assert problem.D == pytest.approx(np.linalg.norm(theta), rel=1e-15)


def test_quick_results_are_complete_and_finite(results, training):
    rows = [r for p in results["convex"] for h in p["horizons"] for r in h["schedules"]]
    assert {r["schedule"] for r in rows} == {"optimal", "optimal_monotone", "linear_decay",
                                             "cosine_decay", "warmup_stable_decay",
                                             "constant", "inverse_sqrt"}
    for p in results["convex"]:
        for h in p["horizons"]:
            assert -1.0 <= h["spearman_rho"] <= 1.0
    for opt in results["mlp"]["optimizers"]:
        for r in opt["schedules"]:
            assert r["best_peak_lr"] in opt["peak_lrs"]
            assert np.isfinite(r["train_loss_mean"]) and 0.0 <= r["test_accuracy_mean"] <= 1.0
            assert len(r["curve_batch_loss_mean"]) == len(opt["curve_step"])
    # The optimum beats every family on the bound, as it must.
    for p in results["convex"]:
        for h in p["horizons"]:
            best = min(r["bound"] for r in h["schedules"])
            assert h["schedules"][0]["schedule"] == "optimal"
            assert h["schedules"][0]["bound"] <= best * (1 + 1e-12)
    assert "| optimal |" in training.markdown(results)


def test_each_run_reads_its_own_schedule_exactly(training):
    """The benchmark's one-table schedule gives run i exactly η_i[k] (through as_optax)."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(3)
    etas = [rng.uniform(0.0, 1.0, 17) for _ in range(5)]
    pick = training.problems.stacked_schedule(etas)
    counts, index = np.meshgrid(np.arange(17), np.arange(5))
    with jax.enable_x64(True):
        got = jax.jit(jax.vmap(pick))(jnp.asarray(counts.ravel()), jnp.asarray(index.ravel()))
    np.testing.assert_array_equal(np.asarray(got).reshape(5, 17), np.stack(etas))
