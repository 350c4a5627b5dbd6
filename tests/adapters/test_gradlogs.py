"""Reading gradient-norm logs (every bad-input case) and recording them in optax."""

from __future__ import annotations

import warnings

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings

from schedopt import GradNormLog
from schedopt import grad_norm_log
from schedopt import log_grad_norms
from schedopt import logged_grad_norms
from schedopt import read_grad_norms


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def read_clean(path, **kwargs):
    """read_grad_norms that must not warn (a clean log is not reported as cleaned)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_grad_norms(path, **kwargs)


# ---------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------

TRACKER = '''"Step","run-7 - gradient_norm","run-7 - gradient_norm__MIN","run-7 - gradient_norm__MAX"
"0","2.5","2.4","2.6"
"10","1.5","1.4","1.6"
"20","1.25","1.2","1.3"
'''


def test_tracker_export_layout(tmp_path):
    log = read_clean(write(tmp_path, TRACKER))
    np.testing.assert_array_equal(log.step, [0, 10, 20])
    np.testing.assert_array_equal(log.grad_norm, [2.5, 1.5, 1.25])
    assert log.notes == () and log.source.endswith("log.csv")


def test_tracker_export_with_sparse_rows_reports_skipped_rows(tmp_path):
    text = '"Step","a - loss","a - gradient_norm"\n1,0.9,3\n2,0.8,\n3,0.7,2\n'
    with pytest.warns(UserWarning, match=r"skipped 1 row\(s\) whose column 'a - gradient_norm'"):
        log = read_grad_norms(write(tmp_path, text))
    np.testing.assert_array_equal(log.step, [1, 3])
    np.testing.assert_array_equal(log.grad_norm, [3, 2])
    assert len(log.notes) == 1


@pytest.mark.parametrize("text", [
    "step,grad_norm\n1,3\n2,2\n3,1\n",
    "global_step\tnorm\n1\t3\n2\t2\n3\t1\n",
    "iteration;value\n1;3\n2;2\n3;1\n",
    "1 3\n2 2\n3 1\n",                                  # plain two columns, no header
    "# comment\n1,3\n\n2,2\n3,1\n",
])
def test_two_column_layouts(tmp_path, text):
    log = read_clean(write(tmp_path, text))
    np.testing.assert_array_equal(log.step, [1, 2, 3])
    np.testing.assert_array_equal(log.grad_norm, [3, 2, 1])


def test_one_column_gets_steps_one_to_n(tmp_path):
    for text in ("3\n2\n1\n", "grad_norm\n3\n2\n1\n"):
        log = read_clean(write(tmp_path, text))
        np.testing.assert_array_equal(log.step, [1, 2, 3])
        np.testing.assert_array_equal(log.grad_norm, [3, 2, 1])


def test_steps_from_zero_and_with_gaps_are_kept(tmp_path):
    log = read_clean(write(tmp_path, "step,grad_norm\n0,4\n1,3\n5,2\n100,1\n"))
    np.testing.assert_array_equal(log.step, [0, 1, 5, 100])
    assert not log.evenly_spaced
    assert read_clean(write(tmp_path, TRACKER)).evenly_spaced


def test_column_by_name_and_index(tmp_path):
    path = write(tmp_path, "step,a_grad,b_grad\n1,1,10\n2,2,20\n")
    with pytest.raises(ValueError, match=r"several gradient-norm columns \['a_grad', 'b_grad'\]"):
        read_grad_norms(path)
    np.testing.assert_array_equal(read_clean(path, column="b_grad").grad_norm, [10, 20])
    np.testing.assert_array_equal(read_clean(path, column="B_GRAD").grad_norm, [10, 20])
    np.testing.assert_array_equal(read_clean(path, column=1).grad_norm, [1, 2])
    with pytest.raises(ValueError, match="column 'c' is not in"):
        read_grad_norms(path, column="c")
    with pytest.raises(ValueError, match="column must be an index below 3"):
        read_grad_norms(path, column=3)
    with pytest.raises(TypeError, match="column must be a column name or index"):
        read_grad_norms(path, column=True)


def test_headerless_many_columns_need_an_index(tmp_path):
    path = write(tmp_path, "1,5,6\n2,7,8\n")
    with pytest.raises(ValueError, match="3 columns and no header"):
        read_grad_norms(path)
    log = read_clean(path, column=2)
    np.testing.assert_array_equal(log.step, [1, 2])
    np.testing.assert_array_equal(log.grad_norm, [6, 8])
    with pytest.raises(ValueError, match="has no header"):
        read_grad_norms(path, column="x")


def test_ambiguous_header_without_grad_column(tmp_path):
    with pytest.raises(ValueError, match="cannot tell which column"):
        read_grad_norms(write(tmp_path, "step,a,b\n1,2,3\n"))


def test_npy_files(tmp_path):
    np.save(tmp_path / "a.npy", np.array([3.0, 2.0, 1.0]))
    np.save(tmp_path / "b.npy", np.array([[0, 3.0], [4, 2.0]]))
    np.save(tmp_path / "c.npy", np.array(["x", "y"]))
    np.save(tmp_path / "d.npy", np.array([1.0, np.nan]))
    a = read_clean(tmp_path / "a.npy")
    np.testing.assert_array_equal(a.step, [1, 2, 3])
    assert a.source.endswith("a.npy")
    np.testing.assert_array_equal(read_clean(tmp_path / "b.npy").step, [0, 4])
    with pytest.raises(ValueError, match="not numbers"):
        read_grad_norms(tmp_path / "c.npy")
    with pytest.raises(ValueError, match=r"d\.npy has a non-finite gradient norm"):
        read_grad_norms(tmp_path / "d.npy")
    np.save(tmp_path / "e.npy", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad-norm file .*e\.npy must hold a non-empty 1-D"):
        read_grad_norms(tmp_path / "e.npy")
    (tmp_path / "f.npy").write_text("not numpy")
    with pytest.raises(ValueError, match=r"f\.npy is not a readable \.npy array"):
        read_grad_norms(tmp_path / "f.npy")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1e-6, 1e6), min_size=1, max_size=40),
       st.integers(0, 3), st.integers(1, 7))
def test_csv_round_trip(tmp_path_factory, norms, first, every):
    path = tmp_path_factory.mktemp("rt") / "log.csv"
    steps = first + every * np.arange(len(norms))
    lines = ["Step,grad_norm"] + [f"{s},{v!r}" for s, v in zip(steps, norms)]
    path.write_text("\n".join(lines) + "\n")
    log = read_clean(path)
    np.testing.assert_array_equal(log.step, steps)
    np.testing.assert_array_equal(log.grad_norm, norms)


# ---------------------------------------------------------------------------------------
# Bad input: a clear error, or a reported clean-up
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, what", [("nan", "non-finite gradient norm"),
                                         ("inf", "non-finite gradient norm"),
                                         ("-inf", "non-finite gradient norm"),
                                         ("0", "gradient norm <= 0"),
                                         ("-1.5", "gradient norm <= 0")])
def test_invalid_norms_raise_then_drop(tmp_path, cell, what):
    path = write(tmp_path, f"step,grad_norm\n1,3\n2,{cell}\n3,1\n")
    with pytest.raises(ValueError, match=rf"line 3 of .*log\.csv has a {what}.*invalid='drop'"):
        read_grad_norms(path)
    with pytest.warns(UserWarning, match=rf"dropped 1 row\(s\) with a {what}.* at step\(s\) 2"):
        log = read_grad_norms(path, invalid="drop")
    np.testing.assert_array_equal(log.step, [1, 3])
    np.testing.assert_array_equal(log.grad_norm, [3, 1])
    assert all(np.isfinite(log.grad_norm)) and all(log.grad_norm > 0)


def test_every_row_invalid_is_an_error_even_when_dropping(tmp_path):
    path = write(tmp_path, "step,grad_norm\n1,nan\n2,0\n")
    with pytest.raises(ValueError, match=r"no valid rows left after the clean-up \(dropped 1"):
        read_grad_norms(path, invalid="drop")


def test_counts_further_invalid_rows(tmp_path):
    path = write(tmp_path, "1,nan\n2,nan\n3,nan\n4,1\n")
    with pytest.raises(ValueError, match=r"and 2 more such rows"):
        read_grad_norms(path)


@pytest.mark.parametrize("text, match", [
    ("", "is empty"),
    ("# only a comment\n\n", "is empty"),
    ("step,grad_norm\n", "has a header but no data rows"),
    ("name,kind\nfoo,bar\nbaz,qux\n", "has no numeric column"),
    ("step,grad_norm\n1,abc\n2,def\n", "no numeric gradient-norm column"),
    ("step,grad_norm\n1,2\n2,abc\n", r"holds 'abc' at line 3, which is not a number"),
    ("step,grad_norm\n1,2\nx,3\n", r"the step at line 3 is 'x'"),
    ("step,grad_norm\n1,2\n,3\n", r"the step at line 3 is ''"),
    ("step,grad_norm\n1,2\nnan,3\n", r"the step at line 3 of .*log.csv is nan; every step must be a finite"),
    ("step,grad_norm\n1,\n2,\n", "is empty on every row"),
])
def test_malformed_files(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_grad_norms(write(tmp_path, text))


def test_not_a_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_grad_norms(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError):
        read_grad_norms(tmp_path)
    with pytest.raises(TypeError, match="path must be a file path"):
        read_grad_norms(3.5)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match="not a text file"):
        read_grad_norms(tmp_path / "bin.csv")


def test_duplicate_steps(tmp_path):
    path = write(tmp_path, "step,grad_norm\n1,4\n2,3\n2,1\n3,2\n")
    with pytest.raises(ValueError, match=r"step 2 appears more than once \(again at line 4"):
        read_grad_norms(path)
    with pytest.warns(UserWarning, match="kept the last row"):
        last = read_grad_norms(path, duplicates="last")
    with pytest.warns(UserWarning, match="averaged the norms"):
        mean = read_grad_norms(path, duplicates="mean")
    np.testing.assert_array_equal(last.step, [1, 2, 3])
    np.testing.assert_array_equal(last.grad_norm, [4, 1, 2])
    np.testing.assert_array_equal(mean.grad_norm, [4, 2, 2])


def test_unsorted_rows_are_sorted_and_reported(tmp_path):
    with pytest.warns(UserWarning, match="sorted the rows by step"):
        log = read_grad_norms(write(tmp_path, "3,1\n1,3\n2,2\n"))
    np.testing.assert_array_equal(log.step, [1, 2, 3])
    np.testing.assert_array_equal(log.grad_norm, [3, 2, 1])


@pytest.mark.parametrize("kwargs, match", [
    ({"invalid": "ignore"}, "invalid must be one of 'raise', 'drop'"),
    ({"duplicates": "first"}, "duplicates must be one of 'raise', 'last', 'mean'"),
])
def test_bad_options(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        read_grad_norms(write(tmp_path, "1\n"), **kwargs)
    with pytest.raises(ValueError, match=match):
        grad_norm_log([1.0], **kwargs)


def test_arrays():
    log = grad_norm_log(jnp.array([3.0, 2.0]))
    assert isinstance(log, GradNormLog) and log.grad_norm.dtype == np.float64
    np.testing.assert_array_equal(log.step, [1, 2])
    np.testing.assert_array_equal(grad_norm_log([[0, 5.0], [3, 4.0]]).step, [0, 3])
    np.testing.assert_array_equal(grad_norm_log([5.0, 4.0], step=[10, 20]).step, [10, 20])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        grad_norm_log([])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        grad_norm_log(np.ones((2, 3)))
    with pytest.raises(ValueError, match="one entry per gradient norm"):
        grad_norm_log([1.0, 2.0], step=[1])
    with pytest.raises(TypeError, match="grad_norm must be an array of numbers"):
        grad_norm_log(["a"])
    with pytest.raises(ValueError, match=r"row 1 of array has a non-finite"):
        grad_norm_log([1.0, np.nan])
    with pytest.raises(ValueError, match="the step at row 0 of array is inf"):
        grad_norm_log([1.0, 2.0], step=[np.inf, 1])
    log = grad_norm_log([1.0])
    with pytest.raises(ValueError):
        log.grad_norm[0] = 2.0                         # read-only


# ---------------------------------------------------------------------------------------
# Recording ‖g_t‖ in optax
# ---------------------------------------------------------------------------------------

def _problem(key, n=64, d=5):
    kx, ky = jax.random.split(key)
    X = jax.random.normal(kx, (n, d))
    y = jax.random.normal(ky, (n,))
    params = {"w": jnp.zeros(d), "b": jnp.zeros(())}

    def loss(p, i):
        rows = jax.lax.dynamic_slice_in_dim(X, (i * 8) % n, 8)
        targets = jax.lax.dynamic_slice_in_dim(y, (i * 8) % n, 8)
        return jnp.mean(jnp.abs(rows @ p["w"] + p["b"] - targets))

    return params, loss


def _train(opt, params, loss, steps):
    @jax.jit
    def step(carry, i):
        p, s = carry
        g = jax.grad(loss)(p, i)
        updates, s = opt.update(g, s, p)
        norm = jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree_util.tree_leaves(g)))
        return (optax.apply_updates(p, updates), s), norm

    (params, state), norms = jax.lax.scan(step, (params, opt.init(params)), jnp.arange(steps))
    return params, state, np.asarray(norms, np.float64)


def test_logger_records_exactly_the_gradient_norms_and_changes_nothing():
    params, loss = _problem(jax.random.PRNGKey(0))
    T = 25
    logged = optax.chain(log_grad_norms(T), optax.sgd(0.05, momentum=0.9))
    plain = optax.sgd(0.05, momentum=0.9)
    p1, state, norms = _train(logged, params, loss, T)
    p2, _, _ = _train(plain, params, loss, T)
    recorded = logged_grad_norms(state)
    assert recorded.dtype == np.float64 and recorded.shape == (T,)
    np.testing.assert_allclose(recorded, norms, rtol=1e-6)   # float32 norms, summed differently
    assert np.all(recorded > 0)
    for k in p1:                                              # the logger passes updates on as is
        np.testing.assert_array_equal(p1[k], p2[k])


def test_logger_partial_and_past_the_horizon():
    params, loss = _problem(jax.random.PRNGKey(1))
    opt = optax.chain(log_grad_norms(10), optax.sgd(0.01))
    _, state, norms = _train(opt, params, loss, 4)
    np.testing.assert_allclose(logged_grad_norms(state), norms, rtol=1e-6)
    _, state, norms = _train(opt, params, loss, 13)           # 3 updates past the buffer
    np.testing.assert_allclose(logged_grad_norms(state), norms[:10], rtol=1e-6)


def test_logger_exact_in_float64_and_inside_inject_hyperparams():
    with jax.enable_x64(True):
        params = {"w": jnp.array([3.0, 4.0]), "v": jnp.array([[12.0]])}
        opt = optax.chain(log_grad_norms(3),
                          optax.inject_hyperparams(optax.sgd)(learning_rate=0.1))
        state = opt.init(params)
        for g in ({"w": jnp.array([3.0, 4.0]), "v": jnp.array([[12.0]])},    # norm 13
                  {"w": jnp.array([0.0, 0.0]), "v": jnp.array([[2.0]])}):     # norm 2
            _, state = jax.jit(opt.update)(g, state, params)
        assert state[0].grad_norms.dtype == jnp.float64
        np.testing.assert_array_equal(logged_grad_norms(state), [13.0, 2.0])


def test_logged_grad_norms_bad_state():
    with pytest.raises(ValueError, match="exactly one log_grad_norms state, found 0"):
        logged_grad_norms(optax.sgd(0.1).init({"w": jnp.zeros(2)}))
    two = optax.chain(log_grad_norms(2), log_grad_norms(2)).init({"w": jnp.zeros(2)})
    with pytest.raises(ValueError, match="found 2"):
        logged_grad_norms(two)
    batched = jax.vmap(log_grad_norms(2).init)({"w": jnp.zeros((3, 2))})
    with pytest.raises(ValueError, match="batched"):
        logged_grad_norms(batched)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        log_grad_norms(0)


def test_a_log_built_directly_must_be_clean():
    GradNormLog(step=[0, 5], grad_norm=[1.0, 2.0])
    for step, norm, match in (([1, 1], [1.0, 2.0], "strictly increasing"),
                              ([2, 1], [1.0, 2.0], "strictly increasing"),
                              ([1, np.nan], [1.0, 2.0], "strictly increasing"),
                              ([1, 2], [1.0, np.nan], "finite and > 0"),
                              ([1, 2], [1.0, 0.0], "finite and > 0"),
                              ([1], [1.0, 2.0], "one length"),
                              ([], [], "non-empty")):
        with pytest.raises(ValueError, match=match):
            GradNormLog(step=step, grad_norm=norm)
