"""Huge, lying or odd gradient-norm files: one-sentence errors in bounded memory (issue 15)."""

import os

import numpy as np
import pytest

from schedopt import cli
from schedopt.adapters import _logfiles
from schedopt.adapters import read_grad_norms


def _lying_npy(path, shape):
    """A .npy whose header claims ``shape`` but holds 8 bytes of data."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(np.float64(1.0).tobytes())


def _files(tmp_path):
    np.savez(tmp_path / "arrays.npz", g=np.ones(5))
    os.replace(tmp_path / "arrays.npz", tmp_path / "zip.npy")
    _lying_npy(tmp_path / "huge.npy", (10 ** 11,))
    _lying_npy(tmp_path / "short.npy", (1000,))
    (tmp_path / "wide.csv").write_text("step,grad_norm\n1," + "7" * (2 << 20) + "\n")
    return {"zip.npy": "is a zip archive", "huge.npy": "100,000,000,000 entries",
            "short.npy": "truncated or lies", "wide.csv": "longer than 1,048,576 characters"}


def test_lying_files_give_one_sentence(tmp_path):
    for name, message in _files(tmp_path).items():
        with pytest.raises(ValueError, match=message):
            read_grad_norms(tmp_path / name)


def test_lying_files_exit_2_in_one_line_at_the_cli(tmp_path, capsys):
    for name, message in _files(tmp_path).items():
        status = cli.main(["refine", "--grad-norms", str(tmp_path / name),
                           "--out", str(tmp_path / "e.json")])
        err = capsys.readouterr().err
        assert status == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_a_200_kB_field_in_another_column_is_read(tmp_path):
    """csv's default field limit (128 kB) would raise csv.Error on a tracker's config column."""
    path = tmp_path / "log.csv"
    path.write_text('step,grad_norm,config\n1,2.0,"' + "x" * 200_000 + '"\n2,1.0,""\n')
    log = read_grad_norms(path)
    np.testing.assert_array_equal(log.grad_norm, [2.0, 1.0])


def test_bytes_and_path_like_paths(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("step,grad_norm\n1,2.0\n2,1.0\n")
    for p in (bytes(path), str(path), path):
        np.testing.assert_array_equal(read_grad_norms(p).grad_norm, [2.0, 1.0])
    np.save(tmp_path / "g.npy", np.array([3.0, 2.0]))
    np.testing.assert_array_equal(read_grad_norms(bytes(tmp_path / "g.npy")).grad_norm,
                                  [3.0, 2.0])
    with pytest.raises(TypeError, match="path must be a file path"):
        read_grad_norms(3.5)


def test_row_limit_is_checked_while_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(_logfiles, "MAX_ROWS", 10)
    path = tmp_path / "log.csv"
    path.write_text("".join(f"{i}\n" for i in range(1, 12)))
    with pytest.raises(ValueError, match="more than 10 values"):
        read_grad_norms(path)
    np.save(tmp_path / "g.npy", np.ones(25))
    with pytest.raises(ValueError, match="at most 10 logged norms"):
        read_grad_norms(tmp_path / "g.npy")


def test_pickled_and_text_npy_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([1.0, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="holds object data, not numbers"):
        read_grad_norms(tmp_path / "obj.npy")
    np.save(tmp_path / "str.npy", np.array(["1.0", "2.0"]))
    with pytest.raises(ValueError, match="not numbers"):
        read_grad_norms(tmp_path / "str.npy")


@pytest.mark.parametrize("header, column, message", [
    ("step,a/gnorm_l1,b/gnorm_l1", "gnorm_l1", "ends 2 column names; give the full one"),
    ("step,a/gnorm_l1", "gnorm_l9", "is not in"),
    ("Wall time,Step,Value,Other", None, "cannot tell which column"),
])
def test_column_choice_errors(tmp_path, header, column, message):
    path = tmp_path / "log.csv"
    path.write_text(header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n")
    with pytest.raises(ValueError, match=message):
        read_grad_norms(path, column=column)


def test_array_arguments_are_described_in_a_few_characters(tmp_path):
    import schedopt

    a = np.arange(1000.0)
    calls = [lambda: schedopt.refine(np.ones(10), width=a),
             lambda: schedopt.refine(np.ones(10), smoothing=a),
             lambda: schedopt.as_optax(np.ones(3), after=a),
             lambda: schedopt.grad_norm_log(np.ones(3), invalid=a),
             lambda: schedopt.grad_norm_log(np.ones(3), duplicates=a)]
    for call in calls:
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        assert len(str(info.value)) < 200 and "..." in str(info.value)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 1), st.integers(1, 40), st.integers(2, 60), st.integers(0, 2 ** 32 - 1))
def test_subsampled_logs_keep_their_span(tmp_path_factory, first, stride, n, seed):
    """Any stride and start: T is the last step (+1 from 0), G_t is the log at logged steps."""
    from schedopt import grad_norm_profile

    g = np.random.default_rng(seed).lognormal(size=n)
    steps = first + stride * np.arange(n) if first == 0 else stride * np.arange(1, n + 1)
    path = tmp_path_factory.mktemp("log") / "log.csv"
    path.write_text("step,grad_norm\n" + "".join(f"{s},{float(x)!r}\n" for s, x in zip(steps, g)))
    log = read_grad_norms(path)
    T = int(steps[-1]) + (1 if first == 0 else 0)
    G = grad_norm_profile(log, smoothing=None)
    assert log.horizon == T == G.shape[0]
    at = steps if first == 0 else steps - 1             # index of step s in η_1..η_T
    np.testing.assert_array_equal(G[at], g)
