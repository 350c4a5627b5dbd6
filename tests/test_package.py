"""The package's public surface: every exported name resolves, and importing is cheap."""

import subprocess
import sys

import pytest

import schedopt


@pytest.mark.parametrize("name", schedopt.__all__)
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(schedopt, name)
    assert value is getattr(sys.modules[schedopt._EXPORTS[name]], name)
    assert name in dir(schedopt)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'optimal'"):
        schedopt.optimal  # noqa: B018


def test_import_and_cli_help_do_not_load_jax():
    # --help must answer at once: JAX, optax and scipy load only when a command needs them.
    code = ("import sys, schedopt, schedopt.cli\n"
            "heavy = [m for m in ('jax', 'optax', 'scipy') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)
