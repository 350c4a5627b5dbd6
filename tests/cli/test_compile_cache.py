"""The command line's JAX compilation cache: on by default in a user-level directory, off by
flag or environment variable, never inside the source tree (schedopt/cli/_cache.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schedopt.cli import _cache

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, *argv, **env):
    environ = {k: v for k, v in os.environ.items()
               if k not in (_cache.ENV_OFF, _cache.ENV_DIR, "JAX_COMPILATION_CACHE_DIR")}
    environ.update(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "xdg"), **env)
    # L-BFGS-B evaluates bound (C) and its gradient in JAX, so it compiles (the exact method
    # no longer loads JAX at all: solvers/_scan.py).
    return subprocess.run([sys.executable, "-m", "schedopt", *argv, "optimize", "--steps",
                           "300", "--method", "lbfgsb", "--out", str(tmp_path / "eta.npy")],
                          env=environ, cwd=tmp_path, capture_output=True, text=True)


def _files(path):
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_on_by_default_in_xdg_cache_home(tmp_path):
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert _files(tmp_path / "xdg" / "schedopt" / "jax")


@pytest.mark.parametrize("argv, env", [(("--no-compile-cache",), {}),
                                       ((), {_cache.ENV_OFF: "1"})])
def test_off_by_flag_or_environment(tmp_path, argv, env):
    done = _run(tmp_path, *argv, **env)
    assert done.returncode == 0, done.stderr
    assert not _files(tmp_path / "xdg")


def test_never_inside_the_source_tree(monkeypatch):
    for name in (_cache.ENV_OFF, "JAX_COMPILATION_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(_cache.ENV_DIR, str(ROOT / "schedopt" / ".cache"))
    assert _cache.enable() is None
    monkeypatch.setenv(_cache.ENV_OFF, "1")
    monkeypatch.setenv(_cache.ENV_DIR, "/tmp/elsewhere")
    assert _cache.enable() is None
