"""Atomic writes (schedopt.adapters._io): round trips, and failures that leave old files intact."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

import schedopt
from _support import read_only_folder
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedopt.adapters import _io
from schedopt._result import ScheduleResult

OLD = b"the old contents\n"


def _result(eta, gap=0.0):
    return ScheduleResult(eta=np.asarray(eta, dtype=np.float64), bound=0.5, method="exact",
                          converged=True, iterations=0, seconds=0.01, message="ok", gap=gap)


def _leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- round trips ---------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_subnormal=True),
                min_size=1, max_size=50),
       st.sampled_from([".json", ".csv", ".npy"]))
def test_schedule_round_trip_is_bit_exact(tmp_path_factory, values, suffix):
    path = tmp_path_factory.mktemp("rt") / f"eta{suffix}"
    eta = np.array(values, dtype=np.float64)
    schedopt.save_schedule(path, _result(eta), D=2.0, G=3.0)
    back = schedopt.load_schedule(path)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, eta)


def test_json_record_has_the_api_names(tmp_path):
    path = tmp_path / "eta.json"
    _io.write_schedule(path, _result([0.3, 0.2, 0.4], gap=None), D=2.0, G=[1.0, 2.0, 3.0])
    record = json.loads(path.read_text())
    # the mathematical object: horizon 3, and only 2 of its rates are to be applied
    assert list(record) == ["updates", "horizon", "D", "G", "method", "bound", "converged",
                            "gap", "iterations", "seconds", "eta", "message", "version"]
    assert record["version"] == schedopt.__version__
    assert (record["updates"], record["horizon"]) == (2, 3)
    assert record["D"] == 2.0 and record["G"] == [1.0, 2.0, 3.0]
    assert record["gap"] is None and record["converged"] is True
    _io.write_schedule(path, _result([0.3]), peak_lr=0.1)
    assert json.loads(path.read_text())["peak_lr"] == 0.1


def test_json_record_of_rates_to_apply_names_the_horizon(tmp_path):
    # docs/math.md §5.1: N rates, bound on θ_{N+1}; G as the bound used it (G_{N+1} = G_N)
    path = tmp_path / "eta.json"
    applied = schedopt.applied_schedule(3, 2.0, [1.0, 2.0, 3.0])
    _io.write_schedule(path, applied, D=2.0, G=[1.0, 2.0, 3.0])
    record = json.loads(path.read_text())
    assert (record["updates"], record["horizon"], len(record["eta"])) == (3, 4, 3)
    assert record["G"] == [1.0, 2.0, 3.0, 3.0] and record["weight"] == applied.weight
    full = np.append(record["eta"], record["weight"])
    assert record["bound"] == pytest.approx(
        float(schedopt.last_iterate_bound(full, 2.0, np.array(record["G"]))), rel=1e-13)
    for suffix in (".json", ".csv", ".npy"):
        out = _io.write_schedule(tmp_path / f"e{suffix}", applied, D=2.0, G=[1.0, 2.0, 3.0])
        assert schedopt.load_schedule(out).tobytes() == applied.eta.tobytes()


def test_json_record_says_what_was_solved(tmp_path):
    path = tmp_path / "eta.json"
    result = schedopt.optimal_schedule(20, 2.0, 3.0, monotone=True, max_lr=0.5, warmup=3)
    _io.write_schedule(path, result, D=2.0, G=3.0)
    problem = json.loads(path.read_text())["problem"]
    assert problem == {"steps": 20, "D": 2.0, "G": 3.0, "constraints": [
        {"kind": "warmup", "ramp": 3}, {"kind": "max_lr", "max_lr": 0.5},
        {"kind": "monotone", "start": 4}]}


def test_non_finite_numbers_follow_one_rule(tmp_path):
    path = tmp_path / "x.json"
    _io.write_json(path, {"a": float("inf"), "b": [np.float64(-np.inf)],
                          "c": np.array([1.0, np.inf])})
    assert json.loads(path.read_text()) == {"a": "inf", "b": ["-inf"], "c": [1.0, "inf"]}


def test_csv_has_step_eta_and_count_columns(tmp_path):
    """step is t of η_t (1-based); count is the 0-based counter of optax and PyTorch."""
    path = tmp_path / "eta.csv"
    _io.write_schedule(path, _result([0.25, 0.125]))
    assert path.read_text() == "step,eta,count\n1,0.25,0\n2,0.125,1\n"


def test_write_csv_refuses_unequal_columns(tmp_path):
    with pytest.raises(ValueError, match="equal lengths"):
        _io.write_csv(tmp_path / "x.csv", {"a": [1, 2], "b": [1.0]})
    assert not (tmp_path / "x.csv").exists()


def test_write_png_writes_a_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    _io.write_png(tmp_path / "f.png", fig)
    plt.close(fig)
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_replacing_keeps_the_old_files_mode(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(OLD)
    path.chmod(0o640)
    _io.write_text(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_file_gets_the_umask_mode(tmp_path):
    path = tmp_path / "b.md"
    _io.write_text(path, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


# --- interrupted writes --------------------------------------------------------------------

@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_old_file_intact(tmp_path, exc):
    path = tmp_path / "eta.json"
    path.write_bytes(OLD)

    def half_then_fail(f):
        f.write(b'{"steps": 10, "eta": [0.1, 0.')
        raise exc

    with pytest.raises(type(exc)):
        _io.atomic_write(path, half_then_fail)
    assert path.read_bytes() == OLD
    assert _leftovers(tmp_path) == []


def test_failure_without_old_file_leaves_nothing(tmp_path):
    def fail(f):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        _io.atomic_write(tmp_path / "new.csv", fail)
    assert list(tmp_path.iterdir()) == []


def test_nan_json_is_refused_before_anything_is_replaced(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(OLD)
    with pytest.raises(ValueError):
        _io.write_json(path, {"bound": float("nan")})
    assert path.read_bytes() == OLD


def _stop_a_writer_mid_write(tmp_path, path, first_bytes: bytes, sig) -> int:
    """Start a process that writes ``path`` atomically, send ``sig`` once half the file is
    written, and return its exit status."""
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from schedopt.adapters import _io
        def slow(f):
            f.write({first_bytes!r})
            f.flush()
            Path({str(ready)!r}).touch()
            time.sleep(60)
        _io.atomic_write({str(path)!r}, slow)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, "the writer exited early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(sig)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path):
    """SIGTERM (what `kill` and job schedulers send) removes the .tmp, then still kills."""
    path = tmp_path / "t.json"
    path.write_bytes(OLD)
    assert _stop_a_writer_mid_write(tmp_path, path, b"{half a file", signal.SIGTERM) \
        == -signal.SIGTERM
    assert path.read_bytes() == OLD
    assert _leftovers(tmp_path) == []


def test_a_handler_installed_by_the_caller_is_kept(tmp_path):
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda *a: seen.append(a))
    try:
        _io.write_text(tmp_path / "a.txt", "x")
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert signal.getsignal(signal.SIGTERM) is previous


def test_process_killed_mid_write_leaves_old_file_intact(tmp_path):
    path = tmp_path / "eta.npy"
    path.write_bytes(OLD)
    assert _stop_a_writer_mid_write(tmp_path, path, b"\x93NUMPY half a file",
                                    signal.SIGKILL) == -signal.SIGKILL
    assert path.read_bytes() == OLD


# --- output paths --------------------------------------------------------------------------

def test_check_output_path_accepts_writable_known_extensions(tmp_path):
    for suffix in (".json", ".csv", ".npy", ".JSON"):
        assert _io.check_output_path(tmp_path / f"x{suffix}") == tmp_path / f"x{suffix}"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("name, message", [
    ("x.txt", "out must end in .json, .csv or .npy, got"),
    ("missing/x.json", "out is in a folder that does not exist"),
])
def test_check_output_path_refuses(tmp_path, name, message):
    with pytest.raises(ValueError, match=message):
        _io.check_output_path(tmp_path / name)


def test_check_output_path_refuses_a_folder(tmp_path):
    (tmp_path / "d.json").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        _io.check_output_path(tmp_path / "d.json")


def test_check_output_path_refuses_a_read_only_folder(tmp_path):
    folder = read_only_folder(tmp_path)
    if folder is None:
        pytest.skip("no folder here that this process cannot write to")
    with pytest.raises(ValueError, match="cannot be written to"):
        _io.check_output_path(folder / "x.json")


def test_check_folder_creates_a_missing_folder(tmp_path):
    folder = tmp_path / "a" / "b"
    assert _io.check_folder(folder, create=True) == folder
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_long_arrays_go_on_one_line_and_read_back_bit_for_bit(tmp_path):
    # orjson writes them (issue 22: the indented encoder took 1.5 s for 10⁶ rates, the
    # compact one 0.6 s); the text stays strict JSON with shortest round-trip digits, so the
    # numbers read back exactly, subnormals and the largest float included.
    import json

    from schedopt.adapters._io import write_json

    rng = np.random.default_rng(0)
    eta = np.concatenate([rng.uniform(0, 1, 10_000) ** 7, [5e-324, 2.2250738585072014e-308,
                                                           1.7976931348623157e308, 0.1]])
    path = write_json(tmp_path / "s.json", {"eta": eta, "short": np.arange(3.0),
                                            "inf": np.array([1.0, np.inf] * 40)})
    text = path.read_text()
    back = json.loads(text)
    assert np.array_equal(np.array(back["eta"]), eta)
    assert back["short"] == [0.0, 1.0, 2.0] and back["inf"][:2] == [1.0, "inf"]
    assert len(text.splitlines()) < 200                     # not one line per rate
    with pytest.raises(ValueError, match="NaN"):
        write_json(tmp_path / "n.json", {"eta": np.full(100, np.nan)})
    assert not (tmp_path / "n.json").exists()


def test_long_float32_and_integer_arrays_read_back_as_their_values(tmp_path):
    # A float32 array is written as the float64 value of each element (what tolist gives),
    # not as orjson's shortest float32 digits; integers stay integers.
    import json

    from schedopt.adapters._io import write_json

    f32 = (np.random.default_rng(1).uniform(0, 1, 200) ** 5).astype(np.float32)
    ints = np.arange(-100, 100, dtype=np.int32)
    big = np.array([2**63 + 1] * 70, dtype=np.uint64)
    back = json.loads(write_json(tmp_path / "a.json", {"f": f32, "i": ints, "u": big}).read_text())
    assert back["f"] == f32.tolist() and back["i"] == ints.tolist() and back["u"] == big.tolist()
