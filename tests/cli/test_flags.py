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
