"""JAX's persistent compilation cache for the command line (issue 22).

A command that runs a compiled JAX function (the exact recursion past 4096 steps, newton,
the first-order methods) compiles it in every fresh process. With the cache on, XLA's
compiled programs are written to a user-level directory and a later process loads them
instead of compiling. It is on by default for ``schedopt`` (not for the library: importing
schedopt never changes JAX's settings) and off with ``schedopt --no-compile-cache …`` or
the environment variable ``SCHEDOPT_NO_COMPILE_CACHE=1``.

The directory is ``$SCHEDOPT_CACHE_DIR``, else ``$XDG_CACHE_HOME/schedopt/jax``, else
``~/.cache/schedopt/jax``; a directory inside the schedopt source tree is refused (the cache
stays off), so that a checkout never collects cache files. A JAX setting the user already
made (``JAX_COMPILATION_CACHE_DIR``) wins. Only the standard library is imported here: the
settings go through JAX's environment variables when JAX is not imported yet, so a command
that never needs JAX (``optimize --steps 1000``) does not pay for importing it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_OFF = "SCHEDOPT_NO_COMPILE_CACHE"
ENV_DIR = "SCHEDOPT_CACHE_DIR"
# The package's own tree (a checkout's root, or site-packages/schedopt when installed).
_TREE = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Where the compiled programs go (module doc)."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "schedopt" / "jax"


def _inside_tree(path: Path) -> bool:
    project = _TREE if (_TREE / "pyproject.toml").exists() else _TREE / "schedopt"
    try:
        path.resolve().relative_to(project)
    except ValueError:
        return False
    return True


def enable(disabled: bool = False) -> Path | None:
    """Turn the cache on for this process; the directory, or None when it stays off."""
    if disabled or os.environ.get(ENV_OFF, "").strip() not in ("", "0"):
        return None
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    path = cache_dir()
    if _inside_tree(path):
        return None
    settings = {"jax_compilation_cache_dir": str(path),
                # every program: the ones a command compiles take 0.05–0.5 s each
                "jax_persistent_cache_min_compile_time_secs": 0.0,
                "jax_persistent_cache_min_entry_size_bytes": 0}
    if "jax" in sys.modules:
        import jax

        for name, value in settings.items():
            jax.config.update(name, value)
    else:
        for name, value in settings.items():
            os.environ.setdefault(name.upper(), str(value))
    return path
