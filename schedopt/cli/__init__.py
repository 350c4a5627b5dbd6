"""The ``schedopt`` command line (also ``python -m schedopt``).

One module per command (``_optimize``, ``_extend``, ``_anytime``, ``_refine``, ``_compare``,
``_scaling``, ``_report``, ``_demo``, ``_calibrate``, ``_plan``: ``COMMANDS``), each with ``NAME``, ``HELP``, ``DESCRIPTION``, ``EXAMPLES``, ``FUNCTION`` (the
library function its flags belong to), ``add_arguments(parser)`` and ``run(args)``. A
command holds no library logic: it checks its paths, calls the library and prints.

Flags carry the names of the Python API (``--steps`` is ``steps``, ``--max-lr`` is
``max_lr``, ``--D`` is ``D``) and so do the keys of the JSON the commands write. A bad
argument exits with status 2 and one line on standard error that says what is wrong.
Only the standard library is imported at start-up; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap

from schedopt.cli._common import METHODS as _METHODS      # noqa: F401  (checked by the tests)
from schedopt.cli._common import UsageError

# The commands in the order --help lists them: the module of each.
COMMANDS = ("optimize", "extend", "anytime", "refine", "compare", "scaling", "report", "demo",
            "calibrate", "plan")
_MODULES = {name: f"schedopt.cli._{name}" for name in COMMANDS}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``schedopt optimize: error: ...`` and status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _examples(*lines: str) -> str:
    return "example:\n" + "\n".join("  " + line for line in lines)


def command_module(name: str):
    """The module that implements command ``name``."""
    return importlib.import_module(_MODULES[name])


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schedopt",
        description=textwrap.fill(
            "Provably good learning-rate schedules: the schedule that minimises SGD's "
            "last-iterate bound (C), its comparison with the schedules people use, and a "
            "report with tables and figures.", 88),
        epilog=_examples("schedopt optimize --steps 1000 --out eta.json",
                         "schedopt report --out report"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--no-compile-cache", dest="no_compile_cache", action="store_true",
                        help="do not use JAX's persistent compilation cache (on by default, in "
                             "$XDG_CACHE_HOME/schedopt/jax or ~/.cache/schedopt/jax; also "
                             "SCHEDOPT_NO_COMPILE_CACHE=1 or SCHEDOPT_CACHE_DIR=...)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = command_module(name)
        p = commands.add_parser(
            module.NAME, help=module.HELP, description=textwrap.fill(module.DESCRIPTION, 88),
            epilog=_examples(*module.EXAMPLES),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:            # --help (0) or a usage error (2, already printed)
        return int(exit_.code or 0)
    if args.version:
        from schedopt import __version__

        print(f"schedopt {__version__}")
        return 0
    if args.command is None:
        print(f"schedopt: error: give a command: {', '.join(COMMANDS[:-1])} or "
              f"{COMMANDS[-1]} (see schedopt --help)", file=sys.stderr)
        return 2
    from schedopt.cli import _cache

    _cache.enable(args.no_compile_cache)
    try:
        return args.run(args)
    except (ValueError, TypeError, UsageError) as err:
        text = _flag_names(_one_line(err), _command_parser(parser, args.command))
        print(f"schedopt {args.command}: error: {text}", file=sys.stderr)
        return 2
    except MemoryError as err:             # an allocation the up-front check did not foresee
        print(f"schedopt {args.command}: error: out of memory ({_one_line(err)}); "
              f"use fewer steps", file=sys.stderr)
        return 2
    except OSError as err:                 # e.g. the disk filled up while writing
        print(f"schedopt {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"schedopt {args.command}: interrupted", file=sys.stderr)
        return 130


def _command_parser(parser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _flag_names(text: str, parser) -> str:
    """The library's message with each API argument it names (``updates must be …``) put
    as the command's flag (``--steps must be …``), so that every CLI error names a flag."""
    import re

    if parser is None:
        return text
    for dest, flag in _api_names(parser):
        name = re.escape(dest)
        # method='exact' → --method exact (the value as it is typed)
        text = re.sub(rf"(?<![\w-]){name}=(['\"]?)([^'\"\s,;)]+)\1", flag + r" \2", text)
        if "_" in dest:                    # peak_lr, min_steps: an API name wherever it is
            pattern = rf"(^|(?<=[\s(,=]))(){name}(?![\w(])()"
        else:                              # updates, steps: where a clause begins, or as
            pattern = (rf"(^|[:;,(] |\(|\b(?:but|than|exceeds) )({name})"   # "but steps = 10"
                       rf"( must| =| holds| is | needs| covers| only|:)")
        text = re.sub(pattern, lambda m: m.group(1) + flag + m.group(3), text)
    return text


def _api_names(parser):
    """(API argument, flag) pairs of a command: each flag's dest; and where the command takes
    --horizon but has no steps of its own, the library's ``steps`` (the horizon T) is it."""
    pairs = []
    for action in parser._actions:
        flags = [f for f in action.option_strings if f.startswith("--")]
        if flags and action.dest != "help" and not action.dest.startswith("_"):
            pairs.append((action.dest, flags[0]))
    dests = dict(pairs)
    if "horizon" in dests and "steps" not in dests:
        pairs.append(("steps", dests["horizon"]))
    return pairs


def _one_line(err) -> str:
    return " ".join(str(err).split()) or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
