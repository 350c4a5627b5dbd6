"""Huge sweeps: refused before allocating when they cannot fit; progress on a terminal."""

import numpy as np
import pytest

from schedopt import cli
from schedopt.cli import _common


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("argv, flag", [
    (["compare", "--horizon", "100000000000"], "--horizon = 100,000,000,000"),
    (["scaling", "--max-horizon", "1e12"], "--max-horizon = 1,000,000,000,000"),
])
def test_sizes_that_cannot_fit_are_refused_before_any_work(capsys, argv, flag):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert flag in err and "GiB of memory" in err and len(err.strip().splitlines()) == 1


def test_memory_check_uses_what_is_available(monkeypatch):
    monkeypatch.setattr(_common, "available_memory", lambda: 1000 * _common.BYTES_PER_STEP)
    _common.check_memory(1000, "--steps")
    with pytest.raises(_common.UsageError, match="--steps = 1,001 needs about"):
        _common.check_memory(1001, "--steps")
    monkeypatch.setattr(_common, "available_memory", lambda: None)
    _common.check_memory(10 ** 15, "--steps")          # cannot tell: let it run


@pytest.mark.parametrize("text, value", [("1e9", 10 ** 9), ("1000", 1000), ("2.0", 2),
                                         ("1_000", 1000)])
def test_whole_numbers_in_scientific_notation(text, value):
    assert _common.whole_number(text) == value


@pytest.mark.parametrize("text", ["1.5", "1e100", "nan", "inf", "ten"])
def test_not_whole_numbers(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="expected a whole number"):
        _common.whole_number(text)


class _Terminal:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_progress_on_a_terminal_with_and_without_tqdm(monkeypatch, with_tqdm):
    import sys

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    if not with_tqdm:
        monkeypatch.setitem(sys.modules, "tqdm", None)      # import tqdm raises ImportError
    from schedopt.theory import fit_scaling

    progress = _common.Progress("scaling")
    table = fit_scaling(np.array([10, 20, 40, 80]), families=["linear_decay"],
                        log_term=(), progress=progress)
    assert table.fits["optimal"].p > 0
    if with_tqdm:               # tqdm redraws at most every 0.1 s: check the bar's count
        assert progress.bar.n == progress.bar.total == 8 and "scaling:" in terminal.text
    else:
        assert terminal.text.endswith("\rscaling: 8/8")
    progress.close()


def test_no_progress_when_not_a_terminal(capsys):
    from schedopt.theory import family_table

    calls = []
    family_table(50, families=["linear_decay", "cosine_decay"], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    progress = _common.Progress("compare")
    progress(1, 2)
    progress.close()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [
    ["optimize", "--steps", "10000000000000", "--out", "{d}/a.json"],
    ["optimize", "--horizon", "3000000000", "--out", "{d}/a.npy"],
    ["extend", "--units", "bound", "--applied", "{d}/h.csv", "--steps", "100000000000", "--out", "{d}/b.csv"],
    ["anytime", "--checkpoints", "10,100000000000", "--out", "{d}/c.csv"],
])
def test_sizes_that_cannot_fit_are_refused_before_allocating(tmp_path, capsys, argv):
    (tmp_path / "h.csv").write_text("step,lr\n0,0.1\n1,0.1\n")
    argv = [a.replace("{d}", str(tmp_path)) for a in argv]
    status, _, err = run(capsys, *argv)
    assert status == 2 and "GiB of memory" in err and len(err.strip().splitlines()) == 1
