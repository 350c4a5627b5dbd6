"""The 0.2.0 readers (gradient-norm logs, schedule files) under adversarial files (issue 21):
each bad file gets its own message naming the file, the line and what is allowed; good
files give back exactly the values written."""

import numpy as np
import pytest

import schedopt as so

GRAD_BAD = [
    ("", r"is empty \(no data rows\)"),
    ("step,value\n", r"has a header but no data rows"),
    ("step,value\n0,1.0\n1,nan\n", r"line 3 .* non-finite gradient norm"),
    ("step,value\n0,1.0\n1,inf\n", r"line 3 .* non-finite gradient norm"),
    ("step,value\n0,1.0\n1,-2\n", r"line 3 .* gradient norm <= 0"),
    ("step,value\n0,1.0\n1,0\n", r"line 3 .* gradient norm <= 0"),
    ("step,value\n0,1.0\n0,2.0\n", r"step 0 appears more than once .*duplicates="),
    ("step,value\n0,abc\n", r"no numeric gradient-norm column: column 'value' holds 'abc'"),
]


@pytest.mark.parametrize("text, message", GRAD_BAD)
def test_grad_norm_log_refusals(tmp_path, text, message):
    path = tmp_path / "g.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        so.read_grad_norms(path)


@pytest.mark.parametrize("values", [[1.0, 2.0, 3.0], [1e-300, 1e300], [0.5]])
def test_grad_norm_log_round_trip(tmp_path, values):
    path = tmp_path / "g.csv"
    path.write_text("step,value\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(values)))
    assert np.array_equal(so.read_grad_norms(path).grad_norm, values)


SCHEDULE_BAD = [
    ("", r"has no 'eta' column"),
    ("step,value\n0,1.0\n", r"has no 'eta' column under its header \(got \['step', 'value'\]\)"),
    ("1.0\n2.0\n", r"has no 'eta' column"),
]


@pytest.mark.parametrize("text, message", SCHEDULE_BAD)
def test_schedule_file_refusals(tmp_path, text, message):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        so.load_schedule(path)


@pytest.mark.parametrize("eta", [[1.0, 0.5, 0.25], [1e-300, 1e300, 0.0], [3.0]])
def test_schedule_file_round_trip(tmp_path, eta):
    path = so.save_schedule(tmp_path / "s.csv", np.array(eta))
    assert np.array_equal(so.load_schedule(path), eta)


@pytest.mark.parametrize("bad", ["nan", "inf", "-1.0"])
def test_schedule_file_bad_value(tmp_path, bad):
    path = tmp_path / "s.csv"
    path.write_text(f"step,eta\n1,1.0\n2,{bad}\n")
    with pytest.raises(ValueError, match=r"eta|schedule"):
        so.load_schedule(path)
