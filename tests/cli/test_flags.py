"""Every flag of every command is a parameter of the library function the command calls
(one name per idea: the flag, the argument and the JSON key agree), or says why it is not."""

import argparse
import importlib
import inspect

import pytest

from schedopt import cli


def _function(path: str):
    """``package.module.name`` or ``package.module.Class.method``."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            value = getattr(value, name)
        return value
    raise ImportError(path)


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise AssertionError("no sub-commands")


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_every_flag_is_a_parameter_of_the_commands_function(name):
    module = cli.command_module(name)
    paths = module.FUNCTION if isinstance(module.FUNCTION, tuple) else (module.FUNCTION,)
    params = set()
    for path in paths:
        params |= set(inspect.signature(_function(path)).parameters)
    flags = {a.dest for a in _subparser(name)._actions
             if a.dest not in ("help",) and a.option_strings}
    for dest in flags:
        flag = "--" + dest.replace("_", "-")
        option_strings = next(a.option_strings for a in _subparser(name)._actions
                              if a.dest == dest)
        if dest in module.CLI_ONLY:
            assert module.CLI_ONLY[dest].strip(), f"{name}: say why {dest} is CLI-only"
            continue
        assert dest in params, f"schedopt {name} {option_strings}: not a parameter of {paths}"
        # the flag spells the parameter (- for _; --no-X sets X=False)
        assert {flag, f"--{dest}", "--no-" + flag[2:]} & set(option_strings), (name, dest)


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_cli_only_flags_exist(name):
    module = cli.command_module(name)
    flags = {a.dest for a in _subparser(name)._actions}
    assert set(module.CLI_ONLY) <= flags


# One meaning per flag name across commands (issue 19): where a flag appears in several
# commands its metavar and type agree, and these flags' help texts say the one meaning.
MEANINGS = {
    "--steps": "updates",                      # a number of updates in every command
    "--horizon": "horizon",                    # T of bound (C), never a number of updates
    "--max-lr": "in the units of the rates written",
    "--warmup": "warm-up",
}
# --out is a file or, for the report and the demo, a folder: where the output goes.
SAME_METAVAR_EXCEPT = {"--out": {"FILE", "DIR"}}


def _flags_by_name():
    found = {}
    for name in cli.COMMANDS:
        for action in _subparser(name)._actions:
            if action.help == argparse.SUPPRESS:
                continue
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    found.setdefault(flag, []).append((name, action))
    return found


def test_a_flag_has_one_meaning_across_commands():
    for flag, uses in _flags_by_name().items():
        metavars = {a.metavar for _, a in uses}
        allowed = SAME_METAVAR_EXCEPT.get(flag)
        assert len(metavars) == 1 or (allowed and metavars <= allowed), (flag, uses)
        types = {getattr(a.type, "__name__", a.type) for _, a in uses}
        assert len(types) == 1, (flag, types)
        if flag in MEANINGS:
            for name, action in uses:
                assert MEANINGS[flag] in action.help.lower(), (name, flag, action.help)
        if flag == "--steps":
            for name, action in uses:
                assert "horizon t" not in action.help.lower().split("(")[0], (name, action.help)


@pytest.mark.parametrize("name, refused, pointer", [
    ("compare", ["--steps", "1000"], "--horizon"),
    ("scaling", ["--max-steps", "1000"], "--min-horizon/--max-horizon"),
])
def test_steps_as_a_horizon_is_refused_with_a_pointer(capsys, name, refused, pointer):
    assert cli.main([name, *refused]) == 2
    err = capsys.readouterr().err
    assert "means a number of updates in every command" in err and pointer in err
    assert len(err.strip().splitlines()) == 1


def test_one_monotone_default():
    """optimize, plan, refine and optimal_optax_schedule: monotone=False by default."""
    import inspect as _inspect

    from schedopt.adapters import optimal_optax_schedule
    from schedopt.calibration._model import LossModel
    from schedopt.solvers import applied_schedule

    for name in ("optimize", "plan", "refine", "extend"):
        args = cli.build_parser().parse_args(
            [name] + {"optimize": ["--steps", "5", "--out", "x.json"],
                      "plan": ["--model", "m.json", "--steps", "5"],
                      "refine": ["--grad-norms", "g.csv", "--out", "x.json"],
                      "extend": ["--applied", "a.csv", "--steps", "5", "--out", "x.csv"]}[name])
        assert args.monotone is False, name
    for function in (optimal_optax_schedule, applied_schedule, LossModel.best_schedule):
        assert _inspect.signature(function).parameters["monotone"].default is False
