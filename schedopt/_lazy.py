"""Lazy re-exports (PEP 562) shared by the package and its layers.

``import schedopt`` and the command line's ``--help`` must not pay for importing JAX, optax
and scipy before a name that needs them is used. Each ``__init__`` lists its public names and
the module that defines each; the module is imported on first use of the name.
"""

from __future__ import annotations

import importlib
from typing import Callable, Mapping


def exports(namespace: dict, table: Mapping[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for a package whose public names are ``table``'s keys."""
    package = namespace["__name__"]

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value            # later look-ups skip this function
        return value

    def __dir__():
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
