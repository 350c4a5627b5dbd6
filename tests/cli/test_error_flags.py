"""Every command-line error names the flag the user typed, never the library's argument:
``updates``/``steps`` in the middle of a sentence, ``method='exact'``, the horizon's
``steps`` in a command that calls it --horizon (the mapping of ``schedopt.cli._flag_names``)."""

import json
import re

import pytest

from schedopt import cli


@pytest.fixture
def history(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.json").write_text(json.dumps({"eta": [0.1, 0.1, 0.1]}))
    return "h.json"


EXTEND = ["extend", "--applied", "h.json", "--units", "bound", "--out", "o.json"]
CASES = [
    (["optimize", "--steps", "0", "--out", "o.json"],
     "--steps must be a positive integer, got 0"),
    (["optimize", "--steps", "10", "--warmup", "20", "--out", "o.json"],
     "it covers 20 updates but --steps = 10"),
    (["optimize", "--horizon", "10", "--warmup", "10", "--out", "o.json"],
     "it covers 10 steps but --horizon = 10"),
    (["optimize", "--steps", "10", "--warmup", "2", "--method", "exact", "--out", "o.json"],
     "--method exact solves the unconstrained problem only; with warmup use --method newton"),
    (["optimize", "--steps", "10", "--D", "1e300", "--G", "1e300", "--out", "o.json"],
     "(horizon T = 11) is not representable"),
    (EXTEND + ["--steps", "2"], "holds 3 rates, more than --steps = 2"),
    (EXTEND + ["--steps", "5", "--rewarmup", "5"], "after 3 applied ones exceeds --steps = 5"),
    (["anytime", "--checkpoints", "5,3", "--out", "o.json"],
     "--checkpoints must be strictly increasing"),
    (["scaling", "--min-horizon", "10", "--max-horizon", "5"],
     "--max-horizon must be >= --min-horizon"),
]


@pytest.mark.parametrize("argv, message", CASES)
def test_the_error_names_the_flag(history, capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert message in err
    # no API spelling left: a bare "steps =" / "updates =" or a method='...' literal
    assert not re.search(r"(?<![-\w])(steps|updates) =|method=", err), err


def test_a_command_with_steps_of_its_own_keeps_them(capsys):
    # extend has --steps: the horizon alias must not turn its "steps" into --horizon.
    pairs = dict(cli._api_names(cli._command_parser(cli.build_parser(), "extend")))
    assert pairs["steps"] == "--steps" and "horizon" not in pairs
